import Foundation
import ProbeCore
import ProbeCorpus
import ProbeTestSupport
import XCTest

final class LayoutTests: XCTestCase {
  func testRAVDESS() throws {
    let l = try XCTUnwrap(CorpusLayout.parse("Actor_12/03-01-05-02-02-01-12.wav", as: .ravdess))
    XCTAssertEqual(l.speaker, "12")
    XCTAssertEqual(l.emotion, "angry")
    XCTAssertEqual(l.label, "05")
    XCTAssertEqual(l.intensity, "strong")
    XCTAssertEqual(l.statement, "02")
    XCTAssertEqual(l.repetition, "01")
    XCTAssertEqual(l.gender, "female")
    XCTAssertEqual(l.extra, ["modality": "audio-only", "vocal_channel": "speech"])
    XCTAssertEqual(CorpusLayout.parse("03-01-01-01-01-01-07.wav", as: .ravdess)?.gender, "male")
    XCTAssertNil(CorpusLayout.parse("03-01-09-01-01-01-07.wav", as: .ravdess), "emotion code 09 does not exist")
    XCTAssertNil(CorpusLayout.parse("03-01-01-01-01-01.wav", as: .ravdess))
  }

  func testSAVEEFlatAndFolders() throws {
    let flat = try XCTUnwrap(CorpusLayout.parse("DC_sa03.wav", as: .savee))
    XCTAssertEqual([flat.speaker, flat.emotion, flat.label, flat.statement], ["DC", "sad", "sa", "03"])
    XCTAssertEqual(CorpusLayout.parse("JK_su15.wav", as: .savee)?.emotion, "surprised")
    XCTAssertEqual(CorpusLayout.parse("KL_a01.wav", as: .savee)?.emotion, "angry")
    let folder = try XCTUnwrap(CorpusLayout.parse("AudioData/JE/n30.wav", as: .savee))
    XCTAssertEqual([folder.speaker, folder.emotion], ["JE", "neutral"])
    XCTAssertNil(CorpusLayout.parse("DC_x01.wav", as: .savee))
    XCTAssertNil(CorpusLayout.parse("misc/a01.wav", as: .savee), "no speaker")
  }

  func testCREMAD() throws {
    let l = try XCTUnwrap(CorpusLayout.parse("AudioWAV/1001_DFA_ANG_XX.wav", as: .crema_d))
    XCTAssertEqual([l.speaker, l.emotion, l.statement, l.intensity], ["1001", "angry", "DFA", "unspecified"])
    XCTAssertEqual(CorpusLayout.parse("1091_IEO_FEA_HI.wav", as: .crema_d)?.emotion, "fearful")
    XCTAssertNil(CorpusLayout.parse("1001_DFA_XYZ_XX.wav", as: .crema_d))
  }

  func testTESS() throws {
    let l = try XCTUnwrap(CorpusLayout.parse("OAF_angry/OAF_back_angry.wav", as: .tess))
    XCTAssertEqual([l.speaker, l.emotion, l.statement], ["OAF", "angry", "back"])
    XCTAssertEqual(CorpusLayout.parse("YAF_dog_ps.wav", as: .tess)?.emotion, "surprised")
    XCTAssertEqual(CorpusLayout.parse("YAF_pleasant_surprised/YAF_dog_pleasant_surprised.wav", as: .tess)?.emotion, "surprised")
    XCTAssertEqual(CorpusLayout.parse("OAF_bite_fear.wav", as: .tess)?.emotion, "fearful")
    XCTAssertNil(CorpusLayout.parse("XYZ_dog_angry.wav", as: .tess))
  }

  func testEmoDB() throws {
    let l = try XCTUnwrap(CorpusLayout.parse("wav/03a01Wa.wav", as: .emodb))
    XCTAssertEqual([l.speaker, l.emotion, l.statement, l.repetition, l.gender], ["03", "angry", "a01", "a", "male"])
    XCTAssertEqual(CorpusLayout.parse("16b10Lb.wav", as: .emodb)?.emotion, "boredom")
    XCTAssertEqual(CorpusLayout.parse("08a02Ac.wav", as: .emodb)?.emotion, "fearful")
    XCTAssertNil(CorpusLayout.parse("03a01Xa.wav", as: .emodb))
  }

  func testDetection() {
    XCTAssertEqual(CorpusLayout.detect(["Actor_01/03-01-01-01-01-01-01.wav", "Actor_01/03-01-05-01-01-01-01.wav", "notes.wav"]).format, .ravdess)
    XCTAssertEqual(CorpusLayout.detect(["DC_a01.wav", "JE_sa02.wav"]).format, .savee)
    XCTAssertEqual(CorpusLayout.detect(["1001_DFA_ANG_XX.wav"]).format, .crema_d)
    XCTAssertEqual(CorpusLayout.detect(["OAF_back_angry.wav", "YAF_dog_ps.wav"]).format, .tess)
    XCTAssertEqual(CorpusLayout.detect(["03a01Fa.wav", "10b03Tb.wav"]).format, .emodb)
    XCTAssertEqual(CorpusLayout.detect(["a.wav", "b.flac", "c.wav"]).format, .files)
  }

  func testFormatNames() {
    XCTAssertEqual(CorpusFormat(name: "CREMA-D"), .crema_d)
    XCTAssertEqual(CorpusFormat(name: "cremad"), .crema_d)
    XCTAssertEqual(CorpusFormat(name: "RAVDESS"), .ravdess)
    XCTAssertNil(CorpusFormat(name: "iemocap"))
  }
}

final class ManifestTests: XCTestCase {
  func write(_ text: String) -> String {
    let p = TestSupport.temporaryDirectory("manifest") + "/m.csv"
    FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
    return p
  }

  func testReadsRowsNormalisesLabelsKeepsExtras() throws {
    let m = try ManifestReader.read(path: write("path,speaker,emotion,session\r\na.wav,s1,Anger,1\n\"b,c.wav\",s2,excited,\"2\"\n"))
    XCTAssertEqual(m.rows.map(\.path), ["a.wav", "b,c.wav"])
    XCTAssertEqual(m.rows[0].labels.emotion, "angry")
    XCTAssertEqual(m.rows[0].labels.label, "Anger")
    XCTAssertEqual(m.rows[1].labels.emotion, "excited")
    XCTAssertEqual(m.rows[1].labels.extra, ["session": "2"])
    XCTAssertEqual(m.unknownLabels, ["excited"])
  }

  /// Byte-level parsing keeps multi-byte characters, quotes, doubled quotes, quoted line breaks,
  /// a byte-order mark and a last line without a newline; trimming removes Unicode spaces too.
  func testCSVBytesAndTrimming() throws {
    let text = "\u{FEFF}path,note\r\n\"ä ö.wav\",\"say \"\"hé\"\"\"\n日本.wav,\"two\nlines\"\nlast.wav,\u{00A0}x\t"
    let recs = try CSV.parse(text, path: "t.csv")
    XCTAssertEqual(recs.map(\.fields), [["path", "note"], ["ä ö.wav", "say \"hé\""], ["日本.wav", "two\nlines"], ["last.wav", "\u{00A0}x\t"]])
    XCTAssertEqual(recs.map(\.line), [1, 2, 3, 5])
    XCTAssertEqual(recs[3].fields[1].trimmedSpaces, "x")
    // A quote inside an unquoted field is a character; after a quoted part the field goes on;
    // CR alone ends a line; a quoted empty field at the end makes no record, a lone comma does.
    let edges: [(String, [[String]], [Int])] = [
      ("ab\"c,\"ab\"cd,\"ab\"c\"d\n", [["ab\"c", "abcd", "abc\"d"]], [1]),
      ("\"\",x,,\n\"\"", [["", "x", "", ""]], [1]),
      ("a\rb\r\nc", [["a"], ["b"], ["c"]], [1, 2, 3]),
      ("\"x\"\"y\",\"\"\"\"\n,", [["x\"y", "\""], ["", ""]], [1, 2]),
      ("\"a\"b\"c\"", [["ab\"c\""]], [1]),
    ]
    for (text, fields, lines) in edges {
      let r = try CSV.parse(text, path: "e.csv")
      XCTAssertEqual(r.map(\.fields), fields, text)
      XCTAssertEqual(r.map(\.line), lines, text)
    }
    XCTAssertEqual("  a b \t".trimmedSpaces, "a b")
    XCTAssertEqual(" \t ".trimmedSpaces, "")
    XCTAssertEqual("x\n".trimmedSpaces, "x\n")  // newlines are not spaces (as .whitespaces)
  }

  func testMissingColumnsAreNamed() {
    XCTAssertThrowsError(try ManifestReader.read(path: write("file,speaker\na.wav,s1\n"))) { e in
      let err = e as! ManifestError
      XCTAssertEqual(err.line, 1)
      XCTAssertTrue(err.message.contains("path, emotion"), err.message)
    }
  }

  func testBadUTF8NamesTheLine() {
    var bytes = Array("path,speaker,emotion\na.wav,s1,angry\n".utf8)
    bytes += [0x62, 0x2E, 0x77, 0x61, 0x76, 0x2C, 0xFF, 0xFE, 0x2C, 0x73, 0x61, 0x64, 0x0A]
    let p = TestSupport.temporaryDirectory("bad") + "/b.csv"
    FileManager.default.createFile(atPath: p, contents: Data(bytes))
    XCTAssertThrowsError(try ManifestReader.read(path: p)) { e in
      let err = e as! ManifestError
      XCTAssertEqual(err.line, 3)
      XCTAssertTrue(err.message.contains("UTF-8"))
    }
  }

  func testRaggedRowsAndUnclosedQuotes() {
    XCTAssertThrowsError(try ManifestReader.read(path: write("path,speaker,emotion\na.wav,s1\n"))) { e in
      XCTAssertEqual((e as! ManifestError).line, 2)
    }
    XCTAssertThrowsError(try ManifestReader.read(path: write("path,speaker,emotion\n\"a.wav,s1,sad\n"))) { e in
      XCTAssertTrue((e as! ManifestError).message.contains("never closed"))
    }
    XCTAssertThrowsError(try ManifestReader.read(path: write("path,speaker,emotion\na.wav,s1,sad\na.wav,s1,sad\n"))) { e in
      XCTAssertTrue((e as! ManifestError).message.contains("first on line 2"))
    }
  }
}

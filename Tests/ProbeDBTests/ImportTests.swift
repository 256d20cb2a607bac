import Foundation
import ProbeAudio
import ProbeDB
import ProbeTestSupport
import XCTest

final class ImportTests: XCTestCase {
  func csv(_ db: Database, _ sql: String) throws -> [[String]] {
    try db.query(sql).rows.map { $0.map { $0.isNull ? "NULL" : $0.description } }
  }

  func testEveryLayoutIsDetectedAndLabelled() throws {
    let expected: [String: (format: String, rows: [[String]])] = [
      "ravdess": ("ravdess", [
        ["Actor_01/03-01-01-01-01-01-01.wav", "01", "neutral", "normal", "01", "01", "male"],
        ["Actor_01/03-01-05-02-01-01-01.wav", "01", "angry", "strong", "01", "01", "male"],
        ["Actor_02/03-01-01-01-02-01-02.wav", "02", "neutral", "normal", "02", "01", "female"],
        ["Actor_02/03-01-04-01-01-02-02.wav", "02", "sad", "normal", "01", "02", "female"],
      ]),
      "savee": ("savee", [
        ["DC_a01.wav", "DC", "angry", "NULL", "01", "NULL", "male"], ["DC_n01.wav", "DC", "neutral", "NULL", "01", "NULL", "male"],
        ["JE_sa02.wav", "JE", "sad", "NULL", "02", "NULL", "male"], ["JE_su03.wav", "JE", "surprised", "NULL", "03", "NULL", "male"],
      ]),
      "savee-folders": ("savee", [
        ["AudioData/DC/a01.wav", "DC", "angry", "NULL", "01", "NULL", "male"], ["AudioData/KL/n02.wav", "KL", "neutral", "NULL", "02", "NULL", "male"],
      ]),
      "crema_d": ("crema_d", [
        ["AudioWAV/1001_DFA_ANG_XX.wav", "1001", "angry", "unspecified", "DFA", "NULL", "NULL"],
        ["AudioWAV/1001_IEO_NEU_XX.wav", "1001", "neutral", "unspecified", "IEO", "NULL", "NULL"],
        ["AudioWAV/1002_DFA_SAD_HI.wav", "1002", "sad", "high", "DFA", "NULL", "NULL"],
      ]),
      "tess": ("tess", [
        ["OAF_angry/OAF_back_angry.wav", "OAF", "angry", "NULL", "back", "NULL", "female"],
        ["YAF_neutral/YAF_dog_neutral.wav", "YAF", "neutral", "NULL", "dog", "NULL", "female"],
        ["YAF_pleasant_surprised/YAF_dog_ps.wav", "YAF", "surprised", "NULL", "dog", "NULL", "female"],
      ]),
      "emodb": ("emodb", [
        ["wav/03a01Wa.wav", "03", "angry", "NULL", "a01", "a", "male"], ["wav/08a02Nb.wav", "08", "neutral", "NULL", "a02", "b", "female"],
        ["wav/16b10Lb.wav", "16", "boredom", "NULL", "b10", "b", "female"],
      ]),
      "files": ("files", [["a.wav", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"], ["deeper/b.wav", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"]]),
    ]
    for (layout, want) in expected.sorted(by: { $0.key < $1.key }) {
      let dir = try CorpusFixtures.make(layout)
      let db = try Database()
      let r = try db.execute("IMPORT CORPUS c FROM '\(dir)'")[0].table
      XCTAssertEqual(r.values("format"), [.text(want.format)], layout)
      XCTAssertEqual(r.values("imported"), [.integer(Int64(want.rows.count))], layout)
      XCTAssertTrue(r.notices.contains("layout detected: \(want.format)"), "\(layout): \(r.notices)")
      let rows = try csv(db, "SELECT path, speaker, emotion, intensity, statement, repetition, gender FROM utterances ORDER BY path")
      XCTAssertEqual(rows, want.rows, layout)
    }
  }

  func testHeadersAndFingerprintsMatchReferenceTools() throws {
    // The bundled corpus ships sha256sum's output (MANIFEST.sha256): the fingerprints must agree.
    let db = try Database()
    try db.execute("IMPORT CORPUS mini FROM '\(TestSupport.exampleCorpus)'")
    let manifest = try String(contentsOfFile: TestSupport.exampleCorpus + "/MANIFEST.sha256", encoding: .utf8)
    var want: [String: String] = [:]
    for line in manifest.split(separator: "\n") {
      let parts = line.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      want[parts[1]] = "sha256:" + parts[0]
    }
    let got = try db.query("SELECT path, fingerprint FROM utterances").rows
    XCTAssertEqual(got.count, 32)
    for r in got { XCTAssertEqual(r[1].stringValue, want[r[0].stringValue!], r[0].description) }
    // Durations from the headers agree with params.csv (the generator's record) to the millisecond.
    let params = try String(contentsOfFile: TestSupport.exampleCorpus + "/params.csv", encoding: .utf8).split(separator: "\n").dropFirst()
    let durations = Dictionary(uniqueKeysWithValues: try db.query("SELECT path, duration FROM utterances").rows.map { ($0[0].stringValue!, $0[1].doubleValue!) })
    for line in params {
      let f = line.split(separator: ",")
      XCTAssertEqual(durations[String(f[0])]!, Double(f.last!)!, accuracy: 0.0015, String(f[0]))
    }
    XCTAssertEqual(try csv(db, "SELECT emotion, count(*), count(DISTINCT speaker) FROM utterances GROUP BY emotion ORDER BY emotion"),
                   [["angry", "8", "4"], ["happy", "8", "4"], ["neutral", "8", "4"], ["sad", "8", "4"]])
    XCTAssertEqual(try csv(db, "SELECT DISTINCT sample_rate, channels, audio_format FROM utterances"), [["16000", "1", "WAV/PCM_16"]])
  }

  func testExplicitFormatSkipsBadlyNamedFilesAndListsThem() throws {
    let dir = try CorpusFixtures.make("ravdess")
    try TestSupport.writeTone(dir, "Actor_01/not-a-ravdess-name.wav")
    try "hello".write(toFile: dir + "/Actor_01/03-01-03-01-01-01-01.wav", atomically: true, encoding: .utf8)
    try TestSupport.writeText(dir, "README.txt", "notes")
    let db = try Database()
    let r = try db.execute("IMPORT CORPUS r FROM '\(dir)' FORMAT ravdess")[0].table
    XCTAssertEqual(r.values("imported"), [.integer(4)])
    XCTAssertEqual(r.values("skipped"), [.integer(2)])
    XCTAssertTrue(r.notices.contains { $0.hasPrefix("skipped 'Actor_01/03-01-03-01-01-01-01.wav': not readable as audio") }, "\(r.notices)")
    XCTAssertTrue(r.notices.contains("skipped 'Actor_01/not-a-ravdess-name.wav': file name does not follow the ravdess naming (MM-CC-EE-II-SS-RR-AA.wav)"), "\(r.notices)")
    XCTAssertTrue(r.notices.contains { $0.hasPrefix("ignored 1 file without an audio extension (README.txt)") }, "\(r.notices)")
    XCTAssertEqual(try db.query("SELECT skipped FROM corpora").rows, [[.integer(2)]])
  }

  func testTruncatedWAVIsSkippedWithReason() throws {
    let dir = try CorpusFixtures.make("savee")
    try TestSupport.writeTone(dir, "KL_h05.wav", seconds: 0.5)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/KL_h05.wav"))
    try bytes.prefix(3000).write(to: URL(fileURLWithPath: dir + "/KL_h05.wav"))
    let db = try Database()
    let r = try db.execute("IMPORT CORPUS s FROM '\(dir)'")[0].table
    XCTAssertEqual(r.values("skipped"), [.integer(1)])
    XCTAssertTrue(r.notices.contains { $0.contains("KL_h05.wav") && $0.contains("truncated") }, "\(r.notices)")
  }

  func testCSVManifestWithAbsentAudio() throws {
    let dir = try CorpusFixtures.make("files")
    try TestSupport.writeText(dir, "manifest.csv", "path,speaker,emotion,session\na.wav,s1,anger,1\ndeeper/b.wav,s2,Neutral,2\nmissing/c.wav,s2,fear,2\nmissing/d.wav,s1,excited,3\n")
    let db = try Database()
    let r = try db.execute("IMPORT CORPUS m FROM '\(dir)/manifest.csv'")[0].table
    XCTAssertEqual(r.values("imported"), [.integer(4)])
    XCTAssertEqual(r.values("absent"), [.integer(2)])
    XCTAssertEqual(r.notices.filter { $0.contains("not on disk") }.count, 1, "one warning for all absent files")
    XCTAssertTrue(r.notices.contains { $0.contains("'excited'") })
    XCTAssertEqual(try csv(db, "SELECT path, speaker, emotion, present, extra, sample_rate FROM utterances ORDER BY path"), [
      ["a.wav", "s1", "angry", "1", "{\"session\":\"1\"}", "16000"],
      ["deeper/b.wav", "s2", "neutral", "1", "{\"session\":\"2\"}", "44100"],
      ["missing/c.wav", "s2", "fearful", "0", "{\"session\":\"2\"}", "NULL"],
      ["missing/d.wav", "s1", "excited", "0", "{\"session\":\"3\"}", "NULL"],
    ])
  }

  func testProvenanceIsRecorded() throws {
    let dir = try CorpusFixtures.make("emodb")
    let db = try Database()
    try db.execute("IMPORT CORPUS e FROM '\(dir)' WITH (fingerprint = false);")
    let run = try db.query("SELECT run_id, statement, options, status, engine_version, finished_at IS NOT NULL FROM runs").rows
    XCTAssertEqual(run.count, 1)
    XCTAssertEqual(run[0][1].stringValue, "IMPORT CORPUS e FROM '\(dir)' WITH (fingerprint = false)")
    XCTAssertEqual(run[0][2].stringValue, "{\"format\": \"emodb\", \"fingerprint\": false}")
    XCTAssertEqual(run[0][3].stringValue, "ok")
    XCTAssertEqual(run[0][5], .integer(1))
    XCTAssertEqual(try db.query("SELECT count(*) FROM utterances WHERE fingerprint IS NULL").rows, [[.integer(3)]])
    XCTAssertEqual(try db.query("SELECT run_id FROM corpora").rows, [[run[0][0]]])
  }

  // MARK: - Bad input: a clear error, and nothing stored changes

  /// Import `good` first, then run `bad`; the error must contain `message`, and every table must
  /// be exactly as before.
  func assertFailsCleanly(_ bad: String, _ message: String, line: UInt = #line) throws {
    let path = TestSupport.temporaryDirectory("db") + "/t.db"
    let db = try Database(path: path)
    try db.execute("IMPORT CORPUS good FROM '\(try CorpusFixtures.make("savee"))'")
    let before = try snapshot(db)
    XCTAssertThrowsError(try db.execute(bad), line: line) { e in
      XCTAssertTrue("\(e)".contains(message), "\(e)", line: line)
    }
    XCTAssertEqual(try snapshot(db), before, "database changed", line: line)
    // And on disk, for a fresh connection.
    XCTAssertEqual(try snapshot(try Database(path: path)), before, line: line)
  }

  func snapshot(_ db: Database) throws -> [String] {
    try ["corpora", "utterances", "runs"].flatMap { t in try db.query("SELECT * FROM \(t) ORDER BY 1").rows.map { "\(t): \($0)" } }
  }

  func testBadInputLeavesDatabaseUnchanged() throws {
    let empty = TestSupport.temporaryDirectory("empty")
    let textOnly = TestSupport.temporaryDirectory("text")
    try TestSupport.writeText(textOnly, "notes.txt", "x")
    let allBad = TestSupport.temporaryDirectory("bad")
    try TestSupport.writeText(allBad, "03-01-01-01-01-01-01.wav", "not audio")
    let noColumns = TestSupport.temporaryDirectory("csv") + "/m.csv"
    try "file,label\na.wav,angry\n".write(toFile: noColumns, atomically: true, encoding: .utf8)
    let badUTF8 = TestSupport.temporaryDirectory("csv") + "/m.csv"
    try Data([0x70, 0x61, 0x74, 0x68, 0x2C, 0x73, 0x70, 0x65, 0x61, 0x6B, 0x65, 0x72, 0x2C, 0x65, 0x6D, 0x6F, 0x74, 0x69, 0x6F, 0x6E, 0x0A, 0xC3, 0x28, 0x2C, 0x61, 0x2C, 0x62, 0x0A]).write(to: URL(fileURLWithPath: badUTF8))

    try assertFailsCleanly("IMPORT CORPUS x FROM '/no/such/folder'", "'/no/such/folder' does not exist")
    try assertFailsCleanly("IMPORT CORPUS x FROM '\(empty)'", "is empty")
    try assertFailsCleanly("IMPORT CORPUS x FROM '\(textOnly)'", "holds no audio files")
    try assertFailsCleanly("IMPORT CORPUS x FROM '\(allBad)'", "nothing imported from")
    try assertFailsCleanly("IMPORT CORPUS x FROM '\(empty)' FORMAT wav2vec", "unknown corpus format 'wav2vec'")
    try assertFailsCleanly("IMPORT CORPUS x FROM '\(noColumns)'", "lacks the required columns path, speaker, emotion")
    try assertFailsCleanly("IMPORT CORPUS x FROM '\(badUTF8)' FORMAT csv", "line 2: is not valid UTF-8")
    try assertFailsCleanly("IMPORT CORPUS GOOD FROM '\(empty)'", "a corpus named 'good' exists already")
    try assertFailsCleanly("IMPORT CORPUS x FROM 'unterminated", "unterminated string")
    try assertFailsCleanly("SELECT nosuch FROM utterances", "no such column: nosuch")
    try assertFailsCleanly("WITH t AS (SELECT 1) DELETE FROM utterances", "would change the database")
    try assertFailsCleanly("EXTRACT wavlm FROM good USING MODEL '/no/model'", "model folder '/no/model' does not exist")
  }

  func testCancelledImportStoresNothing() throws {
    final class CancelOnFirstUpdate: ProgressReporter {
      let db: Database
      init(_ db: Database) { self.db = db }
      func update(task: String, done: Int, total: Int) { if done == 1 { db.cancel() } }
      func finish(task: String) {}
    }
    let db = try Database()
    let reporter = CancelOnFirstUpdate(db)
    db.progress = reporter
    XCTAssertThrowsError(try db.execute("IMPORT CORPUS r FROM '\(try CorpusFixtures.make("ravdess"))'")) { e in
      XCTAssertEqual((e as? EngineError)?.kind, .cancelled)
    }
    XCTAssertEqual(try db.query("SELECT count(*) FROM corpora").rows, [[.integer(0)]])
    // The next statement runs normally.
    XCTAssertEqual(try db.query("SELECT 41 + 1").rows, [[.integer(42)]])
  }

  func testDropCorpusAndUse() throws {
    let db = try Database()
    try db.execute("IMPORT CORPUS a FROM '\(try CorpusFixtures.make("tess"))'; USE a;")
    XCTAssertEqual(db.defaultCorpus, "a")
    let r = try db.execute("DROP CORPUS A")[0].table
    XCTAssertEqual(r.notices, ["dropped corpus 'a' (3 utterances)"])
    XCTAssertNil(db.defaultCorpus)
    XCTAssertEqual(try db.query("SELECT count(*) FROM utterances").rows, [[.integer(0)]])
    XCTAssertEqual(try db.execute("DROP CORPUS IF EXISTS a")[0].table.notices, ["no corpus named 'a'; nothing dropped"])
  }
}

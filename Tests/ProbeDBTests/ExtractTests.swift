import Foundation
import ProbeAudio
import ProbeDB
import ProbeTestSupport
import XCTest

/// EXTRACT fbank: stored vectors, idempotence, resumption after an interruption (including
/// `kill -9` of the process), skipped files.
final class ExtractTests: XCTestCase {
  func testExtractStoresPooledFbankAndIsIdempotent() throws {
    let db = try Database()
    try db.execute("IMPORT CORPUS m FROM '\(TestSupport.exampleCorpus)'")
    let first = try db.query("EXTRACT fbank FROM m")
    XCTAssertEqual(first.values("extracted"), [.integer(32)])
    XCTAssertEqual(first.values("dims"), [.integer(160)])
    // The stored vector is the extractor's output on the decoded file (float32).
    let row = try db.query("SELECT u.path, e.vector FROM embeddings e JOIN utterances u USING (utterance_id) ORDER BY u.path LIMIT 1").rows[0]
    guard case .blob(let blob) = row[1] else { return XCTFail() }
    let want = FbankExtractor().pooled(try AudioDecoder.decode(path: TestSupport.exampleCorpus + "/" + row[0].stringValue!).samples)!
    let got = blob.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    XCTAssertEqual(got, want.map { Float($0) })
    let fp = try db.query("SELECT fingerprint FROM representations").rows
    let again = try db.execute("EXTRACT fbank FROM m")[0].table
    XCTAssertEqual(again.values("extracted"), [.integer(0)])
    XCTAssertTrue(again.notices.contains("'fbank' of 'm' is up to date"))
    XCTAssertEqual(try db.query("SELECT fingerprint FROM representations").rows, fp)
    XCTAssertEqual(try db.query("SELECT count(*) FROM runs WHERE statement LIKE 'EXTRACT%'").rows, [[.integer(1)]], "a no-op rerun records no run")
  }

  func testResumesAfterPartialExtractionAndSkipsShortFiles() throws {
    let dir = try CorpusFixtures.make("ravdess")
    // 0.02 s at 16 kHz = 320 samples: shorter than one 400-sample frame.
    try TestSupport.writeTone(dir, "Actor_02/03-01-05-01-02-01-02.wav", seconds: 0.02)
    let db = try Database()
    try db.execute("IMPORT CORPUS r FROM '\(dir)'")
    let full = try db.query("EXTRACT fbank FROM r")
    XCTAssertEqual(full.values("extracted"), [.integer(4)])
    XCTAssertEqual(full.values("skipped"), [.integer(1)])
    let complete = try db.query("SELECT utterance_id, vector FROM embeddings ORDER BY utterance_id").rows
    let fingerprint = try db.query("SELECT fingerprint FROM representations").rows
    // Lose some vectors (as an interrupted run would not have committed them) and resume.
    let path = TestSupport.temporaryDirectory("resume") + "/r.db"
    let disk = try Database(path: path)
    try disk.execute("IMPORT CORPUS r FROM '\(dir)'; EXTRACT fbank FROM r;")
    try deleteHalf(path)
    let resumed = try Database(path: path).query("EXTRACT fbank FROM r")
    XCTAssertEqual(resumed.values("extracted"), [.integer(2)])
    XCTAssertEqual(resumed.values("already"), [.integer(2)])
    XCTAssertEqual(try Database(path: path).query("SELECT utterance_id, vector FROM embeddings ORDER BY utterance_id").rows, complete)
    XCTAssertEqual(try Database(path: path).query("SELECT fingerprint FROM representations").rows, fingerprint)
  }

  /// Remove half the stored vectors behind ProbeDB's back (the state an interrupted run leaves).
  func deleteHalf(_ path: String) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('DELETE FROM embeddings WHERE utterance_id % 2 = 0'); c.commit()", path]
    try p.run()
    p.waitUntilExit()
    XCTAssertEqual(p.terminationStatus, 0)
  }

  /// `kill -9` in the middle of an extraction, then a rerun: every utterance exactly once, and
  /// the same vectors as an uninterrupted run.
  func testKillNineThenRerun() throws {
    let dir = TestSupport.temporaryDirectory("kill")
    for i in 0..<96 { try TestSupport.writeTone(dir, String(format: "spk%02d/%04d.wav", i % 8, i), seconds: 0.5, rate: 44100) }
    let path = TestSupport.temporaryDirectory("kill") + "/k.db"
    let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("probedb")
    func probedb(_ args: [String]) throws -> Process {
      let p = Process()
      p.executableURL = FileManager.default.fileExists(atPath: bin.path) ? bin : TestSupport.packageRoot.appendingPathComponent(".build/debug/probedb")
      p.arguments = [path] + args
      p.standardOutput = FileHandle.nullDevice
      p.standardError = FileHandle.nullDevice
      try p.run()
      return p
    }
    let imp = try probedb(["-c", "IMPORT CORPUS k FROM '\(dir)' FORMAT files"])
    imp.waitUntilExit()
    XCTAssertEqual(imp.terminationStatus, 0)
    let p = try probedb(["-c", "EXTRACT fbank FROM k"])
    // Wait for the first committed batch, then kill.
    let deadline = Date().addingTimeInterval(60)
    var stored: Int64 = 0
    while Date() < deadline && p.isRunning {
      stored = (try? Database(path: path).query("SELECT count(*) FROM embeddings").rows.first?.first?.intValue ?? 0) ?? 0
      if stored > 0 { break }
      usleep(20_000)
    }
    if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    p.waitUntilExit()
    let partial = try Database(path: path).query("SELECT count(*) FROM embeddings").rows[0][0].intValue!
    XCTAssertLessThan(partial, 96, "the kill came too late to interrupt anything")
    let db = try Database(path: path)
    let r = try db.query("EXTRACT fbank FROM k")
    XCTAssertEqual(r.values("rows"), [.integer(96)])
    XCTAssertEqual(try db.query("SELECT count(*), count(DISTINCT utterance_id) FROM embeddings").rows, [[.integer(96), .integer(96)]])
    // Same vectors as a clean run.
    let clean = try Database()
    try clean.execute("IMPORT CORPUS k FROM '\(dir)' FORMAT files; EXTRACT fbank FROM k;")
    XCTAssertEqual(try db.query("SELECT fingerprint FROM representations").rows, try clean.query("SELECT fingerprint FROM representations").rows)
  }
}

/// EXTRACT egemaps end to end: decode → eGeMAPSv02 → the `egemaps` table, against openSMILE
/// 2.6.0's values for the same files (`examples/mini-corpus-egemaps.csv`, made by
/// `scripts/gen_example_egemaps.py`): per feature the median relative error over the files is at
/// most 1e-3, 2 % for the formant family (the issue's rule).
final class ExtractEGeMAPSTests: XCTestCase {
  func testExtractEGeMAPSMatchesOpenSMILE() throws {
    let dir = TestSupport.temporaryDirectory("eg")
    let files = ["Actor_01/03-01-01-01-01-01-01.wav", "Actor_01/03-01-05-01-02-01-01.wav", "Actor_02/03-01-03-01-01-01-02.wav",
                 "Actor_02/03-01-04-01-02-01-02.wav", "Actor_03/03-01-05-01-01-01-03.wav", "Actor_04/03-01-01-01-02-01-04.wav"]
    for f in files {
      try FileManager.default.createDirectory(atPath: dir + "/" + (f as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try FileManager.default.copyItem(atPath: TestSupport.exampleCorpus + "/" + f, toPath: dir + "/" + f)
    }
    // A file shorter than one 60-ms frame: a row of NULLs and a note.
    try TestSupport.writeTone(dir, "Actor_04/03-01-05-01-01-01-04.wav", seconds: 0.05)
    let db = try Database()
    try db.execute("IMPORT CORPUS m FROM '\(dir)'")
    let r = try db.query("EXTRACT egemaps FROM m")
    XCTAssertEqual(r.values("extracted"), [.integer(7)])
    XCTAssertEqual(try db.query("SELECT count(*) FROM extraction_notes WHERE note LIKE 'shorter than one 60 ms frame%'").rows, [[.integer(1)]])
    XCTAssertEqual(try db.query("SELECT loudness_sma3_amean FROM egemaps JOIN utterances USING (utterance_id) WHERE path LIKE 'Actor_04/03-01-05%'").rows, [[.null]])
    let csv = try String(contentsOfFile: TestSupport.packageRoot.appendingPathComponent("examples/mini-corpus-egemaps.csv").path, encoding: .utf8)
      .split(whereSeparator: \.isNewline).map { $0.split(separator: ",").map(String.init) }
    let names = Array(csv[0].dropFirst())
    XCTAssertEqual(names, EGeMAPS.names)
    var ref: [String: [Double]] = [:]
    for row in csv.dropFirst() { ref[row[0]] = row.dropFirst().map { Double($0)! } }
    let cols = names.map { "\"\($0)\"" }.joined(separator: ", ")
    let got = try db.query("SELECT u.path, \(cols) FROM egemaps JOIN utterances u USING (utterance_id) WHERE u.path IN (\(files.map { "'\($0)'" }.joined(separator: ",")))").rows
    XCTAssertEqual(got.count, files.count)
    for (j, name) in names.enumerated() {
      let errors = got.map { row -> Double in
        let want = ref[row[0].stringValue!]![j]
        return abs(row[j + 1].doubleValue! - want) / max(abs(want), 1e-3)
      }.sorted()
      let median = errors[errors.count / 2]
      XCTAssertLessThanOrEqual(median, name.hasPrefix("F1") || name.hasPrefix("F2") || name.hasPrefix("F3") ? 0.02 : 1e-3, name)
    }
    // Idempotent.
    XCTAssertEqual(try db.query("EXTRACT egemaps FROM m").values("extracted"), [.integer(0)])
  }

  /// EXPORT egemaps LLD: the 25 contours per 10-ms frame, as openSMILE's LLD output.
  func testExportLLD() throws {
    let dir = TestSupport.temporaryDirectory("lld")
    let f = "Actor_01/03-01-05-01-01-01-01.wav"
    try FileManager.default.createDirectory(atPath: dir + "/Actor_01", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: TestSupport.exampleCorpus + "/" + f, toPath: dir + "/" + f)
    let db = try Database()
    try db.execute("IMPORT CORPUS m FROM '\(dir)'")
    let out = dir + "/lld.csv"
    let r = try db.query("EXPORT egemaps LLD FROM m TO '\(out)'")
    let lines = try String(contentsOfFile: out, encoding: .utf8).split(whereSeparator: \.isNewline)
    let ref = try JSON.parse(file: TestSupport.fixture("egemaps/reference.json"))
    let want = ref["signals"][f]["lld"].array
    XCTAssertEqual(r.values("rows"), [.integer(Int64(want.count))])
    XCTAssertEqual(lines.count, want.count + 1)
    XCTAssertEqual(lines[0].split(separator: ",").map(String.init), ["path", "frame", "time"] + ref["lld_names"].strings)
    // Loudness and F0 of every frame within 1e-3 relative of openSMILE's.
    for (t, line) in lines.dropFirst().enumerated() {
      let v = line.split(separator: ",").map(String.init)
      XCTAssertEqual(v[0], f)
      XCTAssertEqual(Double(v[3])!, want[t][0].double, accuracy: 1e-3 * max(abs(want[t][0].double), 1e-2))
      XCTAssertEqual(Double(v[13])!, want[t][10].double, accuracy: 1e-3 * max(abs(want[t][10].double), 1e-2))
      XCTAssertEqual(v[2], Value.format(Double(t) / 100), "frame times print as t/100")
    }
    XCTAssertEqual(lines[36].split(separator: ",")[2], "0.35")
    // No partial files are left beside the target; a missing folder is named.
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".partial-") }, [])
    XCTAssertThrowsError(try db.query("EXPORT egemaps LLD FROM m TO '\(dir)/no/such/lld.csv'")) { e in
      XCTAssertTrue("\(e)".contains("is missing or not writable"), "\(e)")
    }
  }

  /// A note about a skipped file is cleared once a later run extracts that file.
  func testNoteOfSkippedFileClearedWhenExtractedLater() throws {
    let dir = TestSupport.temporaryDirectory("renote")
    try TestSupport.writeTone(dir, "spk01/a.wav", seconds: 0.5)
    try TestSupport.writeTone(dir, "spk01/b.wav", seconds: 0.5)
    let db = try Database()
    try db.execute("IMPORT CORPUS n FROM '\(dir)' FORMAT files")
    // b.wav becomes unreadable after the import.
    try Data("not audio".utf8).write(to: URL(fileURLWithPath: dir + "/spk01/b.wav"))
    XCTAssertEqual(try db.query("EXTRACT fbank FROM n").values("skipped"), [.integer(1)])
    XCTAssertEqual(try db.query("SELECT count(*) FROM extraction_notes WHERE note LIKE 'skipped:%'").rows, [[.integer(1)]])
    try TestSupport.writeTone(dir, "spk01/b.wav", seconds: 0.5)
    XCTAssertEqual(try db.query("EXTRACT fbank FROM n").values("extracted"), [.integer(1)])
    XCTAssertEqual(try db.query("SELECT count(*) FROM extraction_notes").rows, [[.integer(0)]])
  }
}

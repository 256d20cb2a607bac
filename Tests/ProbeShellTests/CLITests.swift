import Foundation
import ProbeTestSupport
import XCTest

/// The `probedb` executable as a user runs it: arguments, standard input, exit codes, and which
/// text goes to standard output and which to standard error.
final class CLITests: XCTestCase {
  struct Run {
    let status: Int32
    let stdout: String
    let stderr: String
  }

  static var binary: URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("probedb")
  }

  func probedb(_ args: [String], stdin: String? = nil) throws -> Run {
    var exe = Self.binary
    if !FileManager.default.fileExists(atPath: exe.path) {
      // Test bundles live next to the products they were built with.
      exe = TestSupport.packageRoot.appendingPathComponent(".build/debug/probedb")
    }
    let p = Process()
    p.executableURL = exe
    p.arguments = args
    p.currentDirectoryURL = TestSupport.packageRoot
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
    try inp.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
  }

  func dbPath() -> String { TestSupport.temporaryDirectory("cli") + "/t.db" }

  func testImportAndCountAsCSV() throws {
    let db = dbPath()
    let r = try probedb([db, "-c", "IMPORT CORPUS r FROM '\(TestSupport.exampleCorpus)'; SELECT count(*) FROM utterances;", "--format", "csv"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.hasSuffix("count(*)\n32\n"), r.stdout)
    XCTAssertTrue(r.stderr.contains("layout detected: ravdess"))
    // The file persists, in WAL mode.
    let again = try probedb([db, "-c", "SELECT count(DISTINCT speaker), group_concat(DISTINCT emotion) FROM utterances; PRAGMA journal_mode;"])
    XCTAssertEqual(again.stdout, "count(DISTINCT speaker),group_concat(DISTINCT emotion)\n4,\"neutral,happy,sad,angry\"\njournal_mode\nwal\n")
  }

  /// `.profile on` prints where an analysis statement's time went, after its table.
  func testProfilePrintsPhases() throws {
    let corpus = TestSupport.exampleCorpus
    let script = ".profile on\nIMPORT CORPUS r FROM '\(corpus)';\nEXTRACT egemaps FROM r;\nEVALUATE angry VS neutral USING egemaps FROM r WITH (splitter = 'loso');\n"
    let r = try probedb([dbPath()], stdin: script)
    XCTAssertEqual(r.status, 0, r.stderr)
    let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("Profile: load ") }
    XCTAssertNotNil(line, r.stdout)
    for phase in ["tasks", "cross-validation", "store", "other"] { XCTAssertTrue(line?.contains(phase + " ") == true, String(line ?? "")) }
  }

  func testSyntaxErrorOnLineTwoReportsPositionAndExitsOne() throws {
    let r = try probedb([dbPath(), "-c", "SELECT 1;\nIMPORT CORPUS FROM;"])
    XCTAssertEqual(r.status, 1)
    XCTAssertEqual(r.stderr, """
      error: 2:19: expected FROM, found ';'
        2 | IMPORT CORPUS FROM;
          |                   ^

      """)
  }

  func testScriptFileAndStandardInput() throws {
    let dir = TestSupport.temporaryDirectory("cli")
    try TestSupport.writeText(dir, "s.pql", "SELECT 1 AS a;\n.mode json\nSELECT 'x' AS b;\n")
    let f = try probedb([dbPath(), "-f", dir + "/s.pql"])
    XCTAssertEqual(f.status, 0)
    XCTAssertEqual(f.stdout, "a\n1\n[{\"b\":\"x\"}]\n")
    let s = try probedb([dbPath(), "--format", "json"], stdin: "SELECT 2 AS c;\nSELECT 3 AS d")
    XCTAssertEqual(s.status, 0, s.stderr)
    XCTAssertEqual(s.stdout, "[{\"c\":2}]\n[{\"d\":3}]\n")
    let t = try probedb([dbPath(), "--format", "table", "-c", "SELECT 1 AS one"])
    XCTAssertEqual(t.stdout, "┌───────┐\n│ one   │\n│ int64 │\n├───────┤\n│     1 │\n└───────┘\n")
  }

  func testRuntimeErrorInScriptNamesFileLineAndStops() throws {
    let dir = TestSupport.temporaryDirectory("cli")
    try TestSupport.writeText(dir, "bad.pql", "SELECT 1 AS a;\n\nUSE nowhere;\nSELECT 2 AS b;\n")
    let r = try probedb([dbPath(), "-f", dir + "/bad.pql"])
    XCTAssertEqual(r.status, 1)
    XCTAssertEqual(r.stdout, "a\n1\n")
    XCTAssertTrue(r.stderr.hasPrefix("error: \(dir)/bad.pql:3:5: unknown corpus 'nowhere'"), r.stderr)
  }

  func testFailedImportLeavesDatabaseUnchanged() throws {
    let db = dbPath()
    XCTAssertEqual(try probedb([db, "-c", "IMPORT CORPUS r FROM '\(TestSupport.exampleCorpus)'"]).status, 0)
    let before = try probedb([db, "-c", "SELECT * FROM corpora; SELECT * FROM utterances ORDER BY 1; SELECT * FROM runs;"]).stdout
    let bad = TestSupport.temporaryDirectory("bad")
    try TestSupport.writeText(bad, "03-01-01-01-01-01-01.wav", "RIFF but not really")
    for stmt in ["IMPORT CORPUS s FROM '\(bad)'", "IMPORT CORPUS r FROM '\(bad)'", "IMPORT CORPUS s FROM '\(bad)/missing'"] {
      let r = try probedb([db, "-c", stmt])
      XCTAssertEqual(r.status, 1, stmt)
      XCTAssertTrue(r.stderr.contains("^"), r.stderr)
    }
    XCTAssertEqual(try probedb([db, "-c", "SELECT * FROM corpora; SELECT * FROM utterances ORDER BY 1; SELECT * FROM runs;"]).stdout, before)
  }

  func testUsageErrors() throws {
    let r = try probedb(["--format", "xml", "-c", "SELECT 1"])
    XCTAssertNotEqual(r.status, 0)
    XCTAssertTrue(r.stderr.contains("--format must be table, csv or json"), r.stderr)
    let m = try probedb([dbPath(), "-f", "/no/such/script.pql"])
    XCTAssertEqual(m.status, 1)
    XCTAssertTrue(m.stderr.contains("cannot read script '/no/such/script.pql': no such file"), m.stderr)
    let v = try probedb(["--version"])
    XCTAssertEqual(v.stdout, "0.1.0\n")
  }

  func testNotADatabaseFile() throws {
    let dir = TestSupport.temporaryDirectory("cli")
    try TestSupport.writeText(dir, "x.db", String(repeating: "definitely not sqlite ", count: 20))
    let r = try probedb([dir + "/x.db", "-c", "SELECT 1"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("not a database"), r.stderr)
  }
}

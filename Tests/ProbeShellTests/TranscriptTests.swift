import Foundation
import ProbeDB
import ProbeShell
import ProbeTestSupport
import XCTest

/// End-to-end scripts: every `Transcripts/<name>.pql` runs through the shell on a fresh
/// in-memory database; what it prints (standard output and error, interleaved) must equal
/// `Transcripts/<name>.out`. `$EXAMPLES` in a script is a fixed folder holding a copy of
/// `examples/mini-corpus`, so printed paths (and box widths) do not depend on the checkout. A first line
/// `-- mode: interactive` keeps going after errors, as the REPL does.
/// Re-record with `PROBEDB_RECORD=1 swift test --filter TranscriptTests`.
final class TranscriptTests: XCTestCase {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Transcripts")

  func testTranscripts() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".pql") }.sorted()
    XCTAssertGreaterThanOrEqual(files.count, 3)
    let examples = "/tmp/probedb-transcripts"  // fixed: the .out files print it
    defer { try? FileManager.default.removeItem(atPath: examples) }
    try? FileManager.default.removeItem(atPath: examples)
    try FileManager.default.createDirectory(atPath: examples, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: TestSupport.exampleCorpus, toPath: examples + "/mini-corpus")
    for f in files {
      let script = try String(contentsOf: Self.folder.appendingPathComponent(f), encoding: .utf8)
      let sink = StringSink()
      let shell = Shell(database: try Database(), format: .table, out: sink, err: sink)
      shell.interactive = script.hasPrefix("-- mode: interactive")
      let ok = shell.runScript(script.replacingOccurrences(of: "$EXAMPLES", with: examples), name: f)
      let transcript = sink.text + "-- exit: \(ok ? 0 : 1)\n"
      try Snapshot.assert(transcript, path: Self.folder.appendingPathComponent(f.replacingOccurrences(of: ".pql", with: ".out")).path)
    }
  }

  /// Every example script runs without error (documentation must not rot).
  func testExamplesRun() throws {
    let dir = TestSupport.packageRoot.appendingPathComponent("examples")
    let scripts = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".pql") }
    XCTAssertFalse(scripts.isEmpty)
    // Run where the README runs them (the repository root) — in a scratch copy, so the files
    // they write do not land in the checkout.
    let scratch = TestSupport.temporaryDirectory("examples")
    try FileManager.default.copyItem(at: dir, to: URL(fileURLWithPath: scratch).appendingPathComponent("examples"))
    try? FileManager.default.removeItem(atPath: scratch + "/examples/library")
    let cwd = FileManager.default.currentDirectoryPath
    FileManager.default.changeCurrentDirectoryPath(scratch)
    defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
    for s in scripts {
      let sink = StringSink()
      let shell = Shell(database: try Database(), format: .csv, out: sink, err: sink)
      let text = try String(contentsOf: dir.appendingPathComponent(s), encoding: .utf8)
      XCTAssertTrue(shell.runScript(text, name: s), "\(s):\n\(sink.text)")
    }
    XCTAssertTrue(FileManager.default.fileExists(atPath: scratch + "/quickstart-report.md"))
  }

  func testInputSplitter() {
    var s = InputSplitter()
    XCTAssertEqual(s.feed(".mode csv", lineNumber: 1), [.dotCommand(".mode csv", line: 1)])
    XCTAssertEqual(s.feed("SELECT 1,", lineNumber: 2), [])
    XCTAssertTrue(s.isPending)
    XCTAssertEqual(s.feed(".5 AS x;", lineNumber: 3), [.statements("SELECT 1,\n.5 AS x;", firstLine: 2)], "a '.' line inside a statement is not a command")
    XCTAssertEqual(s.feed("SELECT ';", lineNumber: 4), [])
    XCTAssertEqual(s.feed("';", lineNumber: 5), [.statements("SELECT ';\n';", firstLine: 4)])
    XCTAssertEqual(s.feed("SELECT 2", lineNumber: 6), [])
    XCTAssertEqual(s.flush(), .statements("SELECT 2", firstLine: 6))
  }

  func testRenderers() {
    let t = ResultTable(columns: [Column("name", .text), Column("n", .integer), Column("x", .real)],
                        rows: [[.text("a,b"), .integer(3), .real(0.5)], [.text("say \"hi\""), .null, .real(2)]])
    XCTAssertEqual(Renderer(format: .csv).render(t), "name,n,x\n\"a,b\",3,0.5\n\"say \"\"hi\"\"\",,2.0\n")
    XCTAssertEqual(Renderer(format: .json).render(t), "[{\"name\":\"a,b\",\"n\":3,\"x\":0.5},\n{\"name\":\"say \\\"hi\\\"\",\"n\":null,\"x\":2.0}]\n")
    XCTAssertEqual(Renderer(format: .table).render(t), """
      ┌──────────┬───────┬────────┐
      │ name     │ n     │ x      │
      │ varchar  │ int64 │ double │
      ├──────────┼───────┼────────┤
      │ a,b      │     3 │    0.5 │
      │ say "hi" │  NULL │    2.0 │
      └──────────┴───────┴────────┘
      2 rows

      """)
  }
}

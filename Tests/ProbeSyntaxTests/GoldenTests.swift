import Foundation
import ProbeCore
import ProbeSyntax
import ProbeTestSupport
import XCTest

/// Parser golden files: every `Golden/<name>.pql` is parsed and its AST dump plus rendered
/// diagnostics must equal `Golden/<name>.ast`. Re-record with `PROBEDB_RECORD=1 swift test`.
final class GoldenTests: XCTestCase {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

  func testGoldenFiles() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".pql") }.sorted()
    XCTAssertGreaterThan(files.count, 5)
    for f in files {
      let input = try String(contentsOf: Self.folder.appendingPathComponent(f), encoding: .utf8)
      let actual = ASTDumper.dump(Parser.parse(SourceFile(name: "<\(f)>", text: input)))
      try Snapshot.assert(actual, path: Self.folder.appendingPathComponent(f.replacingOccurrences(of: ".pql", with: ".ast")).path)
    }
  }
}

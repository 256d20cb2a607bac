import Foundation
import XCTest

/// Golden-file assertions: compare text with a stored file; `PROBEDB_RECORD=1` rewrites the file
/// (and fails, so a recording run is never mistaken for a passing one).
public enum Snapshot {
  public static var recording: Bool { ProcessInfo.processInfo.environment["PROBEDB_RECORD"] == "1" }

  public static func assert(_ actual: String, path: String, file: StaticString = #filePath, line: UInt = #line) throws {
    if recording {
      try actual.write(toFile: path, atomically: true, encoding: .utf8)
      XCTFail("recorded \(path)", file: file, line: line)
      return
    }
    guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
      XCTFail("missing golden file \(path); run with PROBEDB_RECORD=1 to create it", file: file, line: line)
      return
    }
    if actual != expected {
      XCTFail("\(URL(fileURLWithPath: path).lastPathComponent) differs:\n\(unifiedDiff(expected, actual))", file: file, line: line)
    }
  }

  /// A small line diff: expected lines prefixed '-', actual '+'.
  static func unifiedDiff(_ a: String, _ b: String) -> String {
    let x = a.split(separator: "\n", omittingEmptySubsequences: false)
    let y = b.split(separator: "\n", omittingEmptySubsequences: false)
    var out: [String] = []
    for i in 0..<max(x.count, y.count) {
      let l = i < x.count ? String(x[i]) : nil
      let r = i < y.count ? String(y[i]) : nil
      if l != r {
        if let l { out.append("-\(i + 1): \(l)") }
        if let r { out.append("+\(i + 1): \(r)") }
      }
    }
    return out.joined(separator: "\n")
  }
}

/// A piece of query text with a name (a script path, `<command>`, `<stdin>`, `<repl>`) and a
/// line table, so any offset can be turned into a 1-based line and column.
///
/// Offsets are indices into `scalars` (Unicode scalars), so a column counts characters a user
/// sees in the common case rather than UTF-8 bytes.
public struct SourceFile: Sendable, Equatable {
  public let name: String
  public let text: String
  public let scalars: [Unicode.Scalar]
  /// Offset of the first scalar of every line.
  public let lineStarts: [Int]

  public init(name: String, text: String) {
    self.name = name
    self.text = text
    self.scalars = Array(text.unicodeScalars)
    var starts = [0]
    for (i, s) in scalars.enumerated() where s == "\n" { starts.append(i + 1) }
    self.lineStarts = starts
  }

  /// 1-based line and column of an offset (clamped to the text).
  public func location(of offset: Int) -> SourceLocation {
    let o = max(0, min(offset, scalars.count))
    var lo = 0
    var hi = lineStarts.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if lineStarts[mid] <= o { lo = mid } else { hi = mid - 1 }
    }
    return SourceLocation(line: lo + 1, column: o - lineStarts[lo] + 1, offset: o)
  }

  /// The text of a 1-based line, without its newline.
  public func lineText(_ line: Int) -> String {
    guard line >= 1, line <= lineStarts.count else { return "" }
    let start = lineStarts[line - 1]
    var end = line < lineStarts.count ? lineStarts[line] - 1 : scalars.count
    if end > start, scalars[end - 1] == "\r" { end -= 1 }
    return slice(start, max(start, end))
  }

  /// The text between two offsets.
  public func slice(_ start: Int, _ end: Int) -> String {
    var s = String.UnicodeScalarView()
    s.append(contentsOf: scalars[max(0, start)..<min(end, scalars.count)])
    return String(s)
  }

  public func text(of range: SourceRange) -> String { slice(range.start, range.end) }
}

/// A 1-based position in a source file.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
  public let line: Int
  public let column: Int
  public let offset: Int
  public var description: String { "\(line):\(column)" }
}

/// A half-open range of scalar offsets `[start, end)` in a `SourceFile`.
public struct SourceRange: Sendable, Equatable, Hashable {
  public var start: Int
  public var end: Int
  public init(_ start: Int, _ end: Int) {
    self.start = start
    self.end = max(start, end)
  }
  /// The smallest range covering both.
  public func union(_ other: SourceRange) -> SourceRange {
    SourceRange(min(start, other.start), max(end, other.end))
  }
}

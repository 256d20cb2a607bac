/// A problem found while lexing, parsing, binding or executing a statement.
///
/// Detection and rendering are separate: the stage that finds a problem builds a `Diagnostic`
/// with a stable `id` (catalogued in `docs/diagnostics.md`), and `DiagnosticRenderer` turns it
/// into text with `line:col`, the source line and a caret.
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Severity: String, Sendable { case error, warning, note }

  /// Stable identifier, e.g. `syntax.unexpected-token`, `bind.unknown-corpus`.
  public var id: String
  public var severity: Severity
  public var message: String
  /// Where in `source` the problem is; nil for problems without a position (I/O, storage).
  public var range: SourceRange?
  public var source: SourceFile?
  /// Extra lines, e.g. "did you mean 'angry'?".
  public var notes: [String]

  public init(
    _ id: String, _ message: String, severity: Severity = .error, range: SourceRange? = nil,
    source: SourceFile? = nil, notes: [String] = []
  ) {
    self.id = id
    self.severity = severity
    self.message = message
    self.range = range
    self.source = source
    self.notes = notes
  }

  public static func == (a: Diagnostic, b: Diagnostic) -> Bool {
    a.id == b.id && a.message == b.message && a.range == b.range && a.notes == b.notes
  }

  /// The 1-based location of the start of `range`, when both a range and a source are known.
  public var location: SourceLocation? {
    guard let range, let source else { return nil }
    return source.location(of: range.start)
  }

  /// A copy positioned in `source` (used when a later stage attaches the statement's text).
  public func attaching(_ source: SourceFile) -> Diagnostic {
    var d = self
    if d.source == nil { d.source = source }
    return d
  }

  public var description: String { DiagnosticRenderer().render(self) }
}

/// Renders diagnostics as text:
///
///     error: 2:10: unknown emotion 'angy'
///       2 | EVALUATE angy VS neutral USING wavlm FROM r;
///         |          ^~~~
///       = did you mean 'angry'?
public struct DiagnosticRenderer: Sendable {
  public init() {}

  public func render(_ d: Diagnostic) -> String {
    var out = "\(d.severity.rawValue)"
    if let source = d.source, let range = d.range {
      let loc = source.location(of: range.start)
      let prefix = source.name.isEmpty || source.name.hasPrefix("<") ? "" : "\(source.name):"
      out += ": \(prefix)\(loc.line):\(loc.column): \(d.message)\n"
      let lineNo = String(loc.line)
      let pad = String(repeating: " ", count: lineNo.count)
      let lineText = source.lineText(loc.line)
      out += "  \(lineNo) | \(lineText)\n"
      // Caret under the range, clipped to the line; tabs kept so the caret lines up.
      let lineScalars = Array(lineText.unicodeScalars)
      var indent = ""
      for i in 0..<min(loc.column - 1, lineScalars.count) { indent += lineScalars[i] == "\t" ? "\t" : " " }
      let endLoc = source.location(of: max(range.start, range.end - 1))
      let width = endLoc.line == loc.line ? max(1, endLoc.column - loc.column + 1) : max(1, lineScalars.count - loc.column + 1)
      out += "  \(pad) | \(indent)^\(String(repeating: "~", count: width - 1))"
    } else {
      out += ": \(d.message)"
    }
    for n in d.notes { out += "\n  = \(n)" }
    return out
  }
}

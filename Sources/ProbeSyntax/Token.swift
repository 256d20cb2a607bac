import ProbeCore

/// One lexical token with its place in the source.
public struct Token: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// A bare word: keyword or identifier (ProbeQL keywords are contextual).
    case word
    /// `"double quoted"` identifier; `text` holds the unescaped name.
    case quotedIdentifier
    /// `'single quoted'` string; `text` holds the unescaped value.
    case string
    case number
    case semicolon, comma, leftParen, rightParen, equals, star, dot, minus
    /// Any other character (SQL operators such as `<`, `||`, `[`); ProbeQL never uses them, SQL
    /// passthrough keeps them verbatim.
    case other
    case endOfInput
  }

  public var kind: Kind
  /// The token's value: the word as written, the unescaped string or identifier, the number text.
  public var text: String
  public var range: SourceRange

  public init(_ kind: Kind, _ text: String, _ range: SourceRange) {
    self.kind = kind
    self.text = text
    self.range = range
  }

  /// True for a bare word equal (case-insensitively) to `keyword`.
  public func isKeyword(_ keyword: String) -> Bool {
    kind == .word && text.uppercased() == keyword
  }
}

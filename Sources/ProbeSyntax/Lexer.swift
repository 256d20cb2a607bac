import ProbeCore

/// Turns ProbeQL text into tokens with source ranges.
///
/// Comments (`-- …` to end of line, `/* … */`) and whitespace are skipped. Errors (an
/// unterminated string, quoted identifier or comment) are returned as diagnostics pointing at
/// the opening quote, and lexing continues at the end of input.
public struct Lexer {
  public let source: SourceFile
  private let s: [Unicode.Scalar]
  private var i = 0
  public private(set) var diagnostics: [Diagnostic] = []

  public init(_ source: SourceFile) {
    self.source = source
    self.s = source.scalars
  }

  /// Lex the whole source; the last token is always `.endOfInput`.
  public static func tokenize(_ source: SourceFile) -> (tokens: [Token], diagnostics: [Diagnostic]) {
    var lexer = Lexer(source)
    var tokens: [Token] = []
    while true {
      let t = lexer.next()
      tokens.append(t)
      if t.kind == .endOfInput { break }
    }
    return (tokens, lexer.diagnostics)
  }

  private func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }

  private static func isIdentStart(_ c: Unicode.Scalar) -> Bool {
    c == "_" || (c.properties.isAlphabetic)
  }
  private static func isIdentChar(_ c: Unicode.Scalar) -> Bool {
    isIdentStart(c) || ("0"..."9").contains(c) || c == "$"
  }
  private static func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { ("0"..."9").contains($0) } ?? false }

  private mutating func skipTrivia() {
    while let c = peek() {
      if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" {
        i += 1
      } else if c == "-" && peek(1) == "-" {
        while let d = peek(), d != "\n" { i += 1 }
      } else if c == "/" && peek(1) == "*" {
        let start = i
        i += 2
        while i < s.count && !(s[i] == "*" && peek(1) == "/") { i += 1 }
        if i >= s.count {
          diagnostics.append(Diagnostic("syntax.unterminated-comment", "unterminated comment: '/*' has no closing '*/'", range: SourceRange(start, start + 2), source: source))
        } else { i += 2 }
      } else { return }
    }
  }

  public mutating func next() -> Token {
    skipTrivia()
    let start = i
    guard let c = peek() else { return Token(.endOfInput, "", SourceRange(s.count, s.count)) }
    func single(_ k: Token.Kind) -> Token {
      i += 1
      return Token(k, String(Character(c)), SourceRange(start, i))
    }
    switch c {
    case ";": return single(.semicolon)
    case ",": return single(.comma)
    case "(": return single(.leftParen)
    case ")": return single(.rightParen)
    case "=": return single(.equals)
    case "*": return single(.star)
    case "-": return single(.minus)
    case "'": return quoted(quote: "'", kind: .string, what: "string")
    case "\"": return quoted(quote: "\"", kind: .quotedIdentifier, what: "quoted identifier")
    case "`": return quoted(quote: "`", kind: .other, what: "quoted identifier")
    case ".":
      if Lexer.isDigit(peek(1)) { return number() }
      return single(.dot)
    default:
      if Lexer.isDigit(c) { return number() }
      if Lexer.isIdentStart(c) {
        while let d = peek(), Lexer.isIdentChar(d) { i += 1 }
        return Token(.word, source.slice(start, i), SourceRange(start, i))
      }
      return single(.other)
    }
  }

  private mutating func number() -> Token {
    let start = i
    while Lexer.isDigit(peek()) { i += 1 }
    if peek() == ".", Lexer.isDigit(peek(1)) || !(peek(1).map(Lexer.isIdentStart) ?? false) {
      i += 1
      while Lexer.isDigit(peek()) { i += 1 }
    }
    if let e = peek(), e == "e" || e == "E" {
      let sign = peek(1) == "+" || peek(1) == "-" ? 1 : 0
      if Lexer.isDigit(peek(1 + sign)) {
        i += 1 + sign
        while Lexer.isDigit(peek()) { i += 1 }
      }
    }
    return Token(.number, source.slice(start, i), SourceRange(start, i))
  }

  /// A quoted string or identifier; a doubled quote stands for one quote character.
  private mutating func quoted(quote: Unicode.Scalar, kind: Token.Kind, what: String) -> Token {
    let start = i
    i += 1
    var value = String.UnicodeScalarView()
    while true {
      guard let c = peek() else {
        diagnostics.append(
          Diagnostic(
            "syntax.unterminated-\(kind == .string ? "string" : "identifier")",
            "unterminated \(what): the \(quote) here is never closed", range: SourceRange(start, start + 1), source: source,
            notes: ["close it with \(quote); write \(quote)\(quote) for a literal \(quote)"]))
        return Token(kind, String(value), SourceRange(start, i))
      }
      i += 1
      if c == quote {
        if peek() == quote {
          value.append(quote)
          i += 1
        } else { break }
      } else { value.append(c) }
    }
    if kind == .other { return Token(.other, source.slice(start, i), SourceRange(start, i)) }
    return Token(kind, String(value), SourceRange(start, i))
  }

  /// True when `text` holds at least one statement and ends with a `;` outside strings and
  /// comments (or holds only a dot-command or whitespace): the REPL's "is the input complete?".
  public static func endsStatement(_ text: String) -> Bool {
    let src = SourceFile(name: "", text: text)
    let (tokens, diags) = tokenize(src)
    if diags.contains(where: { $0.id == "syntax.unterminated-comment" || $0.id.hasPrefix("syntax.unterminated") }) { return false }
    let real = tokens.filter { $0.kind != .endOfInput }
    guard let last = real.last else { return true }
    return last.kind == .semicolon
  }
}

import ProbeCore

/// A recursive-descent parser for ProbeQL (grammar: `grammar/probeql.ebnf`).
///
/// Each `parseX` function names the production it implements. On a syntax error the parser
/// records one diagnostic and skips to the next `;`; every loop has a progress guard.
public struct Parser {
  let source: SourceFile
  let tokens: [Token]
  var p = 0
  var diagnostics: [Diagnostic] = []

  struct SyntaxError: Error { let diagnostic: Diagnostic }

  /// Every keyword the parser recognises (checked against `grammar/keywords.txt` by a test).
  public static let keywords: Set<String> = [
    "ALL", "BY", "CATEGORY", "CORPORA", "CORPUS", "DESCRIBE", "DROP", "EMBEDDINGS", "EVALUATE", "EXISTS", "EXPLAIN",
    "EXPORT", "EXTRACT", "FEATURES", "FOR", "FORMAT", "FROM", "IF", "IMPORT", "IN", "KEYS", "LAYER", "LLD", "MODEL",
    "PLAN", "PLOT", "PRAGMA", "PROBE", "QUERY", "RANK", "REPORT", "RUNS", "SELECT", "SHOW", "TABLES", "TO", "TOP",
    "USE", "USING", "VS", "WITH",
  ]

  public init(_ source: SourceFile) {
    self.source = source
    let (tokens, diags) = Lexer.tokenize(source)
    self.tokens = tokens
    self.diagnostics = diags
  }

  /// Parse a whole script.
  public static func parse(_ source: SourceFile) -> Script {
    var parser = Parser(source)
    return parser.parseScript()
  }

  /// Parse a source that must hold exactly one statement (used by `EXPLAIN`-style callers and tests).
  public static func parse(_ text: String, name: String = "<input>") -> Script {
    parse(SourceFile(name: name, text: text))
  }

  // MARK: - Token stream

  var current: Token { tokens[p] }
  func peek(_ k: Int = 1) -> Token { tokens[min(p + k, tokens.count - 1)] }
  var atEnd: Bool { current.kind == .endOfInput }

  mutating func advance() -> Token {
    let t = tokens[p]
    if p < tokens.count - 1 { p += 1 }
    return t
  }

  func at(_ keyword: String) -> Bool { current.isKeyword(keyword) }

  mutating func eat(_ keyword: String) -> Token? {
    at(keyword) ? advance() : nil
  }

  mutating func eat(_ kind: Token.Kind) -> Token? {
    current.kind == kind ? advance() : nil
  }

  func describe(_ t: Token) -> String {
    switch t.kind {
    case .endOfInput: return "end of input"
    case .string: return "string '\(t.text)'"
    case .quotedIdentifier: return "identifier \"\(t.text)\""
    case .semicolon: return "';'"
    default: return "'\(t.text)'"
    }
  }

  func error(_ id: String, _ message: String, at range: SourceRange? = nil, notes: [String] = []) -> SyntaxError {
    SyntaxError(diagnostic: Diagnostic("syntax.\(id)", message, range: range ?? current.range, source: source, notes: notes))
  }

  func unexpected(_ expected: String, notes: [String] = []) -> SyntaxError {
    error("unexpected-token", "expected \(expected), found \(describe(current))", notes: notes)
  }

  mutating func expect(_ keyword: String, context: String? = nil) throws -> Token {
    if let t = eat(keyword) { return t }
    throw unexpected("\(keyword)\(context.map { " \($0)" } ?? "")")
  }

  mutating func expect(_ kind: Token.Kind, _ what: String) throws -> Token {
    if let t = eat(kind) { return t }
    throw unexpected(what)
  }

  // MARK: - Script

  /// script = { [ statement ] ";" } [ statement ] EOF
  mutating func parseScript() -> Script {
    var statements: [ParsedStatement] = []
    if !diagnostics.isEmpty { return Script(source: source, statements: [], diagnostics: diagnostics) }
    while !atEnd {
      let before = p
      if eat(.semicolon) != nil { continue }
      let start = current.range.start
      do {
        let stmt = try parseStatement()
        let end = tokens[max(p - 1, 0)].range.end
        if !atEnd && current.kind != .semicolon {
          throw unexpected("';' or end of statement")
        }
        statements.append(ParsedStatement(statement: stmt, range: SourceRange(start, end)))
      } catch let e as SyntaxError {
        diagnostics.append(e.diagnostic)
        // Recover: skip to the next ';'.
        while !atEnd && current.kind != .semicolon { _ = advance() }
      } catch {
        preconditionFailure("parser threw \(error)")
      }
      if p == before { _ = advance() }  // progress guard
    }
    return Script(source: source, statements: statements, diagnostics: diagnostics)
  }

  /// statement = import | extract | export | show | describe | use | drop | evaluate | rank
  ///           | probe | explain | plot | report | sql
  mutating func parseStatement() throws -> Statement {
    let t = current
    guard t.kind == .word else {
      throw unexpected("a statement", notes: ["statements start with a keyword such as IMPORT, EXTRACT, EVALUATE, PROBE or SELECT"])
    }
    switch t.text.uppercased() {
    case "IMPORT": return try parseImport()
    case "EXTRACT": return try parseExtract()
    case "EXPORT": return try parseExport()
    case "SHOW": return try parseShow()
    case "DESCRIBE":
      _ = advance()
      return .describe(DescribeStatement(name: try parseName("a corpus or table name")))
    case "USE":
      _ = advance()
      return .use(UseStatement(name: try parseName("a corpus name")))
    case "DROP": return try parseDrop()
    case "EVALUATE": return try parseEvaluate()
    case "RANK": return try parseRank()
    case "PROBE": return try parseProbe()
    case "EXPLAIN":
      if peek().kind != .word || !Parser.explainable.contains(peek().text.uppercased()) {
        return try parseSQL()
      }
      _ = advance()
      return .explain(try parseStatement())
    case "PLOT": return try parsePlot()
    case "REPORT":
      _ = advance()
      _ = try expect("TO")
      return .report(ReportStatement(path: try parseString("a file path")))
    case "SELECT", "WITH", "PRAGMA": return try parseSQL()
    default:
      let known = ["IMPORT", "EXTRACT", "EXPORT", "SHOW", "DESCRIBE", "USE", "DROP", "EVALUATE", "RANK", "PROBE", "EXPLAIN",
                   "PLOT", "REPORT", "SELECT", "WITH", "PRAGMA"]
      var notes: [String] = []
      if let s = closestMatch(to: t.text.uppercased(), in: known) { notes.append("did you mean \(s)?") }
      let upper = t.text.uppercased()
      if ["INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "REPLACE", "ATTACH", "DETACH", "VACUUM", "BEGIN", "COMMIT"].contains(upper) {
        notes = ["only SELECT, WITH, PRAGMA and EXPLAIN QUERY PLAN go to SQLite; ProbeDB's tables change through ProbeQL statements"]
      }
      throw error("unknown-statement", "unknown statement '\(t.text)'", at: t.range, notes: notes)
    }
  }

  /// Statements `EXPLAIN` shows a ProbeQL plan for; `EXPLAIN` before anything else (`QUERY PLAN`,
  /// `SELECT`, …) is SQLite's.
  static let explainable: Set<String> = ["IMPORT", "EXTRACT", "EXPORT", "SHOW", "DESCRIBE", "USE", "DROP", "EVALUATE", "RANK", "PROBE", "PLOT", "REPORT"]

  // MARK: - Leaves

  /// name = word | quoted_identifier
  mutating func parseName(_ what: String) throws -> Name {
    if current.kind == .word {
      let t = advance()
      return Name(t.text, t.range)
    }
    if current.kind == .quotedIdentifier {
      let t = advance()
      return Name(t.text, t.range, quoted: true)
    }
    throw unexpected(what)
  }

  mutating func parseString(_ what: String) throws -> StringLiteral {
    guard current.kind == .string else {
      var notes: [String] = []
      if current.kind == .quotedIdentifier { notes.append("strings use single quotes: '\(current.text)'") }
      throw unexpected("\(what) in single quotes", notes: notes)
    }
    let t = advance()
    return StringLiteral(value: t.text, range: t.range)
  }

  mutating func parseInteger(_ what: String) throws -> IntegerLiteral {
    guard current.kind == .number else { throw unexpected(what) }
    guard let v = Int(current.text), v >= 0 else {
      throw error("invalid-number", "\(what) must be a whole number, found '\(current.text)'")
    }
    let t = advance()
    return IntegerLiteral(value: v, range: t.range)
  }

  /// name_or_star = "*" | name
  mutating func parseNameOrStar(_ what: String) throws -> NameOrStar {
    if let t = eat(.star) { return .star(t.range) }
    return .name(try parseName(what))
  }

  /// layer = LAYER ( integer | ALL )
  mutating func parseLayerIfPresent() throws -> LayerSpec? {
    guard eat("LAYER") != nil else { return nil }
    if let t = eat("ALL") { return .all(t.range) }
    return .index(try parseInteger("a layer number or ALL"))
  }

  /// set_ref = name [ layer ]
  mutating func parseSetRef() throws -> SetRef {
    let name = try parseName("a feature or embedding set name")
    let layer = try parseLayerIfPresent()
    return SetRef(name: name, layer: layer, range: name.range.union(tokens[p - 1].range))
  }

  /// feature_name = a run of words, numbers, '.' and '-' with no space between them, so that
  /// eGeMAPS names such as `F0semitoneFrom27.5Hz_sma3nz_pctlrange0-2` need no quotes.
  mutating func parseFeatureName() throws -> Name {
    if current.kind == .quotedIdentifier {
      let t = advance()
      return Name(t.text, t.range, quoted: true)
    }
    guard current.kind == .word || current.kind == .number else { throw unexpected("a feature name, family, category or *") }
    var t = advance()
    var text = source.text(of: t.range)
    var range = t.range
    while [.word, .number, .dot, .minus].contains(current.kind) && current.range.start == range.end {
      t = advance()
      text += source.text(of: t.range)
      range = range.union(t.range)
    }
    return Name(text, range)
  }

  // MARK: - Options

  /// with_options = WITH "(" option { "," option } ")"
  mutating func parseOptions() throws -> [Option] {
    guard eat("WITH") != nil else { return [] }
    _ = try expect(.leftParen, "'(' after WITH")
    var options: [Option] = []
    var seen: [String: SourceRange] = [:]
    repeat {
      let name = try parseName("an option name")
      _ = try expect(.equals, "'=' after option '\(name.text)'")
      let value = try parseOptionValue()
      if seen[name.text.lowercased()] != nil {
        throw error("duplicate-option", "option '\(name.text)' is given twice", at: name.range)
      }
      seen[name.text.lowercased()] = name.range
      options.append(Option(name: name, value: value, range: name.range.union(value.range)))
    } while eat(.comma) != nil
    _ = try expect(.rightParen, "',' or ')' in the option list")
    return options
  }

  /// option_value = number | "-" number | string | name | "(" option_value { "," option_value } ")"
  mutating func parseOptionValue() throws -> OptionValue {
    if let open = eat(.leftParen) {
      var values: [OptionValue] = []
      repeat { values.append(try parseOptionValue()) } while eat(.comma) != nil
      let close = try expect(.rightParen, "',' or ')' in the value list")
      return .list(values, range: open.range.union(close.range))
    }
    if current.kind == .minus, peek().kind == .number {
      let m = advance()
      let n = advance()
      guard let v = Double(n.text) else { throw error("invalid-number", "'\(n.text)' is not a number", at: n.range) }
      return .number(-v, text: "-" + n.text, range: m.range.union(n.range))
    }
    if current.kind == .number {
      let n = advance()
      guard let v = Double(n.text) else { throw error("invalid-number", "'\(n.text)' is not a number", at: n.range) }
      return .number(v, text: n.text, range: n.range)
    }
    if current.kind == .string {
      let t = advance()
      return .string(StringLiteral(value: t.text, range: t.range))
    }
    if current.kind == .word || current.kind == .quotedIdentifier {
      return .name(try parseName("a value"))
    }
    throw unexpected("an option value (number, 'string', name or (list))")
  }

  // MARK: - Statements

  /// import = IMPORT CORPUS name FROM string [ FORMAT name ] [ with_options ]
  ///        | IMPORT EMBEDDINGS name FROM string FOR name KEYS string [ with_options ]
  ///        | IMPORT FEATURES name FROM string FOR name [ with_options ]
  mutating func parseImport() throws -> Statement {
    _ = advance()
    if eat("CORPUS") != nil {
      let name = try parseName("a corpus name")
      _ = try expect("FROM")
      let path = try parseString("a folder or manifest path")
      var format: Name?
      if eat("FORMAT") != nil { format = try parseName("a format (ravdess, savee, crema_d, tess, emodb, files, csv)") }
      return .importCorpus(ImportCorpusStatement(name: name, path: path, format: format, options: try parseOptions()))
    }
    if eat("EMBEDDINGS") != nil {
      let name = try parseName("an embedding set name")
      _ = try expect("FROM")
      let path = try parseString("a .npy or .csv path")
      _ = try expect("FOR")
      let corpus = try parseName("a corpus name")
      _ = try expect("KEYS")
      let keys = try parseString("a keys.csv path")
      return .importEmbeddings(ImportEmbeddingsStatement(name: name, path: path, corpus: corpus, keys: keys, options: try parseOptions()))
    }
    if eat("FEATURES") != nil {
      let name = try parseName("a feature set name")
      _ = try expect("FROM")
      let path = try parseString("a .csv path")
      _ = try expect("FOR")
      let corpus = try parseName("a corpus name")
      return .importFeatures(ImportFeaturesStatement(name: name, path: path, corpus: corpus, options: try parseOptions()))
    }
    throw unexpected("CORPUS, EMBEDDINGS or FEATURES after IMPORT")
  }

  /// extract = EXTRACT name FROM name [ USING MODEL string ] [ with_options ]
  mutating func parseExtract() throws -> Statement {
    _ = advance()
    let set = try parseName("a feature or embedding set (egemaps, wavlm, fbank)")
    _ = try expect("FROM")
    let corpus = try parseName("a corpus name")
    var model: StringLiteral?
    if eat("USING") != nil {
      _ = try expect("MODEL", context: "after USING")
      model = try parseString("a model folder")
    }
    return .extract(ExtractStatement(set: set, corpus: corpus, model: model, options: try parseOptions()))
  }

  /// export = EXPORT name [ LLD ] [ layer ] FROM name TO string [ with_options ]
  mutating func parseExport() throws -> Statement {
    _ = advance()
    let set = try parseName("a feature or embedding set")
    let lld = eat("LLD") != nil
    let layer = try parseLayerIfPresent()
    _ = try expect("FROM")
    let corpus = try parseName("a corpus name")
    _ = try expect("TO")
    let path = try parseString("a file path")
    return .export(ExportStatement(set: set, lld: lld, layer: layer, corpus: corpus, path: path, options: try parseOptions()))
  }

  /// show = SHOW ( CORPORA | TABLES | RUNS )
  mutating func parseShow() throws -> Statement {
    _ = advance()
    for w in ShowStatement.What.allCases where eat(w.rawValue.uppercased()) != nil {
      return .show(ShowStatement(what: w))
    }
    throw unexpected("CORPORA, TABLES or RUNS after SHOW")
  }

  /// drop = DROP CORPUS [ IF EXISTS ] name
  mutating func parseDrop() throws -> Statement {
    _ = advance()
    _ = try expect("CORPUS", context: "after DROP")
    var ifExists = false
    if eat("IF") != nil {
      _ = try expect("EXISTS", context: "after IF")
      ifExists = true
    }
    return .dropCorpus(DropCorpusStatement(name: try parseName("a corpus name"), ifExists: ifExists))
  }

  /// evaluate = EVALUATE name_or_star VS name USING set_ref { "," set_ref } [ FROM name ] [ with_options ]
  mutating func parseEvaluate() throws -> Statement {
    _ = advance()
    let target = try parseNameOrStar("an emotion or *")
    _ = try expect("VS")
    let baseline = try parseName("the baseline emotion (neutral)")
    _ = try expect("USING")
    var sets = [try parseSetRef()]
    while eat(.comma) != nil { sets.append(try parseSetRef()) }
    var corpus: Name?
    if eat("FROM") != nil { corpus = try parseName("a corpus name") }
    return .evaluate(EvaluateStatement(target: target, baseline: baseline, sets: sets, corpus: corpus, options: try parseOptions()))
  }

  /// rank = RANK set_ref FOR name_or_star [ FROM name ] [ TOP integer ] [ with_options ]
  mutating func parseRank() throws -> Statement {
    _ = advance()
    let set = try parseSetRef()
    _ = try expect("FOR")
    let target = try parseNameOrStar("an emotion or *")
    var corpus: Name?
    var top: IntegerLiteral?
    if eat("FROM") != nil { corpus = try parseName("a corpus name") }
    if eat("TOP") != nil { top = try parseInteger("a count after TOP") }
    if corpus == nil, eat("FROM") != nil { corpus = try parseName("a corpus name") }
    return .rank(RankStatement(set: set, target: target, corpus: corpus, top: top, options: try parseOptions()))
  }

  /// probe = PROBE ( "*" | feature_name { "," feature_name } ) FROM set_ref [ TOP integer ]
  ///         FOR name_or_star [ IN name ] [ BY CATEGORY ] [ with_options ]
  mutating func parseProbe() throws -> Statement {
    _ = advance()
    var features: [Name] = []
    var all = false
    if eat(.star) != nil { all = true } else {
      features.append(try parseFeatureName())
      while eat(.comma) != nil { features.append(try parseFeatureName()) }
    }
    _ = try expect("FROM")
    let set = try parseSetRef()
    var top: IntegerLiteral?
    if eat("TOP") != nil { top = try parseInteger("a count after TOP") }
    _ = try expect("FOR")
    let target = try parseNameOrStar("an emotion or *")
    var corpus: Name?
    if eat("IN") != nil { corpus = try parseName("a corpus name") }
    var byCategory = false
    if eat("BY") != nil {
      _ = try expect("CATEGORY", context: "after BY")
      byCategory = true
    }
    return .probe(
      ProbeStatement(
        features: features, allFeatures: all, set: set, top: top, target: target, corpus: corpus, byCategory: byCategory,
        options: try parseOptions()))
  }

  /// plot = PLOT ( evaluate | rank | probe ) TO string
  mutating func parsePlot() throws -> Statement {
    _ = advance()
    let subject: Statement
    if at("PROBE") { subject = try parseProbe() }
    else if at("RANK") { subject = try parseRank() }
    else if at("EVALUATE") { subject = try parseEvaluate() }
    else { throw unexpected("PROBE, RANK or EVALUATE after PLOT") }
    _ = try expect("TO", context: "and the output file")
    return .plot(PlotStatement(subject: subject, path: try parseString("an .svg path")))
  }

  /// sql = ( SELECT | WITH | PRAGMA | EXPLAIN ) { any token but ";" }   — passed to SQLite verbatim
  mutating func parseSQL() throws -> Statement {
    let start = current.range.start
    var end = current.range.end
    while !atEnd && current.kind != .semicolon {
      end = advance().range.end
    }
    return .sql(SQLStatement(sql: source.slice(start, end)))
  }
}


import ProbeCore

// MARK: - Leaves

/// A name as written: a bare word or a double-quoted identifier.
public struct Name: Sendable, Equatable {
  public var text: String
  public var range: SourceRange
  public var quoted: Bool
  public init(_ text: String, _ range: SourceRange, quoted: Bool = false) {
    self.text = text
    self.range = range
    self.quoted = quoted
  }
}

/// A single-quoted string literal (unescaped).
public struct StringLiteral: Sendable, Equatable {
  public var value: String
  public var range: SourceRange
}

/// An integer literal (`TOP 20`, `LAYER 12`).
public struct IntegerLiteral: Sendable, Equatable {
  public var value: Int
  public var range: SourceRange
}

/// `*` or a name: an emotion, a feature, a target.
public enum NameOrStar: Sendable, Equatable {
  case star(SourceRange)
  case name(Name)
  public var range: SourceRange {
    switch self {
    case .star(let r): return r
    case .name(let n): return n.range
    }
  }
}

/// `LAYER n` or `LAYER ALL`.
public enum LayerSpec: Sendable, Equatable {
  case index(IntegerLiteral)
  case all(SourceRange)
}

/// A feature or embedding set with an optional layer: `wavlm LAYER 12`, `egemaps`.
public struct SetRef: Sendable, Equatable {
  public var name: Name
  public var layer: LayerSpec?
  public var range: SourceRange
}

/// The value of an option in `WITH (name = value, …)`.
public indirect enum OptionValue: Sendable, Equatable {
  case number(Double, text: String, range: SourceRange)
  case string(StringLiteral)
  case name(Name)
  case list([OptionValue], range: SourceRange)

  public var range: SourceRange {
    switch self {
    case .number(_, _, let r): return r
    case .string(let s): return s.range
    case .name(let n): return n.range
    case .list(_, let r): return r
    }
  }
}

public struct Option: Sendable, Equatable {
  public var name: Name
  public var value: OptionValue
  public var range: SourceRange
}

// MARK: - Statements

public struct ImportCorpusStatement: Sendable, Equatable {
  public var name: Name
  public var path: StringLiteral
  public var format: Name?
  public var options: [Option]
}

public struct ImportEmbeddingsStatement: Sendable, Equatable {
  public var name: Name
  public var path: StringLiteral
  public var corpus: Name
  public var keys: StringLiteral
  public var options: [Option]
}

public struct ImportFeaturesStatement: Sendable, Equatable {
  public var name: Name
  public var path: StringLiteral
  public var corpus: Name
  public var options: [Option]
}

public struct ExtractStatement: Sendable, Equatable {
  public var set: Name
  public var corpus: Name
  public var model: StringLiteral?
  public var options: [Option]
}

public struct ExportStatement: Sendable, Equatable {
  public var set: Name
  /// `EXPORT egemaps LLD …`: the frame-level contours instead of the functionals.
  public var lld: Bool
  public var layer: LayerSpec?
  public var corpus: Name
  public var path: StringLiteral
  public var options: [Option]
}

public struct ShowStatement: Sendable, Equatable {
  public enum What: String, Sendable, CaseIterable { case corpora, tables, runs }
  public var what: What
}

public struct DescribeStatement: Sendable, Equatable { public var name: Name }
public struct UseStatement: Sendable, Equatable { public var name: Name }

public struct DropCorpusStatement: Sendable, Equatable {
  public var name: Name
  public var ifExists: Bool
}

public struct EvaluateStatement: Sendable, Equatable {
  public var target: NameOrStar
  public var baseline: Name
  public var sets: [SetRef]
  public var corpus: Name?
  public var options: [Option]
}

public struct RankStatement: Sendable, Equatable {
  public var set: SetRef
  public var target: NameOrStar
  public var corpus: Name?
  public var top: IntegerLiteral?
  public var options: [Option]
}

public struct ProbeStatement: Sendable, Equatable {
  /// Empty means `*` (all 88 features).
  public var features: [Name]
  public var allFeatures: Bool
  public var set: SetRef
  public var top: IntegerLiteral?
  public var target: NameOrStar
  public var corpus: Name?
  public var byCategory: Bool
  public var options: [Option]
}

public struct PlotStatement: Sendable, Equatable {
  public var subject: Statement
  public var path: StringLiteral
}

public struct ReportStatement: Sendable, Equatable { public var path: StringLiteral }

/// A statement for SQLite, kept verbatim.
public struct SQLStatement: Sendable, Equatable { public var sql: String }

/// One ProbeQL statement.
public indirect enum Statement: Sendable, Equatable {
  case importCorpus(ImportCorpusStatement)
  case importEmbeddings(ImportEmbeddingsStatement)
  case importFeatures(ImportFeaturesStatement)
  case extract(ExtractStatement)
  case export(ExportStatement)
  case show(ShowStatement)
  case describe(DescribeStatement)
  case use(UseStatement)
  case dropCorpus(DropCorpusStatement)
  case evaluate(EvaluateStatement)
  case rank(RankStatement)
  case probe(ProbeStatement)
  case explain(Statement)
  case plot(PlotStatement)
  case report(ReportStatement)
  case sql(SQLStatement)

  /// The statement's keyword(s), for messages: `IMPORT CORPUS`, `PROBE`, `SQL`.
  public var kindName: String {
    switch self {
    case .importCorpus: return "IMPORT CORPUS"
    case .importEmbeddings: return "IMPORT EMBEDDINGS"
    case .importFeatures: return "IMPORT FEATURES"
    case .extract: return "EXTRACT"
    case .export: return "EXPORT"
    case .show: return "SHOW"
    case .describe: return "DESCRIBE"
    case .use: return "USE"
    case .dropCorpus: return "DROP CORPUS"
    case .evaluate: return "EVALUATE"
    case .rank: return "RANK"
    case .probe: return "PROBE"
    case .explain: return "EXPLAIN"
    case .plot: return "PLOT"
    case .report: return "REPORT"
    case .sql: return "SQL"
    }
  }
}

/// A parsed statement with its source range (without the terminating `;`).
public struct ParsedStatement: Sendable, Equatable {
  public var statement: Statement
  public var range: SourceRange
}

/// Everything the parser made of a source: the statements in order and the diagnostics.
/// A statement with a syntax error is left out; its diagnostic says where. Runners execute
/// nothing from a script that has diagnostics.
public struct Script: Sendable {
  public var source: SourceFile
  public var statements: [ParsedStatement]
  public var diagnostics: [Diagnostic]
}

import ProbeSyntax
import ProbeCorpus
import ProbeCore

/// A typed option value after binding.
public enum BoundOptionValue: Sendable, Equatable, CustomStringConvertible {
  case integer(Int)
  case number(Double)
  case numbers([Double])
  case string(String)
  case boolean(Bool)

  /// JSON text of the value (for `runs.options`).
  public var json: String {
    switch self {
    case .integer(let i): return String(i)
    case .number(let d): return Value.format(d)
    case .numbers(let ds): return "[" + ds.map { Value.format($0) }.joined(separator: ", ") + "]"
    case .string(let s): return jsonString(s)
    case .boolean(let b): return b ? "true" : "false"
    }
  }
  public var description: String { json }
}

/// Options as written, in order, with their bound values.
public struct BoundOptions: Sendable, Equatable {
  public var entries: [(name: String, value: BoundOptionValue)] = []
  public init() {}
  public subscript(_ name: String) -> BoundOptionValue? { entries.first { $0.name == name }?.value }
  public var json: String { "{" + entries.map { "\(jsonString($0.name)): \($0.value.json)" }.joined(separator: ", ") + "}" }
  public static func == (a: BoundOptions, b: BoundOptions) -> Bool { a.json == b.json }
}

/// A feature or embedding set with its layer.
public struct BoundSet: Sendable, Equatable {
  public enum Layer: Sendable, Equatable { case last, index(Int), all }
  public var name: String
  public var layer: Layer
  public init(name: String, layer: Layer) {
    self.name = name
    self.layer = layer
  }
}

public struct BoundImportCorpus: Sendable, Equatable {
  public var name: String
  /// The path as written and resolved against the working directory.
  public var path: String
  public var format: CorpusFormat?
  public var options: BoundOptions
  public var pathRange: SourceRange
}

public struct BoundAnalysis: Sendable, Equatable {
  public enum Kind: String, Sendable { case evaluate = "EVALUATE", rank = "RANK", probe = "PROBE" }
  public var kind: Kind
  public var emotions: [String]
  /// `FOR *` / `EVALUATE *`: every emotion (narrowed to those a `sample` file lists).
  public var allEmotions: Bool = false
  public var baseline: String
  public var sets: [BoundSet]
  public var corpus: String
  public var top: Int?
  /// PROBE: the expanded eGeMAPS feature names.
  public var features: [String]
  public var byCategory: Bool
  public var options: BoundOptions
}

public struct BoundExtract: Sendable, Equatable {
  public var set: String
  public var corpus: String
  /// The model folder, resolved; as written in the statement; and where it was written.
  public var model: String?
  public var modelText: String? = nil
  public var modelRange: SourceRange? = nil
  public var options: BoundOptions
}

public struct BoundTransfer: Sendable, Equatable {
  public enum Direction: String, Sendable { case importEmbeddings = "IMPORT EMBEDDINGS", importFeatures = "IMPORT FEATURES", export = "EXPORT" }
  public var direction: Direction
  public var set: String
  public var corpus: String
  public var path: String
  public var keys: String?
  public var layer: BoundSet.Layer
  public var lld: Bool
}

/// A statement with every name resolved against the catalog.
public indirect enum BoundStatement: Sendable, Equatable {
  case importCorpus(BoundImportCorpus)
  case transfer(BoundTransfer)
  case extract(BoundExtract)
  case show(ShowKind)
  case describeCorpus(String)
  case describeTable(String)
  case use(String)
  case dropCorpus(String?, requested: String)
  case analysis(BoundAnalysis)
  case explain(BoundStatement)
  case plot(BoundStatement, path: String)
  case report(path: String)
  case sql(String)

  public enum ShowKind: String, Sendable { case corpora, tables, runs }
}

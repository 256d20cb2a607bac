/// What the binder needs to know about a database, as a protocol so the planner never touches
/// SQLite: `ProbeDB` supplies the real catalog, tests an in-memory one.
public protocol Catalog {
  /// Names of the imported corpora.
  var corpusNames: [String] { get }
  /// Tables and views a user can query (`SHOW TABLES`, `DESCRIBE`).
  var tableNames: [String] { get }
  /// The corpus `USE` selected, if any.
  var defaultCorpus: String? { get }
  /// Normalised emotions present in a corpus.
  func emotions(in corpus: String) -> [String]
  /// Feature and embedding sets stored for a corpus (`egemaps`, `wavlm`, imported names).
  func representations(in corpus: String) -> [String]
}

/// A catalog held in memory (tests, and anything that binds without a database).
public struct InMemoryCatalog: Catalog {
  public var corpora: [String: (emotions: [String], representations: [String])]
  public var tableNames: [String]
  public var defaultCorpus: String?

  public init(corpora: [String: (emotions: [String], representations: [String])] = [:], tableNames: [String] = [], defaultCorpus: String? = nil) {
    self.corpora = corpora
    self.tableNames = tableNames
    self.defaultCorpus = defaultCorpus
  }

  public var corpusNames: [String] { corpora.keys.sorted() }
  public func emotions(in corpus: String) -> [String] { corpora[corpus]?.emotions ?? [] }
  public func representations(in corpus: String) -> [String] { corpora[corpus]?.representations ?? [] }
}

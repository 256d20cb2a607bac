import Foundation
import ProbeCore
import ProbePlanner
import ProbeStorage

/// Runs bound statements: picks the physical operator for each and returns its result table.
public struct Executor {
  public let context: ExecutionContext
  public init(context: ExecutionContext) { self.context = context }

  /// Execute one bound statement. `statementRange` is the statement's place in its source, used
  /// to position SQLite's errors.
  public func execute(_ statement: BoundStatement, sqlOffset: Int = 0) throws -> ResultTable {
    // Loaded inputs kept from earlier statements stay valid only while nothing changed them.
    context.cache.validate(context.connection)
    context.written = []
    defer {
      if Self.mayChangeInputs(statement) { context.cache.invalidate() }
      // What the statement stored and holds decoded (filled only once its transaction committed).
      for w in context.written { context.cache.put(w.key, w.value, bytes: w.bytes) }
      context.written = []
    }
    switch statement {
    case .explain(let inner):
      var lines = Planner.plan(inner).render().split(separator: "\n").map(String.init)
      // What is already stored and would be reused (analyses only; the data must be loadable).
      if case .analysis(let a) = inner, let cache = try? CacheReport(bound: a).lines(context) { lines += cache }
      return ResultTable(columns: [Column("plan", .text)], rows: lines.map { [.text($0)] })
    case .importCorpus(let b):
      return try ImportCorpusOperator(bound: b).run(context)
    case .show(let k): return try CatalogQueries.show(k, context.connection)
    case .describeCorpus(let c): return try CatalogQueries.describeCorpus(c, context.connection)
    case .describeTable(let t): return try CatalogQueries.describeTable(t, context.connection)
    case .use(let c):
      context.defaultCorpus = c
      return .message("using corpus '\(c)'")
    case .dropCorpus(let c, let requested):
      guard let c else { return .message("no corpus named '\(requested)'; nothing dropped") }
      let n = try context.connection.scalar("SELECT count(*) FROM utterances WHERE corpus = ?", [.text(c)])?.intValue ?? 0
      try CorpusStore(context.connection).delete(named: c)
      if context.defaultCorpus?.lowercased() == c.lowercased() { context.defaultCorpus = nil }
      return .message("dropped corpus '\(c)' (\(n) utterances)")
    case .sql(let sql): return try SQLOperator(sql: sql, sourceOffset: sqlOffset).run(context)
    case .transfer(let t):
      return try TransferOperator(bound: t).run(context)
    case .analysis(let a) where a.kind == .probe:
      return try ProbeOperator(bound: a).run(context)
    case .analysis(let a):
      return try AnalysisOperator(bound: a).run(context)
    case .plot(let inner, let path):
      return try PlotOperator(subject: inner, path: path).run(context, executor: self)
    case .report(let path):
      return try ReportOperator(path: path).run(context)
    case .extract(let e):
      return try ExtractOperator(bound: e).run(context)
    }
  }

  /// Whether a statement can change stored corpora or representations (analyses, plots and
  /// reports write only their results; SQL passes only read-only statements and PRAGMAs).
  static func mayChangeInputs(_ s: BoundStatement) -> Bool {
    switch s {
    case .analysis, .plot, .report, .explain, .show, .describeCorpus, .describeTable, .use: return false
    case .sql(let text): return SQLOperator.isPragma(text)
    // IMPORT EMBEDDINGS / FEATURES only add a set the corpus did not have (and EXPORT writes
    // files): every kept entry names the sets it was computed from, by fingerprint.
    case .transfer: return false
    case .importCorpus, .dropCorpus, .extract: return true
    }
  }
}

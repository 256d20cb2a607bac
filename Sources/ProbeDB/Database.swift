import Foundation
@_exported import ProbeCore
import ProbeExecution
import ProbePlanner
import ProbeStorage
import ProbeSyntax

/// A ProbeDB database: one SQLite file (or memory) holding corpora, features, embeddings and
/// every analysis result, queried with ProbeQL and SQL.
///
///     let db = try Database(path: "emotions.db")
///     try db.execute("IMPORT CORPUS ravdess FROM 'data/RAVDESS'")
///     let table = try db.query("SELECT emotion, count(*) FROM utterances GROUP BY emotion")
///
/// Every throwing method throws `EngineError`. A `Database` is not thread-safe: use it from one
/// thread at a time (or one per thread).
public final class Database {
  let connection: Connection
  let context: ExecutionContext
  /// The file path, or nil for an in-memory database.
  public let path: String?
  /// Set by `cancel()` (or a SIGINT handler) to stop the running statement.
  public let cancellation = CancellationToken()

  /// Open or create the database at `path`; nil opens a new in-memory database.
  public init(path: String? = nil) throws {
    self.path = path
    do {
      connection = try Connection(path: path ?? ":memory:")
      try Schema.migrate(connection)
    } catch let e as SQLiteError {
      throw EngineError(kind: .storage, diagnostics: [Diagnostic("storage.open", e.message)], underlying: e)
    } catch {
      throw EngineError(kind: .internal, diagnostics: [Diagnostic("internal", "\(error)")], underlying: error)
    }
    context = ExecutionContext(connection: connection)
    let token = cancellation
    context.isCancelled = { token.isCancelled }
    connection.setCancellationCheck { token.isCancelled }
  }

  /// The corpus `USE` selected (the default for statements that name none).
  public var defaultCorpus: String? {
    get { context.defaultCorpus }
    set { context.defaultCorpus = newValue }
  }

  /// Receives progress of long statements.
  public var progress: ProgressReporter? {
    get { context.progress }
    set { context.progress = newValue }
  }

  /// Inputs kept between this session's statements (`SessionCache`: decoded and normalised
  /// matrices), with its hit and miss counts.
  public var inputCache: SessionCache { context.cache }

  /// Ask the running statement to stop; it rolls back what it had not committed.
  public func cancel() { cancellation.cancel() }

  /// Parse statements without running them (tokens → AST), for tools and tests.
  public static func parse(_ text: String, name: String = "<input>") -> Script {
    Parser.parse(SourceFile(name: name, text: text))
  }

  /// True when `text` ends a statement (a ';' outside strings and comments): the REPL's test for
  /// "run it now or show the continuation prompt".
  public static func endsStatement(_ text: String) -> Bool { Lexer.endsStatement(text) }

  /// ProbeQL's keywords, for completion.
  public static var keywords: [String] { Parser.keywords.sorted() }

  /// Run every statement in `text`, in order, and return their results. Nothing runs if the text
  /// has a syntax error; execution stops at the first failing statement (earlier statements'
  /// effects stay, as in any SQL shell).
  @discardableResult
  public func execute(_ text: String, name: String = "<input>") throws -> [QueryResult] {
    var results: [QueryResult] = []
    try run(text, name: name) { results.append($0) }
    return results
  }

  /// Run `text` and return the last statement's table.
  public func query(_ text: String) throws -> ResultTable {
    guard let last = try execute(text).last else {
      throw EngineError(kind: .syntax, diagnostics: [Diagnostic("syntax.empty", "no statement to run")], underlying: nil)
    }
    return last.table
  }

  /// Run every statement in `text`, handing each result to `onResult` as soon as it is ready.
  public func run(_ text: String, name: String = "<input>", onResult: (QueryResult) -> Void) throws {
    let source = SourceFile(name: name, text: text)
    let script = Parser.parse(source)
    if !script.diagnostics.isEmpty {
      throw EngineError(kind: .syntax, diagnostics: script.diagnostics, underlying: nil)
    }
    for stmt in script.statements {
      onResult(try run(stmt, in: source))
    }
  }

  func run(_ parsed: ParsedStatement, in source: SourceFile) throws -> QueryResult {
    let start = DispatchTime.now().uptimeNanoseconds
    cancellation.reset()
    let text = source.text(of: parsed.range)
    let bound: BoundStatement
    do throws(Diagnostic) {
      bound = try Binder(catalog: LiveCatalog(connection: connection, defaultCorpus: defaultCorpus), source: source).bind(parsed.statement)
    } catch {
      throw EngineError(kind: .binding, diagnostics: [error.attaching(source)], underlying: nil)
    }
    context.statementText = text
    context.beginPhases()
    do {
      let sqlOffset = parsed.range.start
      let table = try Executor(context: context).execute(bound, sqlOffset: sqlOffset)
      let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      return QueryResult(statement: text, table: table, elapsed: elapsed, phases: context.phases.map { QueryResult.Phase(name: $0.name, seconds: $0.seconds) })
    } catch let e as ExecutionError {
      var d = e.diagnostic(source: source)
      if d.range == nil { d.range = SourceRange(parsed.range.start, parsed.range.start + 1) }
      throw EngineError(kind: e.kind == .cancelled ? .cancelled : .execution, diagnostics: [d], underlying: e)
    } catch let e as SQLiteError {
      throw EngineError(kind: .storage, diagnostics: [Diagnostic("storage.sqlite", e.description, range: parsed.range, source: source)], underlying: e)
    } catch {
      throw EngineError(kind: .internal, diagnostics: [Diagnostic("internal", "\(error)", range: parsed.range, source: source)], underlying: error)
    }
  }

  /// Names for tab completion: corpora, tables and their columns.
  public func completionNames() -> [String] {
    let cat = LiveCatalog(connection: connection, defaultCorpus: defaultCorpus)
    var names = cat.corpusNames + cat.tableNames
    for t in cat.tableNames {
      if let cols = try? connection.query("SELECT name FROM pragma_table_info(?)", [.text(t)]) {
        names += cols.rows.compactMap { $0[0].stringValue }
      }
    }
    return Array(Set(names)).sorted()
  }

  /// User-visible table names (for `.tables`).
  public func tableNames() -> [String] { LiveCatalog(connection: connection, defaultCorpus: nil).tableNames }
}

/// One statement's result.
public struct QueryResult: Sendable {
  /// The statement as written.
  public let statement: String
  public let table: ResultTable
  /// Wall-clock seconds the statement took.
  public let elapsed: Double
  /// Where the time went, for statements whose operators time their phases (load, fit, store…).
  public let phases: [Phase]

  public struct Phase: Sendable, Equatable {
    public let name: String
    public let seconds: Double
  }
}

/// The one error type at ProbeDB's public boundary: what kind of failure, its diagnostics
/// (each with a position when the statement has one) and the underlying error.
public struct EngineError: Error, CustomStringConvertible {
  public enum Kind: String, Sendable { case syntax, binding, execution, storage, cancelled, `internal` }
  public let kind: Kind
  public let diagnostics: [Diagnostic]
  public let underlying: Error?

  /// Every diagnostic rendered with `line:col`, the source line and a caret.
  public var description: String {
    diagnostics.map { DiagnosticRenderer().render($0) }.joined(separator: "\n")
  }

  /// Position of the first diagnostic, if it has one.
  public var location: SourceLocation? { diagnostics.first?.location }
}

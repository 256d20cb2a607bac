import Dispatch
import ProbeCore
import ProbeStorage

/// Everything an operator needs while it runs: the connection, the statement's text (for
/// provenance), a cancellation check and a progress reporter.
public final class ExecutionContext {
  public let connection: Connection
  /// The statement being executed, as written.
  public var statementText: String = ""
  /// Polled by long operators; when it returns true they stop and roll back.
  public var isCancelled: () -> Bool = { false }
  public weak var progress: ProgressReporter?
  /// Session state that `USE` changes.
  public var defaultCorpus: String?
  /// Loaded inputs kept between the session's statements (see `SessionCache`).
  public let cache = SessionCache()
  /// Inputs the current statement wrote and already holds in their loaded form (an IMPORT's
  /// matrices), with their cache keys and sizes: put in `cache` once the statement has committed
  /// and the cache has been emptied of what the write made stale (see `Executor.execute`).
  public var written: [(key: String, value: Any, bytes: Int)] = []

  public init(connection: Connection) { self.connection = connection }

  /// The current statement's phases and their wall-clock seconds, in order (`.profile on`).
  public private(set) var phases: [(name: String, seconds: Double)] = []
  private var lapStart: UInt64 = 0

  /// Start timing a statement's phases.
  public func beginPhases() {
    phases = []
    lapStart = DispatchTime.now().uptimeNanoseconds
  }

  /// Record that phase `name` ended now (it began at the previous `lap` or `beginPhases`).
  /// Repeated names add up.
  public func lap(_ name: String) {
    let now = DispatchTime.now().uptimeNanoseconds
    let seconds = Double(now - lapStart) / 1e9
    lapStart = now
    if let i = phases.firstIndex(where: { $0.name == name }) { phases[i].seconds += seconds } else { phases.append((name, seconds)) }
  }

  /// Throw `ExecutionError.cancelled` if the user asked to stop.
  public func checkCancelled() throws {
    if isCancelled() { throw ExecutionError(.cancelled, "statement cancelled; nothing was stored") }
  }
}

/// An error found while executing a bound statement. `range` points into the statement when the
/// problem belongs to one of its parts (a path, a name).
public struct ExecutionError: Error, CustomStringConvertible {
  public enum Kind: String, Sendable { case io, input, storage, notAvailable = "not-available", cancelled, numeric, `internal` }
  public var kind: Kind
  public var message: String
  public var range: SourceRange?
  public var notes: [String]

  public init(_ kind: Kind, _ message: String, range: SourceRange? = nil, notes: [String] = []) {
    self.kind = kind
    self.message = message
    self.range = range
    self.notes = notes
  }

  public var description: String { message }

  /// As a diagnostic with a stable id (`exec.<kind>`).
  public func diagnostic(source: SourceFile?) -> Diagnostic {
    Diagnostic("exec.\(kind.rawValue)", message, range: range, source: source, notes: notes)
  }
}

/// Inputs that analysis statements load (decoded matrices, normalised matrices, utterance
/// metadata), kept between the statements of one session so a RANK or PROBE after an EVALUATE on
/// the same data does not decode and normalise it again. Entries are keyed by everything they were
/// computed from that a statement can name (corpus, set, layer, fingerprint, row set, options);
/// what keys cannot see — the stored data changing — empties the cache instead: the executor calls
/// `invalidate()` after every statement that can write inputs (IMPORT, EXTRACT, DROP, a PRAGMA), and
/// `validate(_:)` before every statement, which empties it when another connection has committed
/// since (SQLite's `PRAGMA data_version`). A statement that wrote inputs it also holds decoded (an
/// IMPORT of embeddings or features) hands them over afterwards (`ExecutionContext.written`), so
/// the analysis after it does not read back what was just stored. At most `budgetBytes` are kept, least recently used
/// first out; a value larger than that is computed and not kept.
public final class SessionCache {
  public let budgetBytes: Int
  private var entries: [String: (value: Any, bytes: Int, used: UInt64)] = [:]
  private var clock: UInt64 = 0
  private var bytes = 0
  private var dataVersion: Int64?
  /// Lookups answered from the cache and computed, since the session began.
  public private(set) var hits = 0
  public private(set) var misses = 0

  public init(budgetBytes: Int = 512 << 20) { self.budgetBytes = budgetBytes }

  /// The value under `key`, computed by `make` (and kept, within the budget) when absent.
  public func value<T>(_ key: String, bytes size: (T) -> Int, _ make: () throws -> T) rethrows -> T {
    clock += 1
    if let e = entries[key], let v = e.value as? T {
      entries[key]!.used = clock
      hits += 1
      return v
    }
    misses += 1
    let v = try make()
    put(key, v, bytes: size(v))
    return v
  }

  /// Keep `value` under `key` (replacing what was there), taking `bytes` of the budget: least
  /// recently used entries go first to make room; a value larger than the budget is not kept.
  public func put(_ key: String, _ value: Any, bytes n: Int) {
    guard n <= budgetBytes else { return }
    clock += 1
    if let old = entries.removeValue(forKey: key) { bytes -= old.bytes }
    while bytes + n > budgetBytes, let oldest = entries.min(by: { $0.value.used < $1.value.used }) {
      bytes -= oldest.value.bytes
      entries.removeValue(forKey: oldest.key)
    }
    entries[key] = (value, n, clock)
    bytes += n
  }

  /// Whether `key` is kept (not counted as a hit or a miss).
  public func contains(_ key: String) -> Bool { entries[key] != nil }

  /// Whether some kept key begins with `prefix` (not counted as a hit or a miss).
  public func contains(keyPrefixedBy prefix: String) -> Bool { entries.keys.contains { $0.hasPrefix(prefix) } }

  /// The value under `key` if it is kept (a hit), else nil (nothing computed or counted).
  public func peek<T>(_ key: String, as type: T.Type) -> T? {
    guard let e = entries[key], let v = e.value as? T else { return nil }
    clock += 1
    entries[key]!.used = clock
    hits += 1
    return v
  }

  /// Bytes currently kept.
  public var keptBytes: Int { bytes }

  /// Forget everything (the stored inputs may have changed).
  public func invalidate() {
    entries = [:]
    bytes = 0
  }

  /// Forget everything when another connection committed since the last call.
  public func validate(_ connection: Connection) {
    let version = (try? connection.scalar("PRAGMA data_version"))?.flatMap { $0.intValue }
    if version == nil || version != dataVersion { invalidate() }
    dataVersion = version
  }
}

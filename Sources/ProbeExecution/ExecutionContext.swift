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

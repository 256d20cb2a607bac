import Foundation
import ProbeCore

/// Provenance of every statement that changes or analyses data: one row in `runs`.
public struct RunStore {
  public let connection: Connection
  public init(_ connection: Connection) { self.connection = connection }

  /// Start a run; returns its id. `options` and `inputs` are JSON objects.
  public func begin(statement: String, options: String = "{}", seed: Int64? = nil, engineVersion: String, inputs: String = "{}") throws -> Int64 {
    try connection.run(
      "INSERT INTO runs(statement, options, seed, engine_version, inputs, started_at) VALUES (?,?,?,?,?,?)",
      [.text(statement), .text(options), seed.map { .integer($0) } ?? .null, .text(engineVersion), .text(inputs), .text(Timestamp.now())])
    return connection.lastInsertRowID
  }

  public func finish(_ runID: Int64, status: String = "ok") throws {
    try connection.run("UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?", [.text(Timestamp.now()), .text(status), .integer(runID)])
  }
}

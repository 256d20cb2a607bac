import ProbeCore

/// Rows of one table inserted many at a time, `INSERT INTO t(…) VALUES (…), (…), …`: the
/// statement's per-execution work in SQLite (and the binding calls around it) is shared by the
/// rows of a batch, about a third less time per row than one `INSERT` per row. Rows are sent
/// when a batch fills and by `finish()`, inside the caller's transaction; the rows of a batch
/// land in order, as single inserts would.
public final class BatchInsert {
  let connection: Connection
  let head: String
  let width: Int
  let rowsPerStatement: Int
  var pending: [Value] = []
  var full: Statement?

  public init(_ connection: Connection, table: String, columns: [String], rowsPerStatement: Int = 64) {
    precondition(!columns.isEmpty && rowsPerStatement > 0)
    self.connection = connection
    self.head = "INSERT INTO \(Connection.quoteIdentifier(table))(\(columns.map(Connection.quoteIdentifier).joined(separator: ", "))) VALUES "
    self.width = columns.count
    self.rowsPerStatement = rowsPerStatement
    pending.reserveCapacity(width * rowsPerStatement)
  }

  func sql(rows: Int) -> String {
    let tuple = "(" + Array(repeating: "?", count: width).joined(separator: ",") + ")"
    return head + Array(repeating: tuple, count: rows).joined(separator: ",")
  }

  /// Queue one row (one value per column, in the columns' order).
  public func add(_ row: [Value]) throws {
    precondition(row.count == width, "a row of \(row.count) values for \(width) columns")
    pending.append(contentsOf: row)
    if pending.count == width * rowsPerStatement {
      if full == nil { full = try connection.reusable(sql(rows: rowsPerStatement)) }
      try send(full!)
    }
  }

  /// Send the rows still queued. The statements go back to the connection for the next batch
  /// insert into the same columns (`Connection.reusable`).
  public func finish() throws {
    if let full {
      connection.recycle(full)
      self.full = nil
    }
    guard !pending.isEmpty else { return }
    let last = try connection.reusable(sql(rows: pending.count / width))
    defer { connection.recycle(last) }
    try send(last)
  }

  func send(_ statement: Statement) throws {
    try statement.bind(pending)
    while try statement.step() {}
    pending.removeAll(keepingCapacity: true)
  }
}

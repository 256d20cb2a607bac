import CProbeSQLite

/// An error reported by SQLite: its result code, its message, the SQL that failed and, when
/// SQLite knows it, the byte offset of the error in that SQL.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
  public let code: Int32
  public let message: String
  public let sql: String?
  /// Byte offset into `sql` (sqlite3_error_offset), or nil.
  public let offset: Int?

  public init(code: Int32, message: String, sql: String? = nil, offset: Int? = nil) {
    self.code = code
    self.message = message
    self.sql = sql
    self.offset = offset
  }

  public var isInterrupt: Bool { code & 0xff == SQLITE_INTERRUPT }
  public var isConstraint: Bool { code & 0xff == SQLITE_CONSTRAINT }

  public var description: String {
    let name = String(cString: sqlite3_errstr(code))
    return message == name ? "SQLite error: \(message)" : "SQLite error (\(name)): \(message)"
  }
}

import CProbeSQLite
import ProbeCore

/// A prepared statement; finalized when released.
public final class Statement {
  let stmt: OpaquePointer
  unowned let connection: Connection
  public let sql: String

  init(_ stmt: OpaquePointer, connection: Connection, sql: String) {
    self.stmt = stmt
    self.connection = connection
    self.sql = sql
  }

  deinit { sqlite3_finalize(stmt) }

  /// The statement's number of `?` parameters.
  public private(set) lazy var parameterCount = Int(sqlite3_bind_parameter_count(stmt))

  /// True when the statement cannot write to the database (sqlite3_stmt_readonly).
  public var isReadOnly: Bool { sqlite3_stmt_readonly(stmt) != 0 }

  public var columnCount: Int { Int(sqlite3_column_count(stmt)) }

  /// Column names and declared types (REAL/INTEGER/TEXT/BLOB by SQLite's affinity rules, ANY
  /// for expressions).
  public var columns: [Column] {
    (0..<columnCount).map { i in
      let name = String(cString: sqlite3_column_name(stmt, Int32(i)))
      let decl = sqlite3_column_decltype(stmt, Int32(i)).map { String(cString: $0).uppercased() } ?? ""
      let type: DataType
      if decl.contains("INT") { type = .integer }
      else if decl.contains("CHAR") || decl.contains("CLOB") || decl.contains("TEXT") { type = .text }
      else if decl.contains("BLOB") { type = .blob }
      else if decl.contains("REAL") || decl.contains("FLOA") || decl.contains("DOUB") { type = .real }
      else { type = .any }
      return Column(name, type)
    }
  }

  public func bind(_ params: [Value]) throws {
    sqlite3_reset(stmt)
    // Parameters not given are NULL (those given are all rebound below).
    if params.count < parameterCount { sqlite3_clear_bindings(stmt) }
    for (i, v) in params.enumerated() {
      let idx = Int32(i + 1)
      let rc: Int32
      switch v {
      case .null: rc = sqlite3_bind_null(stmt, idx)
      case .integer(let x): rc = sqlite3_bind_int64(stmt, idx, x)
      case .real(let x): rc = sqlite3_bind_double(stmt, idx, x)
      case .text(var s):
        rc = s.withUTF8 { u in
          u.withMemoryRebound(to: CChar.self) { p in
            // An empty string binds as '' (a null pointer would bind NULL).
            p.baseAddress.map { sqlite3_bind_text(stmt, idx, $0, Int32(u.count), SQLITE_TRANSIENT_PTR) } ?? sqlite3_bind_text(stmt, idx, "", 0, SQLITE_TRANSIENT_PTR)
          }
        }
      case .blob(let b):
        rc = b.withUnsafeBytes { sqlite3_bind_blob(stmt, idx, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT_PTR) }
      }
      if rc != SQLITE_OK { throw connection.lastError(rc, sql: sql) }
    }
  }

  /// Advance one row; false when done.
  public func step() throws -> Bool {
    let rc = sqlite3_step(stmt)
    switch rc {
    case SQLITE_ROW: return true
    case SQLITE_DONE: return false
    default:
      let err = connection.lastError(rc, sql: sql)
      sqlite3_reset(stmt)
      throw err
    }
  }

  public func value(at i: Int) -> Value {
    let idx = Int32(i)
    switch sqlite3_column_type(stmt, idx) {
    case SQLITE_INTEGER: return .integer(sqlite3_column_int64(stmt, idx))
    case SQLITE_FLOAT: return .real(sqlite3_column_double(stmt, idx))
    case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(stmt, idx)))
    case SQLITE_BLOB:
      let n = Int(sqlite3_column_bytes(stmt, idx))
      guard n > 0, let p = sqlite3_column_blob(stmt, idx) else { return .blob([]) }
      return .blob(Array(UnsafeRawBufferPointer(start: p, count: n)))
    default: return .null
    }
  }

  /// Column `i` as a double without boxing: NULL or non-numeric text → nil.
  public func double(at i: Int) -> Double? { real(Int32(i)) }

  @inline(__always) private func real(_ idx: Int32) -> Double? {
    switch sqlite3_column_type(stmt, idx) {
    case SQLITE_FLOAT: return sqlite3_column_double(stmt, idx)
    case SQLITE_INTEGER: return Double(sqlite3_column_int64(stmt, idx))
    case SQLITE_TEXT: return Double(String(cString: sqlite3_column_text(stmt, idx)))
    default: return nil
    }
  }

  /// Columns `first ..< first + count` as doubles into `out`, as `double(at:)` reads each (NULL or
  /// non-numeric text → NaN): one call for a row of a wide feature table.
  public func doubles(from first: Int, count: Int, into out: UnsafeMutablePointer<Double>) {
    for k in 0..<count { out[k] = real(Int32(first + k)) ?? .nan }
  }

  /// Column `i` as an integer without boxing (NULL → nil).
  public func int64(at i: Int) -> Int64? {
    sqlite3_column_type(stmt, Int32(i)) == SQLITE_NULL ? nil : sqlite3_column_int64(stmt, Int32(i))
  }

  /// Column `i`'s blob bytes, valid only inside `body` (no copy); nil when it is not a blob.
  public func withBlob<R>(at i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
    let idx = Int32(i)
    guard sqlite3_column_type(stmt, idx) == SQLITE_BLOB else { return nil }
    let n = Int(sqlite3_column_bytes(stmt, idx))
    guard n > 0, let p = sqlite3_column_blob(stmt, idx) else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
    return try body(UnsafeRawBufferPointer(start: p, count: n))
  }

  public func row() -> [Value] { (0..<columnCount).map { value(at: $0) } }

  /// Step to the end, collecting all rows into a table.
  public func collect() throws -> ResultTable {
    let cols = columns
    var rows: [[Value]] = []
    while try step() { rows.append(row()) }
    // Give typeless expression columns the type of their values when all agree.
    var typed = cols
    for (j, c) in cols.enumerated() where c.type == .any {
      var t: DataType?
      var mixed = false
      for r in rows {
        let vt: DataType?
        switch r[j] {
        case .null: vt = nil
        case .integer: vt = .integer
        case .real: vt = .real
        case .text: vt = .text
        case .blob: vt = .blob
        }
        if let vt { if t == nil { t = vt } else if t != vt { mixed = true } }
      }
      if !mixed, let t { typed[j].type = t }
    }
    return ResultTable(columns: typed, rows: rows)
  }
}

import CProbeSQLite
import CProbeSQLiteRows
import Foundation
import ProbeCore

// SQLITE_TRANSIENT: tell SQLite to copy bound text and blobs.
let SQLITE_TRANSIENT_PTR = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// One SQLite connection: the only place in ProbeDB that talks to the sqlite3 C API.
///
/// A file database is opened in WAL mode with foreign keys on. Statements are prepared with
/// bound parameters; identifiers that come from queries go through `quoteIdentifier` so no
/// user text ever reaches SQL unquoted.
public final class Connection {
  let db: OpaquePointer
  public let path: String

  /// Open (creating if missing) the database at `path`; `":memory:"` for an in-memory one.
  public init(path: String) throws {
    self.db = try Self.open(path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, what: "database")
    self.path = path
    do {
      // Reading the schema first turns "file is not a database" into an error here.
      try execute("PRAGMA foreign_keys = ON")
      if path != ":memory:" && !path.isEmpty {
        _ = try query("PRAGMA journal_mode = WAL")
        _ = try query("PRAGMA mmap_size = 4294967296")
      }
    } catch {
      sqlite3_close_v2(db)
      throw error
    }
  }

  /// A read-only connection to the same file (`concurrentReader()`).
  private init(readOnly path: String) throws {
    self.db = try Self.open(path, flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, what: "database (for reading)")
    self.path = path
    _ = try? query("PRAGMA mmap_size = 4294967296")
  }

  /// An open handle with extended result codes and a 5 s busy timeout.
  private static func open(_ path: String, flags: Int32, what: String) throws -> OpaquePointer {
    var handle: OpaquePointer?
    let rc = sqlite3_open_v2(path, &handle, flags, nil)
    guard rc == SQLITE_OK, let handle else {
      let msg = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
      if let handle { sqlite3_close_v2(handle) }
      throw SQLiteError(code: rc, message: "cannot open \(what) '\(path)': \(msg)")
    }
    sqlite3_extended_result_codes(handle, 1)
    sqlite3_busy_timeout(handle, 5000)
    _ = probe_rows_register(handle)  // `ColumnInsert`'s table-valued function
    return handle
  }

  deinit {
    idle.removeAll()  // finalized before the handle closes
    sqlite3_close_v2(db)
  }

  /// Prepared statements kept for reuse, by SQL text (`reusable`, `recycle`): the catalog,
  /// bookkeeping and batched-insert statements every analysis runs again are compiled once per
  /// connection instead of once per use. Only statements not in use are kept; at most
  /// `maxIdleStatements`.
  private var idle: [String: Statement] = [:]
  static let maxIdleStatements = 128
  /// How many prepared statements wait for reuse (tests).
  var idleStatements: Int { idle.count }

  private var reader: Connection?

  /// A second, read-only connection to the same file, for reading on another thread while this
  /// one reads too (a statement loading two stored matrices at once); opened on first use and
  /// kept. Nil for an in-memory database, when the file cannot be opened again, and while this
  /// connection has a transaction open (the reader would not see its uncommitted writes).
  public func concurrentReader() -> Connection? {
    guard sqlite3_get_autocommit(db) != 0 else { return nil }
    if let reader { return reader }
    guard let file = sqlite3_db_filename(db, "main"), file.pointee != 0 else { return nil }
    reader = try? Connection(readOnly: String(cString: file))
    return reader
  }

  /// Run one or more statements with no parameters and no results.
  public func execute(_ sql: String) throws {
    var err: UnsafeMutablePointer<CChar>?
    let rc = sqlite3_exec(db, sql, nil, nil, &err)
    if rc != SQLITE_OK {
      let msg = err.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
      sqlite3_free(err)
      throw SQLiteError(code: rc, message: msg, sql: sql)
    }
  }

  /// Prepare one statement. Throws with SQLite's message and error offset when it does not compile.
  public func prepare(_ sql: String) throws -> Statement {
    var stmt: OpaquePointer?
    var tail: UnsafePointer<CChar>?
    let rc = sql.withCString { p -> Int32 in
      let r = sqlite3_prepare_v2(db, p, -1, &stmt, &tail)
      if let t = tail, t.pointee != 0 {
        // Only whitespace or a trailing ';' may follow.
        let rest = String(cString: t).trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ";")))
        if !rest.isEmpty && r == SQLITE_OK {
          sqlite3_finalize(stmt)
          stmt = nil
          return -1
        }
      }
      return r
    }
    if rc == -1 { throw SQLiteError(code: SQLITE_MISUSE, message: "only one SQL statement at a time", sql: sql) }
    guard rc == SQLITE_OK else { throw lastError(rc, sql: sql) }
    guard let stmt else { throw SQLiteError(code: SQLITE_MISUSE, message: "empty SQL statement", sql: sql) }
    return Statement(stmt, connection: self, sql: sql)
  }

  /// `prepare(sql)`, or the statement prepared from the same text before and handed back with
  /// `recycle` since: the caller has it to itself until it recycles it (or drops it).
  public func reusable(_ sql: String) throws -> Statement {
    if let stmt = idle.removeValue(forKey: sql) { return stmt }
    return try prepare(sql)
  }

  /// Hand back a statement from `reusable` for the next use of its SQL text: reset, its
  /// parameters cleared.
  public func recycle(_ stmt: Statement) {
    guard stmt.connection === self else { return }
    sqlite3_reset(stmt.stmt)
    sqlite3_clear_bindings(stmt.stmt)
    if idle.count >= Self.maxIdleStatements { idle.removeAll() }
    idle[stmt.sql] = stmt
  }

  /// Run a statement with parameters and collect every row.
  @discardableResult
  public func query(_ sql: String, _ params: [Value] = []) throws -> ResultTable {
    let stmt = try reusable(sql)
    defer { recycle(stmt) }
    try stmt.bind(params)
    return try stmt.collect()
  }

  /// Run a statement with parameters, ignoring any rows.
  public func run(_ sql: String, _ params: [Value] = []) throws {
    let stmt = try reusable(sql)
    defer { recycle(stmt) }
    try stmt.bind(params)
    while try stmt.step() {}
  }

  /// The first column of the first row, or nil.
  public func scalar(_ sql: String, _ params: [Value] = []) throws -> Value? {
    let stmt = try reusable(sql)
    defer { recycle(stmt) }
    try stmt.bind(params)
    return try stmt.step() ? stmt.value(at: 0) : nil
  }

  /// Run `body` in one transaction (BEGIN IMMEDIATE … COMMIT), rolling back on any error, so its
  /// writes land whole or not at all. Nested calls use savepoints.
  public func transaction<T>(_ body: () throws -> T) throws -> T {
    let nested = sqlite3_get_autocommit(db) == 0
    let name = "probedb_sp"
    try execute(nested ? "SAVEPOINT \(name)" : "BEGIN IMMEDIATE")
    do {
      let result = try body()
      try execute(nested ? "RELEASE \(name)" : "COMMIT")
      return result
    } catch {
      try? execute(nested ? "ROLLBACK TO \(name); RELEASE \(name)" : "ROLLBACK")
      throw error
    }
  }

  public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(db) }
  public var changes: Int { Int(sqlite3_changes(db)) }

  /// Install a cancellation check SQLite polls while running a statement; when it returns true the
  /// statement stops with SQLITE_INTERRUPT.
  public func setCancellationCheck(_ check: (() -> Bool)?) {
    if let check {
      let box = Unmanaged.passRetained(CancelBox(check))
      cancelBox?.release()
      cancelBox = box
      sqlite3_progress_handler(db, 1000, { ctx in
        guard let ctx else { return 0 }
        return Unmanaged<CancelBox>.fromOpaque(ctx).takeUnretainedValue().check() ? 1 : 0
      }, box.toOpaque())
    } else {
      sqlite3_progress_handler(db, 0, nil, nil)
      cancelBox?.release()
      cancelBox = nil
    }
  }
  private var cancelBox: Unmanaged<CancelBox>?

  func lastError(_ rc: Int32, sql: String?) -> SQLiteError {
    let off = sqlite3_error_offset(db)
    return SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(db)), sql: sql, offset: off >= 0 ? Int(off) : nil)
  }

  /// Quote an identifier for SQL: `"name"` with embedded quotes doubled.
  public static func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// The SQLite library version.
  public static var sqliteVersion: String { String(cString: sqlite3_libversion()) }
}

final class CancelBox {
  let check: () -> Bool
  init(_ check: @escaping () -> Bool) { self.check = check }
}

import CProbeSQLite
import CProbeSQLiteRows
import Foundation
import ProbeCore

/// Rows of one table inserted from column arrays with one statement,
/// `INSERT INTO t(k…, x…) SELECT ?1, …, c0, … FROM probe_rows(?n)`: the values every row shares
/// bound once, the others read by SQLite straight from the arrays through the `probe_rows`
/// table-valued function (CProbeSQLiteRows) — no per-row binding, no per-row statement, about
/// the cost of SQLite's own inserts. Runs inside the caller's transaction; the statement is
/// reused (`Connection.reusable`).
public enum ColumnInsert {
  /// One column's values, one per row.
  public enum Values {
    case integers([Int64])
    case reals([Double])
    /// Text; nil is NULL.
    case texts([String?])
    /// NULL in every row.
    case nulls

    var count: Int? {
      switch self {
      case .integers(let v): return v.count
      case .reals(let v): return v.count
      case .texts(let v): return v.count
      case .nulls: return nil
      }
    }
  }

  /// Insert `rows` rows into `table`: the `shared` columns' one value in each, and each of
  /// `columns` (at most 8) from its array.
  public static func insert(_ c: Connection, table: String, shared: [(String, Value)], columns: [(String, Values)], rows: Int) throws {
    precondition(columns.count <= Int(PROBE_ROWS_MAX_COLUMNS), "at most \(PROBE_ROWS_MAX_COLUMNS) array columns")
    precondition(columns.allSatisfy { $0.1.count == nil || $0.1.count == rows }, "one value per row in every column")
    guard rows > 0 else { return }
    let names = (shared.map(\.0) + columns.map(\.0)).map(Connection.quoteIdentifier).joined(separator: ", ")
    let selected = (shared.indices.map { "?\($0 + 1)" } + columns.indices.map { "c\($0)" }).joined(separator: ", ")
    let stmt = try c.reusable("INSERT INTO \(Connection.quoteIdentifier(table))(\(names)) SELECT \(selected) FROM probe_rows(?\(shared.count + 1))")
    defer { c.recycle(stmt) }
    try stmt.bind(shared.map(\.1))
    // The arrays copied where SQLite reads them for the statement's run.
    var source = probe_rows()
    source.count = Int64(rows)
    source.columns = Int32(columns.count)
    var owned: [UnsafeMutableRawPointer] = []
    var strings: [UnsafeMutablePointer<CChar>] = []
    defer {
      for p in owned { p.deallocate() }
      for s in strings { free(s) }
    }
    func copy<T>(_ v: [T]) -> UnsafeRawPointer {
      let p = UnsafeMutablePointer<T>.allocate(capacity: rows)
      p.initialize(from: v, count: rows)
      owned.append(UnsafeMutableRawPointer(p))
      return UnsafeRawPointer(p)
    }
    for (i, (_, values)) in columns.enumerated() {
      let kind: probe_rows_kind
      var data: UnsafeRawPointer?
      switch values {
      case .integers(let v):
        kind = PROBE_ROWS_INT64
        data = copy(v)
      case .reals(let v):
        kind = PROBE_ROWS_DOUBLE
        data = copy(v)
      case .texts(let v):
        kind = PROBE_ROWS_TEXT
        let p = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: rows)
        for (r, s) in v.enumerated() {
          if let s, let copy = strdup(s) {
            strings.append(copy)
            (p + r).initialize(to: UnsafePointer(copy))
          } else {
            (p + r).initialize(to: nil)
          }
        }
        owned.append(UnsafeMutableRawPointer(p))
        data = UnsafeRawPointer(p)
      case .nulls:
        kind = PROBE_ROWS_NULL
      }
      withUnsafeMutableBytes(of: &source.kinds) { $0.storeBytes(of: Int32(kind.rawValue), toByteOffset: i * 4, as: Int32.self) }
      withUnsafeMutableBytes(of: &source.data) { $0.storeBytes(of: data, toByteOffset: i * MemoryLayout<UnsafeRawPointer?>.stride, as: UnsafeRawPointer?.self) }
    }
    try withUnsafePointer(to: &source) { p in
      let rc = probe_rows_bind(stmt.stmt, Int32(shared.count + 1), p)
      if rc != SQLITE_OK { throw c.lastError(rc, sql: stmt.sql) }
      while try stmt.step() {}
    }
  }
}

import ProbeCore
import ProbeStorage

/// Passes a SELECT / WITH / PRAGMA / EXPLAIN statement to SQLite unchanged.
///
/// Statements that would write (`WITH … DELETE`, `EXPLAIN` of an INSERT is fine since EXPLAIN
/// does not run it) are refused: ProbeDB's tables change only through ProbeQL, so stored
/// results and their provenance cannot be edited behind the engine's back. PRAGMAs pass as is.
struct SQLOperator {
  let sql: String
  /// Offset of `sql` in the statement's source, so SQLite's error offset becomes a position.
  let sourceOffset: Int

  func run(_ context: ExecutionContext) throws -> ResultTable {
    let stmt: Statement
    do { stmt = try context.connection.prepare(sql) } catch let e as SQLiteError { throw positioned(e) }
    let isPragma = sql.prefix(6).uppercased() == "PRAGMA"
    if !isPragma && !stmt.isReadOnly {
      throw ExecutionError(.input, "this SQL statement would change the database; only read-only SQL passes to SQLite",
                           range: SourceRange(sourceOffset, sourceOffset + sql.unicodeScalars.count),
                           notes: ["ProbeDB's tables change through ProbeQL statements (IMPORT, EXTRACT, DROP CORPUS, …)"])
    }
    do { return try stmt.collect() } catch let e as SQLiteError { throw positioned(e) }
  }

  /// SQLite's message, positioned at its error offset when it gives one.
  func positioned(_ e: SQLiteError) -> ExecutionError {
    if e.isInterrupt { return ExecutionError(.cancelled, "statement cancelled") }
    var range: SourceRange?
    if let off = e.offset {
      // SQLite reports a byte offset into the UTF-8 SQL; convert to a scalar offset.
      let utf8 = Array(sql.utf8)
      let prefix = String(decoding: utf8[0..<min(off, utf8.count)], as: UTF8.self)
      let start = sourceOffset + prefix.unicodeScalars.count
      var end = start + 1
      let rest = Array(sql.unicodeScalars.dropFirst(prefix.unicodeScalars.count))
      var k = 0
      while k < rest.count, rest[k].properties.isAlphabetic || ("0"..."9").contains(rest[k]) || rest[k] == "_" { k += 1 }
      if k > 0 { end = start + k }
      range = SourceRange(start, end)
    }
    var msg = e.message
    if msg.hasPrefix("near \"") == false, e.offset == nil { msg = e.description }
    return ExecutionError(.storage, "SQL error: \(msg)", range: range ?? SourceRange(sourceOffset, sourceOffset + 1))
  }
}

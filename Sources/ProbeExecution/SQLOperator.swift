import Foundation
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
    let isPragma = Self.isPragma(sql)
    if isPragma, let name = Self.protectedPragmaAssignment(sql) {
      throw ExecutionError(.input, "PRAGMA \(name) cannot be changed from a query: ProbeDB relies on it to keep the file consistent",
                           range: SourceRange(sourceOffset, sourceOffset + sql.unicodeScalars.count))
    }
    if !isPragma && !stmt.isReadOnly {
      throw ExecutionError(.input, "this SQL statement would change the database; only read-only SQL passes to SQLite",
                           range: SourceRange(sourceOffset, sourceOffset + sql.unicodeScalars.count),
                           notes: ["ProbeDB's tables change through ProbeQL statements (IMPORT, EXTRACT, DROP CORPUS, …)"])
    }
    do { return try stmt.collect() } catch let e as SQLiteError { throw positioned(e) }
  }

  /// Whether `sql` is a PRAGMA: the only SQL that passes without being read-only.
  static func isPragma(_ sql: String) -> Bool { sql.prefix(6).uppercased() == "PRAGMA" }

  /// SQLite's message, positioned at its error offset when it gives one; otherwise at the
  /// object a "no such table/column/function" message names, at the end for "incomplete
  /// input", or at the statement's start.
  func positioned(_ e: SQLiteError) -> ExecutionError {
    if e.isInterrupt { return ExecutionError(.cancelled, "statement cancelled") }
    let scalars = Array(sql.unicodeScalars)
    func isWordChar(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" }
    func wordRange(at start: Int) -> SourceRange {
      var k = start
      while k < scalars.count, isWordChar(scalars[k]) { k += 1 }
      return SourceRange(sourceOffset + start, sourceOffset + max(k, start + 1))
    }
    var range: SourceRange?
    if let off = e.offset {
      // SQLite reports a byte offset into the UTF-8 SQL; convert to a scalar offset.
      let utf8 = Array(sql.utf8)
      let prefix = String(decoding: utf8[0..<min(off, utf8.count)], as: UTF8.self)
      range = wordRange(at: prefix.unicodeScalars.count)
    } else if let named = ["no such table: ", "no such column: ", "no such function: ", "no such collation sequence: "]
      .compactMap({ p in e.message.range(of: p).map { String(e.message[$0.upperBound...]) } }).first {
      let name = named.split(separator: ".").last.map(String.init) ?? named
      if let r = Self.findWord(name, in: scalars) { range = SourceRange(sourceOffset + r.lowerBound, sourceOffset + r.upperBound) }
    } else if e.message == "incomplete input" {
      range = SourceRange(sourceOffset + scalars.count, sourceOffset + scalars.count + 1)
    }
    return ExecutionError(.storage, "SQL error: \(e.message)", range: range ?? SourceRange(sourceOffset, sourceOffset + 1))
  }

  /// Pragmas that describe or protect the file's integrity; reading them is fine, setting them
  /// would break the schema version, the ProbeDB marker, WAL mode or referential integrity.
  static let protectedPragmas: Set<String> = [
    "application_id", "user_version", "schema_version", "writable_schema", "journal_mode", "foreign_keys",
    "locking_mode", "legacy_alter_table", "ignore_check_constraints", "recursive_triggers",
  ]

  /// The protected pragma `sql` assigns (`PRAGMA x = v` or `PRAGMA x(v)`), if any.
  static func protectedPragmaAssignment(_ sql: String) -> String? {
    let body = sql.dropFirst(6).trimmingCharacters(in: .whitespacesAndNewlines)
    let nameEnd = body.firstIndex { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") } ?? body.endIndex
    let qualified = body[..<nameEnd].lowercased()
    let name = qualified.split(separator: ".").last.map(String.init) ?? qualified
    let rest = body[nameEnd...].trimmingCharacters(in: .whitespaces)
    guard rest.hasPrefix("=") || rest.hasPrefix("(") else { return nil }
    if rest.hasPrefix("("), ["table_info", "table_xinfo", "index_list", "index_info", "foreign_key_list"].contains(name) { return nil }
    return protectedPragmas.contains(name) ? name : nil
  }

  /// The first case-insensitive whole-word occurrence of `word` in `text`.
  static func findWord(_ word: String, in text: [Unicode.Scalar]) -> Range<Int>? {
    let w = Array(word.lowercased().unicodeScalars)
    guard !w.isEmpty, w.count <= text.count else { return nil }
    let lower = text.map { Unicode.Scalar($0.properties.lowercaseMapping.unicodeScalars.first!.value) ?? $0 }
    func isWordChar(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" }
    for i in 0...(text.count - w.count) where Array(lower[i..<(i + w.count)]) == w {
      let before = i == 0 || !isWordChar(text[i - 1])
      let after = i + w.count == text.count || !isWordChar(text[i + w.count])
      if before && after { return i..<(i + w.count) }
    }
    return nil
  }
}

/// A single SQLite-compatible value: what a result cell holds.
public enum Value: Sendable, Hashable, CustomStringConvertible {
  case null
  case integer(Int64)
  case real(Double)
  case text(String)
  case blob([UInt8])

  public var isNull: Bool { if case .null = self { return true } else { return false } }

  public var intValue: Int64? {
    switch self {
    case .integer(let i): return i
    case .real(let d): return d.isFinite && d == d.rounded() ? Int64(d) : nil
    case .text(let s): return Int64(s)
    default: return nil
    }
  }

  public var doubleValue: Double? {
    switch self {
    case .integer(let i): return Double(i)
    case .real(let d): return d
    case .text(let s): return Double(s)
    default: return nil
    }
  }

  public var stringValue: String? {
    switch self {
    case .null: return nil
    case .text(let s): return s
    default: return description
    }
  }

  /// Text form used by the table and CSV renderers (NULL renders as empty in CSV, `NULL` in tables).
  public var description: String {
    switch self {
    case .null: return "NULL"
    case .integer(let i): return String(i)
    case .real(let d): return Value.format(d)
    case .text(let s): return s
    case .blob(let b): return "<blob \(b.count) bytes>"
    }
  }

  /// Shortest text that reads back as the same Double (Swift's description), without "e+"
  /// surprises for ordinary magnitudes.
  public static func format(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d > 0 ? "inf" : "-inf" }
    if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) + ".0" }
    return "\(d)"
  }
}

/// Declared type of a result column.
public enum DataType: String, Sendable, Equatable {
  case integer = "INTEGER"
  case real = "REAL"
  case text = "TEXT"
  case blob = "BLOB"
  case any = "ANY"
}

/// A named, typed column of a result table.
public struct Column: Sendable, Equatable {
  public var name: String
  public var type: DataType
  public init(_ name: String, _ type: DataType = .any) {
    self.name = name
    self.type = type
  }
}

/// The result of one statement: a schema and rows of values, plus notices (warnings and
/// summaries meant for the user, not for the table) and a flag telling renderers whether the
/// statement produced a table at all (`USE` does not).
public struct ResultTable: Sendable, Equatable {
  public var columns: [Column]
  public var rows: [[Value]]
  public var notices: [String]
  public var hasTable: Bool

  public init(columns: [Column], rows: [[Value]] = [], notices: [String] = [], hasTable: Bool = true) {
    self.columns = columns
    self.rows = rows
    self.notices = notices
    self.hasTable = hasTable
  }

  /// A statement that only reports a message.
  public static func message(_ text: String) -> ResultTable {
    ResultTable(columns: [], rows: [], notices: [text], hasTable: false)
  }

  public var columnNames: [String] { columns.map(\.name) }

  /// Index of a column by (case-insensitive) name.
  public func columnIndex(_ name: String) -> Int? {
    columns.firstIndex { $0.name.lowercased() == name.lowercased() }
  }

  /// The values of one column by name.
  public func values(_ name: String) -> [Value]? {
    guard let i = columnIndex(name) else { return nil }
    return rows.map { $0[i] }
  }
}

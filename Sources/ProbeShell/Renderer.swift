import ProbeDB

/// Output formats of the shell and the command line.
public enum OutputFormat: String, CaseIterable, Sendable {
  case table, csv, json
}

/// Renders result tables as boxes (DuckDB-style, with a type row), CSV (RFC 4180, NULL empty)
/// or JSON (an array of row objects per statement).
public struct Renderer {
  public var format: OutputFormat
  /// Box mode shows at most this many rows (first and last halves) when `truncate` is on.
  public var maxRows = 40
  public var truncate: Bool
  public init(format: OutputFormat, truncate: Bool = false) {
    self.format = format
    self.truncate = truncate
  }

  public func render(_ t: ResultTable) -> String {
    guard t.hasTable else { return "" }
    switch format {
    case .table: return box(t)
    case .csv: return csv(t)
    case .json: return json(t)
    }
  }

  // MARK: - CSV

  static func csvField(_ s: String) -> String {
    if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || s.hasPrefix(" ") || s.hasSuffix(" ") {
      return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return s
  }

  func csv(_ t: ResultTable) -> String {
    var out = t.columns.map { Self.csvField($0.name) }.joined(separator: ",") + "\n"
    for r in t.rows {
      out += r.map { $0.isNull ? "" : Self.csvField($0.description) }.joined(separator: ",") + "\n"
    }
    return out
  }

  // MARK: - JSON

  static func jsonValue(_ v: Value) -> String {
    switch v {
    case .null: return "null"
    case .integer(let i): return String(i)
    case .real(let d): return d.isFinite ? "\(d)" : "null"
    case .text(let s): return jsonString(s)
    case .blob(let b): return jsonString(b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined())
    }
  }

  func json(_ t: ResultTable) -> String {
    if t.rows.isEmpty { return "[]\n" }
    let rows = t.rows.map { r in
      "{" + zip(t.columns, r).map { "\(jsonString($0.name)):\(Self.jsonValue($1))" }.joined(separator: ",") + "}"
    }
    return "[" + rows.joined(separator: ",\n") + "]\n"
  }

  // MARK: - Box

  static func typeName(_ t: DataType) -> String {
    switch t {
    case .integer: return "int64"
    case .real: return "double"
    case .text: return "varchar"
    case .blob: return "blob"
    case .any: return "any"
    }
  }

  static func width(_ s: String) -> Int { s.count }

  func box(_ t: ResultTable) -> String {
    let cols = t.columns
    if cols.isEmpty { return "" }
    var rows = t.rows
    var elided = false
    if truncate && rows.count > maxRows {
      rows = Array(rows.prefix(maxRows / 2)) + Array(rows.suffix(maxRows / 2))
      elided = true
    }
    func cell(_ v: Value) -> String {
      var s = v.description.replacingOccurrences(of: "\n", with: "\\n")
      if s.count > 80 { s = String(s.prefix(79)) + "…" }
      return s
    }
    let cells = rows.map { $0.map(cell) }
    var widths = cols.map { max(Self.width($0.name), Self.width(Self.typeName($0.type))) }
    for r in cells { for (j, c) in r.enumerated() { widths[j] = max(widths[j], Self.width(c)) } }
    func line(_ l: String, _ m: String, _ r: String) -> String {
      l + widths.map { String(repeating: "─", count: $0 + 2) }.joined(separator: m) + r + "\n"
    }
    func pad(_ s: String, _ w: Int, right: Bool) -> String {
      let p = String(repeating: " ", count: max(0, w - Self.width(s)))
      return right ? p + s : s + p
    }
    func isNumeric(_ j: Int) -> Bool { cols[j].type == .integer || cols[j].type == .real }
    var out = line("┌", "┬", "┐")
    out += "│" + cols.enumerated().map { " " + pad($1.name, widths[$0], right: false) + " " }.joined(separator: "│") + "│\n"
    out += "│" + cols.enumerated().map { " " + pad(Self.typeName($1.type), widths[$0], right: false) + " " }.joined(separator: "│") + "│\n"
    out += line("├", "┼", "┤")
    for (i, r) in cells.enumerated() {
      if elided && i == maxRows / 2 {
        out += "│" + widths.map { " " + pad("·", $0, right: false) + " " }.joined(separator: "│") + "│\n"
      }
      out += "│" + r.enumerated().map { " " + pad($1, widths[$0], right: isNumeric($0) || (rows[i][$0].doubleValue != nil && cols[$0].type == .any)) + " " }.joined(separator: "│") + "│\n"
    }
    out += line("└", "┴", "┘")
    if elided { out += "\(t.rows.count) rows (\(rows.count) shown)\n" }
    else if t.rows.count != 1 { out += "\(t.rows.count) rows\n" }
    return out
  }
}

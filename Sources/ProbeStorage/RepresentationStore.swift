import Foundation
import ProbeCore

/// A feature or embedding set of one corpus, as registered in `representations`.
public struct RepresentationInfo: Sendable, Equatable {
  public enum Kind: String, Sendable { case features, embeddings }
  public var name: String
  public var corpus: String
  public var kind: Kind
  public var dims: Int
  public var layers: Int
  public var dtype: String
  /// Column names of a named feature set (nil for embeddings).
  public var featureNames: [String]?
  public var source: String?
  public var fingerprint: String
  public var rows: Int

  public init(name: String, corpus: String, kind: Kind, dims: Int, layers: Int, dtype: String, featureNames: [String]?, source: String?, fingerprint: String, rows: Int) {
    self.name = name
    self.corpus = corpus
    self.kind = kind
    self.dims = dims
    self.layers = layers
    self.dtype = dtype
    self.featureNames = featureNames
    self.source = source
    self.fingerprint = fingerprint
    self.rows = rows
  }
}

/// A representation loaded as a matrix: one row per utterance (ascending utterance id).
public struct LoadedMatrix: Sendable {
  public var utteranceIDs: [Int64]
  public var cols: Int
  /// Row-major values; NaN marks a missing (NULL) feature value.
  public var values: [Double]
}

/// Stores and loads feature sets (one table per set, one REAL column per feature, named exactly
/// as the features) and embeddings (vectors as little-endian float32/float64 BLOBs in
/// `embeddings`), registered in `representations`.
public struct RepresentationStore {
  public let connection: Connection
  public init(_ connection: Connection) { self.connection = connection }

  public func info(name: String, corpus: String) throws -> RepresentationInfo? {
    try connection.query(
      "SELECT name, corpus, kind, dims, layers, dtype, feature_names, source, fingerprint, rows FROM representations WHERE name = ? AND corpus = ?",
      [.text(name), .text(corpus)]
    ).rows.first.map(Self.info)
  }

  public func all(corpus: String) throws -> [RepresentationInfo] {
    try connection.query(
      "SELECT name, corpus, kind, dims, layers, dtype, feature_names, source, fingerprint, rows FROM representations WHERE corpus = ? ORDER BY name",
      [.text(corpus)]
    ).rows.map(Self.info)
  }

  static func info(_ r: [Value]) -> RepresentationInfo {
    var names: [String]?
    if let json = r[6].stringValue, let data = json.data(using: .utf8) {
      names = try? JSONSerialization.jsonObject(with: data) as? [String]
    }
    return RepresentationInfo(
      name: r[0].stringValue!, corpus: r[1].stringValue!, kind: RepresentationInfo.Kind(rawValue: r[2].stringValue!)!,
      dims: Int(r[3].intValue!), layers: Int(r[4].intValue!), dtype: r[5].stringValue!, featureNames: names, source: r[7].stringValue,
      fingerprint: r[8].stringValue!, rows: Int(r[9].intValue!))
  }

  public func register(_ i: RepresentationInfo, runID: Int64?) throws {
    var names: Value = .null
    if let fn = i.featureNames {
      names = .text(String(decoding: try JSONSerialization.data(withJSONObject: fn), as: UTF8.self))
    }
    try connection.run(
      "INSERT INTO representations(name, corpus, kind, dims, layers, dtype, feature_names, source, fingerprint, rows, run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
      [.text(i.name), .text(i.corpus), .text(i.kind.rawValue), .integer(Int64(i.dims)), .integer(Int64(i.layers)), .text(i.dtype), names,
       i.source.map { .text($0) } ?? .null, .text(i.fingerprint), .integer(Int64(i.rows)), runID.map { .integer($0) } ?? .null])
  }

  /// Store embeddings (one vector per utterance, layer 0 unless given) and register the set.
  /// Runs inside the caller's transaction.
  public func insertEmbeddings(_ info: RepresentationInfo, vectors: [(utteranceID: Int64, layer: Int, vector: [Double])], runID: Int64?) throws {
    try register(info, runID: runID)
    let stmt = try connection.prepare("INSERT INTO embeddings(representation, corpus, utterance_id, layer, vector) VALUES (?,?,?,?,?)")
    for v in vectors {
      try stmt.bind([.text(info.name), .text(info.corpus), .integer(v.utteranceID), .integer(Int64(v.layer)), .blob(Self.encode(v.vector, dtype: info.dtype))])
      while try stmt.step() {}
    }
  }

  /// Create the table of a named feature set if missing (one REAL column per feature, keyed by
  /// utterance); an existing table must have exactly these columns.
  public func ensureFeatureTable(_ name: String, columns names: [String]) throws {
    let existing = try connection.query("SELECT name FROM pragma_table_info(?) ORDER BY cid", [.text(name)]).rows.compactMap { $0[0].stringValue }
    if existing.isEmpty {
      let cols = names.map { "\(Connection.quoteIdentifier($0)) REAL" }.joined(separator: ", ")
      try connection.execute("CREATE TABLE \(Connection.quoteIdentifier(name))(utterance_id INTEGER PRIMARY KEY REFERENCES utterances(utterance_id) ON DELETE CASCADE, \(cols))")
    } else if Array(existing.dropFirst()) != names {
      throw SQLiteError(code: 1, message: "table '\(name)' exists with other columns")
    }
  }

  /// Insert rows into a feature table (NULL for nil values). Runs inside the caller's transaction.
  public func insertFeatureRows(_ name: String, width: Int, rows: [(utteranceID: Int64, values: [Double?])]) throws {
    let placeholders = Array(repeating: "?", count: width + 1).joined(separator: ",")
    let stmt = try connection.prepare("INSERT INTO \(Connection.quoteIdentifier(name)) VALUES (\(placeholders))")
    for r in rows {
      try stmt.bind([.integer(r.utteranceID)] + r.values.map { $0.map { .real($0) } ?? .null })
      while try stmt.step() {}
    }
  }

  /// Store a named feature set in the table named after it (created on first use; later corpora
  /// must bring the same columns) and register it. Runs inside the caller's transaction.
  public func insertFeatures(_ info: RepresentationInfo, rows: [(utteranceID: Int64, values: [Double?])], runID: Int64?) throws {
    guard let names = info.featureNames else { preconditionFailure("features need names") }
    let table = Connection.quoteIdentifier(info.name)
    let existing = try connection.query("SELECT name FROM pragma_table_info(?) ORDER BY cid", [.text(info.name)]).rows.compactMap { $0[0].stringValue }
    if existing.isEmpty {
      let cols = names.map { "\(Connection.quoteIdentifier($0)) REAL" }.joined(separator: ", ")
      try connection.execute("CREATE TABLE \(table)(utterance_id INTEGER PRIMARY KEY REFERENCES utterances(utterance_id) ON DELETE CASCADE, \(cols))")
    } else if Array(existing.dropFirst()) != names {
      throw SQLiteError(code: 1, message: "table '\(info.name)' exists with other columns; import this feature set under another name")
    }
    try register(info, runID: runID)
    let placeholders = Array(repeating: "?", count: names.count + 1).joined(separator: ",")
    let stmt = try connection.prepare("INSERT INTO \(table) VALUES (\(placeholders))")
    for r in rows {
      try stmt.bind([.integer(r.utteranceID)] + r.values.map { $0.map { .real($0) } ?? .null })
      while try stmt.step() {}
    }
  }

  /// Load a representation of a corpus as a matrix (rows by ascending utterance id).
  public func load(_ info: RepresentationInfo, layer: Int = 0) throws -> LoadedMatrix {
    var ids: [Int64] = []
    var values: [Double] = []
    switch info.kind {
    case .embeddings:
      let stmt = try connection.prepare(
        "SELECT utterance_id, vector FROM embeddings WHERE representation = ? AND corpus = ? AND layer = ? ORDER BY utterance_id")
      try stmt.bind([.text(info.name), .text(info.corpus), .integer(Int64(layer))])
      values.reserveCapacity(info.rows * info.dims)
      let float32 = info.dtype == "float32"
      var row: [Double] = []  // one vector, decoded, then appended whole
      while try stmt.step() {
        guard let id = stmt.int64(at: 0) else { continue }
        let ok = stmt.withBlob(at: 1) { raw -> Bool in
          let count = raw.count / (float32 ? 4 : 8)
          if row.count != count { row = [Double](repeating: 0, count: count) }
          row.withUnsafeMutableBufferPointer { dst in
            if float32 {
              for k in 0..<count { dst[k] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self)))) }
            } else if Int(littleEndian: 1) == 1 {
              // Stored little-endian, as this host: the bytes are the values.
              if count > 0 { UnsafeMutableRawPointer(dst.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: 8 * count) }
            } else {
              for k in 0..<count { dst[k] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self))) }
            }
          }
          return true
        }
        if ok == true {
          values.append(contentsOf: row)
          ids.append(id)
        }
      }
    case .features:
      let names = info.featureNames ?? []
      let cols = names.map(Connection.quoteIdentifier).joined(separator: ", ")
      let stmt = try connection.prepare(
        // The corpus's ids as an IN list: SQLite visits them in order and reads each row by its
        // key, so the wide rows need no sorting (a join ordered by id sorted them in a temporary
        // B-tree).
        "SELECT f.utterance_id, \(cols) FROM \(Connection.quoteIdentifier(info.name)) f WHERE f.utterance_id IN (SELECT utterance_id FROM utterances WHERE corpus = ?) ORDER BY f.utterance_id")
      try stmt.bind([.text(info.corpus)])
      while try stmt.step() {
        ids.append(stmt.int64(at: 0)!)
        for j in 0..<names.count { values.append(stmt.double(at: j + 1) ?? .nan) }
      }
    }
    return LoadedMatrix(utteranceIDs: ids, cols: info.dims, values: values)
  }

  /// Little-endian float32 or float64 bytes.
  public static func encode(_ v: [Double], dtype: String) -> [UInt8] {
    if dtype == "float32" {
      return v.map { Float($0) }.withUnsafeBytes { Array($0) }
    }
    return v.withUnsafeBytes { Array($0) }
  }

  public static func decode(_ b: [UInt8], dtype: String) -> [Double] {
    b.withUnsafeBytes { raw in
      if dtype == "float32" { return raw.bindMemory(to: Float.self).map { Double($0) } }
      return Array(raw.bindMemory(to: Double.self))
    }
  }
}

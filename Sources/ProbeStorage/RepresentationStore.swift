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

  public init(utteranceIDs: [Int64], cols: Int, values: [Double]) {
    self.utteranceIDs = utteranceIDs
    self.cols = cols
    self.values = values
  }
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
    let rows = try count(info, layer: layer)
    var ids: [Int64] = []
    let values = try [Double](unsafeUninitializedCapacity: rows * info.dims) { buffer, initialized in
      initialized = 0
      guard let base = buffer.baseAddress else { return }
      ids = try loadRows(info, layer: layer, into: base, capacity: rows)
      initialized = ids.count * info.dims
    }
    return LoadedMatrix(utteranceIDs: ids, cols: info.dims, values: values)
  }

  /// The corpus's utterance ids in two halves: the first id of the second half, and the number
  /// of utterances; nil with fewer than two.
  public func middleUtterance(corpus: String) throws -> (id: Int64, total: Int)? {
    let total = Int(try connection.query("SELECT count(*) FROM utterances WHERE corpus = ?", [.text(corpus)]).rows.first?[0].intValue ?? 0)
    guard total >= 2,
      let id = try connection.query(
        "SELECT utterance_id FROM utterances WHERE corpus = ? ORDER BY utterance_id LIMIT 1 OFFSET ?", [.text(corpus), .integer(Int64(total / 2))]
      ).rows.first?[0].intValue
    else { return nil }
    return (id, total)
  }

  /// The statement over a representation's rows with utterance ids in [from, below) (from the
  /// first or to the last when nil), by ascending id: `columns` of them.
  private func rowsStatement(_ info: RepresentationInfo, layer: Int, columns: String, from: Int64?, below: Int64?) throws -> Statement {
    let lo = Value.integer(from ?? Int64.min), hi = Value.integer(below.map { $0 - 1 } ?? Int64.max)
    switch info.kind {
    case .embeddings:
      let stmt = try connection.prepare(
        "SELECT \(columns) FROM embeddings WHERE representation = ? AND corpus = ? AND layer = ? AND utterance_id BETWEEN ? AND ? ORDER BY utterance_id")
      try stmt.bind([.text(info.name), .text(info.corpus), .integer(Int64(layer)), lo, hi])
      return stmt
    case .features:
      let stmt = try connection.prepare(
        // The corpus's ids as an IN list: SQLite visits them in order and reads each row by its
        // key, so the wide rows need no sorting (a join ordered by id sorted them in a temporary
        // B-tree).
        "SELECT \(columns) FROM \(Connection.quoteIdentifier(info.name)) WHERE utterance_id IN (SELECT utterance_id FROM utterances WHERE corpus = ? AND utterance_id BETWEEN ? AND ?) ORDER BY utterance_id")
      try stmt.bind([.text(info.corpus), lo, hi])
      return stmt
    }
  }

  /// How many rows a representation has stored for utterance ids in [from, below).
  public func count(_ info: RepresentationInfo, layer: Int = 0, from: Int64? = nil, below: Int64? = nil) throws -> Int {
    let stmt = try rowsStatement(info, layer: layer, columns: "count(*)", from: from, below: below)
    guard try stmt.step(), let n = stmt.int64(at: 0) else { return 0 }
    return Int(n)
  }

  /// `loadRows` found more rows than its capacity.
  public struct CapacityExceeded: Error, CustomStringConvertible {
    public var name: String, corpus: String, capacity: Int
    public var description: String { "'\(name)' of corpus '\(corpus)' has more than the \(capacity) rows expected (it changed while it was being read?); run the statement again" }
  }

  /// The rows of a representation for utterance ids in [from, below), ascending, decoded into
  /// `out` (row-major, `info.dims` values a row; NaN for a missing feature value); returns their
  /// utterance ids. Throws `CapacityExceeded` when more than `capacity` rows come, and when a
  /// stored vector has the wrong length.
  public func loadRows(_ info: RepresentationInfo, layer: Int = 0, from: Int64? = nil, below: Int64? = nil, into out: UnsafeMutablePointer<Double>, capacity: Int) throws -> [Int64] {
    let d = info.dims
    var ids: [Int64] = []
    ids.reserveCapacity(capacity)
    func full() -> CapacityExceeded { CapacityExceeded(name: info.name, corpus: info.corpus, capacity: capacity) }
    switch info.kind {
    case .embeddings:
      let stmt = try rowsStatement(info, layer: layer, columns: "utterance_id, vector", from: from, below: below)
      let float32 = info.dtype == "float32"
      let width = float32 ? 4 : 8
      while try stmt.step() {
        guard let id = stmt.int64(at: 0) else { continue }
        guard ids.count < capacity else { throw full() }
        let dst = out + ids.count * d
        let ok = try stmt.withBlob(at: 1) { raw -> Bool in
          guard raw.count == width * d else {
            throw SQLiteError(code: 1, message: "'\(info.name)' of utterance \(id) (layer \(layer)) has \(raw.count) bytes, not \(d) \(info.dtype) values")
          }
          if float32 {
            for k in 0..<d { dst[k] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self)))) }
          } else if Int(littleEndian: 1) == 1 {
            // Stored little-endian, as this host: the bytes are the values.
            if d > 0 { UnsafeMutableRawPointer(dst).copyMemory(from: raw.baseAddress!, byteCount: 8 * d) }
          } else {
            for k in 0..<d { dst[k] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self))) }
          }
          return true
        }
        if ok == true { ids.append(id) }
      }
    case .features:
      let names = info.featureNames ?? []
      let stmt = try rowsStatement(info, layer: layer, columns: (["utterance_id"] + names.map(Connection.quoteIdentifier)).joined(separator: ", "), from: from, below: below)
      while try stmt.step() {
        guard ids.count < capacity else { throw full() }
        let dst = out + ids.count * d
        let named = min(names.count, d)
        stmt.doubles(from: 1, count: named, into: dst)
        for j in named..<d { dst[j] = .nan }
        ids.append(stmt.int64(at: 0)!)
      }
    }
    return ids
  }

  /// A stored matrix read in two halves on two cores: the rows below utterance id `middle`
  /// through `stores[0]`, the rest through `stores[1]`, each straight into its place in the
  /// matrix; `rows` bounds each half's rows (its utterances of the corpus: a representation has at
  /// most one row per utterance and layer). Nil when a half has more rows than that (embeddings
  /// stored under the corpus for utterances of another): the caller reads it whole.
  public static func loadHalves(_ info: RepresentationInfo, layer: Int, middle: Int64, rows: [Int], stores: [RepresentationStore]) throws -> LoadedMatrix? {
    let d = info.dims
    var parts = [Result<[Int64], Error>?](repeating: nil, count: 2)
    let lock = NSLock()
    var overflow = false
    let values = try [Double](unsafeUninitializedCapacity: (rows[0] + rows[1]) * d) { buffer, initialized in
      initialized = 0
      guard let base = buffer.baseAddress else { return }
      Parallel.forEach(2) { half in
        let r = Result {
          try stores[half].loadRows(
            info, layer: layer, from: half == 0 ? nil : middle, below: half == 0 ? middle : nil, into: base + (half == 0 ? 0 : rows[0] * d), capacity: rows[half])
        }
        lock.lock()
        parts[half] = r
        lock.unlock()
      }
      for part in parts { if case .failure(let e) = part!, e is CapacityExceeded { overflow = true } }
      if overflow { return }
      let first = try parts[0]!.get(), second = try parts[1]!.get()
      // Utterances without a row in the first half: close the gap.
      if first.count < rows[0] && !second.isEmpty {
        (base + first.count * d).update(from: base + rows[0] * d, count: second.count * d)
      }
      initialized = (first.count + second.count) * d
    }
    if overflow { return nil }
    return LoadedMatrix(utteranceIDs: try parts[0]!.get() + parts[1]!.get(), cols: d, values: values)
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

import Foundation
import ProbeCore
import ProbeCorpus
import ProbeAudio
import ProbeEGeMAPS
import ProbeLearn
import ProbePlanner
import ProbeStorage

/// `IMPORT EMBEDDINGS`, `IMPORT FEATURES` and `EXPORT`: move feature and embedding sets between
/// files and the database. Imports land in one transaction with their `runs` row.
struct TransferOperator {
  let bound: BoundTransfer

  func run(_ context: ExecutionContext) throws -> ResultTable {
    switch bound.direction {
    case .importEmbeddings: return try importEmbeddings(context)
    case .importFeatures: return try importFeatures(context)
    case .export: return try export(context)
    }
  }

  /// Map of path → utterance id for the corpus.
  func utterances(_ c: Connection) throws -> [String: Int64] {
    var map: [String: Int64] = [:]
    for r in try c.query("SELECT path, utterance_id FROM utterances WHERE corpus = ?", [.text(bound.corpus)]).rows {
      map[r[0].stringValue!] = r[1].intValue!
    }
    return map
  }

  func input(_ error: Error) -> ExecutionError {
    ExecutionError(.input, "\(error)")
  }

  func checkNewSet(_ c: Connection) throws {
    if try RepresentationStore(c).info(name: bound.set, corpus: bound.corpus) != nil {
      throw ExecutionError(.input, "'\(bound.set)' exists already for corpus '\(bound.corpus)'; import under another name")
    }
  }

  // MARK: - IMPORT EMBEDDINGS

  func importEmbeddings(_ context: ExecutionContext) throws -> ResultTable {
    let c = context.connection
    try checkNewSet(c)
    let matrix: NumericMatrix
    do {
      matrix = bound.path.lowercased().hasSuffix(".npy") ? try NPYReader.read(path: bound.path) : try CSVMatrixReader.read(path: bound.path)
    } catch { throw input(error) }
    if let bad = matrix.values.firstIndex(where: { !$0.isFinite }) {
      let layer = bad / (matrix.rows * matrix.cols), within = bad % (matrix.rows * matrix.cols)
      throw ExecutionError(.input, "'\(bound.path)': \(matrix.layers > 1 ? "layer \(layer), " : "")row \(within / matrix.cols), column \(within % matrix.cols) is \(matrix.values[bad]); embeddings must be finite")
    }
    let keysPath = bound.keys!
    let keys: CSVTable
    do { keys = try CSVTable.read(path: keysPath) } catch { throw input(error) }
    guard let pathColumn = keys.header.firstIndex(where: { $0.lowercased() == "path" }) else {
      throw ExecutionError(.input, "'\(keysPath)' needs a header with a 'path' column (header: \(keys.header.joined(separator: ",")))")
    }
    guard keys.records.count == matrix.rows else {
      throw ExecutionError(.input, "'\(keysPath)' lists \(keys.records.count) paths but '\(bound.path)' has \(matrix.rows) rows; row i of the matrix belongs to data line i of the keys")
    }
    let ids = try utterances(c)
    var vectors: [(utteranceID: Int64, layer: Int, vector: [Double])] = []
    var seen: [Int64: Int] = [:]
    for (i, rec) in keys.records.enumerated() {
      let p = rec.fields[pathColumn].trimmedSpaces
      guard let id = ids[p] else {
        throw ExecutionError(.input, "'\(keysPath)' line \(rec.line): '\(p)' is not an utterance of corpus '\(bound.corpus)'")
      }
      if let prev = seen[id] { throw ExecutionError(.input, "'\(keysPath)' line \(rec.line): '\(p)' is listed again (first on line \(prev))") }
      seen[id] = rec.line
      for l in 0..<matrix.layers {
        let o = (l * matrix.rows + i) * matrix.cols
        vectors.append((id, l, Array(matrix.values[o..<(o + matrix.cols)])))
      }
    }
    var sha = SHA256()
    for v in vectors { sha.update(RepresentationStore.encode(v.vector, dtype: matrix.dtype)) }
    let info = RepresentationInfo(
      name: bound.set, corpus: bound.corpus, kind: .embeddings, dims: matrix.cols, layers: matrix.layers, dtype: matrix.dtype, featureNames: nil,
      source: bound.path, fingerprint: "sha256:" + sha.finalize().map { String(format: "%02x", $0) }.joined(), rows: vectors.count / matrix.layers)
    try store(context, inputs: ["matrix": bound.path, "keys": keysPath]) { run in
      try RepresentationStore(c).insertEmbeddings(info, vectors: vectors, runID: run)
    }
    // The stored matrices as an analysis would read them back: rows by ascending utterance id,
    // each value through the stored dtype.
    let order = keys.records.indices.sorted { vectors[$0 * matrix.layers].utteranceID < vectors[$1 * matrix.layers].utteranceID }
    for l in 0..<matrix.layers {
      var values = [Double]()
      values.reserveCapacity(order.count * matrix.cols)
      for i in order {
        let v = vectors[i * matrix.layers + l].vector
        if matrix.dtype == "float32" { values += v.map { Double(Float($0)) } } else { values += v }
      }
      try handOver(context, info, layer: l, LoadedMatrix(utteranceIDs: order.map { vectors[$0 * matrix.layers].utteranceID }, cols: matrix.cols, values: values))
    }
    return summary(info, notices: ids.count > info.rows ? ["\(ids.count - info.rows) utterances of '\(bound.corpus)' have no vector in '\(bound.set)'"] : [])
  }

  // MARK: - IMPORT FEATURES

  func importFeatures(_ context: ExecutionContext) throws -> ResultTable {
    let c = context.connection
    try checkNewSet(c)
    if Schema.systemTables.contains(bound.set.lowercased()) {
      throw ExecutionError(.input, "'\(bound.set)' is the name of one of ProbeDB's tables; import the features under another name")
    }
    let table: CSVTable
    do { table = try CSVTable.read(path: bound.path) } catch { throw input(error) }
    guard let pathColumn = table.header.firstIndex(where: { $0.lowercased() == "path" }) else {
      throw ExecutionError(.input, "'\(bound.path)' needs a 'path' column and one column per feature (header: \(table.header.prefix(5).joined(separator: ","))…)")
    }
    var featureColumns = table.header.indices.filter { $0 != pathColumn }
    var names = featureColumns.map { table.header[$0] }
    if names.isEmpty { throw ExecutionError(.input, "'\(bound.path)' has no feature columns besides 'path'") }
    if let dup = Dictionary(grouping: names, by: { $0.lowercased() }).first(where: { $0.value.count > 1 }) {
      throw ExecutionError(.input, "'\(bound.path)' names column '\(dup.value[0])' twice")
    }
    if bound.set.lowercased() == "egemaps" {
      // The eGeMAPS set must hold exactly the 88 functionals; they are stored in openSMILE's order.
      let missing = EGeMAPS.names.filter { !names.contains($0) }
      let extra = names.filter { !EGeMAPS.names.contains($0) }
      if !missing.isEmpty || !extra.isEmpty {
        var msg = "'\(bound.path)' is not an eGeMAPSv02 table:"
        if !missing.isEmpty { msg += " missing \(missing.count) (e.g. '\(missing[0])')" }
        if !extra.isEmpty { msg += " unknown \(extra.count) (e.g. '\(extra[0])'\(closestMatch(to: extra[0], in: EGeMAPS.names).map { ", did you mean '\($0)'?" } ?? ""))" }
        throw ExecutionError(.input, msg, notes: ["import other features under another set name"])
      }
      featureColumns = EGeMAPS.names.map { n in table.header.firstIndex(of: n)! }
      names = EGeMAPS.names
    }
    let ids = try utterances(c)
    var rows: [(utteranceID: Int64, values: [Double?])] = []
    var seen: [Int64: Int] = [:]
    var missingValues = 0
    var sha = SHA256()
    for rec in table.records {
      let p = rec.fields[pathColumn].trimmedSpaces
      guard let id = ids[p] else {
        throw ExecutionError(.input, "'\(bound.path)' line \(rec.line): '\(p)' is not an utterance of corpus '\(bound.corpus)'")
      }
      if let prev = seen[id] { throw ExecutionError(.input, "'\(bound.path)' line \(rec.line): '\(p)' is listed again (first on line \(prev))") }
      seen[id] = rec.line
      var values: [Double?] = []
      for j in featureColumns {
        let v: Double?
        do { v = try CSVTable.number(rec.fields[j], line: rec.line, column: table.header[j], path: bound.path) } catch { throw input(error) }
        if v == nil { missingValues += 1 }
        values.append(v)
      }
      sha.update(RepresentationStore.encode(values.map { $0 ?? .nan }, dtype: "float64"))
      rows.append((id, values))
    }
    let info = RepresentationInfo(
      name: bound.set, corpus: bound.corpus, kind: .features, dims: names.count, layers: 1, dtype: "float64", featureNames: names,
      source: bound.path, fingerprint: "sha256:" + sha.finalize().map { String(format: "%02x", $0) }.joined(), rows: rows.count)
    do {
      try store(context, inputs: ["table": bound.path]) { run in
        try RepresentationStore(c).insertFeatures(info, rows: rows, runID: run)
      }
    } catch let e as SQLiteError { throw ExecutionError(.storage, e.message) }
    // The stored matrix as an analysis would read it back: rows by ascending utterance id, a
    // missing value NaN, −0 as 0 (SQLite stores a whole REAL as an integer).
    let sorted = rows.sorted { $0.utteranceID < $1.utteranceID }
    var values = [Double]()
    values.reserveCapacity(sorted.count * names.count)
    for r in sorted { for v in r.values { values.append(v.map { $0 == 0 ? 0 : $0 } ?? .nan) } }
    try handOver(context, info, layer: 0, LoadedMatrix(utteranceIDs: sorted.map(\.utteranceID), cols: names.count, values: values))
    var notices: [String] = []
    if missingValues > 0 { notices.append("\(missingValues) empty values stored as NULL (rows with NULLs are left out of analyses)") }
    if ids.count > rows.count { notices.append("\(ids.count - rows.count) utterances of '\(bound.corpus)' have no row in '\(bound.path)'") }
    return summary(info, notices: notices)
  }

  func store(_ context: ExecutionContext, inputs: [String: String], _ body: (Int64) throws -> Void) throws {
    let c = context.connection
    let json = "{" + inputs.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)): \(jsonString($0.value))" }.joined(separator: ", ") + "}"
    try c.transaction {
      let run = try RunStore(c).begin(statement: context.statementText, engineVersion: ProbeVersion.string, inputs: json)
      try body(run)
      try RunStore(c).finish(run)
    }
  }

  /// Hand a matrix just stored and committed over to the session cache (`ExecutionContext.written`),
  /// so an analysis after the import does not read it back — when the set holds exactly its rows
  /// for the corpus at that layer.
  func handOver(_ context: ExecutionContext, _ info: RepresentationInfo, layer: Int, _ m: LoadedMatrix) throws {
    guard try RepresentationStore(context.connection).count(info, layer: layer) == m.utteranceIDs.count else { return }
    context.written.append((AnalysisOperator.matrixKey(info, layer: layer), m, AnalysisOperator.matrixBytes(m)))
  }

  func summary(_ info: RepresentationInfo, notices: [String]) -> ResultTable {
    ResultTable(
      columns: [Column("set", .text), Column("corpus", .text), Column("kind", .text), Column("rows", .integer), Column("dims", .integer), Column("layers", .integer), Column("dtype", .text)],
      rows: [[.text(info.name), .text(info.corpus), .text(info.kind.rawValue), .integer(Int64(info.rows)), .integer(Int64(info.dims)), .integer(Int64(info.layers)), .text(info.dtype)]],
      notices: notices)
  }

  // MARK: - EXPORT

  func export(_ context: ExecutionContext) throws -> ResultTable {
    if bound.lld { return try exportLLD(context) }
    let c = context.connection
    let store = RepresentationStore(c)
    guard let info = try store.info(name: bound.set, corpus: bound.corpus) else {
      throw ExecutionError(.input, "'\(bound.set)' is not stored for corpus '\(bound.corpus)'")
    }
    var paths: [Int64: String] = [:]
    for r in try c.query("SELECT utterance_id, path FROM utterances WHERE corpus = ?", [.text(bound.corpus)]).rows {
      paths[r[0].intValue!] = r[1].stringValue!
    }
    let layers: [Int]
    switch bound.layer {
    case .all: layers = Array(0..<info.layers)
    case .last: layers = [info.layers - 1]
    case .index(let i):
      guard i >= 0, i < info.layers else { throw ExecutionError(.input, "'\(info.name)' has layers 0…\(info.layers - 1), not \(i)") }
      layers = [i]
    }
    let names = info.featureNames ?? (0..<info.dims).map { "d\($0)" }
    var out = "path" + (bound.layer == .all ? ",layer" : "") + "," + names.map(Self.csvField).joined(separator: ",") + "\n"
    var count = 0
    for layer in layers {
      let m = try store.load(info, layer: layer)
      for (i, id) in m.utteranceIDs.enumerated() {
        let single = info.dtype == "float32"
        let row = m.values[(i * m.cols)..<((i + 1) * m.cols)].map { $0.isNaN ? "" : single ? "\(Float($0))" : "\($0)" }
        out += Self.csvField(paths[id] ?? "") + (bound.layer == .all ? ",\(layer)" : "") + "," + row.joined(separator: ",") + "\n"
        count += 1
      }
    }
    do { try out.write(toFile: bound.path, atomically: true, encoding: .utf8) } catch {
      throw ExecutionError(.io, "cannot write '\(bound.path)': \(error.localizedDescription)")
    }
    return ResultTable(columns: [Column("file", .text), Column("rows", .integer), Column("columns", .integer)],
                       rows: [[.text(bound.path), .integer(Int64(count)), .integer(Int64(names.count + 1 + (bound.layer == .all ? 1 : 0)))]])
  }

  /// `EXPORT egemaps LLD FROM c TO 'f.csv'`: the 25 smoothed eGeMAPSv02 contours of every
  /// utterance, one row per 10-ms frame (path, frame, time, then openSMILE's LLD columns),
  /// computed from the audio again (contours are not stored: they are ~100× the functionals).
  func exportLLD(_ context: ExecutionContext) throws -> ResultTable {
    guard bound.set.lowercased() == "egemaps" else { throw ExecutionError(.input, "LLD contours exist for egemaps only, not '\(bound.set)'") }
    guard bound.layer == .last else { throw ExecutionError(.input, "EXPORT egemaps LLD takes no LAYER (the contours have one row per frame, not layers)") }
    let c = context.connection
    guard let root = try c.scalar("SELECT root FROM corpora WHERE name = ?", [.text(bound.corpus)])?.stringValue else {
      throw ExecutionError(.input, "unknown corpus '\(bound.corpus)'")
    }
    let files = try c.query("SELECT path FROM utterances WHERE corpus = ? AND present = 1 ORDER BY utterance_id", [.text(bound.corpus)]).rows.map { $0[0].stringValue! }
    // Written to a temporary file beside the target and renamed at the end: an error or Ctrl-C
    // leaves any earlier file at that path untouched and no partial CSV.
    let partial = bound.path + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
    guard FileManager.default.createFile(atPath: partial, contents: nil), let out = FileHandle(forWritingAtPath: partial) else {
      let dir = (bound.path as NSString).deletingLastPathComponent
      throw ExecutionError(.io, "cannot write '\(bound.path)': " + (FileManager.default.isWritableFile(atPath: dir.isEmpty ? "." : dir) ? "cannot create the file" : "folder '\(dir.isEmpty ? "." : dir)' is missing or not writable"))
    }
    var finished = false
    defer {
      try? out.close()
      if !finished { try? FileManager.default.removeItem(atPath: partial) }
    }
    out.write(Data(("path,frame,time," + EGeMAPSExtractor.lldNames.joined(separator: ",") + "\n").utf8))
    var rows = 0
    var skipped: [String] = []
    var short: [String] = []
    // Batches of files computed on every core, written in order.
    enum FileLLD {
      case rows(String, count: Int)
      case skipped(String)
    }
    var start = 0
    while start < files.count {
      try context.checkCancelled()
      context.progress?.update(task: "export egemaps LLD", done: start, total: files.count)
      let batch = Array(files[start..<min(files.count, start + 16)])
      let results = parallelMap(batch.count) { i -> FileLLD in
        let p = batch[i]
        let full = p.hasPrefix("/") ? p : URL(fileURLWithPath: root).appendingPathComponent(p).path
        let audio: DecodedAudio
        do { audio = try AudioDecoder.decode(path: full) } catch { return .skipped("\(error)") }
        let x = audio.samples.map { Float(min(max((Double($0) * 32768).rounded(.towardZero), -32768), 32767) / 32767) }
        var text = ""
        let frames = EGeMAPSExtractor.lowLevelDescriptors(x, sampleRate: audio.sampleRate)
        let field = Self.csvField(p)
        for (t, values) in frames.enumerated() {
          // t/100 (not t·0.01): the nearest double to the frame time, printed as 0.35, not 0.35000000000000003.
          text += field + ",\(t),\(Value.format(Double(t) / 100))," + values.map { "\($0)" }.joined(separator: ",") + "\n"
        }
        return .rows(text, count: frames.count)
      }
      for (i, r) in results.enumerated() {
        switch r {
        case .skipped(let why): skipped.append(why)
        case .rows(let text, let n):
          if n == 0 { short.append(batch[i]) }
          rows += n
          out.write(Data(text.utf8))
        }
      }
      start += batch.count
    }
    try? out.close()
    if FileManager.default.fileExists(atPath: bound.path) { try? FileManager.default.removeItem(atPath: bound.path) }
    do { try FileManager.default.moveItem(atPath: partial, toPath: bound.path) } catch {
      throw ExecutionError(.io, "cannot write '\(bound.path)': \(error.localizedDescription)")
    }
    finished = true
    context.progress?.finish(task: "export egemaps LLD")
    var notices = skipped.prefix(20).map { "skipped \($0)" }
    if skipped.count > 20 { notices.append("… and \(skipped.count - 20) more skipped") }
    if !short.isEmpty {
      notices.append("\(short.count) file\(short.count == 1 ? " is" : "s are") shorter than one 60 ms frame and \(short.count == 1 ? "has" : "have") no LLD rows (e.g. '\(short[0])')")
    }
    return ResultTable(columns: [Column("file", .text), Column("rows", .integer), Column("columns", .integer)],
                       rows: [[.text(bound.path), .integer(Int64(rows)), .integer(Int64(3 + EGeMAPSExtractor.lldNames.count))]],
                       notices: notices)
  }

  static func csvField(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
  }
}

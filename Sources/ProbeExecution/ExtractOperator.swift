import Foundation
import ProbeAudio
import ProbeCore
import ProbeLearn
import ProbePlanner
import ProbeStorage

/// `EXTRACT fbank FROM corpus`: decode every utterance (16 kHz mono), compute its mean- and
/// SD-pooled log-mel filterbank and store it as the embedding set `fbank`.
///
/// Resumable and idempotent: vectors are committed in batches, utterances that already have one
/// are skipped, so a rerun after an interruption (even `kill -9`) completes the set without
/// duplicates, and a rerun of a complete set does nothing. Files run in parallel on every core;
/// unreadable or too-short files are listed and skipped.
struct ExtractOperator {
  let bound: BoundExtract
  static let batch = 16

  static let fbankSource = "kaldi log-mel fbank: 80 bins 20 Hz-Nyquist, 25 ms / 10 ms, povey window, pre-emphasis 0.97, x32768, no dither; mean+sd pooled"

  func run(_ context: ExecutionContext) throws -> ResultTable {
    guard bound.set == "fbank" else {
      throw ExecutionError(.notAvailable, "EXTRACT \(bound.set) is not available yet in ProbeDB \(ProbeVersion.string)",
                           notes: bound.set == "egemaps"
                             ? ["import features computed with openSMILE meanwhile: IMPORT FEATURES egemaps FROM 'egemaps.csv' FOR \(bound.corpus)"]
                             : ["import embeddings computed elsewhere meanwhile: IMPORT EMBEDDINGS wavlm FROM 'x.npy' FOR \(bound.corpus) KEYS 'keys.csv'"])
    }
    let c = context.connection
    let store = RepresentationStore(c)
    let extractor = FbankExtractor()
    let dims = 2 * extractor.melBins
    if let info = try store.info(name: "fbank", corpus: bound.corpus) {
      guard info.source == Self.fbankSource, info.dims == dims else {
        throw ExecutionError(.input, "'fbank' of corpus '\(bound.corpus)' was stored with other settings (\(info.source ?? "imported"))")
      }
    } else {
      try c.transaction {
        try store.register(
          RepresentationInfo(name: "fbank", corpus: bound.corpus, kind: .embeddings, dims: dims, layers: 1, dtype: "float32", featureNames: nil,
                             source: Self.fbankSource, fingerprint: "incomplete", rows: 0), runID: nil)
      }
    }
    guard let root = try c.scalar("SELECT root FROM corpora WHERE name = ?", [.text(bound.corpus)])?.stringValue else {
      throw ExecutionError(.input, "unknown corpus '\(bound.corpus)'")
    }
    let todo = try c.query(
      """
      SELECT u.utterance_id, u.path FROM utterances u WHERE u.corpus = ?1 AND u.present = 1
        AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.representation = 'fbank' AND e.corpus = ?1 AND e.utterance_id = u.utterance_id)
      ORDER BY u.utterance_id
      """, [.text(bound.corpus)]).rows.map { ($0[0].intValue!, $0[1].stringValue!) }
    let already = Int(try c.scalar("SELECT count(*) FROM embeddings WHERE representation = 'fbank' AND corpus = ?", [.text(bound.corpus)])?.intValue ?? 0)
    var skipped: [String] = []
    var extracted = 0
    let task = "extract fbank"
    var start = 0
    while start < todo.count {
      try context.checkCancelled()
      let chunk = Array(todo[start..<min(start + Self.batch * 2, todo.count)])
      let results = parallelMap(chunk.count) { i -> Result<[Double]?, Error> in
        Result {
          let full = chunk[i].1.hasPrefix("/") ? chunk[i].1 : URL(fileURLWithPath: root).appendingPathComponent(chunk[i].1).path
          return extractor.pooled(try AudioDecoder.decode(path: full).samples)
        }
      }
      var rows: [(Int64, [Double])] = []
      for (i, r) in results.enumerated() {
        switch r {
        case .success(let v?): rows.append((chunk[i].0, v))
        case .success(nil): skipped.append("'\(chunk[i].1)': shorter than one 25 ms frame")
        case .failure(let e): skipped.append("\(e)")
        }
      }
      try c.transaction {
        let st = try c.prepare("INSERT INTO embeddings(representation, corpus, utterance_id, layer, vector) VALUES ('fbank', ?, ?, 0, ?)")
        for (id, v) in rows {
          try st.bind([.text(bound.corpus), .integer(id), .blob(RepresentationStore.encode(v, dtype: "float32"))])
          while try st.step() {}
        }
      }
      extracted += rows.count
      start += chunk.count
      context.progress?.update(task: task, done: start, total: todo.count)
    }
    context.progress?.finish(task: task)
    // Complete: fingerprint the stored vectors and record the run.
    let info = try store.info(name: "fbank", corpus: bound.corpus)!
    let m = try store.load(info)
    var sha = SHA256()
    sha.update(RepresentationStore.encode(m.values, dtype: "float32"))
    try c.transaction {
      if extracted > 0 || info.fingerprint == "incomplete" {
        let run = try RunStore(c).begin(statement: context.statementText, options: bound.options.json, engineVersion: ProbeVersion.string,
                                        inputs: "{\"corpus\": \(jsonString(bound.corpus)), \"extractor\": \(jsonString(Self.fbankSource))}")
        try c.run("UPDATE representations SET rows = ?, fingerprint = ?, run_id = ? WHERE name = 'fbank' AND corpus = ?",
                  [.integer(Int64(m.utteranceIDs.count)), .text("sha256:" + sha.finalize().map { String(format: "%02x", $0) }.joined()), .integer(run), .text(bound.corpus)])
        try RunStore(c).finish(run)
      }
    }
    var notices = skipped.prefix(20).map { "skipped \($0)" }
    if skipped.count > 20 { notices.append("… and \(skipped.count - 20) more skipped") }
    if extracted == 0 && skipped.isEmpty { notices.append("'fbank' of '\(bound.corpus)' is up to date") }
    return ResultTable(
      columns: [Column("set", .text), Column("corpus", .text), Column("extracted", .integer), Column("already", .integer), Column("skipped", .integer), Column("rows", .integer), Column("dims", .integer)],
      rows: [[.text("fbank"), .text(bound.corpus), .integer(Int64(extracted)), .integer(Int64(already)), .integer(Int64(skipped.count)), .integer(Int64(m.utteranceIDs.count)), .integer(Int64(dims))]],
      notices: notices)
  }
}

import Foundation
import ProbeAudio
import ProbeCore
import ProbeEGeMAPS
import ProbeLearn
import ProbeNumerics
import ProbePlanner
import ProbeStorage
import ProbeWavLM

/// `EXTRACT egemaps | fbank | wavlm FROM corpus`: decode every utterance (16 kHz mono) and store
///
/// - `egemaps`: the 88 eGeMAPSv02 functionals (ProbeEGeMAPS, openSMILE parity) in the table
///   `egemaps`, one column per feature under openSMILE's names; input shorter than one 60-ms frame
///   gets a row of NULLs and a note in `extraction_notes` (openSMILE emits nothing then);
/// - `fbank`: the mean- and SD-pooled Kaldi log-mel filterbank (160 float32 values) in `embeddings`;
/// - `wavlm`: every hidden state of a WavLM checkpoint (ProbeWavLM, transformers parity),
///   mean-pooled over time, one float32 vector per utterance and layer in `embeddings`; the set's
///   `source` names the model's fingerprint (sha256 of config.json, preprocessor_config.json and the
///   weight file or shards), so a rerun with the same model resumes or does nothing, and another model is refused.
///
/// Resumable and idempotent: results are committed in batches, utterances already done are
/// skipped, so a rerun after an interruption (even `kill -9`) completes the set without
/// duplicates, and a rerun of a complete set does nothing. Files run in parallel on every core
/// (WavLM's one at a time, each pass spread over the cores);
/// unreadable files (and NaN/Inf samples) are listed, noted and skipped.
struct ExtractOperator {
  let bound: BoundExtract
  static let batch = 32

  static let fbankSource = "kaldi log-mel fbank: 80 bins 20 Hz-Nyquist, 25 ms / 10 ms, povey window, pre-emphasis 0.97, x32768, no dither; mean+sd pooled"
  static let egemapsSource = "ProbeDB eGeMAPSv02 (openSMILE 3.x parity), input 16 kHz mono read as int16/32767"

  enum Outcome {
    case vector([Double])
    case layers([[Float]])
    case features([Double?], note: String?)
    case skipped(String)
  }

  func run(_ context: ExecutionContext) throws -> ResultTable {
    let c = context.connection
    let store = RepresentationStore(c)
    let kind = bound.set
    let fbank = FbankExtractor()
    var model: WavLMModel?
    let folder = bound.model ?? ""
    /// Checkpoint errors name the folder as the statement wrote it, and point at it.
    func modelError(_ e: CheckpointError) -> ExecutionError {
      let text = bound.modelText.map { e.description.replacingOccurrences(of: folder, with: $0) } ?? e.description
      return ExecutionError(.input, text, range: bound.modelRange)
    }
    let source: String
    let dims: Int, layers: Int
    switch kind {
    case "fbank": (source, dims, layers) = (Self.fbankSource, 2 * fbank.melBins, 1)
    case "egemaps": (source, dims, layers) = (Self.egemapsSource, EGeMAPS.names.count, 1)
    case "wavlm":
      let cf: WavLMConfig
      let fingerprint: String
      do {
        fingerprint = try Self.modelFingerprint(folder: folder)
        context.lap("fingerprint model")
        cf = try WavLMConfig.load(folder: folder)
        // A new set: the whole model is loaded (and checked) before anything is registered.
        if try store.info(name: bound.set, corpus: bound.corpus) == nil { model = try WavLMModel.load(folder: folder) }
        context.lap("load model")
      } catch let e as CheckpointError {
        throw modelError(e)
      }
      source = "WavLM \(fingerprint) (\(cf.hiddenSize)-d, \(cf.layers) layers, \(cf.stableLayerNorm ? "stable layer norm" : "post-LN"), do_normalize \(cf.doNormalize)); hidden_states 0…\(cf.layers) as transformers 5.x, mean-pooled over time"
      (dims, layers) = (cf.hiddenSize, cf.layers + 1)
    default:
      throw ExecutionError(.notAvailable, "EXTRACT \(kind) is not available in ProbeDB \(ProbeVersion.string)")
    }
    let isFbank = kind == "fbank"
    let isEmbedding = kind != "egemaps"
    if let info = try store.info(name: bound.set, corpus: bound.corpus) {
      guard info.source == source, info.dims == dims, info.layers == layers else {
        throw ExecutionError(.input, "'\(bound.set)' of corpus '\(bound.corpus)' was stored otherwise (\(info.source ?? "imported")); it is not extracted over",
                             notes: kind == "wavlm" ? ["this model: \(source)", "to embed the corpus with another model, import it again under another name (IMPORT CORPUS \(bound.corpus)_2 FROM '…') and extract there"] : [])
      }
    } else {
      try c.transaction {
        if !isEmbedding { try store.ensureFeatureTable("egemaps", columns: EGeMAPS.names) }
        try store.register(
          RepresentationInfo(name: bound.set, corpus: bound.corpus, kind: isEmbedding ? .embeddings : .features, dims: dims, layers: layers,
                             dtype: isEmbedding ? "float32" : "float64", featureNames: isEmbedding ? nil : EGeMAPS.names,
                             source: source, fingerprint: "incomplete", rows: 0), runID: nil)
      }
    }
    guard let root = try c.scalar("SELECT root FROM corpora WHERE name = ?", [.text(bound.corpus)])?.stringValue else {
      throw ExecutionError(.input, "unknown corpus '\(bound.corpus)'")
    }
    let doneClause = isEmbedding
      ? "EXISTS (SELECT 1 FROM embeddings e WHERE e.representation = ?2 AND e.corpus = ?1 AND e.utterance_id = u.utterance_id)"
      : "EXISTS (SELECT 1 FROM egemaps f WHERE f.utterance_id = u.utterance_id)"
    let todo = try c.query(
      "SELECT u.utterance_id, u.path FROM utterances u WHERE u.corpus = ?1 AND u.present = 1 AND NOT \(doneClause) ORDER BY u.utterance_id",
      isEmbedding ? [.text(bound.corpus), .text(kind)] : [.text(bound.corpus)]
    ).rows.map { ($0[0].intValue!, $0[1].stringValue!) }
    let total = Int(try c.scalar("SELECT count(*) FROM utterances WHERE corpus = ? AND present = 1", [.text(bound.corpus)])?.intValue ?? 0)
    let already = total - todo.count
    // An existing set with the same model fingerprint: the weights are only read when there is work.
    if kind == "wavlm", model == nil, !todo.isEmpty {
      do { model = try WavLMModel.load(folder: folder) } catch let e as CheckpointError { throw modelError(e) }
      context.lap("load model")
    }
    var skipped: [String] = []
    var extracted = 0
    var shortInputs = 0
    let task = "extract \(bound.set)"
    var start = 0
    while start < todo.count {
      if context.isCancelled() {
        throw ExecutionError(.cancelled, "EXTRACT \(bound.set) cancelled after \(extracted) utterances; completed batches are kept — run it again to resume")
      }
      let chunk = Array(todo[start..<min(start + Self.batch, todo.count)])
      // WavLM spreads one utterance over every core itself: its files run one at a time.
      let results = parallelMap(chunk.count, parallel: model == nil) { i -> Outcome in
        let full = chunk[i].1.hasPrefix("/") ? chunk[i].1 : URL(fileURLWithPath: root).appendingPathComponent(chunk[i].1).path
        do {
          let audio = try AudioDecoder.decode(path: full)
          if isFbank {
            guard let v = fbank.pooled(audio.samples) else { return .skipped("'\(chunk[i].1)': shorter than one 25 ms frame") }
            return .vector(v)
          }
          if let model {
            do {
              return .layers(try model.pooledHiddenStates(audio.samples))
            } catch let e as WavLMError {
              return .skipped("'\(chunk[i].1)': \(e)")
            }
          }
          // openSMILE's reading of 16-bit PCM: trunc(32768·x) as int16, divided by 32767.
          let x = audio.samples.map { Float(min(max((Double($0) * 32768).rounded(.towardZero), -32768), 32767) / 32767) }
          guard let f = EGeMAPSExtractor.compute(x, sampleRate: audio.sampleRate) else {
            return .features(Array(repeating: nil, count: dims), note: "shorter than one 60 ms frame (\(audio.samples.count) samples at 16 kHz): openSMILE emits no functionals; stored as NULL")
          }
          return .features(EGeMAPS.names.map { f[$0] }, note: nil)
        } catch {
          return .skipped("\(error)")
        }
      }
      context.lap("extract")
      try c.transaction {
        let embed = try c.prepare("INSERT INTO embeddings(representation, corpus, utterance_id, layer, vector) VALUES (?, ?, ?, ?, ?)")
        let note = try c.prepare("INSERT OR REPLACE INTO extraction_notes(representation, corpus, utterance_id, note) VALUES (?,?,?,?)")
        // A success clears an earlier note (e.g. 'skipped: …' from a run when the file was unreadable).
        let clear = try c.prepare("DELETE FROM extraction_notes WHERE representation = ? AND corpus = ? AND utterance_id = ?")
        func cleared(_ id: Int64) throws {
          try clear.bind([.text(bound.set), .text(bound.corpus), .integer(id)])
          while try clear.step() {}
        }
        var featureRows: [(utteranceID: Int64, values: [Double?])] = []
        for (i, r) in results.enumerated() {
          switch r {
          case .vector(let v):
            try embed.bind([.text(kind), .text(bound.corpus), .integer(chunk[i].0), .integer(0), .blob(RepresentationStore.encode(v, dtype: "float32"))])
            while try embed.step() {}
            try cleared(chunk[i].0)
            extracted += 1
          case .layers(let ls):
            for (l, v) in ls.enumerated() {
              try embed.bind([.text(kind), .text(bound.corpus), .integer(chunk[i].0), .integer(Int64(l)), .blob(RepresentationStore.encode(v.map { Double($0) }, dtype: "float32"))])
              while try embed.step() {}
            }
            try cleared(chunk[i].0)
            extracted += 1
          case .features(let v, let n):
            featureRows.append((chunk[i].0, v))
            extracted += 1
            if n == nil { try cleared(chunk[i].0) }
            if let n {
              shortInputs += 1
              try note.bind([.text(bound.set), .text(bound.corpus), .integer(chunk[i].0), .text(n)])
              while try note.step() {}
            }
          case .skipped(let reason):
            skipped.append(reason)
            try note.bind([.text(bound.set), .text(bound.corpus), .integer(chunk[i].0), .text("skipped: \(reason)")])
            while try note.step() {}
          }
        }
        if !featureRows.isEmpty { try store.insertFeatureRows("egemaps", width: dims, rows: featureRows) }
      }
      start += chunk.count
      context.progress?.update(task: task, done: start, total: todo.count)
      context.lap("store")
    }
    context.progress?.finish(task: task)
    // Complete: fingerprint the stored values and record the run.
    let info = try store.info(name: bound.set, corpus: bound.corpus)!
    let m = try store.load(info, layer: layers - 1)
    var sha = SHA256()
    for l in 0..<layers { sha.update(RepresentationStore.encode(l == layers - 1 ? m.values : try store.load(info, layer: l).values, dtype: info.dtype)) }
    let fingerprint = "sha256:" + sha.finalize().map { String(format: "%02x", $0) }.joined()
    context.lap("fingerprint data")
    if extracted > 0 || info.fingerprint == "incomplete" || info.fingerprint != fingerprint {
      try c.transaction {
        let run = try RunStore(c).begin(statement: context.statementText, options: bound.options.json, engineVersion: ProbeVersion.string,
                                        inputs: "{\"corpus\": \(jsonString(bound.corpus)), \"extractor\": \(jsonString(source))}")
        try c.run("UPDATE representations SET rows = ?, fingerprint = ?, run_id = ? WHERE name = ? AND corpus = ?",
                  [.integer(Int64(m.utteranceIDs.count)), .text(fingerprint), .integer(run), .text(bound.set), .text(bound.corpus)])
        try RunStore(c).finish(run)
      }
    }
    var notices = skipped.prefix(20).map { "skipped \($0)" }
    if skipped.count > 20 { notices.append("… and \(skipped.count - 20) more skipped (see extraction_notes)") }
    if shortInputs > 0 { notices.append("\(shortInputs) utterance\(shortInputs == 1 ? " is" : "s are") shorter than 60 ms: stored as NULL with a note in extraction_notes") }
    if extracted == 0 && skipped.isEmpty { notices.append("'\(bound.set)' of '\(bound.corpus)' is up to date") }
    if kind == "wavlm", extracted > 0, let advice = Self.blasAdvice() { notices.append(advice) }
    return ResultTable(
      columns: [Column("set", .text), Column("corpus", .text), Column("extracted", .integer), Column("already", .integer), Column("skipped", .integer), Column("rows", .integer), Column("dims", .integer)],
      rows: [[.text(bound.set), .text(bound.corpus), .integer(Int64(extracted)), .integer(Int64(already)), .integer(Int64(skipped.count)), .integer(Int64(m.utteranceIDs.count)), .integer(Int64(dims))]],
      notices: notices)
  }

  /// A notice when `OPENBLAS_CORETYPE` pins OpenBLAS below what this CPU runs (AVX2 kernels on an
  /// AVX-512 CPU): the WavLM pass is bound by sgemm, which OpenBLAS's own choice runs about twice
  /// as fast there. The variable is the user's setting, so it is only pointed out.
  static func blasAdvice() -> String? {
    guard let pinned = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !pinned.isEmpty, CPU.hasAVX512 else { return nil }
    let core = Linalg.blasCoreName.lowercased()
    guard !["skylakex", "cooperlake", "sapphirerapids"].contains(where: { core.contains($0) }) else { return nil }
    return "OPENBLAS_CORETYPE=\(pinned) pins OpenBLAS to its \(Linalg.blasCoreName) kernels; this CPU has AVX-512, which OpenBLAS's own choice may use (on ProbeDB's benchmark machine it picked Cooperlake kernels and the WavLM pass ran about 1.6× faster): try the variable unset (env -u OPENBLAS_CORETYPE probedb …) unless it is set for a reason"
  }

  /// `sha256:` of config.json, preprocessor_config.json (when present) and the weight file(s), each
  /// preceded by its name, so a changed file changes the fingerprint.
  static func modelFingerprint(folder: String) throws -> String {
    let weights = try WavLMModel.weightPaths(folder: folder)
    var sha = SHA256()
    for path in [(folder as NSString).appendingPathComponent("config.json"), (folder as NSString).appendingPathComponent("preprocessor_config.json")] + weights {
      guard let h = FileHandle(forReadingAtPath: path) else { continue }
      defer { try? h.close() }
      sha.update(Array(((path as NSString).lastPathComponent + "\n").utf8))
      while let d = try h.read(upToCount: 1 << 22), !d.isEmpty { d.withUnsafeBytes { sha.update($0) } }
    }
    return "sha256:" + sha.finalize().map { String(format: "%02x", $0) }.joined()
  }
}

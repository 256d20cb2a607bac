import Foundation
import ProbeCore
import ProbeCorpus
import ProbeLearn
import ProbeNumerics
import ProbePlanner
import ProbeStorage

/// `EVALUATE` and `RANK`: for each emotion vs neutral, a nested speaker-grouped cross-validation
/// of an L2 logistic regression on each representation (binary F1 of the emotion per outer fold),
/// and for RANK the exact linear SHAP importance of every column under the last fold's model.
///
/// The protocol follows `paper_pipeline.py` (clean by default, `protocol = 'authors'` for the
/// notebook's quirks): per-speaker z-scoring over all rows, a class-balanced task drawn with
/// NumPy's `RandomState(seed)`, `GroupShuffleSplit` outer and inner splits with the same seed,
/// C chosen by mean inner score (first best on ties). `sample` and `splits` files replace the
/// drawn rows and splits. Everything is computed first and stored in one transaction.
struct AnalysisOperator {
  let bound: BoundAnalysis

  /// The rows shared by every representation of the statement.
  struct Data {
    var ids: [Int64]
    /// Digest of `ids`: the rows the per-speaker normalisation ran over.
    var rowsDigest: String = ""
    var paths: [String]
    var speakers: [String?]
    var emotions: [String?]
    /// Per representation (and layer): the normalised matrix over `ids`.
    var matrices: [(set: BoundSet, layer: Int, info: RepresentationInfo, x: DataMatrix)]
  }

  /// One emotion-vs-neutral task.
  struct Task {
    var emotion: String
    var rows: [Int]  // indices into Data.ids
    /// The rows' utterance ids and the normalisation row set's digest (for protocol keys).
    var utterances: [Int64]
    var rowsDigest: String
    var y: [Int]
    var groups: [String]
    var splits: [NestedSplit]
    /// Digest of the rows, labels, normalisation row set and splits: the task's part of every
    /// protocol key, computed once (a `PROBE` keys each of its sweep's points).
    var digest: String
    /// How runs store the task (`recordTask`), made with the task: the digest of everything
    /// `task_samples` and `task_folds` hold, and the `task_folds` rows.
    var storedDigest = ""
    var storedFolds: [(outer: Int, inner: Int, role: String, speakers: String)] = []

    init(emotion: String, rows: [Int], utterances: [Int64], rowsDigest: String, y: [Int], groups: [String], splits: [NestedSplit]) {
      self.emotion = emotion
      self.rows = rows
      self.utterances = utterances
      self.rowsDigest = rowsDigest
      self.y = y
      self.groups = groups
      self.splits = splits
      var s = "norm:\(rowsDigest)|" + utterances.map(String.init).joined(separator: ",") + "|" + y.map(String.init).joined(separator: "")
      for sp in splits {
        s += "|" + sp.outer.test.map(String.init).joined(separator: ",")
        for i in sp.inner { s += ";" + i.test.map(String.init).joined(separator: ",") }
      }
      digest = SHA256.hex(Array(s.utf8))
    }
  }

  func option(_ name: String) -> BoundOptionValue? { bound.options[name] }
  var seed: UInt32 { if case .integer(let s)? = option("seed") { return UInt32(s) } else { return 42 } }
  func int(_ name: String, _ d: Int) -> Int { if case .integer(let v)? = option(name) { return v } else { return d } }
  func string(_ name: String) -> String? { if case .string(let v)? = option(name) { return v } else { return nil } }
  var authors: Bool { string("protocol") == "authors" }

  /// Stands for the last fold's model of a reused cross-validation, until RANK finds it in the
  /// session cache or refits it.
  static let unfitted = ScaledLogistic(scaler: nil, model: LogisticModel(weights: [], intercept: 0, iterations: 0), c: 0)

  func run(_ context: ExecutionContext) throws -> ResultTable {
    // The loops over both cores come within milliseconds: have the helper threads ready.
    Parallel.warm()
    // Cross-validation multiplies small matrices: BLAS threads would only spin. Parallelism is
    // across folds instead (parallelMap).
    let blasThreads = Linalg.blasThreads
    Linalg.setBLASThreads(1)
    defer { Linalg.setBLASThreads(blasThreads) }
    // The files are parsed ahead only when this session has no tasks of this statement's kind
    // kept (a RANK after its EVALUATE needs only their digests, to find the kept tasks).
    let files = inputFilesAhead(parse: !context.cache.contains(keyPrefixedBy: tasksKeyPrefix))
    let data = try load(context)
    context.lap("load")
    let tasks = try self.tasks(data, cache: context.cache, files: files)
    context.lap("tasks")
    let config = cvConfig

    struct Outcome {
      var task: Task
      var rep: Int
      var result: NestedCVResult
      var importance: [Double]?
      /// The columns by descending importance (`LinearSHAP.ranking`).
      var ranking: [Int] = []
      var key: String
      var reusedFrom: Int64?
    }
    // Cross-validations already stored under the same protocol (same rows, splits, options and
    // data fingerprints) are reused: the result is deterministic, so only RANK's last-fold model is
    // refitted.
    var reused: [String: (run: Int64, folds: [FoldResult])] = [:]
    for t in tasks {
      for m in data.matrices {
        let key = protocolKey(t, m.info, m.layer)
        if let r = try storedCV(context.connection, key: key, folds: t.splits.count, grid: config.cGrid) { reused[key] = r }
      }
    }
    context.lap("reuse lookup")
    // Every (task, representation, outer fold) is an independent job: run them all on both cores.
    struct Job {
      var task: Int
      var rep: Int
      var fold: Int
    }
    // The widest representations' jobs first: the narrow ones, shorter, fill the cores' last
    // moments, so neither waits long for the other at the end.
    var jobs: [Job] = []
    let widestFirst = data.matrices.indices.sorted { (data.matrices[$0].x.cols, $1) > (data.matrices[$1].x.cols, $0) }
    for r in widestFirst {
      let m = data.matrices[r]
      for (ti, t) in tasks.enumerated() where reused[protocolKey(t, m.info, m.layer)] == nil {
        for k in t.splits.indices { jobs.append(Job(task: ti, rep: r, fold: k)) }
      }
    }
    // The jobs read the statement's matrices in place, without a copy of each task's rows: a
    // task's splits are mapped to the rows of the data (`NestedSplit.mapped`) and its labels put
    // at those rows.
    let dataSplits = tasks.map { t in t.splits.map { $0.mapped(t.rows) } }
    let dataLabels = tasks.map { t in
      var y = [Int](repeating: 0, count: data.ids.count)
      for (p, r) in t.rows.enumerated() { y[r] = t.y[p] }
      return y
    }
    let label = bound.kind.rawValue.lowercased()
    let lock = NSLock()
    var done = 0
    let results = parallelMap(jobs.count) { i -> Result<(FoldResult, ScaledLogistic?), Error> in
      let j = jobs[i]
      if context.isCancelled() { return .failure(ExecutionError(.cancelled, "statement cancelled; nothing was stored")) }
      // The last fold's model is kept (solved to the rounding level): SHAP explains it, in this
      // statement for a RANK, or later in the session for a RANK or PROBE reusing this
      // cross-validation.
      let keep = j.fold == tasks[j.task].splits.count - 1
      let r = Result { try NestedCV.outerFold(data.matrices[j.rep].x, dataLabels[j.task], dataSplits[j.task][j.fold], config: config, model: keep) }
      lock.lock()
      done += 1
      let d = done
      lock.unlock()
      if Thread.isMainThread { context.progress?.update(task: label, done: d, total: jobs.count) }
      return r
    }
    context.progress?.finish(task: label)
    context.lap("cross-validation")
    var outcomes: [Outcome] = []
    // Where each (task, representation)'s folds begin among the jobs (one after another).
    var firstJob: [Int: Int] = [:]
    for (i, j) in jobs.enumerated() where j.fold == 0 { firstJob[j.task * data.matrices.count + j.rep] = i }
    for (ti, t) in tasks.enumerated() {
      for (r, m) in data.matrices.enumerated() {
        let key = protocolKey(t, m.info, m.layer)
        if let stored = reused[key] {
          // RANK refits the last fold's model below (with SHAP, on every core).
          let result = NestedCVResult(folds: stored.folds, lastModel: Self.unfitted)
          outcomes.append(Outcome(task: t, rep: r, result: result, importance: nil, key: key, reusedFrom: stored.run))
          continue
        }
        var folds: [FoldResult] = []
        var last: ScaledLogistic?
        var cursor = firstJob[ti * data.matrices.count + r]!
        for _ in t.splits {
          do {
            let (f, model) = try results[cursor].get()
            folds.append(f)
            last = model
          } catch let e as LearnError {
            throw ExecutionError(.numeric, "\(t.emotion) vs \(bound.baseline) on '\(m.set.name)': \(e.message)")
          }
          cursor += 1
        }
        outcomes.append(Outcome(task: t, rep: r, result: NestedCVResult(folds: folds, lastModel: last ?? Self.unfitted), importance: nil, key: key, reusedFrom: nil))
      }
    }
    // Each fresh cross-validation's last model, kept for the session under its protocol key (the
    // key determines it): a RANK reusing the cross-validation explains it without refitting.
    for o in outcomes where o.reusedFrom == nil && !o.result.lastModel.model.weights.isEmpty {
      _ = context.cache.value("model|" + o.key, bytes: { 8 * ($0.model.weights.count + 2 * ($0.scaler?.mean.count ?? 0)) }) { o.result.lastModel }
    }
    if bound.kind == .rank {
      // SHAP of each last fold's model, refitted first where the cross-validation was reused
      // (unless this session kept it): one job per (task, representation) on every core.
      let kept = outcomes.map { o in o.reusedFrom == nil ? nil : context.cache.peek("model|" + o.key, as: ScaledLogistic.self) }
      let explained = parallelMap(outcomes.count) { i -> Result<(ScaledLogistic, [Double], [Int]), Error> in
        let o = outcomes[i]
        let x = data.matrices[o.rep].x
        return Result {
          var model = o.result.lastModel
          if let k = kept[i] {
            model = k
          } else if o.reusedFrom != nil {
            let last = o.task.splits[o.task.splits.count - 1].outer
            model = try ScaledLogistic.fit(x.rows(last.train.map { o.task.rows[$0] }), last.train.map { o.task.y[$0] }, c: o.result.folds[o.result.folds.count - 1].c)
          }
          let importance = shap(model, x, rows: o.task.rows)
          return (model, importance, LinearSHAP.ranking(importance))
        }
      }
      for i in outcomes.indices {
        do {
          let (model, importance, ranking) = try explained[i].get()
          outcomes[i].result = NestedCVResult(folds: outcomes[i].result.folds, lastModel: model)
          outcomes[i].importance = importance
          outcomes[i].ranking = ranking
        } catch {
          throw ExecutionError(.numeric, "\(outcomes[i].task.emotion) vs \(bound.baseline) on '\(data.matrices[outcomes[i].rep].set.name)': \(error)")
        }
      }
    }

    context.lap(bound.kind == .rank ? "shap" : "collect")
    // Store everything in one transaction with its run.
    let c = context.connection
    var inputs = "{\"corpus\": \(jsonString(bound.corpus)), \"sets\": {"
    inputs += data.matrices.map { "\(jsonString($0.info.name + ($0.info.layers > 1 ? "@\($0.layer)" : ""))): \(jsonString($0.info.fingerprint))" }.joined(separator: ", ") + "}"
    // The input files' digests: of the contents the tasks were made from.
    let digests = (try? files.bytes.value().digests) ?? [:]
    for name in ["sample", "splits"] {
      if let digest = digests[name] { inputs += ", \(jsonString(name)): \(jsonString(digest))" }
    }
    inputs += "}"
    try c.transaction {
      let run = try RunStore(c).begin(statement: context.statementText, options: bound.options.json, seed: Int64(seed), engineVersion: ProbeVersion.string, inputs: inputs)
      for t in tasks { try Self.recordTask(c, run: run, task: t, data: data) }
      let evaluations = BatchInsert(c, table: "evaluations", columns: ["run_id", "emotion", "representation", "layer", "fold", "c", "f1", "train_rows", "test_rows", "protocol_key"])
      let inner = BatchInsert(c, table: "inner_scores", columns: ["run_id", "emotion", "representation", "layer", "fold", "c", "mean_score"])
      for o in outcomes {
        let m = data.matrices[o.rep]
        let layer: Value = m.info.kind == .embeddings ? .integer(Int64(m.layer)) : .null
        for (k, f) in o.result.folds.enumerated() {
          try evaluations.add([.integer(run), .text(o.task.emotion), .text(m.info.name), layer, .integer(Int64(k + 1)), .real(f.c), .real(f.f1), .integer(Int64(f.trainRows)), .integer(Int64(f.testRows)), .text(o.key)])
          for (ci, score) in f.innerMeanScores.enumerated() {
            try inner.add([.integer(run), .text(o.task.emotion), .text(m.info.name), layer, .integer(Int64(k + 1)), .real(config.cGrid[ci]), .real(score)])
          }
        }
        if let imp = o.importance {
          // Every dimension's importance and rank: a dimension number for embeddings, a feature
          // name for named features.
          let ranking = o.ranking, names = m.info.featureNames
          try ColumnInsert.insert(
            c, table: "shap_importance", shared: [("run_id", .integer(run)), ("emotion", .text(o.task.emotion)), ("representation", .text(m.info.name)), ("layer", layer)],
            columns: [
              ("dim", names == nil ? .integers(ranking.map { Int64($0) }) : .nulls), ("feature", names.map { n in .texts(ranking.map { n[$0] }) } ?? .nulls),
              ("mean_abs_shap", .reals(ranking.map { imp[$0] })), ("rank", .integers(ranking.indices.map { Int64($0 + 1) })),
            ], rows: ranking.count)
        }
      }
      for batch in [evaluations, inner] { try batch.finish() }
      try RunStore(c).finish(run)
    }

    context.lap("store")
    // The printed result.
    var reuseNotes: [String] = []
    for o in outcomes { if let r = o.reusedFrom { reuseNotes.append("\(o.task.emotion) on '\(data.matrices[o.rep].info.name)': cross-validation reused from run \(r) (same rows, splits, options and data)") } }
    if bound.kind == .evaluate {
      var rows: [[Value]] = []
      for o in outcomes {
        let m = data.matrices[o.rep]
        rows.append([
          .text(o.task.emotion), .text(m.info.name + (m.info.layers > 1 ? " LAYER \(m.layer)" : "")), .integer(Int64(o.task.rows.count)),
          .integer(Int64(Set(o.task.groups).count)), .real(o.result.meanF1),
          .text(o.result.folds.map { String(format: "%.4f", $0.f1) }.joined(separator: " ")),
          .text(o.result.folds.map { Value.format($0.c) }.joined(separator: " ")),
        ])
      }
      return ResultTable(
        columns: [Column("emotion", .text), Column("representation", .text), Column("rows", .integer), Column("speakers", .integer),
                  Column("f1_mean", .real), Column("f1_folds", .text), Column("c_folds", .text)], rows: rows, notices: reuseNotes)
    }
    var rows: [[Value]] = []
    rows.reserveCapacity(outcomes.reduce(0) { $0 + min(bound.top ?? $1.ranking.count, $1.ranking.count) })
    var notices: [String] = reuseNotes
    for o in outcomes {
      let m = data.matrices[o.rep]
      notices.append("\(o.task.emotion): nested-CV F1 \(String(format: "%.4f", o.result.meanF1)) on '\(m.info.name)'; SHAP of the last outer fold's model (C = \(Value.format(o.result.lastModel.c)))")
      let emotion = Value.text(o.task.emotion), set = Value.text(m.info.name), names = m.info.featureNames, importance = o.importance ?? []
      for (r, j) in o.ranking.prefix(bound.top ?? o.ranking.count).enumerated() {
        rows.append([emotion, set, .integer(Int64(r + 1)), names == nil ? .integer(Int64(j)) : .null, names.map { .text($0[j]) } ?? .null, .real(importance[j])])
      }
    }
    return ResultTable(
      columns: [Column("emotion", .text), Column("representation", .text), Column("rank", .integer), Column("dim", .integer), Column("feature", .text), Column("mean_abs_shap", .real)],
      rows: rows, notices: notices)
  }

  /// Record that `run` analysed task `t`: a `run_tasks` row linking it to the task's rows and
  /// splits (`task_samples`, `task_folds`, seen through the `samples` and `folds` views), which
  /// are stored only when no earlier run stored the same ones — a `tasks` row holds the digest of
  /// everything they hold (the task's digest, the rows' paths and speakers), and its integer id
  /// keys them. A RANK or PROBE reusing an EVALUATE's cross-validation, or a repeated run, adds
  /// one row per emotion.
  static func recordTask(_ c: Connection, run: Int64, task t: Task, data: Data) throws {
    if let id = try c.scalar("SELECT task_id FROM tasks WHERE digest = ?", [.text(t.storedDigest)])?.intValue {
      try c.run("INSERT INTO run_tasks(run_id, emotion, task_id) VALUES (?,?,?)", [.integer(run), .text(t.emotion), .integer(id)])
      return
    }
    try c.run("INSERT INTO tasks(digest) VALUES (?)", [.text(t.storedDigest)])
    let key = Value.integer(c.lastInsertRowID)
    try c.run("INSERT INTO run_tasks(run_id, emotion, task_id) VALUES (?,?,?)", [.integer(run), .text(t.emotion), key])
    try ColumnInsert.insert(
      c, table: "task_samples", shared: [("task_id", key)],
      columns: [
        ("position", .integers(t.rows.indices.map { Int64($0) })), ("utterance_id", .integers(t.rows.map { data.ids[$0] })),
        ("path", .texts(t.rows.map { data.paths[$0] })), ("y", .integers(t.y.map { Int64($0) })),
      ], rows: t.rows.count)
    let folds = t.storedFolds
    try ColumnInsert.insert(
      c, table: "task_folds", shared: [("task_id", key)],
      columns: [
        ("outer", .integers(folds.map { Int64($0.outer) })), ("inner", .integers(folds.map { Int64($0.inner) })), ("role", .texts(folds.map(\.role))),
        ("speakers", .texts(folds.map(\.speakers))),
      ], rows: folds.count)
  }

  /// `recordTask`'s digest and `task_folds` rows of a task, made once with it (on the tasks'
  /// cores, and kept with the tasks for the session's next statements). The digest covers the
  /// task's own digest, its rows' paths and their speakers; each split's speakers in a role are
  /// a JSON array sorted by name (the speakers numbered, sorted and quoted once; a split marks
  /// the numbers of its rows).
  static func prepareStorage(_ t: inout Task, paths: [String]) {
    // The digest of t.digest, then 0x1F and each row's path, then 0x1E and each row's speaker (as
    // UTF-8), streamed.
    var h = SHA256()
    h.update(Array(t.digest.utf8))
    for r in t.rows {
      h.update([0x1F])
      h.update(paths[r].utf8)
    }
    for g in t.groups {
      h.update([0x1E])
      h.update(g.utf8)
    }
    t.storedDigest = "sha256:" + h.finalizeHex()
    var number: [String: Int] = [:]
    var names: [String] = []
    let codes = t.groups.map { g -> Int in
      if let k = number[g] { return k }
      number[g] = names.count
      names.append(g)
      return names.count - 1
    }
    let byName = names.indices.sorted { names[$0] < names[$1] }
    let quoted = names.map(jsonString)
    var present = [Bool](repeating: false, count: names.count)
    var folds: [(outer: Int, inner: Int, role: String, speakers: String)] = []
    for (o, split) in t.splits.enumerated() {
      // `rows` count into `base` (the task's rows for the outer split, its training rows inside).
      func put(_ inner: Int, _ split: Split, _ base: [Int]?) {
        for (role, rows) in [("train", split.train), ("test", split.test)] {
          for k in present.indices { present[k] = false }
          for r in rows { present[codes[base?[r] ?? r]] = true }
          folds.append((o + 1, inner, role, "[" + byName.filter { present[$0] }.map { quoted[$0] }.joined(separator: ",") + "]"))
        }
      }
      put(0, split.outer, nil)
      for (i, inner) in split.inner.enumerated() { put(i + 1, inner, split.outer.train) }
    }
    t.storedFolds = folds
  }

  /// The `sample` and `splits` files, read once per statement.
  struct InputFiles {
    var sample: CSVTable?
    var splits: CSVTable?
    /// Each record's `emotion` column, normalised once for every task (nil: not a known label;
    /// for `splits`, an empty field is "" — the record applies to every emotion).
    var sampleEmotions: [String?] = []
    var splitsEmotions: [String?] = []
    /// The `splits` records of each emotion, with those for every emotion (an empty field), in
    /// file order; nil without an `emotion` column (every record is every emotion's).
    var splitsRecords: [String: [Int]]?
    /// "sha256:…" of each file read (`sample`, `splits`): the tasks' cache key names the contents
    /// they were made from.
    var digests: [String: String] = [:]
    /// Each `splits` record parsed (nil without the columns outer, inner, speaker and role).
    var splitRecords: [SplitRecord]?

    /// One `splits` record: its split, role and speaker, or what is wrong with it (reported by the
    /// tasks it applies to).
    struct SplitRecord {
      var outer = 0, inner = 0
      var test = false
      var speaker = ""
      var error: String?
    }

    /// The `splits` records that apply to `emotion`, in file order.
    func splitsRecords(for emotion: String) -> [Int] {
      guard let byEmotion = splitsRecords else { return Array(splits?.records.indices ?? 0..<0) }
      return byEmotion[emotion] ?? byEmotion[""] ?? []
    }
  }

  /// The contents of the `sample` and `splits` files the options name, with their digests.
  struct InputBytes {
    var contents: [String: Foundation.Data] = [:]
    var digests: [String: String] = [:]
  }

  func readInputFiles() throws -> InputBytes {
    var out = InputBytes()
    for name in ["sample", "splits"] {
      guard let path = string(name) else { continue }
      do { out.contents[name] = try CSVTable.contents(path: path) } catch { throw ExecutionError(.input, "\(error)") }
      out.digests[name] = "sha256:" + SHA256.hex(out.contents[name]!)
    }
    return out
  }

  /// The input files parsed (from `input` when given, else read now).
  func inputFiles(_ input: InputBytes? = nil) throws -> InputFiles {
    let input = try input ?? readInputFiles()
    func parse(_ name: String) throws -> CSVTable? {
      guard let bytes = input.contents[name], let path = string(name) else { return nil }
      do { return try CSVTable.parse(bytes, path: path) } catch { throw ExecutionError(.input, "\(error)") }
    }
    var files = InputFiles(sample: try parse("sample"), splits: try parse("splits"))
    files.digests = input.digests
    func emotions(_ t: CSVTable?) -> [String?] {
      guard let t, let ec = t.header.firstIndex(where: { $0.lowercased() == "emotion" }) else { return [] }
      var memo: [String: String?] = [:]
      return t.records.map { rec in
        let raw = rec.fields[ec]
        if raw.isEmpty { return "" }
        if let known = memo[raw] { return known }
        let e = Emotion.normalise(raw)
        memo[raw] = e
        return e
      }
    }
    files.sampleEmotions = emotions(files.sample)
    files.splitsEmotions = emotions(files.splits)
    if let t = files.splits, let path = string("splits") {
      func col(_ n: String) -> Int? { t.header.firstIndex { $0.lowercased() == n } }
      if let oc = col("outer"), let ic = col("inner"), let sc = col("speaker"), let rc = col("role") {
        files.splitRecords = t.records.map { rec in
          var r = InputFiles.SplitRecord()
          guard let o = Int(rec.fields[oc].trimmedSpaces), let i = Int(rec.fields[ic].trimmedSpaces) else {
            r.error = "'\(path)' line \(rec.line): outer and inner must be whole numbers"
            return r
          }
          let role = rec.fields[rc].trimmedSpaces.lowercased()
          guard role == "train" || role == "test" else {
            r.error = "'\(path)' line \(rec.line): role must be train or test, not '\(role)'"
            return r
          }
          (r.outer, r.inner, r.test, r.speaker) = (o, i, role == "test", rec.fields[sc].trimmedSpaces)
          return r
        }
      }
    }
    if let t = files.splits, t.header.contains(where: { $0.lowercased() == "emotion" }) {
      // Records for every emotion ("") go to each emotion's list as well, in file order.
      var byEmotion: [String: [Int]] = ["": []]
      for (r, e) in files.splitsEmotions.enumerated() {
        guard let e else { continue }
        if e.isEmpty {
          for key in Array(byEmotion.keys) { byEmotion[key]!.append(r) }
        } else {
          if byEmotion[e] == nil { byEmotion[e] = byEmotion[""]! }
          byEmotion[e]!.append(r)
        }
      }
      files.splitsRecords = byEmotion
    }
    return files
  }

  /// Every selected emotion's task, the input files read once (by `ahead`, when given: read and
  /// parsed on another core while the matrices loaded). With a session cache the tasks are kept
  /// between statements, keyed by everything they are made from: the corpus's row set, the
  /// baseline and emotions, every option, and the contents of the `sample` and `splits` files
  /// (the cache itself is emptied when the stored corpus may have changed); kept tasks need only
  /// the files' digests, not their parsing.
  func tasks(_ data: Data, cache: SessionCache? = nil, files ahead: FilesAhead? = nil) throws -> [Task] {
    let input = try ahead?.bytes.value() ?? readInputFiles()
    func make() throws -> [Task] {
      let files = try ahead?.files?.value() ?? inputFiles(input)
      // Each emotion's task on its own core (the first error, in emotion order, is the one thrown).
      let emotions = try selectedEmotions(files)
      let pathIndex = files.sample == nil ? [:] : Dictionary(uniqueKeysWithValues: data.paths.enumerated().map { ($1, $0) })
      return try parallelMap(emotions.count) { i in Result { try task(emotions[i], data, files, pathIndex: pathIndex) } }.map { try $0.get() }
    }
    guard let cache else { return try make() }
    var key = tasksKeyPrefix + data.rowsDigest
    for (name, digest) in input.digests.sorted(by: { $0.key < $1.key }) { key += "|\(name):\(digest)" }
    return try cache.value(key, bytes: { ts in ts.reduce(0) { $0 + 48 * $1.rows.count + 16 * $1.splits.count * $1.rows.count } }, make)
  }

  /// The session cache's key of this statement's tasks up to the rows' digest (which the load
  /// gives) and the input files' digests.
  var tasksKeyPrefix: String {
    "tasks|\(bound.corpus)|\(bound.baseline)|\(bound.allEmotions ? "*" : bound.emotions.joined(separator: ","))|\(bound.options.json)|"
  }

  /// The input files read, digested and (with `parse`) parsed on other cores, begun now (the
  /// statement's matrices load meanwhile): their contents and digests, then the parsed tables.
  struct FilesAhead {
    let bytes: Background<InputBytes>
    let files: Background<InputFiles>?
  }

  func inputFilesAhead(parse: Bool = true) -> FilesAhead {
    let bytes = Background { try readInputFiles() }
    return FilesAhead(bytes: bytes, files: parse ? Background { try inputFiles(bytes.value()) } : nil)
  }

  /// The emotions to analyse: the statement's, narrowed for `*` to those a sample file lists.
  func selectedEmotions(_ files: InputFiles) throws -> [String] {
    var emotions = bound.emotions
    if bound.allEmotions, let t = files.sample {
      if let ec = t.header.firstIndex(where: { $0.lowercased() == "emotion" }) {
        let listed = Set(t.records.compactMap { Emotion.normalise($0.fields[ec]) })
        emotions = emotions.filter { listed.contains($0) }
      }
    }
    if emotions.isEmpty { throw ExecutionError(.input, "no emotion to analyse besides \(bound.baseline)") }
    return emotions
  }

  var cvConfig: NestedCVConfig {
    var config = NestedCVConfig()
    if case .numbers(let cs)? = option("c") { config.cGrid = cs }
    config.innerMetric = string("inner_metric") == "f1" ? .f1 : .accuracy
    config.scaleInner = !authors
    return config
  }

  /// A digest of everything a cross-validation result depends on: the task's rows and labels,
  /// its splits, the representation's stored data, the C grid and inner protocol, and the engine
  /// version. Equal keys mean equal results.
  func protocolKey(_ t: Task, _ info: RepresentationInfo, _ layer: Int, columns: [Int]? = nil) -> String {
    var s = (columns.map { "cols:" + $0.map(String.init).joined(separator: ",") + "|" } ?? "") + "task:\(t.digest)|v\(ProbeVersion.string)|\(bound.corpus)|\(info.name)|\(layer)|\(info.fingerprint)|\(t.emotion)|\(bound.baseline)|"
    if case .numbers(let cs)? = option("c") { s += cs.map { Value.format($0) }.joined(separator: ",") }
    s += "|\(string("inner_metric") ?? "accuracy")|\(string("protocol") ?? "clean")|\(string("normalize") ?? "speaker")"
    return "sha256:" + SHA256.hex(Array(s.utf8))
  }

  /// The folds of the latest stored cross-validation with this key, with their inner scores.
  func storedCV(_ c: Connection, key: String, folds: Int, grid: [Double]) throws -> (run: Int64, folds: [FoldResult])? {
    guard let run = try c.scalar("SELECT max(run_id) FROM evaluations WHERE protocol_key = ?", [.text(key)])?.intValue else { return nil }
    let rows = try c.query("SELECT fold, c, f1, train_rows, test_rows, emotion, representation, layer FROM evaluations WHERE protocol_key = ? AND run_id = ? ORDER BY fold", [.text(key), .integer(run)]).rows
    guard rows.count == folds, let first = rows.first else { return nil }
    // Every fold's inner scores in one query (the folds share the run, emotion and set).
    var byFold: [Int64: [Double: Double]] = [:]
    for s in try c.query("SELECT fold, c, mean_score FROM inner_scores WHERE run_id = ? AND emotion = ? AND representation = ? AND layer IS ?",
                         [.integer(run), first[5], first[6], first[7]]).rows {
      byFold[s[0].intValue!, default: [:]][s[1].doubleValue!] = s[2].doubleValue!
    }
    var out: [FoldResult] = []
    for r in rows {
      let byC = byFold[r[0].intValue!] ?? [:]
      out.append(FoldResult(c: r[1].doubleValue!, f1: r[2].doubleValue!, innerMeanScores: grid.map { byC[$0] ?? .nan }, trainRows: Int(r[3].intValue!), testRows: Int(r[4].intValue!)))
    }
    return (run, out)
  }

  /// Mean |SHAP| per column. Clean: the model's scaler applied to the task rows, background = all
  /// of them. Authors: raw rows explained by the model fitted on scaled rows, background = 100
  /// rows drawn as shap.utils.sample does (RandomState(0) shuffle) when there are more.
  func shap(_ model: ScaledLogistic, _ x: DataMatrix) -> [Double] { shap(model, x, rows: Array(0..<x.rows)) }

  /// `shap` of rows `rows` of `data`, read in place.
  func shap(_ model: ScaledLogistic, _ data: DataMatrix, rows: [Int]) -> [Double] {
    if !authors {
      let z = model.scaler?.transform(data, rows: rows) ?? data.rows(rows)
      return LinearSHAP.meanAbsolute(weights: model.model.weights, explained: z, background: z)
    }
    let x = data.rows(rows)
    var background = x
    if x.rows > 100 {
      var rs = RandomState(seed: 0)
      var idx = Array(0..<x.rows)
      rs.shuffle(&idx)
      background = x.rows(Array(idx.prefix(100)))
    }
    return LinearSHAP.meanAbsolute(weights: model.model.weights, explained: x, background: background)
  }

  // MARK: - Loading

  func load(_ context: ExecutionContext) throws -> Data {
    let c = context.connection
    let store = RepresentationStore(c)
    var pending: [(BoundSet, Int, RepresentationInfo, LoadedMatrix?, key: String)] = []
    for s in bound.sets {
      guard let info = try store.info(name: s.name, corpus: bound.corpus) else {
        throw ExecutionError(.input, "'\(s.name)' is not stored for corpus '\(bound.corpus)'")
      }
      if info.fingerprint == "incomplete" {
        throw ExecutionError(.input, "'\(s.name)' of corpus '\(bound.corpus)' is incomplete (an EXTRACT was interrupted)", notes: ["run EXTRACT \(s.name) FROM \(bound.corpus) again to finish it"])
      }
      let layers: [Int]
      switch s.layer {
      case .last: layers = [info.layers - 1]
      case .all: layers = Array(0..<info.layers)
      case .index(let i):
        guard i >= 0, i < info.layers else { throw ExecutionError(.input, "'\(info.name)' has layers 0…\(info.layers - 1), not \(i)") }
        layers = [i]
      }
      for l in layers {
        // `egemaps, egemaps LAYER 0` or `wavlm LAYER ALL, wavlm LAYER 3` name one layer twice.
        if pending.contains(where: { $0.2.name == info.name && $0.1 == l }) {
          throw ExecutionError(.input, "'\(info.name)' layer \(l) is named twice in USING (\(info.layers == 1 ? "it has only layer 0" : "its last layer is \(info.layers - 1)"))")
        }
        // Decoded once per session while the stored data is unchanged (`SessionCache`), or handed
        // over by the IMPORT that stored it.
        let key = Self.inputKey(info, layer: l)
        pending.append((s, l, info, context.cache.peek(Self.matrixKey(info, layer: l), as: LoadedMatrix.self), key))
      }
    }
    // Matrices not in the session cache are read from the file, each in two halves at once (by
    // utterance id) when a second, read-only connection can read beside this one, straight into
    // their places in the matrix.
    let missing = pending.indices.filter { pending[$0].3 == nil }
    let metaKey = "utterances|" + bound.corpus
    var prefetchedMeta: Result<UtteranceMeta, Error>?
    if !missing.isEmpty {
      let reader = c.concurrentReader()
      var middle: Result<(id: Int64, total: Int)?, Error> = .success(nil)
      if let reader {
        // The middle utterance id here while the reader reads the utterances' paths, speakers and
        // labels (or, when they are kept, just loads the schema on its first statement).
        let lock = NSLock()
        let needMeta = !context.cache.contains(metaKey)
        let corpus = bound.corpus
        Parallel.forEach(2) { k in
          if k == 1 {
            if needMeta {
              let r = Result { try Self.utteranceMeta(reader, corpus: corpus) }
              lock.lock()
              prefetchedMeta = r
              lock.unlock()
            } else {
              _ = try? reader.prepare("SELECT 1 FROM representations LIMIT 0")
            }
            return
          }
          let r = Result { try store.middleUtterance(corpus: bound.corpus) }
          lock.lock()
          middle = r
          lock.unlock()
        }
      }
      let halves = try middle.get()
      for i in missing {
        let (info, layer) = (pending[i].2, pending[i].1)
        var m: LoadedMatrix?
        if let reader, let halves {
          m = try RepresentationStore.loadHalves(info, layer: layer, middle: halves.id, rows: [halves.total / 2, halves.total - halves.total / 2], stores: [store, RepresentationStore(reader)])
        }
        if m == nil { m = try store.load(info, layer: layer) }
        pending[i].3 = context.cache.value(Self.matrixKey(info, layer: layer), bytes: Self.matrixBytes) { m! }
      }
    }
    let loaded = pending.map { ($0.0, $0.1, $0.2, $0.3!, key: $0.key) }
    // Rows every representation has, without missing values.
    var common: Set<Int64>?
    for (_, _, _, m, key) in loaded {
      let ok = context.cache.value("complete rows|" + key, bytes: { 16 * $0.count }) { () -> Set<Int64> in
        var ok = Set<Int64>(minimumCapacity: m.utteranceIDs.count)
        m.values.withUnsafeBufferPointer { v in
          for (i, id) in m.utteranceIDs.enumerated() where !Self.hasNaN(v.baseAddress! + i * m.cols, count: m.cols) { ok.insert(id) }
        }
        return ok
      }
      common = common.map { $0.intersection(ok) } ?? ok
    }
    let ids = (common ?? []).sorted()
    let meta = try context.cache.value(metaKey, bytes: { 64 * $0.count }) { () -> UtteranceMeta in
      try prefetchedMeta?.get() ?? Self.utteranceMeta(c, corpus: bound.corpus)
    }
    let speakers = ids.map { meta[$0]?.1 }
    var data = Data(ids: ids, paths: ids.map { meta[$0]!.0 }, speakers: speakers, emotions: ids.map { meta[$0]?.2 }, matrices: [])
    // Of the ids as little-endian 64-bit integers (the same digest on every host).
    data.rowsDigest = ids.map(\.littleEndian).withUnsafeBytes { SHA256.hex($0) }
    let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
    let speakerZ = string("normalize") != "none"
    if speakerZ, speakers.contains(where: { $0 == nil }) {
      throw ExecutionError(.input, "\(speakers.filter { $0 == nil }.count) utterances have no speaker; per-speaker normalisation and speaker-grouped splits need one")
    }
    for (s, l, info, m, key) in loaded {
      // The matrix over these rows, normalised: also kept, keyed by the row set.
      let x = context.cache.value("rows|\(data.rowsDigest)|\(speakerZ)|" + key, bytes: { 8 * $0.values.count }) { () -> DataMatrix in
        // Row i of the result is the stored row of utterance ids[i] (every one is stored: `ids`
        // are rows every set has).
        var sourceRow = [Int](repeating: 0, count: ids.count)
        for (i, id) in m.utteranceIDs.enumerated() { if let p = position[id] { sourceRow[p] = i } }
        return m.values.withUnsafeBufferPointer { src in
          if speakerZ { return speakerZScore(gathering: sourceRow, from: src, cols: m.cols, speakers: speakers.map { $0! }) }
          var values = [Double]()
          values.reserveCapacity(ids.count * m.cols)
          for r in sourceRow { values.append(contentsOf: UnsafeBufferPointer(rebasing: src[(r * m.cols)..<((r + 1) * m.cols)])) }
          return DataMatrix(rows: ids.count, cols: m.cols, values: values)
        }
      }
      data.matrices.append((s, l, info, x))
    }
    return data
  }

  /// What decides a stored representation's matrix at `layer`: the session-cache keys of its
  /// decoded, complete-row and normalised forms extend it.
  static func inputKey(_ info: RepresentationInfo, layer: Int) -> String {
    "\(info.corpus)|\(info.name)|\(layer)|\(info.fingerprint)|\(info.rows)|\(info.dims)|\(info.dtype)"
  }

  /// The session-cache key of a representation's matrix at `layer` as `RepresentationStore.load`
  /// reads it.
  static func matrixKey(_ info: RepresentationInfo, layer: Int) -> String { "matrix|" + inputKey(info, layer: layer) }

  /// The bytes a loaded matrix takes in the session cache.
  static func matrixBytes(_ m: LoadedMatrix) -> Int { 8 * (m.values.count + m.utteranceIDs.count) }

  /// Each utterance of a corpus: its path, speaker and emotion, by id.
  typealias UtteranceMeta = [Int64: (String, String?, String?)]
  static func utteranceMeta(_ c: Connection, corpus: String) throws -> UtteranceMeta {
    var meta: UtteranceMeta = [:]
    for r in try c.query("SELECT utterance_id, path, speaker, emotion FROM utterances WHERE corpus = ?", [.text(corpus)]).rows {
      meta[r[0].intValue!] = (r[1].stringValue!, r[2].stringValue, r[3].stringValue)
    }
    return meta
  }

  /// Whether any of `count` values is NaN (±∞ are values), eight lanes at a time.
  static func hasNaN(_ p: UnsafePointer<Double>, count: Int) -> Bool {
    var nan = SIMDMask<SIMD8<Int64>>(repeating: false)
    var j = 0
    while j + 8 <= count {
      let x = UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<Double>.self)
      nan .|= x .!= x
      j += 8
    }
    while j < count {
      if p[j].isNaN { return true }
      j += 1
    }
    return any(nan)
  }

  // MARK: - Tasks

  /// `pathIndex`: the row of each of `data`'s paths (for the sample file's paths).
  func task(_ emotion: String, _ data: Data, _ files: InputFiles, pathIndex: [String: Int]) throws -> Task {
    var rows: [Int] = []
    var y: [Int] = []
    if let samplePath = string("sample"), let t = files.sample {
      guard t.header.contains(where: { $0.lowercased() == "emotion" }), let pc = t.header.firstIndex(where: { $0.lowercased() == "path" }) else {
        throw ExecutionError(.input, "'\(samplePath)' needs the columns emotion, path (header: \(t.header.joined(separator: ",")))")
      }
      let index = pathIndex
      for (r, rec) in t.records.enumerated() where files.sampleEmotions[r] == emotion {
        let p = rec.fields[pc].trimmedSpaces
        guard let row = index[p] else {
          throw ExecutionError(.input, "'\(samplePath)' line \(rec.line): '\(p)' is not an utterance of '\(bound.corpus)' with every representation of the statement")
        }
        let e = data.emotions[row]
        guard e == emotion || e == bound.baseline else {
          throw ExecutionError(.input, "'\(samplePath)' line \(rec.line): '\(p)' is '\(e ?? "unlabelled")', neither \(emotion) nor \(bound.baseline)")
        }
        rows.append(row)
        y.append(e == emotion ? 1 : 0)
      }
      if rows.isEmpty { throw ExecutionError(.input, "'\(samplePath)' has no rows for '\(emotion)'") }
    } else {
      let emo = data.emotions.indices.filter { data.emotions[$0] == emotion }
      let neu = data.emotions.indices.filter { data.emotions[$0] == bound.baseline }
      if emo.isEmpty { throw ExecutionError(.input, "no '\(emotion)' utterances have every representation of the statement") }
      if neu.isEmpty { throw ExecutionError(.input, "no '\(bound.baseline)' utterances have every representation of the statement") }
      // Class-balanced: m of each, drawn as build_task does with RandomState(seed).
      let m = min(emo.count, neu.count)
      var rs = RandomState(seed: seed)
      let pe = rs.choiceWithoutReplacement(emo.count, m).map { emo[$0] }
      let pn = rs.choiceWithoutReplacement(neu.count, m).map { neu[$0] }
      rows = pe + pn
      y = Array(repeating: 1, count: m) + Array(repeating: 0, count: m)
    }
    if !y.contains(1) || !y.contains(0) { throw ExecutionError(.input, "the \(emotion) task needs rows of both \(emotion) and \(bound.baseline)") }
    let groups = try rows.map { r -> String in
      guard let s = data.speakers[r] else { throw ExecutionError(.input, "'\(data.paths[r])' has no speaker; speaker-grouped splits need one") }
      return s
    }
    let splits = try makeSplits(emotion, groups, files)
    var task = Task(emotion: emotion, rows: rows, utterances: rows.map { data.ids[$0] }, rowsDigest: data.rowsDigest, y: y, groups: groups, splits: splits)
    Self.prepareStorage(&task, paths: data.paths)
    return task
  }

  func makeSplits(_ emotion: String, _ groups: [String], _ files: InputFiles) throws -> [NestedSplit] {
    guard let path = string("splits"), let t = files.splits else {
      let outer = int("outer_folds", 5), inner = int("inner_folds", 5)
      do {
        switch string("splitter") ?? "shuffle" {
        case "group_kfold":
          return try GroupSplitter.kFold(groups: groups, folds: outer).map { o in
            NestedSplit(outer: o, inner: try GroupSplitter.kFold(groups: o.train.map { groups[$0] }, folds: inner))
          }
        case "loso":
          return try GroupSplitter.leaveOneOut(groups: groups).map { o in
            NestedSplit(outer: o, inner: try GroupSplitter.leaveOneOut(groups: o.train.map { groups[$0] }))
          }
        default:
          return try GroupSplitter.nestedShuffleSplit(groups: groups, outer: outer, inner: inner, trainSize: trainSize, seed: seed)
        }
      } catch let e as SplitError {
        throw ExecutionError(
          .input, "\(emotion) task (\(Set(groups).count) speakers): \(e.message)",
          notes: ["use fewer folds, leave-one-speaker-out (WITH (splitter = 'loso')), or explicit splits (WITH (splits = 'splits.csv'))"])
      }
    }
    guard let records = files.splitRecords else {
      throw ExecutionError(.input, "'\(path)' needs the columns outer, inner, speaker, role (header: \(t.header.joined(separator: ",")))")
    }
    // outer → inner → the speakers of each role
    struct Roles {
      var train = Set<String>(), test = Set<String>()
    }
    var spec: [Int: [Int: Roles]] = [:]
    for r in files.splitsRecords(for: emotion) {
      let rec = records[r]
      if let error = rec.error { throw ExecutionError(.input, error) }
      if rec.test {
        spec[rec.outer, default: [:]][rec.inner, default: Roles()].test.insert(rec.speaker)
      } else {
        spec[rec.outer, default: [:]][rec.inner, default: Roles()].train.insert(rec.speaker)
      }
    }
    if spec.isEmpty { throw ExecutionError(.input, "'\(path)' has no splits for '\(emotion)'") }
    let all = Set(groups)
    let index = GroupSplitter.GroupIndex(groups)
    var out: [NestedSplit] = []
    for o in spec.keys.sorted() {
      let inners = spec[o]!
      // A role with no records: the speakers not in the other.
      guard let outerSpec = inners[0], !outerSpec.test.isEmpty else {
        throw ExecutionError(.input, "'\(path)': outer split \(o) has no test speakers (rows with inner = 0, role = test)")
      }
      let test = outerSpec.test
      let train = outerSpec.train.isEmpty ? all.subtracting(test) : outerSpec.train
      let outer: Split
      do { outer = try GroupSplitter.predefined(index, train: train, test: test) } catch let e as SplitError {
        throw ExecutionError(.input, "'\(path)': outer split \(o): \(e.message) for the \(emotion) task")
      }
      let innerGroups = outer.train.map { groups[$0] }
      let innerIndex = GroupSplitter.GroupIndex(innerGroups)
      var innerSplits: [Split] = []
      for i in inners.keys.sorted() where i > 0 {
        let roles = inners[i]!
        guard !roles.test.isEmpty else { throw ExecutionError(.input, "'\(path)': inner split \(o).\(i) has no test speakers") }
        let itest = roles.test
        let itrain = roles.train.isEmpty ? Set(innerGroups).subtracting(itest) : roles.train
        do { innerSplits.append(try GroupSplitter.predefined(innerIndex, train: itrain, test: itest)) } catch let e as SplitError {
          throw ExecutionError(.input, "'\(path)': inner split \(o).\(i): \(e.message) (must be training speakers of outer split \(o))")
        }
      }
      if innerSplits.isEmpty { throw ExecutionError(.input, "'\(path)': outer split \(o) has no inner splits (rows with inner ≥ 1)") }
      out.append(NestedSplit(outer: outer, inner: innerSplits))
    }
    return out
  }

  var trainSize: Double { if case .number(let v)? = option("train_size") { return v } else { return 0.8 } }
}

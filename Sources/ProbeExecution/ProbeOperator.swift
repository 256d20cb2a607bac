import Foundation
import ProbeCore
import ProbeCorpus
import ProbeLearn
import ProbeNumerics
import ProbePlanner
import ProbeStorage

/// `PROBE features FROM set [TOP n] FOR emotion [BY CATEGORY]`: the method's second half.
///
/// Per emotion task (rows and speaker splits as EVALUATE draws them):
/// 1. nested CV of all dimensions and SHAP ranking of the last outer fold's model (reused when
///    stored);
/// 2. unless TOP n is given, the top-k sweep: nested CV of the top-k dimensions for
///    k = 10, 20, … < d/2; k* = the smallest k reaching the best F1 rounded to 0.1 points;
/// 3. ridge probes of each requested eGeMAPS feature (speaker-normalised, as the classifier's
///    inputs) from the top-k* dimensions and from all dimensions: α by unshuffled k-fold CV on the
///    training rows, RMSE on the hold-out rows (`train_test_split(test_size, seed)` unless a
///    `probe_split` file gives them);
/// 4. information increase II = RMSE_all / RMSE_top² per feature, summarised per category.
struct ProbeOperator {
  let bound: BoundAnalysis

  func run(_ context: ExecutionContext) throws -> ResultTable {
    Parallel.warm()  // loops over both cores come within milliseconds: have the helpers ready
    if bound.sets[0].layer == .all {
      // LAYER ALL: the probe of every stored layer (each its own run), one table with a layer column.
      guard let info = try RepresentationStore(context.connection).info(name: bound.sets[0].name, corpus: bound.corpus) else {
        throw ExecutionError(.input, "'\(bound.sets[0].name)' is not stored for corpus '\(bound.corpus)'")
      }
      var merged: ResultTable?
      for l in 0..<info.layers {
        try context.checkCancelled()
        var one = bound
        one.sets[0].layer = .index(l)
        var t = try ProbeOperator(bound: one).run(context)
        t.columns.insert(Column("layer", .integer), at: 1)
        t.rows = t.rows.map { var r = $0; r.insert(.integer(Int64(l)), at: 1); return r }
        t.notices = t.notices.map { "layer \(l): \($0)" }
        if merged == nil { merged = t } else {
          merged!.rows += t.rows
          merged!.notices += t.notices
        }
      }
      return merged!
    }
    if bound.options["stability_seeds"] != nil, bound.options["sample"] != nil || bound.options["splits"] != nil {
      throw ExecutionError(.input, "stability_seeds redraws rows and splits, so it cannot be combined with sample or splits files")
    }
    let blasThreads = Linalg.blasThreads
    Linalg.setBLASThreads(1)
    defer { Linalg.setBLASThreads(blasThreads) }
    let c = context.connection
    let embSet = bound.sets[0]
    guard try RepresentationStore(c).info(name: "egemaps", corpus: bound.corpus) != nil else {
      throw ExecutionError(.input, "PROBE predicts eGeMAPS features, and corpus '\(bound.corpus)' has none",
                           notes: ["run EXTRACT egemaps FROM \(bound.corpus), or IMPORT FEATURES egemaps FROM 'egemaps.csv' FOR \(bound.corpus)"])
    }
    if embSet.name.lowercased() == "egemaps" { throw ExecutionError(.input, "PROBE explains an embedding with eGeMAPS features; FROM must name an embedding set, not egemaps") }
    var withTargets = bound
    withTargets.sets = [embSet, BoundSet(name: "egemaps", layer: .last)]
    let op = AnalysisOperator(bound: withTargets)
    let files = op.inputFilesAhead(parse: !context.cache.contains(keyPrefixedBy: op.tasksKeyPrefix))
    let data = try op.load(context)
    let emb = data.matrices[0], targets = data.matrices[1]
    let d = emb.x.cols
    if let top = bound.top, top > d { throw ExecutionError(.input, "TOP \(top) is more than the \(d) dimensions of '\(emb.info.name)'") }
    let featureIndex = bound.features.map { f in targets.info.featureNames!.firstIndex(of: f)! }
    let tasks = try op.tasks(data, cache: context.cache, files: files)
    let config = op.cvConfig
    let label = "probe"
    context.lap("load")

    // 1. Nested CV of all dimensions (reused when stored), then the SHAP ranking.
    struct Stage1 {
      var key: String
      var folds: [FoldResult]
      var ranking: [Int]
      var importance: [Double]
      var reusedFrom: Int64?
      /// The run whose stored SHAP importance this is (copied, not rebound, when stored).
      var shapFrom: Int64?
    }
    var stage1: [Stage1] = []
    var xs: [DataMatrix] = []
    var ys: [DataMatrix] = []
    for t in tasks {
      xs.append(emb.x.rows(t.rows))
      ys.append(targets.x.rows(t.rows).columns(featureIndex))
    }
    var pending: [(task: Int, fold: Int)] = []
    var stored: [Int: (Int64, [FoldResult])] = [:]
    for (ti, t) in tasks.enumerated() {
      if let s = try op.storedCV(c, key: op.protocolKey(t, emb.info, emb.layer), folds: t.splits.count, grid: config.cGrid) { stored[ti] = s } else {
        for k in t.splits.indices { pending.append((ti, k)) }
      }
    }
    let fresh = parallelMap(pending.count) { i in
      // The last fold's model is kept: SHAP explains it.
      let (ti, k) = pending[i]
      return Result { try NestedCV.outerFold(xs[ti], tasks[ti].y, tasks[ti].splits[k], config: config, model: k == tasks[ti].splits.count - 1) }
    }
    // A reused cross-validation's SHAP importance: stored by the run it came from (a RANK or
    // PROBE of the same protocol key computed exactly these values), else the last fold's model
    // refitted and explained — one job per task on every core.
    var storedImportance: [Int: [Double]] = [:]
    var shapFrom: [Int: Int64] = [:]
    for (ti, (run, _)) in stored {
      let rows = try c.query("SELECT dim, mean_abs_shap FROM shap_importance WHERE run_id = ? AND emotion = ? AND representation = ? AND layer = ?",
                             [.integer(run), .text(tasks[ti].emotion), .text(emb.info.name), .integer(Int64(emb.layer))]).rows
      var imp = [Double](repeating: .nan, count: d)
      for r in rows { if let j = r[0].intValue, j >= 0, j < d, let v = r[1].doubleValue { imp[Int(j)] = v } }
      if rows.count == d && !imp.contains(where: \.isNaN) {
        storedImportance[ti] = imp
        shapFrom[ti] = run
      }
    }
    let refitting = stored.keys.filter { storedImportance[$0] == nil }.sorted()
    // (The model an EVALUATE of this session kept under the same key needs no refit.)
    let kept = refitting.map { context.cache.peek("model|" + op.protocolKey(tasks[$0], emb.info, emb.layer), as: ScaledLogistic.self) }
    let refitted = parallelMap(refitting.count) { i -> Result<[Double], Error> in
      let ti = refitting[i], t = tasks[ti], f = stored[ti]!.1
      let last = t.splits[t.splits.count - 1].outer
      return Result { op.shap(try kept[i] ?? ScaledLogistic.fit(xs[ti].rows(last.train), last.train.map { t.y[$0] }, c: f[f.count - 1].c), xs[ti]) }
    }
    for (i, ti) in refitting.enumerated() {
      do { storedImportance[ti] = try refitted[i].get() } catch let e as LearnError {
        throw ExecutionError(.numeric, "\(tasks[ti].emotion) vs \(bound.baseline): \(e.message)")
      }
    }
    var cursor = 0
    for (ti, t) in tasks.enumerated() {
      try context.checkCancelled()
      var folds: [FoldResult]
      let model: ScaledLogistic
      if let (run, f) = stored[ti] {
        let imp = storedImportance[ti]!
        stage1.append(Stage1(key: op.protocolKey(t, emb.info, emb.layer), folds: f, ranking: LinearSHAP.ranking(imp), importance: imp, reusedFrom: run, shapFrom: shapFrom[ti]))
        continue
      }
      folds = []
      var last: ScaledLogistic?
      for _ in t.splits {
        do {
          let (f, m) = try fresh[cursor].get()
          folds.append(f)
          last = m
        } catch let e as LearnError { throw ExecutionError(.numeric, "\(t.emotion) vs \(bound.baseline): \(e.message)") }
        cursor += 1
      }
      model = last!
      let imp = op.shap(model, xs[ti])
      stage1.append(Stage1(key: op.protocolKey(t, emb.info, emb.layer), folds: folds, ranking: LinearSHAP.ranking(imp), importance: imp, reusedFrom: nil))
    }

    context.lap("ranking")
    // Ridge-probe settings (step 3); the all-dimensions probes do not depend on the sweep and run
    // with it, filling the cores at its end.
    let randomSubsets = op.int("random_subsets", 0)
    let alphas: [Double] = { if case .numbers(let a)? = op.option("alpha") { return a } else { return [0.001, 0.01, 0.1, 1, 10, 100] } }()
    let testSize: Double = { if case .number(let v)? = op.option("test_size") { return v } else { return 0.2 } }()
    let ridgeFolds = op.int("ridge_folds", 5)
    let probeSplits = try tasks.map { try probeSplit($0, data, testSize: testSize, seed: op.seed) }
    func allDimensionsProbe(_ ti: Int) throws -> RidgeProbeResult {
      // The authors' notebook drew an independent hold-out for the all-dimensions probe.
      let allSplit = op.authors && op.string("probe_split") == nil ? trainTestSplit(n: tasks[ti].rows.count, testSize: testSize, seed: op.seed &+ 1) : probeSplits[ti]
      return try ridgeProbe(x: xs[ti], y: ys[ti], split: allSplit, alphas: alphas, folds: ridgeFolds)
    }
    var allProbes: [Result<RidgeProbeResult, Error>?] = Array(repeating: nil, count: tasks.count)

    // 2. The top-k sweep (skipped when TOP n is given).
    let ks: [Int] = bound.top.map { [$0] } ?? Array(stride(from: 10, to: d / 2, by: 10))
    if ks.isEmpty { throw ExecutionError(.input, "'\(emb.info.name)' has \(d) dimensions: too few for a top-k sweep (k = 10, 20, … < d/2); give TOP n") }
    struct Point {
      var f1: Double
      var folds: [FoldResult]
      var key: String
      var reused: Bool
    }
    var sweep = [[Point?]](repeating: [Point?](repeating: nil, count: ks.count), count: tasks.count)
    if bound.top == nil {
      // A task's sweep is reused when every point of it is stored; otherwise each outer fold's
      // whole k path is computed (NestedCV.sweepInner for each inner split, then sweepOuter).
      var sweepJobs: [(task: Int, fold: Int)] = []
      for (ti, t) in tasks.enumerated() {
        var points: [Point] = []
        for k in ks {
          let key = op.protocolKey(t, emb.info, emb.layer, columns: Array(stage1[ti].ranking.prefix(k)))
          guard let s = try storedSweep(c, key: key) else { break }
          points.append(Point(f1: s.f1, folds: s.folds, key: key, reused: true))
        }
        if points.count == ks.count { sweep[ti] = points } else { for f in t.splits.indices { sweepJobs.append((ti, f)) } }
      }
      context.lap("sweep lookup")
      let lock = NSLock()
      var finished = 0
      // Two rounds on every core. First each (fold, inner split) path, then the all-dimensions
      // ridge probes (the last to be handed out, filling the cores at the round's end); then each
      // fold's outer refits from its inner scores. Jobs this small keep both cores busy to the end.
      let innerJobs = sweepJobs.flatMap { j in tasks[j.task].splits[j.fold].inner.indices.map { (task: j.task, fold: j.fold, inner: $0) } }
      let totalJobs = innerJobs.count + sweepJobs.count
      func progressed() {
        lock.lock()
        finished += 1
        let n = finished
        lock.unlock()
        if Thread.isMainThread { context.progress?.update(task: "\(label): top-k sweep", done: n, total: totalJobs) }
      }
      enum Output {
        case inner([[Double]])
        case probe(RidgeProbeResult)
      }
      let outputs = parallelMap(innerJobs.count + tasks.count) { i -> Result<Output, Error> in
        if context.isCancelled() { return .failure(ExecutionError(.cancelled, "statement cancelled; nothing was stored")) }
        if i >= innerJobs.count { return Result { .probe(try allDimensionsProbe(i - innerJobs.count)) } }
        let j = innerJobs[i]
        defer { progressed() }
        return Result {
          .inner(try NestedCV.sweepInner(xs[j.task], tasks[j.task].y, tasks[j.task].splits[j.fold], inner: j.inner, ranking: stage1[j.task].ranking, ks: ks, config: config))
        }
      }
      for ti in tasks.indices {
        allProbes[ti] = outputs[innerJobs.count + ti].flatMap { output in
          guard case .probe(let p) = output else { return .failure(ExecutionError(.numeric, "internal: a ridge job returned a sweep")) }
          return .success(p)
        }
      }
      var innerScores: [[[[Double]]]] = []  // [sweep job][inner][k][c]
      var next = 0
      for j in sweepJobs {
        var perInner: [[[Double]]] = []
        for _ in tasks[j.task].splits[j.fold].inner {
          switch outputs[next] {
          case .success(.inner(let scores)): perInner.append(scores)
          case .success(.probe): throw ExecutionError(.numeric, "internal: a sweep job returned a probe")
          case .failure(let e as LearnError): throw ExecutionError(.numeric, "\(tasks[j.task].emotion) top-k sweep: \(e.message)")
          case .failure(let e): throw e
          }
          next += 1
        }
        innerScores.append(perInner)
      }
      try context.checkCancelled()
      let results = parallelMap(sweepJobs.count) { i -> Result<[FoldResult], Error> in
        let j = sweepJobs[i]
        if context.isCancelled() { return .failure(ExecutionError(.cancelled, "statement cancelled; nothing was stored")) }
        defer { progressed() }
        return Result {
          try NestedCV.sweepOuter(xs[j.task], tasks[j.task].y, tasks[j.task].splits[j.fold], innerScores: innerScores[i], ranking: stage1[j.task].ranking, ks: ks, config: config)
        }
      }
      var at = 0
      while at < sweepJobs.count {
        let ti = sweepJobs[at].task
        var perFold: [[FoldResult]] = []
        for _ in tasks[ti].splits {
          do { perFold.append(try results[at].get()) } catch let e as LearnError {
            throw ExecutionError(.numeric, "\(tasks[ti].emotion) top-k sweep: \(e.message)")
          }
          at += 1
        }
        for (ki, k) in ks.enumerated() {
          let folds = perFold.map { $0[ki] }
          let key = op.protocolKey(tasks[ti], emb.info, emb.layer, columns: Array(stage1[ti].ranking.prefix(k)))
          sweep[ti][ki] = Point(f1: Metrics.mean(folds.map(\.f1)), folds: folds, key: key, reused: false)
        }
      }
      context.progress?.finish(task: "\(label): top-k sweep")
      context.lap("top-k sweep")
    }
    try context.checkCancelled()

    // 3. Ridge probes from the top-k* and from all dimensions.
    struct Probe {
      var k: Int
      var split: Split
      var top: RidgeProbeResult
      var all: RidgeProbeResult
      /// Random-k control: mean II over the random subsets and the p-value of the top-k II.
      var randomMean: [Double]?
      var pValue: [Double]?
    }
    // Two jobs per task, on every core: the top-k probe (with its random-k controls) and the
    // all-dimensions probe, unless the sweep's pool has run it.
    enum Part {
      case top(RidgeProbeResult, k: Int, random: [[Double]])
      case all(RidgeProbeResult)
    }
    let parts: [Result<Part, Error>] = parallelMap(2 * tasks.count) { job in
      let ti = job / 2
      return Result {
        let split = probeSplits[ti]
        if job % 2 == 1 { return .all(try allProbes[ti]?.get() ?? allDimensionsProbe(ti)) }
        let k = bound.top ?? chooseK(ks, sweep[ti].map { $0!.f1 })
        let top = try ridgeProbe(x: xs[ti].columns(Array(stage1[ti].ranking.prefix(k))), y: ys[ti], split: split, alphas: alphas, folds: ridgeFolds)
        // Random-k control: the same probe from k dimensions drawn at random (seeded per task).
        var random: [[Double]] = []
        var rs = RandomState(seed: op.seed &+ UInt32(ti) &* 7919)
        for _ in 0..<randomSubsets {
          let cols = rs.choiceWithoutReplacement(d, k).sorted()
          random.append(try ridgeProbe(x: xs[ti].columns(cols), y: ys[ti], split: split, alphas: alphas, folds: ridgeFolds).rmse)
        }
        return .top(top, k: k, random: random)
      }
    }
    var done: [Probe] = []
    for ti in tasks.indices {
      let topPart: Part, allPart: Part
      do {
        topPart = try parts[2 * ti].get()
        allPart = try parts[2 * ti + 1].get()
      } catch { throw ExecutionError(.numeric, "\(tasks[ti].emotion) ridge probes: \(error)") }
      guard case .top(let top, let k, let random) = topPart, case .all(let all) = allPart else { continue }
      var probe = Probe(k: k, split: probeSplits[ti], top: top, all: all)
      if randomSubsets > 0 {
        // p = (1 + #{II_random ≥ II_top}) / (1 + R): "the top-k dimensions carry this feature" as
        // a tested claim.
        let observed = zip(all.rmse, top.rmse).map { informationIncrease(rmseAll: $0, rmseTop: $1) }
        var sum = [Double](repeating: 0, count: observed.count)
        var atLeast = [Int](repeating: 0, count: observed.count)
        for rmse in random {
          for j in observed.indices {
            let ii = informationIncrease(rmseAll: all.rmse[j], rmseTop: rmse[j])
            sum[j] += ii
            if ii >= observed[j] { atLeast[j] += 1 }
          }
        }
        probe.randomMean = sum.map { $0 / Double(randomSubsets) }
        probe.pValue = atLeast.map { Double(1 + $0) / Double(1 + randomSubsets) }
      }
      done.append(probe)
    }

    context.lap("ridge probes")
    // 4. Store everything with its run.
    let categoryOf = Dictionary(uniqueKeysWithValues: EGeMAPS.features.map { ($0.name, $0.category) })
    var summaries: [[(String, CategorySummary)]] = []
    for p in done {
      var rows: [(String, CategorySummary)] = []
      for cat in EGeMAPS.categories {
        let values = bound.features.indices.filter { categoryOf[bound.features[$0]] == cat }.map { informationIncrease(rmseAll: p.all.rmse[$0], rmseTop: p.top.rmse[$0]) }
        if let s = CategorySummary(values) { rows.append((cat, s)) }
      }
      summaries.append(rows)
    }
    let layerValue: Value = .integer(Int64(emb.layer))
    try c.transaction {
      var inputs = "{\"corpus\": \(jsonString(bound.corpus)), \"sets\": {\(jsonString(emb.info.name)): \(jsonString(emb.info.fingerprint)), \"egemaps\": \(jsonString(targets.info.fingerprint))}"
      for name in ["sample", "splits", "probe_split"] {
        if let p = op.string(name), let bytes = FileManager.default.contents(atPath: p) { inputs += ", \(jsonString(name)): \(jsonString("sha256:" + SHA256.hex(bytes)))" }
      }
      inputs += "}"
      let run = try RunStore(c).begin(statement: context.statementText, options: bound.options.json, seed: Int64(op.seed), engineVersion: ProbeVersion.string, inputs: inputs)
      func insert(_ sql: String, _ rows: [[Value]]) throws {
        let st = try c.prepare(sql)
        for r in rows {
          try st.bind(r)
          while try st.step() {}
        }
      }
      for (ti, t) in tasks.enumerated() {
        let e = Value.text(t.emotion), rep = Value.text(emb.info.name), r = Value.integer(run)
        try AnalysisOperator.recordTask(c, run: run, task: t, data: data)
        try insert("INSERT INTO evaluations(run_id, emotion, representation, layer, fold, c, f1, train_rows, test_rows, protocol_key) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   stage1[ti].folds.enumerated().map { [r, e, rep, layerValue, .integer(Int64($0 + 1)), .real($1.c), .real($1.f1), .integer(Int64($1.trainRows)), .integer(Int64($1.testRows)), .text(stage1[ti].key)] })
        try insert("INSERT INTO inner_scores(run_id, emotion, representation, layer, fold, c, mean_score) VALUES (?,?,?,?,?,?,?)",
                   stage1[ti].folds.enumerated().flatMap { k, f in f.innerMeanScores.enumerated().map { [r, e, rep, layerValue, .integer(Int64(k + 1)), .real(config.cGrid[$0]), .real($1)] } })
        if let from = stage1[ti].shapFrom {
          let copy = try c.prepare(
            "INSERT INTO shap_importance(run_id, emotion, representation, layer, dim, feature, mean_abs_shap, rank) SELECT ?, emotion, representation, layer, dim, feature, mean_abs_shap, rank FROM shap_importance WHERE run_id = ? AND emotion = ? AND representation = ? AND layer = ?")
          try copy.bind([r, .integer(from), e, rep, layerValue])
          while try copy.step() {}
        } else {
          try insert("INSERT INTO shap_importance(run_id, emotion, representation, layer, dim, feature, mean_abs_shap, rank) VALUES (?,?,?,?,?,?,?,?)",
                     stage1[ti].ranking.enumerated().map { [r, e, rep, layerValue, .integer(Int64($1)), .null, .real(stage1[ti].importance[$1]), .integer(Int64($0 + 1))] })
        }
        if bound.top == nil {
          try insert("INSERT INTO topk_sweep(run_id, emotion, representation, layer, k, f1, f1_folds, c_folds, protocol_key) VALUES (?,?,?,?,?,?,?,?,?)",
                     ks.enumerated().map { ki, k in
                       let p = sweep[ti][ki]!
                       return [r, e, rep, layerValue, .integer(Int64(k)), .real(p.f1), .text(p.folds.map { "\($0.f1)" }.joined(separator: " ")),
                               .text(p.folds.map { "\($0.c)" }.joined(separator: " ")), .text(p.key)]
                     })
        }
        let p = done[ti]
        try insert("INSERT INTO probe_splits(run_id, emotion, position, path, role) VALUES (?,?,?,?,?)",
                   p.split.train.enumerated().map { [r, e, .integer(Int64($0)), .text(data.paths[t.rows[$1]]), .text("train")] }
                   + p.split.test.enumerated().map { [r, e, .integer(Int64($0)), .text(data.paths[t.rows[$1]]), .text("test")] })
        try insert("INSERT INTO probe_results(run_id, emotion, representation, layer, feature, category, k, rmse_top, rmse_all, r2_top, r2_all, alpha_top, alpha_all, information_increase, ii_random_mean, p_value, random_subsets) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   bound.features.enumerated().map { j, f in
                     [r, e, rep, layerValue, .text(f), .text(categoryOf[f]!), .integer(Int64(p.k)), .real(p.top.rmse[j]), .real(p.all.rmse[j]), .real(p.top.r2[j]), .real(p.all.r2[j]),
                      .real(p.top.alpha[j]), .real(p.all.alpha[j]), .real(informationIncrease(rmseAll: p.all.rmse[j], rmseTop: p.top.rmse[j])),
                      p.randomMean.map { .real($0[j]) } ?? .null, p.pValue.map { .real($0[j]) } ?? .null, randomSubsets > 0 ? .integer(Int64(randomSubsets)) : .null]
                   })
        try insert("INSERT INTO probe_summary(run_id, emotion, representation, layer, category, n, mean, median, q1, q3, min, max, share_above_1) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   summaries[ti].map { cat, s in [r, e, rep, layerValue, .text(cat), .integer(Int64(s.n)), .real(s.mean), .real(s.median), .real(s.q1), .real(s.q3), .real(s.min), .real(s.max), .real(s.fractionAboveOne)] })
      }
      try RunStore(c).finish(run)
    }
    context.lap("store")

    // Stability across seeds: the same probe with other seeds (other rows and splits); k* and
    // the top-k* dimensions compared with this run's (Jaccard overlap of the sets).
    var notices: [String] = []
    if case .numbers(let seeds)? = bound.options["stability_seeds"] {
      guard let mainRun = try c.scalar("SELECT max(run_id) FROM runs")?.intValue else { throw ExecutionError(.internal, "no run") }
      for s in seeds {
        guard s >= 0, s == s.rounded(), s <= Double(UInt32.max) else { throw ExecutionError(.input, "stability_seeds must be whole numbers ≥ 0, not \(s)") }
        var other = bound
        other.options.entries = other.options.entries.filter { $0.name != "stability_seeds" && $0.name != "seed" } + [("seed", .integer(Int(s)))]
        _ = try ProbeOperator(bound: other).run(context)
        guard let seedRun = try c.scalar("SELECT max(run_id) FROM runs")?.intValue else { continue }
        for (ti, t) in tasks.enumerated() {
          let mine = Set(stage1[ti].ranking.prefix(done[ti].k))
          guard let k = try c.scalar("SELECT k FROM probe_results WHERE run_id = ? AND emotion = ? LIMIT 1", [.integer(seedRun), .text(t.emotion)])?.intValue else { continue }
          let theirs = Set(try c.query("SELECT dim FROM shap_importance WHERE run_id = ? AND emotion = ? AND rank <= ?", [.integer(seedRun), .text(t.emotion), .integer(k)]).rows.compactMap { $0[0].intValue }.map(Int.init))
          let overlap = Double(mine.intersection(theirs).count) / Double(max(1, mine.union(theirs).count))
          let f1 = try c.scalar("SELECT f1 FROM topk_sweep WHERE run_id = ? AND emotion = ? AND k = ?", [.integer(seedRun), .text(t.emotion), .integer(k)])
          try c.run("INSERT INTO probe_stability(run_id, emotion, seed, seed_run_id, k, f1, top_overlap) VALUES (?,?,?,?,?,?,?)",
                    [.integer(mainRun), .text(t.emotion), .integer(Int64(s)), .integer(seedRun), .integer(k), f1 ?? .null, .real(overlap)])
        }
      }
      for t in tasks {
        let rows = try c.query("SELECT seed, k, top_overlap FROM probe_stability WHERE run_id = ? AND emotion = ? ORDER BY seed", [.integer(mainRun), .text(t.emotion)]).rows
        let ks = rows.map { "seed \($0[0]): k* = \($0[1]), overlap \(String(format: "%.2f", $0[2].doubleValue!))" }
        notices.append("\(t.emotion) stability vs seed \(op.seed): " + ks.joined(separator: "; "))
      }
    }

    // The printed result.
    for (ti, t) in tasks.enumerated() {
      let all = Metrics.mean(stage1[ti].folds.map(\.f1))
      if bound.top == nil {
        let ki = ks.firstIndex(of: done[ti].k)!
        notices.append("\(t.emotion): k* = \(done[ti].k) (F1 \(String(format: "%.4f", sweep[ti][ki]!.f1)) on the top-\(done[ti].k) dimensions vs \(String(format: "%.4f", all)) on all \(d))")
      } else {
        notices.append("\(t.emotion): top-\(done[ti].k) dimensions by SHAP (F1 on all \(d) dimensions \(String(format: "%.4f", all)))")
      }
      if let r = stage1[ti].reusedFrom { notices.append("\(t.emotion): cross-validation of all dimensions reused from run \(r)") }
    }
    if bound.byCategory {
      var rows: [[Value]] = []
      for (ti, t) in tasks.enumerated() {
        for (cat, s) in summaries[ti].sorted(by: { $0.1.median > $1.1.median }) {
          rows.append([.text(t.emotion), .text(cat), .integer(Int64(done[ti].k)), .integer(Int64(s.n)), .real(s.median), .real(s.mean), .real(s.fractionAboveOne)])
        }
      }
      return ResultTable(
        columns: [Column("emotion", .text), Column("category", .text), Column("k", .integer), Column("features", .integer),
                  Column("median_ii", .real), Column("mean_ii", .real), Column("share_ii_above_1", .real)], rows: rows, notices: notices)
    }
    var rows: [[Value]] = []
    for (ti, t) in tasks.enumerated() {
      let p = done[ti]
      for (j, f) in bound.features.enumerated() {
        var row: [Value] = [.text(t.emotion), .text(f), .text(categoryOf[f]!), .integer(Int64(p.k)), .real(p.top.rmse[j]), .real(p.all.rmse[j]),
                            .real(p.top.r2[j]), .real(p.all.r2[j]), .real(informationIncrease(rmseAll: p.all.rmse[j], rmseTop: p.top.rmse[j]))]
        if let m = p.randomMean, let pv = p.pValue { row += [.real(m[j]), .real(pv[j])] }
        rows.append(row)
      }
    }
    var columns = [Column("emotion", .text), Column("feature", .text), Column("category", .text), Column("k", .integer), Column("rmse_top", .real),
                   Column("rmse_all", .real), Column("r2_top", .real), Column("r2_all", .real), Column("information_increase", .real)]
    if randomSubsets > 0 { columns += [Column("ii_random_mean", .real), Column("p_value", .real)] }
    return ResultTable(columns: columns, rows: rows, notices: notices)
  }

  /// The latest stored sweep point with this protocol key.
  func storedSweep(_ c: Connection, key: String) throws -> (f1: Double, folds: [FoldResult])? {
    guard let r = try c.query("SELECT f1, f1_folds, c_folds FROM topk_sweep WHERE protocol_key = ? ORDER BY run_id DESC LIMIT 1", [.text(key)]).rows.first else { return nil }
    let f1s = r[1].stringValue!.split(separator: " ").compactMap { Double($0) }
    let cs = r[2].stringValue!.split(separator: " ").compactMap { Double($0) }
    return (r[0].doubleValue!, zip(f1s, cs).map { FoldResult(c: $1, f1: $0, innerMeanScores: [], trainRows: 0, testRows: 0) })
  }

  /// The ridge hold-out of a task: from the `probe_split` file (train rows in the listed order),
  /// else scikit-learn's `train_test_split(test_size, random_state = seed)` over the task's rows.
  func probeSplit(_ t: AnalysisOperator.Task, _ data: AnalysisOperator.Data, testSize: Double, seed: UInt32) throws -> Split {
    guard let path = bound.options["probe_split"].flatMap({ if case .string(let s) = $0 { return s } else { return nil } }) else {
      guard testSize > 0, testSize < 1 else { throw ExecutionError(.input, "test_size must be between 0 and 1, not \(testSize)") }
      return trainTestSplit(n: t.rows.count, testSize: testSize, seed: seed)
    }
    let table: CSVTable
    do { table = try CSVTable.read(path: path) } catch { throw ExecutionError(.input, "\(error)") }
    func col(_ n: String) -> Int? { table.header.firstIndex { $0.lowercased() == n } }
    guard let ec = col("emotion"), let pc = col("path"), let rc = col("role") else {
      throw ExecutionError(.input, "'\(path)' needs the columns emotion, path, role (header: \(table.header.joined(separator: ",")))")
    }
    var position: [String: Int] = [:]
    for (i, r) in t.rows.enumerated() { position[data.paths[r]] = i }
    var train: [Int] = [], test: [Int] = []
    for rec in table.records where Emotion.normalise(rec.fields[ec]) == t.emotion {
      let p = rec.fields[pc].trimmedSpaces
      guard let i = position[p] else { throw ExecutionError(.input, "'\(path)' line \(rec.line): '\(p)' is not a row of the \(t.emotion) task") }
      switch rec.fields[rc].trimmedSpaces.lowercased() {
      case "train": train.append(i)
      case "test": test.append(i)
      default: throw ExecutionError(.input, "'\(path)' line \(rec.line): role must be train or test")
      }
    }
    if train.isEmpty || test.isEmpty { throw ExecutionError(.input, "'\(path)' needs train and test rows for '\(t.emotion)'") }
    return Split(train: train, test: test)
  }
}

import Foundation
import ProbeCore
import ProbeNumerics

/// Settings of the nested, speaker-grouped cross-validation.
public struct NestedCVConfig: Sendable, Equatable {
  public enum InnerMetric: String, Sendable { case accuracy, f1 }
  public var cGrid: [Double] = [0.01, 0.1, 1, 10, 100]
  public var innerMetric: InnerMetric = .accuracy
  /// Standardise inside the inner loop too (the clean protocol); the authors' notebook fitted the
  /// inner models on unscaled rows.
  public var scaleInner = true
  public init() {}
}

/// Result of one outer fold.
public struct FoldResult: Sendable, Equatable {
  public var c: Double
  public var f1: Double
  /// Mean inner score per C (same order as the grid).
  public var innerMeanScores: [Double]
  public var trainRows: Int
  public var testRows: Int

  public init(c: Double, f1: Double, innerMeanScores: [Double], trainRows: Int, testRows: Int) {
    self.c = c
    self.f1 = f1
    self.innerMeanScores = innerMeanScores
    self.trainRows = trainRows
    self.testRows = testRows
  }
}

/// The nested cross-validation of one task: per-fold results and the last fold's model (the one
/// SHAP explains, as in the reference protocol).
public struct NestedCVResult: Sendable {
  public var folds: [FoldResult]
  public var lastModel: ScaledLogistic

  public init(folds: [FoldResult], lastModel: ScaledLogistic) {
    self.folds = folds
    self.lastModel = lastModel
  }
  /// Mean binary F1 over the outer folds (sequential sum / count, as NumPy).
  public var meanF1: Double { Metrics.mean(folds.map(\.f1)) }
}

/// Why a task cannot be cross-validated; names the fold.
public struct LearnError: Error, CustomStringConvertible, Equatable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

public enum NestedCV {
  /// Gradient tolerance (scikit-learn's mean-loss scale) of fits used only for their predictions
  /// (the inner fits, which choose C by their validation scores, and outer refits whose model is
  /// not kept), where they do not stop earlier with the predicted classes certain: 1e-10, a
  /// hundred times tighter than the reference's newton-cg (1e-8), where a margin would have to lie
  /// within ~1e-9 of zero for the prediction to depend on it. Models that are kept (SHAP's) are
  /// solved to `LogisticProblem`'s default, the rounding level.
  public static let innerTolerance = 1e-10

  /// Grid search over C on the inner splits: mean score per C (sequential sum / count), the first
  /// best C on ties — `GridSearchCV` semantics.
  public static func selectC(_ x: DataMatrix, _ y: [Int], inner: [Split], config: NestedCVConfig) throws -> (c: Double, means: [Double]) {
    try selectC(x, y, within: Array(0..<x.rows), inner: inner, config: config)
  }

  /// `selectC` on rows `rows` of x and y, the inner splits' indices counting into `rows` (an outer
  /// fold's training rows, not gathered).
  static func selectC(_ x: DataMatrix, _ y: [Int], within rows: [Int], inner: [Split], config: NestedCVConfig) throws -> (c: Double, means: [Double]) {
    var scores = [[Double]](repeating: [], count: config.cGrid.count)
    for split in inner {
      let train = split.train.map { rows[$0] }, test = split.test.map { rows[$0] }
      if Set(train.map { y[$0] }).count < 2 { throw LearnError("an inner training split has only one class; the task needs both classes in every split") }
      let yva = test.map { y[$0] }
      let predictions = try predictions(x, y, train: train, test: test, cs: config.cGrid, scale: config.scaleInner)
      for (a, pred) in predictions.enumerated() {
        scores[a].append(config.innerMetric == .accuracy ? Metrics.accuracy(yva, pred) : Metrics.binaryF1(yva, pred))
      }
    }
    let means = scores.map { Metrics.mean($0) }
    var best = 0
    for a in means.indices where means[a] > means[best] { best = a }
    return (config.cGrid[best], means)
  }

  /// The classes of the `test` rows predicted by the models fitted on the `train` rows (standardised
  /// on them when `scale`) for each C of `cs` in order, as the optima would predict them: fits
  /// follow the regularisation path (`fitPath`) and stop once those classes are certain (see
  /// `LogisticProblem`), else at `innerTolerance`. In the kernel form only products of rows are
  /// formed — K of the training rows and the test rows' products with them, in one pass — and the
  /// path is followed in margins, with no product with the columns.
  static func predictions(_ x: DataMatrix, _ y: [Int], train: [Int], test: [Int], cs: [Double], scale: Bool) throws -> [[Int]] {
    let ytr = train.map { y[$0] }
    let n = train.count, nv = test.count, d = x.cols
    if LogisticProblem.usesPrimal(rows: n, cols: d) {
      // Training rows then test rows, standardised on the training rows.
      let xAll = x.rows(train + test)
      let scaler = scale ? StandardScaler(fit: xAll, firstRows: n) : nil
      let zAll = scaler?.transform(xAll) ?? xAll
      var problem = LogisticProblem(z: zAll.rows(Array(0..<n)), y: ytr)
      problem.tolerance = innerTolerance
      let zte = zAll.rows(Array(n..<(n + nv)))
      return try problem.fitPathMargins(cs, predicting: PredictionRows(zte, for: problem), certify: true).map(\.predictions)
    }
    // Training rows then test rows, standardised on the training rows (the same numbers as
    // `StandardScaler` on the rows gathered), straight from x into rows that start on cache
    // lines, as `rowProducts` reads them fastest.
    let ld = (d + 7) / 8 * 8
    let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, (n + nv) * ld) * MemoryLayout<Double>.stride, alignment: 64)
    defer { raw.deallocate() }
    let z = raw.bindMemory(to: Double.self, capacity: max(1, (n + nv) * ld))
    let all = (train + test).map { Int32($0) }
    x.values.withUnsafeBufferPointer { px in
      if scale {
        var mean = [Double](repeating: 0, count: d), sd = [Double](repeating: 1, count: d)
        mean.withUnsafeMutableBufferPointer { pm in
          sd.withUnsafeMutableBufferPointer { ps in
            if n > 0 && d > 0 { Linalg.columnMeansAndScales(px.baseAddress!, rows: Array(all[0..<n]), cols: d, mean: pm.baseAddress!, scale: ps.baseAddress!) }
            if d > 0 { Linalg.standardize(px.baseAddress!, rows: all, cols: d, mean: pm.baseAddress!, scale: ps.baseAddress!, into: z, ld: ld) }
          }
        }
      } else {
        for (i, r) in all.enumerated() where d > 0 { (z + i * ld).update(from: px.baseAddress! + Int(r) * d, count: d) }
      }
    }
    var products = [Double](repeating: 0, count: (n + nv) * n)
    products.withUnsafeMutableBufferPointer { Linalg.rowProducts(z, ld: ld, rows: n + nv, first: n, cols: d, into: $0.baseAddress!) }
    // ‖(zᵥ, 1)‖ of the prediction rows (for the certificate's bounds): eight lanes at a time, not
    // one chain of dependent additions.
    let norms = (0..<nv).map { v -> Double in
      let row = UnsafeRawPointer(z + (n + v) * ld)
      var acc = SIMD8<Double>()
      var j = 0
      while j + 8 <= d {
        let a = row.load(fromByteOffset: 8 * j, as: SIMD8<Double>.self)
        acc += a * a
        j += 8
      }
      var s = 1 + acc.sum()
      while j < d {
        s += z[(n + v) * ld + j] * z[(n + v) * ld + j]
        j += 1
      }
      return s.squareRoot()
    }
    var problem = LogisticProblem(gram: Array(products[0..<(n * n)]), y: ytr)
    problem.tolerance = innerTolerance
    let rows = PredictionRows(count: nv, cross: Array(products[(n * n)...]), norms: norms)
    return try problem.fitPathMargins(cs, predicting: rows, certify: true).map(\.predictions)
  }

  /// One outer fold: choose C on the inner splits, refit on the outer-train rows, score the test
  /// rows. The refitted model is returned when `model` (solved to the rounding level, for SHAP);
  /// otherwise only its test predictions are needed, and the fit stops once they are certain
  /// (`predictions`: in the kernel form, the test rows' products with the training rows cost less
  /// than the ≈ 6 factorisations the early stop saves, measured at n = 154, d = 768).
  public static func outerFold(_ x: DataMatrix, _ y: [Int], _ s: NestedSplit, config: NestedCVConfig, model wantModel: Bool = true) throws -> (FoldResult, ScaledLogistic?) {
    let (c, means) = try selectC(x, y, within: s.outer.train, inner: s.inner, config: config)
    let yTest = s.outer.test.map { y[$0] }
    var model: ScaledLogistic?
    let predicted: [Int]
    if !wantModel {
      predicted = try predictions(x, y, train: s.outer.train, test: s.outer.test, cs: [c], scale: true)[0]
    } else {
      let fitted = try ScaledLogistic.fit(x.rows(s.outer.train), s.outer.train.map { y[$0] }, c: c, tolerance: wantModel ? nil : innerTolerance)
      predicted = fitted.predict(x.rows(s.outer.test))
      if wantModel { model = fitted }
    }
    let f1 = Metrics.binaryF1(yTest, predicted)
    return (FoldResult(c: c, f1: f1, innerMeanScores: means, trainRows: s.outer.train.count, testRows: s.outer.test.count), model)
  }

  /// One outer fold of the top-k sweep: for each k in `ks` (ascending), the nested CV of the first
  /// k columns of `ranking` — exactly `outerFold` on `x.columns(ranking.prefix(k))` for every k,
  /// computed together. Standardisation is per column, so each row set is standardised once and
  /// the columns taken in ranking order; Gram matrices grow by the new columns only; each fit
  /// starts from the previous k's solution (new weights 0), which Newton finishes in fewer steps.
  /// Solutions are kept as margins (`MarginSolution`): a start needs no product with the rows, the
  /// kernel-form fits run on the Gram matrix alone and never form weights, and predictions are
  /// the margins' signs.
  public static func sweepFold(_ x: DataMatrix, _ y: [Int], _ s: NestedSplit, ranking: [Int], ks: [Int], config: NestedCVConfig) throws -> [FoldResult] {
    let scores = try s.inner.indices.map { try sweepInner(x, y, s, inner: $0, ranking: ranking, ks: ks, config: config) }
    return try sweepOuter(x, y, s, innerScores: scores, ranking: ranking, ks: ks, config: config)
  }

  /// A row set standardised once, its columns in ranking order, with a growing Gram matrix; and
  /// the rows whose classes its fits predict (validation or test rows), with their growing
  /// products with the row set and norms (`PredictionRows`).
  struct SweepGrower {
    let z: DataMatrix  // n × maxK, ranking order
    let predicted: DataMatrix  // n_v × maxK
    var gram: [Double]
    var cross: [Double]  // predicted · zᵀ over the first k columns
    var norms2: [Double]  // 1 + ‖predicted row‖² over the first k columns
    var k = 0
    var kProducts = 0  // columns in gram and cross: grown only once the kernel form needs them
    init(_ z: DataMatrix, predicting: DataMatrix) {
      self.z = z
      self.predicted = predicting
      self.gram = [Double](repeating: 0, count: z.rows * z.rows)
      self.cross = [Double](repeating: 0, count: predicting.rows * z.rows)
      self.norms2 = [Double](repeating: 1, count: predicting.rows)
    }
    /// The problem of the first k2 columns and its prediction rows: the kernel form from the Gram
    /// matrix alone (no copy of the columns), the primal form from the columns.
    mutating func grow(to k2: Int, y: [Int]) -> (problem: LogisticProblem, rows: PredictionRows) {
      let n = z.rows, nv = predicted.rows
      if k2 > k {
        for v in 0..<nv { for j in k..<k2 { norms2[v] += predicted[v, j] * predicted[v, j] } }
        k = k2
      }
      let norms = norms2.map { $0.squareRoot() }
      if LogisticProblem.usesPrimal(rows: n, cols: k2) {
        return (LogisticProblem(z: z.columns(0..<k2), y: y), PredictionRows(z: predicted.columns(0..<k2), cross: [], norms: norms))
      }
      if k2 > kProducts {
        // gram += B·Bᵀ and cross += P·Bᵀ for the columns B not in them yet (P of the predicted
        // rows): at the first kernel-form k every column so far, then each k's new ones.
        let width = k2 - kProducts, ld = z.cols
        z.values.withUnsafeBufferPointer { pzAll in
          let pb = pzAll.baseAddress! + kProducts
          gram.withUnsafeMutableBufferPointer { pg in
            Linalg.addProducts(pb, lda: ld, m: n, pb, ldb: ld, n: n, k: width, into: pg.baseAddress!, ldc: n)
          }
          predicted.values.withUnsafeBufferPointer { ppAll in
            guard nv > 0 else { return }
            cross.withUnsafeMutableBufferPointer { pc in
              Linalg.addProducts(ppAll.baseAddress! + kProducts, lda: predicted.cols, m: nv, pb, ldb: ld, n: n, k: width, into: pc.baseAddress!, ldc: n)
            }
          }
        }
        kProducts = k2
      }
      return (LogisticProblem(gram: gram, y: y), PredictionRows(count: nv, cross: cross, norms: norms))
    }
  }

  /// The first `maxK` columns of `ranking` of `rows`, standardised (when `scale`) on those rows.
  static func rankedColumns(_ rows: DataMatrix, _ order: [Int], scale: Bool) -> (StandardScaler?, DataMatrix) {
    let sub = rows.columns(order)
    let scaler = scale ? StandardScaler(fit: sub) : nil
    return (scaler, scaler?.transform(sub) ?? sub)
  }

  /// Inner split `i` of `sweepFold`'s outer fold: for every k of `ks`, the validation score of
  /// every C of the grid (`[k][c]`). Each fit starts from the same C's solution at the previous
  /// k (else from the previous C's at this k) and stops once the validation rows' classes are
  /// certain. Independent of the other inner splits, so they can run in parallel.
  public static func sweepInner(_ x: DataMatrix, _ y: [Int], _ s: NestedSplit, inner i: Int, ranking: [Int], ks: [Int], config: NestedCVConfig) throws -> [[Double]] {
    precondition(ks == ks.sorted() && (ks.last ?? 0) <= ranking.count && s.inner.indices.contains(i))
    let order = Array(ranking.prefix(ks.last ?? 0))
    let ytr = s.outer.train.map { y[$0] }
    if Set(ytr).count < 2 { throw LearnError("an outer training split has only one class") }
    let split = s.inner[i]
    let iy = split.train.map { ytr[$0] }
    if Set(iy).count < 2 { throw LearnError("an inner training split has only one class; the task needs both classes in every split") }
    let yVal = split.test.map { ytr[$0] }
    // The inner split's rows straight from x (its indices are into the outer training rows).
    let (scaler, z) = rankedColumns(x.rows(split.train.map { s.outer.train[$0] }), order, scale: config.scaleInner)
    let validation = x.rows(split.test.map { s.outer.train[$0] }).columns(order)
    var grower = SweepGrower(z, predicting: scaler?.transform(validation) ?? validation)
    // previous[c]: the last solution at grid point c.
    var previous = [MarginSolution?](repeating: nil, count: config.cGrid.count)
    var out: [[Double]] = []
    for k in ks {
      var (problem, rows) = grower.grow(to: k, y: iy)
      problem.tolerance = innerTolerance
      var pathStart: MarginSolution?
      var scores: [Double] = []
      for (a, c) in config.cGrid.enumerated() {
        let fitted = try problem.fitMargins(c: c, start: previous[a]?.padded(to: k) ?? pathStart, predicting: rows)
        previous[a] = fitted
        pathStart = fitted
        let pred = fitted.predictions
        scores.append(config.innerMetric == .accuracy ? Metrics.accuracy(yVal, pred) : Metrics.binaryF1(yVal, pred))
      }
      out.append(scores)
    }
    return out
  }

  /// The outer part of `sweepFold`, given every inner split's `sweepInner` scores
  /// (`[inner][k][c]`): for each k, the C of the best mean inner score (the first on ties), fitted
  /// on the outer training rows from the same C's previous solution, its test rows' F1.
  public static func sweepOuter(
    _ x: DataMatrix, _ y: [Int], _ s: NestedSplit, innerScores: [[[Double]]], ranking: [Int], ks: [Int], config: NestedCVConfig
  ) throws -> [FoldResult] {
    precondition(ks == ks.sorted() && (ks.last ?? 0) <= ranking.count)
    precondition(innerScores.count == s.inner.count && innerScores.allSatisfy { $0.count == ks.count }, "one score table per inner split and k")
    let order = Array(ranking.prefix(ks.last ?? 0))
    let xtr = x.rows(s.outer.train)
    let ytr = s.outer.train.map { y[$0] }
    if Set(ytr).count < 2 { throw LearnError("an outer training split has only one class") }
    let (outerScaler, zOuter) = rankedColumns(xtr, order, scale: true)
    var outer = SweepGrower(zOuter, predicting: outerScaler!.transform(x.rows(s.outer.test).columns(order)))
    let yTest = s.outer.test.map { y[$0] }
    var previousOuter = [MarginSolution?](repeating: nil, count: config.cGrid.count)
    var out: [FoldResult] = []
    for (ki, k) in ks.enumerated() {
      // Mean over the inner splits in order (sequential sum / count), as `selectC`.
      let means = config.cGrid.indices.map { a in Metrics.mean(innerScores.map { $0[ki][a] }) }
      var best = 0
      for a in means.indices where means[a] > means[best] { best = a }
      let (problem, testRows) = outer.grow(to: k, y: ytr)
      let fitted = try problem.fitMargins(c: config.cGrid[best], start: previousOuter[best]?.padded(to: k), predicting: testRows)
      previousOuter[best] = fitted
      let f1 = Metrics.binaryF1(yTest, fitted.predictions)
      out.append(FoldResult(c: config.cGrid[best], f1: f1, innerMeanScores: means, trainRows: s.outer.train.count, testRows: s.outer.test.count))
    }
    return out
  }

  /// Run the nested CV. Outer folds run in parallel (each single-threaded BLAS) when `parallel`.
  public static func run(_ x: DataMatrix, _ y: [Int], splits: [NestedSplit], config: NestedCVConfig, parallel: Bool = true) throws -> NestedCVResult {
    guard !splits.isEmpty else { throw LearnError("no outer splits") }
    for (k, s) in splits.enumerated() {
      let ytr = Set(s.outer.train.map { y[$0] })
      if ytr.count < 2 { throw LearnError("outer fold \(k + 1): the training speakers have only one class") }
      if s.outer.test.isEmpty { throw LearnError("outer fold \(k + 1): no test rows") }
    }
    // Only the last fold's model is kept (and solved to the rounding level).
    let results = parallelMap(splits.count, parallel: parallel) { k in
      Result { try outerFold(x, y, splits[k], config: config, model: k == splits.count - 1) }
    }
    var folds: [FoldResult] = []
    var last: ScaledLogistic?
    for r in results {
      let (f, m) = try r.get()
      folds.append(f)
      last = m
    }
    return NestedCVResult(folds: folds, lastModel: last!)
  }
}

/// `body(0..<n)` in order, on every core when `parallel`, with BLAS limited to one thread
/// meanwhile (the matrices of cross-validation are small: threads inside BLAS only spin).
/// Results keep their index order.
public func parallelMap<T>(_ n: Int, parallel: Bool = true, _ body: (Int) -> T) -> [T] {
  let threads = Linalg.blasThreads
  Linalg.setBLASThreads(1)
  defer { Linalg.setBLASThreads(threads) }
  guard parallel, n > 1 else { return (0..<n).map(body) }
  var out = [T?](repeating: nil, count: n)
  out.withUnsafeMutableBufferPointer { buffer in
    let base = buffer.baseAddress!
    // Each index writes only its own slot; the loop's end orders the writes before the reads.
    Parallel.forEach(n) { k in (base + k).pointee = body(k) }
  }
  return out.map { $0! }
}

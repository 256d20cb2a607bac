import Foundation

/// NumPy-exact reductions, so summaries computed here equal the reference's to the last bit.
public enum NumPy {
  /// `np.sum` of a contiguous float64 array: pairwise summation (8 accumulators, blocks of 128).
  public static func sum(_ a: ArraySlice<Double>) -> Double {
    let n = a.count
    let base = a.startIndex
    if n < 8 {
      var r = 0.0
      for x in a { r += x }
      return r
    }
    if n <= 128 {
      var r = [Double](a[base..<(base + 8)])
      var i = 8
      while i < n - n % 8 {
        for j in 0..<8 { r[j] += a[base + i + j] }
        i += 8
      }
      var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
      while i < n {
        res += a[base + i]
        i += 1
      }
      return res
    }
    var n2 = n / 2
    n2 -= n2 % 8
    return sum(a[base..<(base + n2)]) + sum(a[(base + n2)...])
  }

  public static func sum(_ a: [Double]) -> Double { sum(a[...]) }
  public static func mean(_ a: [Double]) -> Double { sum(a) / Double(a.count) }

  /// `np.percentile(a, q)` with the default linear method (NumPy's two-sided lerp).
  public static func percentile(_ a: [Double], _ q: Double) -> Double {
    let v = a.sorted()
    let index = (q / 100) * Double(v.count - 1)
    let lo = Int(index.rounded(.down))
    let hi = min(lo + 1, v.count - 1)
    let t = index - Double(lo)
    let x = v[lo], y = v[hi]
    let diff = y - x
    return t >= 0.5 ? y - diff * (1 - t) : x + diff * t
  }

  /// `np.round(x, decimals)` (round half to even): `rint(x·10^d) / 10^d`.
  public static func round(_ x: Double, decimals: Int) -> Double {
    let s = pow(10.0, Double(decimals))
    return (x * s).rounded(.toNearestOrEven) / s
  }
}

/// scikit-learn `train_test_split(np.arange(n), test_size, random_state=seed)`: a permutation of
/// the rows from `RandomState(seed)`; the first `ceil(test_size·n)` are the test rows, the rest the
/// training rows, both in permutation order (which matters: ridge folds are contiguous blocks of
/// the training rows in that order).
public func trainTestSplit(n: Int, testSize: Double, seed: UInt32) -> Split {
  var rs = RandomState(seed: seed)
  let perm = rs.permutation(n)
  let nTest = Int((testSize * Double(n)).rounded(.up))
  return Split(train: Array(perm[nTest...]), test: Array(perm[..<nTest]))
}

/// The smallest k whose mean F1 reaches the best of the sweep, compared after rounding 100·F1 to
/// `decimals` (half to even, as the authors did; nil compares raw values).
public func chooseK(_ ks: [Int], _ f1: [Double], decimals: Int? = 1) -> Int {
  let v = f1.map { x in decimals.map { NumPy.round(100 * x, decimals: $0) } ?? x }
  let best = v.max()!
  return ks[v.firstIndex { $0 >= best }!]
}

/// Result of ridge probes of several targets.
public struct RidgeProbeResult: Sendable {
  public var rmse: [Double]
  public var r2: [Double]
  public var alpha: [Double]
}

/// Ridge probes as the method defines them: for every target column, α chosen by unshuffled
/// k-fold CV over the training rows in the given order (mean of per-fold RMSE, first best on ties)
/// of a StandardScaler + Ridge pipeline, refitted on all training rows, scored on the test rows.
public func ridgeProbe(x: DataMatrix, y: DataMatrix, split: Split, alphas: [Double], folds k: Int) throws -> RidgeProbeResult {
  let xtr = x.rows(split.train), ytr = y.rows(split.train)
  let xte = x.rows(split.test), yte = y.rows(split.test)
  let t = y.cols
  /// Predictions of ridge fitted on (fx, fy) for vx at every α: the kernel form for wide data
  /// (as many columns as rows or more: the all-dimensions probe), the SVD of X otherwise.
  func predictions(_ fx: DataMatrix, _ fy: DataMatrix, _ vx: DataMatrix, _ alphas: [Double]) throws -> [DataMatrix] {
    if fx.cols >= fx.rows { return try KernelRidge(x: fx, y: fy).predict(vx, alphas: alphas) }
    let solver = try RidgeSolver(x: fx, y: fy)
    return alphas.map { solver.predict(vx, alpha: $0) }
  }
  // cv[a][f][target]
  var cv = [[[Double]]](repeating: [], count: alphas.count)
  for fold in contiguousKFold(n: split.train.count, k: k) {
    let fx = xtr.rows(fold.train), fy = ytr.rows(fold.train)
    let scaler = StandardScaler(fit: fx)
    let vx = scaler.transform(xtr.rows(fold.test)), vy = ytr.rows(fold.test)
    for (a, p) in try predictions(scaler.transform(fx), fy, vx, alphas).enumerated() { cv[a].append(rmsePerColumn(vy, p)) }
  }
  var best = [Int](repeating: 0, count: t)
  var bestScore = [Double](repeating: .infinity, count: t)
  for a in alphas.indices {
    for j in 0..<t {
      var s = 0.0
      for f in cv[a].indices { s += cv[a][f][j] }
      let mean = s / Double(cv[a].count)
      if mean < bestScore[j] {
        bestScore[j] = mean
        best[j] = a
      }
    }
  }
  let scaler = StandardScaler(fit: xtr)
  let chosen = Array(Set(best)).sorted()
  let final = try predictions(scaler.transform(xtr), ytr, scaler.transform(xte), chosen.map { alphas[$0] })
  var rmse = [Double](repeating: .nan, count: t), r2 = rmse
  for (ci, a) in chosen.enumerated() {
    let p = final[ci]
    for j in 0..<t where best[j] == a {
      var ss = 0.0, mean = 0.0
      for i in 0..<yte.rows { mean += yte[i, j] }
      mean /= Double(yte.rows)
      var tot = 0.0
      for i in 0..<yte.rows {
        let e = yte[i, j] - p[i, j]
        ss += e * e
        tot += (yte[i, j] - mean) * (yte[i, j] - mean)
      }
      rmse[j] = (ss / Double(yte.rows)).squareRoot()
      r2[j] = 1 - ss / tot
    }
  }
  return RidgeProbeResult(rmse: rmse, r2: r2, alpha: best.map { alphas[$0] })
}

/// Root mean squared error of each column.
func rmsePerColumn(_ truth: DataMatrix, _ pred: DataMatrix) -> [Double] {
  var out = [Double](repeating: 0, count: truth.cols)
  for i in 0..<truth.rows {
    for j in 0..<truth.cols {
      let e = truth[i, j] - pred[i, j]
      out[j] += e * e
    }
  }
  return out.map { ($0 / Double(truth.rows)).squareRoot() }
}

/// Information increase II = RMSE_all / RMSE_top² (Dixit et al. 2024).
public func informationIncrease(rmseAll: Double, rmseTop: Double) -> Double { rmseAll / (rmseTop * rmseTop) }

/// Summary of a category's values, as the reference computes it (finite values only).
public struct CategorySummary: Sendable, Equatable {
  public var n: Int
  public var mean, median, q1, q3, min, max, fractionAboveOne: Double

  public init?(_ values: [Double]) {
    let v = values.filter(\.isFinite)
    guard !v.isEmpty else { return nil }
    n = v.count
    mean = NumPy.mean(v)
    median = NumPy.percentile(v, 50)
    q1 = NumPy.percentile(v, 25)
    q3 = NumPy.percentile(v, 75)
    min = v.min()!
    max = v.max()!
    fractionAboveOne = Double(v.filter { $0 > 1 }.count) / Double(v.count)
  }
}

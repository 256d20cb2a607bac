import Foundation
import ProbeNumerics

/// A fitted binary logistic regression: `P(y = 1 | z) = σ(w·z + b)`.
public struct LogisticModel: Sendable, Equatable {
  public var weights: [Double]
  public var intercept: Double
  /// Newton iterations used.
  public var iterations: Int

  /// Decision values `w·z + b` for the rows of `z`.
  public func decision(_ z: DataMatrix) -> [Double] {
    precondition(z.cols == weights.count, "model has \(weights.count) weights, data \(z.cols) columns")
    var out = [Double](repeating: intercept, count: z.rows)
    guard z.rows > 0, z.cols > 0 else { return out }
    z.values.withUnsafeBufferPointer { pz in
      weights.withUnsafeBufferPointer { pw in
        out.withUnsafeMutableBufferPointer { po in Linalg.gemv(pz.baseAddress!, pw.baseAddress!, po.baseAddress!, m: z.rows, n: z.cols, beta: 1) }
      }
    }
    return out
  }

  /// Class predictions: 1 when the decision value is strictly positive (scikit-learn's rule).
  public func predict(_ z: DataMatrix) -> [Int] { decision(z).map { $0 > 0 ? 1 : 0 } }
}

/// L2-regularised logistic regression with an unpenalised intercept, solved to a tight optimum:
///
///     minimise  ½‖w‖² + C · Σᵢ log(1 + exp(−sᵢ (w·zᵢ + b))),   sᵢ = 2yᵢ − 1
///
/// (scikit-learn's objective; its minimiser is what `LogisticRegression(C=…)` returns.)
///
/// A note on the solver. Cross-validation fits many models with n (rows) ≪ d (columns), several
/// C values on the same rows. Newton's method on (w, b) needs the (d+1)² Hessian
/// `P + C·ZᵀDZ` (P = identity without the intercept). Block elimination with the Woodbury identity
/// reduces each Newton step to one n×n Cholesky of `I + C·S K S` (K = ZZᵀ, S = D^½) plus two
/// products with Z, and K is computed once per row set and shared by every C. The step is exact,
/// a backtracking line search on the objective keeps it monotone, and iteration stops when the
/// gradient of the mean-loss objective (scikit-learn's scale) is below `tolerance` — far tighter
/// than scikit-learn's newton-cg at 1e-8, so both reach the same optimum to ~1e-8.
public struct LogisticProblem {
  public let z: DataMatrix
  public let y: [Int]
  let s: [Double]
  /// K = Z·Zᵀ.
  let gram: [Double]
  public var tolerance = 1e-14
  public var maxIterations = 200

  public init(z: DataMatrix, y: [Int]) {
    precondition(y.count == z.rows)
    self.z = z
    self.y = y
    self.s = y.map { $0 == 1 ? 1.0 : -1.0 }
    self.gram = Linalg.gram(z.values, rows: z.rows, cols: z.cols)
  }

  @inline(__always) static func logLoss(_ t: Double) -> Double {
    t > 0 ? log1p(exp(-t)) : -t + log1p(exp(t))
  }

  @inline(__always) static func sigmoid(_ t: Double) -> Double {
    t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t))
  }

  func objective(_ wNorm2: Double, _ m: [Double], _ c: Double) -> Double {
    var loss = 0.0
    for i in 0..<m.count { loss += Self.logLoss(s[i] * m[i]) }
    return 0.5 * wNorm2 + c * loss
  }

  /// Fit for one C, optionally warm-started from another solution.
  public func fit(c: Double, start: LogisticModel? = nil) throws -> LogisticModel {
    let n = z.rows, d = z.cols
    var w = start?.weights ?? [Double](repeating: 0, count: d)
    var b = start?.intercept ?? 0
    var m = LogisticModel(weights: w, intercept: b, iterations: 0).decision(z)
    var wNorm2 = w.reduce(0) { $0 + $1 * $1 }
    var f = objective(wNorm2, m, c)
    var q = [Double](repeating: 0, count: n)  // ∂loss/∂m
    var dd = [Double](repeating: 0, count: n)  // σ'(m)
    var gw = [Double](repeating: 0, count: d)
    var iterations = 0
    let scale = c * Double(max(n, 1))
    while iterations < maxIterations {
      // Gradient.
      var gb = 0.0
      for i in 0..<n {
        let p = Self.sigmoid(s[i] * m[i])
        q[i] = -s[i] * (1 - p)
        dd[i] = p * (1 - p)
        gb += q[i]
      }
      gb *= c
      gw = w
      if d > 0 {
        z.values.withUnsafeBufferPointer { pz in
          q.withUnsafeBufferPointer { pq in gw.withUnsafeMutableBufferPointer { pg in Linalg.gemv(pz.baseAddress!, pq.baseAddress!, pg.baseAddress!, m: n, n: d, trans: true, alpha: c, beta: 1) } }
        }
      }
      // Stop at the optimum to rounding: the gradient's size is at the level of its own
      // floating-point error (≈ C·n·ε); `tolerance` bounds it on scikit-learn's mean-loss scale.
      let gmax = max(abs(gb), gw.map(abs).max() ?? 0)
      if gmax <= max(tolerance * scale, 1e-10, 64 * Double.ulpOfOne * scale) { break }
      iterations += 1

      // Newton direction by block elimination (see the type's note).
      let sq = dd.map { $0.squareRoot() }
      var a = [Double](repeating: 0, count: n * n)
      for i in 0..<n {
        for j in 0...i {
          let v = c * sq[i] * gram[i * n + j] * sq[j]
          a[i * n + j] = v
          a[j * n + i] = v
        }
        a[i * n + i] += 1
      }
      try Linalg.cholesky(&a, n: n)
      // Solve (I + C·K·D) u = r  via  t = A⁻¹ S r,  u = r − C·K·S·t, for r0 = −Z·g_w and r1 = 1.
      var r0 = [Double](repeating: 0, count: n)
      if d > 0 {
        z.values.withUnsafeBufferPointer { pz in
          gw.withUnsafeBufferPointer { pg in r0.withUnsafeMutableBufferPointer { pr in Linalg.gemv(pz.baseAddress!, pg.baseAddress!, pr.baseAddress!, m: n, n: d, alpha: -1) } }
        }
      }
      let r1 = [Double](repeating: 1, count: n)
      var t = [Double](repeating: 0, count: 2 * n)  // two right-hand sides, row-major n×2
      for i in 0..<n {
        t[2 * i] = sq[i] * r0[i]
        t[2 * i + 1] = sq[i] * r1[i]
      }
      Linalg.choleskySolve(a, n: n, &t, nrhs: 2)
      for i in 0..<n {
        t[2 * i] *= sq[i]
        t[2 * i + 1] *= sq[i]
      }
      var kst = [Double](repeating: 0, count: 2 * n)
      gram.withUnsafeBufferPointer { pk in
        t.withUnsafeBufferPointer { pt in kst.withUnsafeMutableBufferPointer { po in Linalg.gemm(pk.baseAddress!, pt.baseAddress!, po.baseAddress!, m: n, n: 2, k: n) } }
      }
      var u0 = [Double](repeating: 0, count: n)
      var u1 = [Double](repeating: 0, count: n)
      for i in 0..<n {
        u0[i] = r0[i] - c * kst[2 * i]
        u1[i] = r1[i] - c * kst[2 * i + 1]
      }
      var num = -gb, den = 0.0
      for i in 0..<n {
        num -= c * dd[i] * u0[i]
        den += c * dd[i] * u1[i]
      }
      let db = den > 1e-300 ? num / den : 0
      var u = [Double](repeating: 0, count: n)
      var du = [Double](repeating: 0, count: n)
      for i in 0..<n {
        u[i] = u0[i] + db * u1[i]
        du[i] = dd[i] * u[i]
      }
      var dw = gw.map { -$0 }
      if d > 0 {
        z.values.withUnsafeBufferPointer { pz in
          du.withUnsafeBufferPointer { pu in dw.withUnsafeMutableBufferPointer { pd in Linalg.gemv(pz.baseAddress!, pu.baseAddress!, pd.baseAddress!, m: n, n: d, trans: true, alpha: -c, beta: 1) } }
        }
      }
      // Backtracking line search on the exact objective: margins move by t·u.
      var wdw = 0.0, dw2 = 0.0
      for j in 0..<d {
        wdw += w[j] * dw[j]
        dw2 += dw[j] * dw[j]
      }
      var slope = gb * db  // directional derivative g·Δ
      for j in 0..<d { slope += gw[j] * dw[j] }
      if slope >= 0 { break }  // no descent left: at the optimum to machine precision
      var step = 1.0
      var accepted = false
      var mNew = m
      var fNew = f
      for _ in 0..<60 {
        for i in 0..<n { mNew[i] = m[i] + step * u[i] }
        let nw2 = wNorm2 + 2 * step * wdw + step * step * dw2
        fNew = objective(nw2, mNew, c)
        if fNew <= f + 1e-4 * step * slope {
          accepted = true
          wNorm2 = nw2
          break
        }
        step *= 0.5
      }
      if !accepted { break }
      for j in 0..<d { w[j] += step * dw[j] }
      b += step * db
      m = mNew
      if abs(f - fNew) <= 1e-16 * max(1, abs(f)) && step < 1 {
        f = fNew
        break
      }
      f = fNew
    }
    return LogisticModel(weights: w, intercept: b, iterations: iterations)
  }
}

/// A standardiser fitted on training rows followed by a logistic regression: what every fold of
/// the nested cross-validation trains.
public struct ScaledLogistic: Sendable, Equatable {
  public var scaler: StandardScaler?
  public var model: LogisticModel
  public var c: Double

  public static func fit(_ x: DataMatrix, _ y: [Int], c: Double, scale: Bool = true) throws -> ScaledLogistic {
    let scaler = scale ? StandardScaler(fit: x) : nil
    let z = scaler?.transform(x) ?? x
    return ScaledLogistic(scaler: scaler, model: try LogisticProblem(z: z, y: y).fit(c: c), c: c)
  }

  public func transform(_ x: DataMatrix) -> DataMatrix { scaler?.transform(x) ?? x }
  public func predict(_ x: DataMatrix) -> [Int] { model.predict(transform(x)) }
}

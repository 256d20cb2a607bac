import Foundation
import ProbeNumerics

/// A fitted binary logistic regression: `P(y = 1 | z) = σ(w·z + b)`.
public struct LogisticModel: Sendable, Equatable {
  public var weights: [Double]
  public var intercept: Double
  /// Newton iterations used.
  public var iterations: Int

  public init(weights: [Double], intercept: Double, iterations: Int) {
    self.weights = weights
    self.intercept = intercept
    self.iterations = iterations
  }

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
/// than scikit-learn's newton-cg at 1e-8, so both reach the same optimum to ~1e-8. When d is small
/// next to n (eGeMAPS, the first points of a top-k sweep) the plain (d+1)² primal Newton system is
/// cheaper and is used instead; both paths share the gradient, stopping rule and line search.
public struct LogisticProblem {
  public let z: DataMatrix
  public let y: [Int]
  let s: [Double]
  /// K = Z·Zᵀ.
  let gram: [Double]
  public var tolerance = 1e-14
  public var maxIterations = 200

  /// Newton steps in the (d+1)-dimensional primal instead of the n-dimensional kernel form: chosen
  /// when its cost per step, n·(d+1)² + (d+1)³/3, is below the kernel form's, n³/3 + 2·n·d.
  let primal: Bool

  /// - Parameter gram: `Z·Zᵀ` when the caller already has it (the top-k sweep grows it column
  ///   block by column block); computed here when needed and not given.
  public init(z: DataMatrix, y: [Int], gram: [Double]? = nil) {
    precondition(y.count == z.rows)
    self.z = z
    self.y = y
    self.s = y.map { $0 == 1 ? 1.0 : -1.0 }
    let n = Double(z.rows), p = Double(z.cols + 1)
    self.primal = n * p * p + p * p * p / 3 < n * n * n / 3 + 2 * n * Double(z.cols)
    self.gram = primal ? [] : (gram ?? Linalg.gram(z.values, rows: z.rows, cols: z.cols))
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
    // Work buffers, allocated once per fit.
    var q = [Double](repeating: 0, count: n)  // ∂loss/∂m
    var dd = [Double](repeating: 0, count: n)  // σ'(m)
    var sq = [Double](repeating: 0, count: n)  // √σ'(m)
    var gw = [Double](repeating: 0, count: d)
    var dw = [Double](repeating: 0, count: d)
    var a = [Double](repeating: 0, count: n * n)
    var t = [Double](repeating: 0, count: 2 * n)  // two right-hand sides, column-major n×2
    var kst = [Double](repeating: 0, count: 2 * n)
    var u = [Double](repeating: 0, count: n)
    var mNew = m
    var iterations = 0
    let scale = c * Double(max(n, 1))
    let threshold = max(tolerance * scale, 1e-10, 64 * Double.ulpOfOne * scale)
    /// Backtracking line search on the exact objective along (dw, db), margins moving by step·u.
    /// Returns true when iteration should stop (no descent left, or converged).
    func lineSearch(db: Double, gb: Double) throws -> Bool {
      var wdw = 0.0, dw2 = 0.0, slope = gb * db
      for j in 0..<d {
        wdw += w[j] * dw[j]
        dw2 += dw[j] * dw[j]
        slope += gw[j] * dw[j]
      }
      if slope >= 0 { return true }  // no descent left: at the optimum to machine precision
      var step = 1.0
      var accepted = false
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
      if !accepted { return true }
      for j in 0..<d { w[j] += step * dw[j] }
      b += step * db
      swap(&m, &mNew)
      let converged = abs(f - fNew) <= 1e-16 * max(1, abs(f)) && step < 1
      f = fNew
      return converged
    }
    try z.values.withUnsafeBufferPointer { pz in
      while iterations < maxIterations {
        // Gradient: g_w = w + C·Zᵀq, g_b = C·Σq.
        var gb = 0.0
        for i in 0..<n {
          let p = Self.sigmoid(s[i] * m[i])
          q[i] = -s[i] * (1 - p)
          dd[i] = p * (1 - p)
          sq[i] = dd[i].squareRoot()
          gb += q[i]
        }
        gb *= c
        for j in 0..<d { gw[j] = w[j] }
        if d > 0 { Linalg.gemv(pz.baseAddress!, q, &gw, m: n, n: d, trans: true, alpha: c, beta: 1) }
        // Stop at the optimum to rounding: the gradient's size is at the level of its own
        // floating-point error (≈ C·n·ε); `tolerance` bounds it on scikit-learn's mean-loss scale.
        var gmax = abs(gb)
        for j in 0..<d { gmax = max(gmax, abs(gw[j])) }
        if gmax <= threshold { break }
        iterations += 1

        if primal {
          // Newton direction from the (d+1)² Hessian  P + C·[Z 1]ᵀ·D·[Z 1]  (P: identity on w, 0 on b).
          let p = d + 1
          var sz = [Double](repeating: 0, count: n * p)  // rows √Dᵢ·[zᵢ, 1]
          for i in 0..<n {
            for j in 0..<d { sz[i * p + j] = sq[i] * pz[i * d + j] }
            sz[i * p + d] = sq[i]
          }
          var h = Linalg.gram(transposeOf: sz, rows: n, cols: p, alpha: c)
          for j in 0..<d { h[j * p + j] += 1 }
          h[d * p + d] += 1e-12 * max(1, c)  // keeps the intercept block definite when every Dᵢ underflows
          try h.withUnsafeMutableBufferPointer { try Linalg.choleskyInPlace($0.baseAddress!, n: p) }
          var rhs = [Double](repeating: 0, count: p)
          for j in 0..<d { rhs[j] = -gw[j] }
          rhs[d] = -gb
          h.withUnsafeBufferPointer { ph in rhs.withUnsafeMutableBufferPointer { Linalg.choleskySolveInPlace(ph.baseAddress!, n: p, $0.baseAddress!, nrhs: 1) } }
          for j in 0..<d { dw[j] = rhs[j] }
          let db = rhs[d]
          // Margins move by u = Z·Δw + Δb.
          if d > 0 { Linalg.gemv(pz.baseAddress!, dw, &u, m: n, n: d) } else { for i in 0..<n { u[i] = 0 } }
          for i in 0..<n { u[i] += db }
          if try lineSearch(db: db, gb: gb) { break }
          continue
        }
        // Newton direction by block elimination (see the type's note):
        // A = I + C·S·K·S;  solve (I + C·K·D)·u = r as  t = A⁻¹·S·r,  u = r − C·K·S·t,
        // for r0 = −Z·g_w and r1 = 1, then Δb from the intercept equation.
        // Only the row-major lower triangle (= LAPACK's column-major upper) is read.
        gram.withUnsafeBufferPointer { pg in
          a.withUnsafeMutableBufferPointer { pa in
            sq.withUnsafeBufferPointer { ps in
              for i in 0..<n {
                let ci = c * ps[i]
                let row = i * n
                for j in 0...i { pa[row + j] = ci * pg[row + j] * ps[j] }
                pa[row + i] += 1
              }
            }
          }
        }
        try a.withUnsafeMutableBufferPointer { try Linalg.choleskyInPlace($0.baseAddress!, n: n) }
        // r0 = −Z·g_w goes to the first column of t (scaled by S after).
        if d > 0 { Linalg.gemv(pz.baseAddress!, gw, &t, m: n, n: d, alpha: -1) } else { for i in 0..<n { t[i] = 0 } }
        for i in 0..<n {
          t[n + i] = sq[i]
          u[i] = t[i]  // keep r0
          t[i] *= sq[i]
        }
        a.withUnsafeBufferPointer { pa in t.withUnsafeMutableBufferPointer { Linalg.choleskySolveInPlace(pa.baseAddress!, n: n, $0.baseAddress!, nrhs: 2) } }
        for i in 0..<n {
          t[i] *= sq[i]
          t[n + i] *= sq[i]
        }
        // K·(S·t) for both columns: (n×n)·(n×2) with column-major t ⇒ gemm with transposed B.
        gram.withUnsafeBufferPointer { pk in
          t.withUnsafeBufferPointer { pt in
            kst.withUnsafeMutableBufferPointer { po in Linalg.gemm(pk.baseAddress!, pt.baseAddress!, po.baseAddress!, m: n, n: 2, k: n, transB: true) }
          }
        }
        // kst is row-major n×2: [i*2] for r0, [i*2+1] for r1.
        var num = -gb, den = 0.0
        for i in 0..<n {
          let u0 = u[i] - c * kst[2 * i]
          let u1 = 1 - c * kst[2 * i + 1]
          num -= c * dd[i] * u0
          den += c * dd[i] * u1
          u[i] = u0
          t[n + i] = u1  // reuse as u1 storage
        }
        let db = den > 1e-300 ? num / den : 0
        for i in 0..<n {
          u[i] += db * t[n + i]
          q[i] = dd[i] * u[i]  // D·u, reusing q
        }
        for j in 0..<d { dw[j] = -gw[j] }
        if d > 0 { Linalg.gemv(pz.baseAddress!, q, &dw, m: n, n: d, trans: true, alpha: -c, beta: 1) }
        if try lineSearch(db: db, gb: gb) { break }
      }
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

  public init(scaler: StandardScaler?, model: LogisticModel, c: Double) {
    self.scaler = scaler
    self.model = model
    self.c = c
  }

  public static func fit(_ x: DataMatrix, _ y: [Int], c: Double, scale: Bool = true) throws -> ScaledLogistic {
    let scaler = scale ? StandardScaler(fit: x) : nil
    let z = scaler?.transform(x) ?? x
    return ScaledLogistic(scaler: scaler, model: try LogisticProblem(z: z, y: y).fit(c: c), c: c)
  }

  public func transform(_ x: DataMatrix) -> DataMatrix { scaler?.transform(x) ?? x }
  public func predict(_ x: DataMatrix) -> [Int] { model.predict(transform(x)) }
}

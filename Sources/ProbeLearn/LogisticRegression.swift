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

/// A fit's margins without the intercept, Z·w on the rows it was fitted on and zᵥ·w on its
/// prediction rows, and ‖w‖². A warm start from that fit on the same rows (also with zero weights
/// appended for new columns, which change none of them) begins with them instead of products with
/// Z and zᵥ, and the kernel form needs nothing else of the start (see `MarginSolution`).
public struct Margins: Sendable {
  public var train: [Double]
  public var predicted: [Double]
  public var weightNorm2: Double

  public init(train: [Double], predicted: [Double], weightNorm2: Double) {
    self.train = train
    self.predicted = predicted
    self.weightNorm2 = weightNorm2
  }
}

/// A solution as the top-k sweep keeps it: the intercept and the margins on its training and
/// prediction rows, which are all its predictions and a warm start on the same rows need; the
/// weights only where they were formed (primal fits). A problem given only its Gram matrix
/// (`LogisticProblem(gram:y:)`) never forms them: no product with Z at all.
public struct MarginSolution: Sendable {
  public var weights: [Double]?
  public var intercept: Double
  public var margins: Margins
  public var iterations: Int

  public init(weights: [Double]?, intercept: Double, margins: Margins, iterations: Int) {
    self.weights = weights
    self.intercept = intercept
    self.margins = margins
    self.iterations = iterations
  }

  /// Class predictions for the prediction rows (scikit-learn's rule, as `LogisticModel.predict`).
  public var predictions: [Int] { margins.predicted.map { $0 + intercept > 0 ? 1 : 0 } }

  /// The same solution as a start for `k` columns: zero weights appended (the margins stay).
  public func padded(to k: Int) -> MarginSolution {
    var out = self
    if let w = weights, w.count < k { out.weights = w + [Double](repeating: 0, count: k - w.count) }
    return out
  }
}

/// Rows whose predicted classes are all a caller needs from a fit (a validation split's rows in a
/// C search, a test split's in the top-k sweep). Given them, Newton's method stops as soon as every
/// row's class at the optimum is certain, instead of solving to the tolerance (see
/// `LogisticProblem.fit(c:start:predicting:)`).
public struct PredictionRows {
  /// The rows, standardised like the training rows (n_v × d); without columns when only `cross`
  /// is given (for a problem given only its Gram matrix).
  public let z: DataMatrix
  /// `z·Zᵀ` (n_v × n, row-major) against the training rows Z, for the kernel form: margins and
  /// their changes are then n-vector products. Empty for problems solved in the primal form.
  public let cross: [Double]
  /// ‖(zᵥ, 1)‖₂ for every row.
  public let norms: [Double]

  public init(z: DataMatrix, cross: [Double], norms: [Double]) {
    precondition(norms.count == z.rows && (cross.isEmpty || cross.count % max(z.rows, 1) == 0))
    self.z = z
    self.cross = cross
    self.norms = norms
  }

  /// `count` rows known by their products with the training rows (`cross`, n_v × n) and their
  /// norms ‖(zᵥ, 1)‖₂: for a problem given only its Gram matrix.
  public init(count: Int, cross: [Double], norms: [Double]) {
    self.init(z: DataMatrix(rows: count, cols: 0, values: []), cross: cross, norms: norms)
  }

  /// The rows of `z` for `problem`: computes `z·Zᵀ` when the problem uses the kernel form.
  public init(_ z: DataMatrix, for problem: LogisticProblem) {
    var cross: [Double] = []
    if !problem.primal && z.rows > 0 && problem.z.rows > 0 {
      cross = [Double](repeating: 0, count: z.rows * problem.z.rows)
      if z.cols > 0 {
        z.values.withUnsafeBufferPointer { pv in
          problem.z.values.withUnsafeBufferPointer { pz in
            cross.withUnsafeMutableBufferPointer { pc in
              Linalg.gemm(pv.baseAddress!, pz.baseAddress!, pc.baseAddress!, m: z.rows, n: problem.z.rows, k: z.cols, transB: true)
            }
          }
        }
      }
    }
    var norms = [Double](repeating: 1, count: z.rows)
    let d = z.cols
    z.values.withUnsafeBufferPointer { pv in
      norms.withUnsafeMutableBufferPointer { pn in
        for i in 0..<z.rows {
          var s = pn[i]
          for j in 0..<d { s += pv[i * d + j] * pv[i * d + j] }
          pn[i] = s.squareRoot()
        }
      }
    }
    self.init(z: z, cross: cross, norms: norms)
  }

  /// Whether the classes of margins `m` are certain, given the error estimate Δ = −H_F⁻¹·g (a
  /// direction from an earlier factor) that moves them by `dm`, with `rho` = ρ/(1 − ρ) for that
  /// factor's relative difference ρ; see `LogisticProblem`'s note. `energy` is ‖Δ‖_{H_F} =
  /// √(−g·Δ); ‖(z, 1)‖_{H_F⁻¹} is bounded by √(‖z‖² + (1 + √c_b·‖z‖)²/s_b), from the block
  /// inverse of H_F with its weight block ≥ I, `schurB` = s_b the intercept's curvature with the
  /// weights eliminated and `interceptCurvature` = c_b = C·ΣD_F the intercept's own.
  /// A row that fails with that bound is checked again with its exact ‖(z, 1)‖²_{H_F⁻¹} from
  /// `exactDualNorm2` (one solve with the factor) when given.
  static func certain(
    _ m: UnsafePointer<Double>, moved dm: UnsafePointer<Double>, energy: Double, rho: Double, norms: [Double], schurB: Double, interceptCurvature: Double,
    exactDualNorm2: ((Int) -> Double)? = nil
  ) -> Bool {
    guard schurB > 0, schurB.isFinite, energy.isFinite else { return false }
    let rootCb = max(interceptCurvature, 0).squareRoot()
    for v in norms.indices {
      let floor = 4 * abs(dm[v]) + 1e-7 * (1 + abs(m[v]))
      if !(abs(m[v]) > floor) { return false }
      let z2 = max(norms[v] * norms[v] - 1, 0), z = z2.squareRoot()
      let dualNorm = (z2 + (1 + rootCb * z) * (1 + rootCb * z) / schurB).squareRoot()
      if abs(m[v]) > floor + 4 * rho * dualNorm * energy { continue }
      guard let exactDualNorm2 else { return false }
      let exact = max(exactDualNorm2(v), 0).squareRoot()
      if !(abs(m[v]) > floor + 4 * rho * exact * energy) { return false }
    }
    return true
  }
}

/// The regularisation path's tangent v = d(w, b)/d log C at a solution of either form (see
/// `LogisticProblem.fitPath`): its weights where the problem has rows, its intercept part, its
/// margins without the intercept on the training rows (Z·v) and prediction rows (zᵥ·v), and the
/// products w·v and ‖v‖² a moved start's ‖w‖² needs.
struct PathTangent {
  var w: [Double]?
  var b: Double
  var train: [Double]
  var predicted: [Double]
  var wDotV: Double
  var vNorm2: Double
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
///
/// Stopping early when only predictions matter (`predicting:`). A caller that needs only the
/// classes of some rows (cross-validation's validation and test rows) does not need the optimum to
/// rounding: only the sign of each row's margin there. At a point x reached by at least one step,
/// the direction Δ = −H_F⁻¹·g from the last factor (of weights D_F within ρ ≤ ½ of D at x,
/// relatively) estimates the remaining error: x − x* = −H̄⁻¹H_F·Δ with H̄ the mean Hessian
/// between x and x*, taken to lie within a factor 1 ± ρ of H_F, so a row's margin error is δm (its
/// change along Δ) up to ρ/(1 − ρ)·‖(z, 1)‖_{H_F⁻¹}·‖Δ‖_{H_F} (Cauchy–Schwarz in H_F's norms;
/// ‖Δ‖_{H_F} = √(−g·Δ), and ‖(z, 1)‖_{H_F⁻¹} is bounded through H_F's block inverse, see
/// `PredictionRows.certain`). The classes at x — and at x + Δ, where the margins move by δm — are
/// taken as the optimum's when every row's margin m exceeds 4·(|δm| + that term) + 1e-7·(1 + |m|):
/// the bound with a safety factor of 4, which also covers measuring ρ at x only.
/// The step is still taken, and the fit ends. Rows closer to the boundary than that keep the
/// solver going to the tolerance, as without `predicting:`. Costs one solve with an existing
/// factor per check; in the top-k sweep most fits end after one factorisation and one such step.
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
  /// False for a problem given only its Gram matrix: z has no columns and weights are never formed.
  let hasRows: Bool
  /// Zᵀ padded (`Linalg.transposedPadded`) for primal problems where the faster Newton-matrix
  /// kernel runs (AVX-512), else empty.
  let transposed: (values: [Double], stride: Int)

  /// Whether problems of this shape are solved in the primal form (see `primal`).
  public static func usesPrimal(rows: Int, cols: Int) -> Bool {
    let n = Double(rows), p = Double(cols + 1)
    return n * p * p + p * p * p / 3 < n * n * n / 3 + 2 * n * Double(cols)
  }

  /// Which Newton system a problem solves: chosen by `usesPrimal`, or forced (tests, benchmarks).
  public enum Form: Sendable { case automatic, primal, kernel }

  /// - Parameter gram: `Z·Zᵀ` when the caller already has it (the top-k sweep grows it column
  ///   block by column block); computed here when needed and not given.
  public init(z: DataMatrix, y: [Int], gram: [Double]? = nil, form: Form = .automatic) {
    precondition(y.count == z.rows)
    self.z = z
    self.y = y
    self.s = y.map { $0 == 1 ? 1.0 : -1.0 }
    switch form {
    case .automatic: self.primal = Self.usesPrimal(rows: z.rows, cols: z.cols)
    case .primal: self.primal = true
    case .kernel: self.primal = false
    }
    self.gram = primal ? [] : (gram ?? Linalg.gram(z.values, rows: z.rows, cols: z.cols))
    self.hasRows = true
    self.transposed = primal && Linalg.choleskyKernelLevel == 2 ? Linalg.transposedPadded(z.values, rows: z.rows, cols: z.cols) : ([], 0)
  }

  /// The kernel form from K = Z·Zᵀ alone (n×n, row-major): fitted with `fitMargins` from starts
  /// known by their margins, without Z — the top-k sweep's fits, whose weights nobody reads.
  /// The stopping test is then ‖g‖₂ ≤ tolerance (no product with Zᵀ for the max-norm).
  public init(gram: [Double], y: [Int]) {
    precondition(gram.count == y.count * y.count)
    self.z = DataMatrix(rows: y.count, cols: 0, values: [])
    self.y = y
    self.s = y.map { $0 == 1 ? 1.0 : -1.0 }
    self.primal = false
    self.gram = gram
    self.hasRows = false
    self.transposed = ([], 0)
  }

  func objective(_ wNorm2: Double, _ m: [Double], _ c: Double) -> Double { objective(wNorm2, m, m.count, c) }

  /// At margins m: q = ∂loss/∂margin = −s·(1 − σ(s·m)) and D = σ′(s·m) per row; returns Σq
  /// (`LogisticTerms`: 1 − σ and σ′ from e = exp(−|t|), without cancellation).
  @inline(__always) func lossDerivatives(_ m: UnsafePointer<Double>, q: UnsafeMutablePointer<Double>, d dd: UnsafeMutablePointer<Double>, count n: Int) -> Double {
    guard n > 0 else { return 0 }
    return s.withUnsafeBufferPointer { LogisticTerms.derivatives(s: $0.baseAddress!, m: m, count: n, q: q, d: dd) }
  }

  func objective(_ wNorm2: Double, _ m: UnsafePointer<Double>, _ count: Int, _ c: Double) -> Double {
    let loss = count == 0 ? 0 : s.withUnsafeBufferPointer { LogisticTerms.loss(s: $0.baseAddress!, m: m, count: count) }
    return 0.5 * wNorm2 + c * loss
  }

  /// Backtracking line search on the exact objective along a Newton direction whose margins move
  /// by `u` per unit step (`wdw` = w·Δw, `dw2` = ‖Δw‖², `slope` = g·Δ < 0): halves the step
  /// until Armijo's condition holds — or, for the full step when its predicted decrease is below
  /// the objective's rounding (the last steps of the quadratic phase), until f does not rise
  /// beyond that rounding (`withinRounding`). The accepted margins are left in `mNew`; nil when
  /// no step of 60 halvings lowers f.
  func backtrack(
    f: Double, m: UnsafePointer<Double>, u: UnsafePointer<Double>, into mNew: UnsafeMutablePointer<Double>, count: Int, wNorm2: Double,
    wdw: Double, dw2: Double, slope: Double, c: Double
  ) -> (step: Double, f: Double, wNorm2: Double, withinRounding: Bool)? {
    let noise = 1e3 * Double.ulpOfOne * max(1, abs(f))
    var step = 1.0
    for _ in 0..<60 {
      let nw2 = wNorm2 + 2 * step * wdw + step * step * dw2
      // mNew = m + step·u and the loss there, in one pass.
      let loss = count == 0 ? 0 : s.withUnsafeBufferPointer { LogisticTerms.loss(s: $0.baseAddress!, m: m, moving: u, step: step, into: mNew, count: count) }
      let fNew = 0.5 * nw2 + c * loss
      if fNew <= f + 1e-4 * step * slope { return (step, fNew, nw2, false) }
      if step == 1 && -slope <= noise && fNew <= f + noise { return (step, fNew, nw2, true) }
      step *= 0.5
    }
    return nil
  }

  /// Fit for one C, optionally warm-started from another solution. With `predicting`, stops as soon
  /// as the classes of those rows at the optimum are certain (see the note above): the model
  /// predicts them as the optimum does, its coefficients are near the optimum but not at it.
  public func fit(c: Double, start: LogisticModel? = nil, predicting rows: PredictionRows? = nil) throws -> LogisticModel {
    precondition(hasRows, "a problem given only its Gram matrix is fitted with fitMargins")
    return primal ? try fitPrimal(c: c, start: start, predicting: rows).model : try fitKernel(c: c, start: start, predicting: rows).model
  }

  /// `fit(c:start:predicting:)` from and to `MarginSolution`s: the start's margins on these rows
  /// (from an earlier fit on the same training and prediction rows, padded for new columns)
  /// replace the products with Z and the prediction rows that would compute them. Primal problems
  /// need the start's weights; problems with only a Gram matrix use nothing else of the start and
  /// return no weights.
  public func fitMargins(c: Double, start: MarginSolution?, predicting rows: PredictionRows?) throws -> MarginSolution {
    if primal {
      precondition(start == nil || start!.weights?.count == z.cols, "a primal fit starts from weights")
      let startModel = start.map { LogisticModel(weights: $0.weights!, intercept: $0.intercept, iterations: 0) }
      let r = try fitPrimal(c: c, start: startModel, startMargins: start?.margins, predicting: rows)
      return MarginSolution(weights: r.model.weights, intercept: r.model.intercept, margins: r.margins, iterations: r.model.iterations)
    }
    precondition(start == nil || !hasRows || start!.weights?.count == z.cols, "a start's weights for these columns")
    let startModel = start.map { LogisticModel(weights: hasRows ? $0.weights! : [], intercept: $0.intercept, iterations: 0) }
    let r = try fitKernel(c: c, start: startModel, startMargins: start?.margins, predicting: rows)
    return MarginSolution(weights: hasRows ? r.model.weights : nil, intercept: r.model.intercept, margins: r.margins, iterations: r.model.iterations)
  }

  /// Fit every C of `cs` in order, each warm-started from the previous solution moved along the
  /// regularisation path: at an optimum, `d(w, b)/d log C = H⁻¹·(w, 0)` (differentiate
  /// `w + C·Zᵀq = 0`, `Σq = 0`), one more solve with the last Newton step's factor, so the next
  /// fit starts from `(w, b) + log(C′/C)·H⁻¹(w, 0)` and needs fewer Newton steps. The results are
  /// the same optima `fit` finds (the start only changes how fast they are reached).
  public func fitPath(_ cs: [Double], start: LogisticModel? = nil, predicting rows: PredictionRows? = nil) throws -> [LogisticModel] {
    precondition(hasRows, "a problem given only its Gram matrix is fitted with fitPathMargins")
    return try fitPathMargins(cs, start: start, predicting: rows, certify: true).map {
      LogisticModel(weights: $0.weights!, intercept: $0.intercept, iterations: $0.iterations)
    }
  }

  /// `fitPath` from and to `MarginSolution`s, in either form: the tangent is taken in margins (in
  /// the kernel form its margin step on the training rows comes out of the solve and the
  /// prediction rows' is one product with `cross`, so a problem given only its Gram matrix follows
  /// the path without any product with Z; in the primal form one more solve with the (d+1)²
  /// factor and products with the rows), and the predictor is kept only when its objective at the
  /// next C is no higher than the last solution's. With `certify` false the prediction rows are
  /// only tracked (their margins give the predictions) and every fit runs to the tolerance.
  public func fitPathMargins(_ cs: [Double], start: LogisticModel? = nil, predicting rows: PredictionRows?, certify: Bool) throws -> [MarginSolution] {
    var out: [MarginSolution] = []
    var next: MarginSolution?
    for (i, c) in cs.enumerated() {
      let wantTangent = i + 1 < cs.count && cs[i + 1] > 0 && c > 0
      let startModel = next.map { LogisticModel(weights: hasRows ? $0.weights! : [], intercept: $0.intercept, iterations: 0) } ?? start
      let r =
        primal
        ? try fitPrimal(c: c, start: startModel, startMargins: next?.margins, predicting: rows, tangent: wantTangent, certify: certify)
        : try fitKernel(c: c, start: startModel, startMargins: next?.margins, tangent: wantTangent, predicting: rows, certify: certify)
      let solution = MarginSolution(weights: hasRows ? r.model.weights : nil, intercept: r.model.intercept, margins: r.margins, iterations: r.model.iterations)
      out.append(solution)
      next = solution
      guard wantTangent, let t = r.tangent else { continue }
      let step = log(cs[i + 1] / c), cNext = cs[i + 1]
      let m = solution.margins
      let predicted = MarginSolution(
        weights: solution.weights.map { w in (0..<w.count).map { w[$0] + step * t.w![$0] } },
        intercept: solution.intercept + step * t.b,
        margins: Margins(
          train: (0..<m.train.count).map { m.train[$0] + step * t.train[$0] },
          predicted: (0..<m.predicted.count).map { m.predicted[$0] + step * t.predicted[$0] },
          weightNorm2: max(0, m.weightNorm2 + 2 * step * t.wDotV + step * step * t.vNorm2)),
        iterations: 0)
      let fPredicted = objective(predicted.margins.weightNorm2, predicted.margins.train.map { $0 + predicted.intercept }, cNext)
      let fSolution = objective(m.weightNorm2, m.train.map { $0 + solution.intercept }, cNext)
      if fPredicted <= fSolution { next = predicted }
    }
    return out
  }

  /// ‖(z, 1)‖²_{H⁻¹} for the primal Hessian H = P + C·Z̃ᵀ·D·Z̃ from its kernel-form pieces: the
  /// Cholesky factor of A = I + C·S·K·S (S = √D, `sqrtD`), t₁ = A⁻¹·S1, the intercept's curvature
  /// with the weights eliminated s_b = C·(S1)ᵀt₁, the row's products with the training rows Z·z
  /// (`cross`) and ‖z‖². With y = S·Z·z: zᵀ(H_ww)⁻¹z = ‖z‖² − C·yᵀA⁻¹y and the coupling
  /// b_wᵀ(H_ww)⁻¹z = C·t₁ᵀy (Woodbury), so the result is ‖z‖² − C·yᵀA⁻¹y + (1 − C·t₁ᵀy)²/s_b.
  /// One solve; `scratch` holds n values.
  static func kernelDualNorm2(
    cross: UnsafePointer<Double>, zNorm2: Double, sqrtD: UnsafePointer<Double>, factor a: UnsafePointer<Double>, inverses: UnsafePointer<Double>?,
    t1: UnsafePointer<Double>, schurB: Double, c: Double, n: Int, scratch: UnsafeMutablePointer<Double>
  ) -> Double {
    var coupling = 0.0
    for i in 0..<n {
      scratch[i] = sqrtD[i] * cross[i]
      coupling += t1[i] * scratch[i]
    }
    coupling *= c
    var y = [Double](repeating: 0, count: n)
    for i in 0..<n { y[i] = scratch[i] }
    Linalg.choleskySolveInPlace(a, n: n, scratch, nrhs: 1, inverses: inverses)
    var yAy = 0.0
    for i in 0..<n { yAy += y[i] * scratch[i] }
    return zNorm2 - c * yAy + (1 - coupling) * (1 - coupling) / schurB
  }

  /// Newton's method in the kernel form, where every step costs O(n³/3 + n²) whatever d is.
  ///
  /// The weights are kept as `w = γ·w₀ + Zᵀα` (w₀ the warm start, zero without one): every
  /// Newton step lies in span{w₀} ∪ rows(Z), so margins, norms and slopes are n-vectors and
  /// products with K = Z·Zᵀ. With `t = α + C·q` (q = ∂loss/∂margin), the gradient is
  /// `g = γ·w₀ + Zᵀt`; the Newton system is eliminated as in `fitPrimal`'s note with
  /// `r0 = −Z·g = −(γ·p₀ + K·t)` (p₀ = Z·w₀), giving the margin step u and
  /// `Δw = −γ·w₀ + Zᵀ(−t − C·D·u)`, i.e. `Δγ = −γ`, `Δα = −t − C·D·u`. The stopping rule is the
  /// same max-norm test as the primal solver: ‖g‖₂ (from n-vectors) bounds it, and g itself
  /// (one product with Zᵀ) is formed only when ‖g‖₂ is within √d of the threshold.
  func fitKernel(
    c: Double, start: LogisticModel?, startMargins: Margins? = nil, tangent wantTangent: Bool = false, predicting rows: PredictionRows? = nil,
    certify: Bool = true
  ) throws -> (model: LogisticModel, tangent: PathTangent?, margins: Margins) {
    let n = z.rows, d = z.cols
    let w0 = start?.weights ?? []
    precondition(start == nil || (hasRows ? w0.count == d : w0.isEmpty), "a start's weights for these columns")
    let nv = rows?.z.rows ?? 0
    precondition(rows == nil || rows!.cross.count == nv * n, "prediction rows need z·Zᵀ for the kernel form")
    precondition(startMargins == nil || (startMargins!.train.count == n && startMargins!.predicted.count == nv), "margins of other rows")
    // One zeroed workspace for every vector and the n×n factor: plain pointers, so the loops below
    // have no bounds, uniqueness or exclusivity checks and vectorise.
    let sizes = (vectors: 22 * n + 3 * nv + d, matrix: n * n + Linalg.choleskyInverseCount(n))
    let workspace = UnsafeMutablePointer<Double>.allocate(capacity: sizes.vectors + sizes.matrix + 1)
    // Only the vectors read before they are written are zeroed (p₀ and pv₀ without a start, α, K·α).
    defer { workspace.deallocate() }
    var cursor = workspace
    func take(_ count: Int) -> UnsafeMutablePointer<Double> {
      defer { cursor += count }
      return cursor
    }
    var b = start?.intercept ?? 0
    // p₀ = Z·w₀ (given with the start, or formed), s₀ = ‖w₀‖².
    let p0 = take(n)
    p0.initialize(repeating: 0, count: n)
    var s0 = 0.0
    if let startMargins {
      startMargins.train.withUnsafeBufferPointer { p0.update(from: $0.baseAddress!, count: n) }
    } else if !w0.isEmpty && d > 0 {
      z.values.withUnsafeBufferPointer { pz in Linalg.gemv(pz.baseAddress!, w0, p0, m: n, n: d) }
    }
    if let startMargins { s0 = startMargins.weightNorm2 } else { for v in w0 { s0 += v * v } }
    var gamma = start == nil ? 0.0 : 1.0
    // The prediction rows' margins mv = γ·pv₀ + (z·Zᵀ)·α + b (pv₀ = zᵥ·w₀) and their change
    // along the current direction (see `predicting:`).
    let pv0 = take(nv)
    pv0.initialize(repeating: 0, count: nv)
    if let startMargins {
      startMargins.predicted.withUnsafeBufferPointer { if nv > 0 { pv0.update(from: $0.baseAddress!, count: nv) } }
    } else if let rows, !w0.isEmpty, nv > 0, d > 0 {
      rows.z.values.withUnsafeBufferPointer { pz in Linalg.gemv(pz.baseAddress!, w0, pv0, m: nv, n: d) }
    }
    let mv = take(nv)
    for v in 0..<nv { mv[v] = gamma * pv0[v] + b }
    let dmv = take(nv)
    dmv.initialize(repeating: 0, count: nv)
    let alpha = take(n)
    let kAlpha = take(n)  // K·α
    alpha.initialize(repeating: 0, count: n)
    kAlpha.initialize(repeating: 0, count: n)
    var m = take(n)
    for i in 0..<n { m[i] = gamma * p0[i] + b }
    var wNorm2 = gamma * gamma * s0
    var f = objective(wNorm2, m, n, c)
    let q = take(n)
    let dd = take(n)
    let sq = take(n)
    let t = take(n)  // α + C·q
    let kt = take(n)  // K·t
    let rhs = take(2 * n)  // two right-hand sides, column-major n×2
    let kst = take(2 * n)
    let u = take(n)
    let delta = take(n)  // Δα
    let kDelta = take(n)  // K·Δα
    var mNew = take(n)
    let gw = take(d)
    let sqF = take(n), ddF = take(n), invSqF = take(n)  // √D, D and 1/√D of the current factor
    let t1 = take(n), scratch = take(n)  // A⁻¹·S1 of the current factor; a solve's workspace
    let a = take(n * n)
    let blockInverses = take(Linalg.choleskyInverseCount(n))  // of the factor's diagonal blocks, for its solves
    var inverses: UnsafePointer<Double>?  // blockInverses when the solves use them
    precondition(cursor - workspace == sizes.vectors + sizes.matrix, "workspace layout")
    var iterations = 0
    var factored = false
    var t1Current = false  // whether t1 = A⁻¹·S1 is the current factor's
    var schurB = 0.0  // C·(S1)ᵀA⁻¹(S1): the factor's intercept curvature with w eliminated
    var sumDF = 0.0  // Σ D of the factor
    var chordSteps = 0
    var gAtLastStep = Double.infinity
    let chordThreshold = 1e-6 * c * Double(max(n, 1))
    var noiseSteps = 0  // consecutive steps accepted only within the objective's rounding
    var tangent: PathTangent?
    let scale = c * Double(max(n, 1))
    let threshold = max(tolerance * scale, 1e-10, 64 * Double.ulpOfOne * scale)
    let rootD = Double(max(d, 1)).squareRoot()
    /// The Newton system with the current factor (its S = √D, D), by block elimination: given
    /// r0 = −Z·g in `u` and the intercept gradient `gb`, solves A·t = S·[r0, 1] for both columns,
    /// leaves the margin step u = r0 − C·K·S·t₀ + Δb·(1 − C·K·S·t₁) = S⁻¹·(t₀ + Δb·t₁) in `u`,
    /// and returns Δb.
    func eliminate(gb: Double, _ K: UnsafePointer<Double>) -> Double {
      if t1Current {
        // A⁻¹·S1 depends on the factor alone: solved with its first step, reused by its chord
        // steps and the path tangent.
        for i in 0..<n { rhs[i] = sqF[i] * u[i] }
        Linalg.choleskySolveInPlace(a, n: n, rhs, nrhs: 1, inverses: inverses)
        (rhs + n).update(from: t1, count: n)
      } else {
        for i in 0..<n {
          rhs[i] = sqF[i] * u[i]
          rhs[n + i] = sqF[i]
        }
        Linalg.choleskySolveInPlace(a, n: n, rhs, nrhs: 2, inverses: inverses)
        t1.update(from: rhs + n, count: n)  // A⁻¹·S1, also for exact dual norms (see `predicting:`)
        t1Current = true
      }
      // From A = I + C·S·K·S: C·K·S·A⁻¹ = S⁻¹·(I − A⁻¹), so r − C·K·S·A⁻¹·S·r = S⁻¹·A⁻¹·S·r: each
      // margin step is its solution divided by S, without a product with K. (The factor of a
      // matrix graded by S has rows graded alike, so the quotients keep the solutions' relative
      // accuracy.) Rows whose S underflows take the product form.
      var num = -gb, den = 0.0
      for i in 0..<n {
        var u0 = rhs[i] * invSqF[i], u1 = rhs[n + i] * invSqF[i]
        if !(sqF[i] > 1e-100) {
          var k0 = 0.0, k1 = 0.0
          for j in 0..<n {
            k0 += K[i * n + j] * sqF[j] * rhs[j]
            k1 += K[i * n + j] * sqF[j] * rhs[n + j]
          }
          u0 = u[i] - c * k0
          u1 = 1 - c * k1
        }
        num -= c * ddF[i] * u0
        den += c * ddF[i] * u1
        kst[i] = u0  // (scratch: the fallback above reads every solution)
        kst[n + i] = u1
      }
      for i in 0..<n {
        u[i] = kst[i]
        rhs[n + i] = kst[n + i]
      }
      schurB = den
      let db = den > 1e-300 ? num / den : 0
      for i in 0..<n { u[i] += db * rhs[n + i] }
      return db
    }
    @inline(__always) func dot(_ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>) -> Double {
      var acc = 0.0
      for i in 0..<n { acc += x[i] * y[i] }
      return acc
    }
    try z.values.withUnsafeBufferPointer { pz in
      try gram.withUnsafeBufferPointer { pk in
        let K = pk.baseAddress ?? UnsafePointer(workspace)  // K = Z·Zᵀ (empty only when n = 0)
        while iterations < maxIterations {
          let gb = c * lossDerivatives(m, q: q, d: dd, count: n)
          for i in 0..<n {
            sq[i] = dd[i].squareRoot()
            t[i] = alpha[i] + c * q[i]
          }
          Linalg.symmetricProduct(K, n: n, t, kt)
          // ‖g‖₂² = γ²s₀ + 2γ·p₀ᵀt + tᵀKt bounds max|gᵢ|² from above. While γ ≠ 0 (after a warm
          // start) its terms can be far larger than the sum, which is then known only to about
          // ε times them: below that, g is formed explicitly instead of trusted.
          let p0t = dot(p0, t), tkt = dot(t, kt)
          let g2raw = gamma * gamma * s0 + 2 * gamma * p0t + tkt
          let g2noise = gamma == 0 ? 0 : 1e3 * Double.ulpOfOne * (gamma * gamma * s0 + abs(2 * gamma * p0t) + tkt)
          let gNorm = max(0, g2raw).squareRoot()
          // At the rounding floor: two steps in a row accepted only within the objective's
          // rounding, and the gradient no longer falling, mean there is nothing left to gain.
          if noiseSteps >= 2 && max(gNorm, abs(gb)) > 0.5 * gAtLastStep { break }
          if g2raw > g2noise && max(gNorm, abs(gb)) <= threshold { break }
          if (gNorm <= rootD * threshold || g2raw <= g2noise) && abs(gb) <= threshold && d > 0 {
            for j in 0..<d { gw[j] = gamma * (w0.isEmpty ? 0 : w0[j]) }
            Linalg.gemv(pz.baseAddress!, t, gw, m: n, n: d, trans: true, beta: 1)
            var gmax = 0.0
            for j in 0..<d { gmax = max(gmax, abs(gw[j])) }
            if gmax <= threshold { break }
          }
          iterations += 1
          // Near the optimum (the quadratic phase) the Hessian hardly changes between steps: the
          // last factor is reused (a chord step, solving with the previous D exactly), which
          // converges at a rate of about the last step's relative size, for an n²-cost step
          // instead of an n³/3 factorisation. A chord step that does not cut the gradient
          // tenfold sends the next step back to a fresh factor.
          let gCurrent = max(gNorm, abs(gb))
          let chord = factored && gCurrent <= chordThreshold && gCurrent <= 0.1 * gAtLastStep && chordSteps < 4
          gAtLastStep = gCurrent
          // With prediction rows and an earlier factor whose D is within 50 % of the current one,
          // the direction from that factor estimates the remaining error: when it cannot change
          // any row's class, this is the last step (see `predicting:`).
          var rho = Double.infinity
          if certify && rows != nil && nv > 0 && factored {
            rho = 0
            for i in 0..<n { rho = max(rho, abs(dd[i] - ddF[i]) / max(ddF[i], 1e-300)) }
          }
          var certified = false
          var useFactor = chord || rho <= 0.5  // the current factor, else a new one here
          var db = 0.0, dGamma = 0.0, wdw = 0.0, dw2 = 0.0, slope = 0.0
          while true {
            if useFactor {
              chordSteps += 1
            } else {
              chordSteps = 0
              // A = I + C·S·K·S, column-major lower triangle.
              Linalg.scaledGramShift(a, K, sq, c: c, n: n)
              t1Current = false
              try Linalg.choleskyInPlace(a, n: n)
              inverses = Linalg.choleskyBlockInverses(a, n: n, into: blockInverses) ? UnsafePointer(blockInverses) : nil
              factored = true
              sqF.update(from: sq, count: n)
              ddF.update(from: dd, count: n)
              for i in 0..<n { invSqF[i] = 1 / sq[i] }
              sumDF = 0
              for i in 0..<n { sumDF += dd[i] }
            }
            // r0 = −Z·g = −(γ·p₀ + K·t).
            for i in 0..<n { u[i] = -(gamma * p0[i] + kt[i]) }
            db = eliminate(gb: gb, K)
            for i in 0..<n { delta[i] = -t[i] - c * ddF[i] * u[i] }
            dGamma = -gamma
            // The solve's margin step is u = Δγ·p₀ + K·Δα + Δb, which gives K·Δα without a product.
            for i in 0..<n { kDelta[i] = u[i] - dGamma * p0[i] - db }
            let p0Delta = dot(p0, delta)
            wdw = gamma * dGamma * s0 + gamma * p0Delta + dGamma * dot(p0, alpha) + dot(kAlpha, delta)
            dw2 = max(0, dGamma * dGamma * s0 + 2 * dGamma * p0Delta + dot(delta, kDelta))
            slope = gb * db + gamma * dGamma * s0 + gamma * p0Delta + dGamma * dot(p0, t) + dot(kt, delta)
            if useFactor && rho <= 0.5, let rows {
              // δmv = Δγ·pv₀ + (z·Zᵀ)·Δα + Δb along this direction.
              rows.cross.withUnsafeBufferPointer { pc in Linalg.gemv(pc.baseAddress!, delta, dmv, m: nv, n: n) }
              for v in 0..<nv { dmv[v] += dGamma * pv0[v] + db }
              // Exact ‖(z, 1)‖²_{H_F⁻¹} of row v: with y = S·Z·z (its products with the training
              // rows, scaled) and A = I + C·S·K·S, zᵀ(H_ww)⁻¹z = ‖z‖² − C·yᵀA⁻¹y and the weight–
              // intercept coupling is C·(A⁻¹S1)ᵀy (Woodbury; s_b is the elimination's denominator).
              let sB = schurB
              certified = PredictionRows.certain(
                mv, moved: dmv, energy: max(-slope, 0).squareRoot(), rho: rho / (1 - rho), norms: rows.norms, schurB: sB, interceptCurvature: c * sumDF
              ) { v in
                rows.cross.withUnsafeBufferPointer { pc in
                  Self.kernelDualNorm2(
                    cross: pc.baseAddress! + v * n, zNorm2: max(rows.norms[v] * rows.norms[v] - 1, 0), sqrtD: sqF, factor: a, inverses: inverses, t1: t1, schurB: sB, c: c, n: n,
                    scratch: scratch)
                }
              }
              if !certified && !chord {
                useFactor = false
                continue
              }
            }
            break
          }
          if slope >= 0 && gamma != 0 && d > 0 {
            // Cancellation in the n-vector form (see g2noise): the slope g·Δw + g_b·Δb explicitly.
            var g = [Double](repeating: 0, count: d), dw = [Double](repeating: 0, count: d)
            for j in 0..<d {
              g[j] = gamma * w0[j]
              dw[j] = dGamma * w0[j]
            }
            Linalg.gemv(pz.baseAddress!, t, &g, m: n, n: d, trans: true, beta: 1)
            Linalg.gemv(pz.baseAddress!, delta, &dw, m: n, n: d, trans: true, beta: 1)
            slope = gb * db
            for j in 0..<d { slope += g[j] * dw[j] }
          }
          if slope >= 0 { break }  // no descent left: at the optimum to machine precision
          guard let found = backtrack(f: f, m: m, u: u, into: mNew, count: n, wNorm2: wNorm2, wdw: wdw, dw2: dw2, slope: slope, c: c) else { break }
          let (step, fNew) = (found.step, found.f)
          wNorm2 = found.wNorm2
          noiseSteps = found.withinRounding ? noiseSteps + 1 : 0
          gamma += step * dGamma
          for i in 0..<n {
            alpha[i] += step * delta[i]
            kAlpha[i] += step * kDelta[i]
          }
          b += step * db
          swap(&m, &mNew)
          if let rows, nv > 0 {
            rows.cross.withUnsafeBufferPointer { pc in Linalg.gemv(pc.baseAddress!, delta, dmv, m: nv, n: n) }
            for v in 0..<nv { mv[v] += step * (dmv[v] + dGamma * pv0[v] + db) }
          }
          let converged = abs(f - fNew) <= 1e-16 * max(1, abs(f)) && step < 1
          f = fNew
          if converged || certified { break }
        }
        // w = γ·w₀ + Zᵀα.
        for j in 0..<d { gw[j] = gamma * (w0.isEmpty ? 0 : w0[j]) }
        if d > 0 { Linalg.gemv(pz.baseAddress!, alpha, gw, m: n, n: d, trans: true, beta: 1) }
        // The path tangent H⁻¹·(w, 0): the Newton system with gradient (−w, 0), i.e. γ_g = −γ,
        // t = −α, g_b = 0, solved with the last step's factor (the Hessian a step before the optimum).
        guard wantTangent, factored else { return }
        for i in 0..<n { u[i] = gamma * p0[i] + kAlpha[i] }  // −Z·g = Z·w = m − b
        let vb = eliminate(gb: 0, K)
        for i in 0..<n { delta[i] = alpha[i] - c * ddF[i] * u[i] }
        // Its margins: the solve's margin step is γ·p₀ + K·δ + v_b (as in the loop), so K·δ needs
        // no product; the prediction rows' γ·pv₀ + (z·Zᵀ)·δ one product with `cross`.
        for i in 0..<n { kDelta[i] = u[i] - gamma * p0[i] - vb }
        let p0Delta = dot(p0, delta)
        var trainT = [Double](repeating: 0, count: n)
        for i in 0..<n { trainT[i] = u[i] - vb }
        var predictedT = [Double](repeating: 0, count: nv)
        if let rows, nv > 0 {
          rows.cross.withUnsafeBufferPointer { pc in Linalg.gemv(pc.baseAddress!, delta, dmv, m: nv, n: n) }
          for v in 0..<nv { predictedT[v] = gamma * pv0[v] + dmv[v] }
        }
        var v: [Double]?
        if hasRows {
          var w = [Double](repeating: 0, count: d)
          for j in 0..<d { w[j] = gamma * (w0.isEmpty ? 0 : w0[j]) }
          if d > 0 { Linalg.gemv(pz.baseAddress!, delta, &w, m: n, n: d, trans: true, beta: 1) }
          v = w
        }
        tangent = PathTangent(
          w: v, b: vb, train: trainT, predicted: predictedT,
          wDotV: gamma * gamma * s0 + gamma * p0Delta + gamma * dot(p0, alpha) + dot(alpha, kDelta),
          vNorm2: max(0, gamma * gamma * s0 + 2 * gamma * p0Delta + dot(delta, kDelta)))
      }
    }
    let weights = Array(UnsafeBufferPointer(start: gw, count: d))
    let margins = Margins(train: (0..<n).map { m[$0] - b }, predicted: (0..<nv).map { mv[$0] - b }, weightNorm2: wNorm2)
    return (LogisticModel(weights: weights, intercept: b, iterations: iterations), tangent, margins)
  }

  /// Newton's method on (w, b) directly (the `primal` case: d small next to n).
  func fitPrimal(
    c: Double, start: LogisticModel? = nil, startMargins: Margins? = nil, predicting rows: PredictionRows? = nil, tangent wantTangent: Bool = false,
    certify: Bool = true
  ) throws -> (model: LogisticModel, tangent: PathTangent?, margins: Margins) {
    let n = z.rows, d = z.cols
    var w = start?.weights ?? [Double](repeating: 0, count: d)
    var b = start?.intercept ?? 0
    precondition(startMargins == nil || (startMargins!.train.count == n && startMargins!.predicted.count == (rows?.z.rows ?? 0)), "margins of other rows")
    var m = startMargins.map { $0.train.map { $0 + b } } ?? LogisticModel(weights: w, intercept: b, iterations: 0).decision(z)
    var wNorm2 = w.reduce(0) { $0 + $1 * $1 }
    var f = objective(wNorm2, m, c)
    // Work buffers, allocated once per fit.
    var q = [Double](repeating: 0, count: n)  // ∂loss/∂m
    var dd = [Double](repeating: 0, count: n)  // σ'(m)
    var gw = [Double](repeating: 0, count: d)
    var dw = [Double](repeating: 0, count: d)
    let p = d + 1
    var h = [Double](repeating: 0, count: p * p)  // the Hessian's Cholesky factor (column-major lower)
    var hInverses = [Double](repeating: 0, count: Linalg.choleskyInverseCount(p))  // of its diagonal blocks, for its solves
    var hasInverses = false
    /// x ← H⁻¹·x with the current factor.
    func solveH(_ x: inout [Double]) {
      h.withUnsafeBufferPointer { ph in
        hInverses.withUnsafeBufferPointer { pi in
          x.withUnsafeMutableBufferPointer { Linalg.choleskySolveInPlace(ph.baseAddress!, n: p, $0.baseAddress!, nrhs: 1, inverses: hasInverses ? pi.baseAddress! : nil) }
        }
      }
    }
    var rowX = [Double](repeating: 0, count: p)  // a prediction row's (z, 1), solved in place
    var rhs = [Double](repeating: 0, count: p)
    var u = [Double](repeating: 0, count: n)
    var mNew = m
    var iterations = 0
    let scale = c * Double(max(n, 1))
    let threshold = max(tolerance * scale, 1e-10, 64 * Double.ulpOfOne * scale)
    var factored = false
    var chordSteps = 0
    var gAtLastStep = Double.infinity
    let chordThreshold = 1e-6 * scale
    var noiseSteps = 0  // consecutive steps accepted only within the objective's rounding
    // The prediction rows' margins, their change along the direction, D of the current factor.
    let nv = rows?.z.rows ?? 0
    var mv = startMargins.map { $0.predicted.map { $0 + b } } ?? rows.map { LogisticModel(weights: w, intercept: b, iterations: 0).decision($0.z) } ?? []
    var dmv = [Double](repeating: 0, count: nv)
    var ddF = dd
    /// δmv = zᵥ·Δw + Δb along the current direction.
    func predictedMoves(db: Double) {
      guard let rows else { return }
      for v in 0..<nv { dmv[v] = db }
      if d > 0 { rows.z.values.withUnsafeBufferPointer { Linalg.gemv($0.baseAddress!, dw, &dmv, m: nv, n: d, beta: 1) } }
    }
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
      guard let found = backtrack(f: f, m: m, u: u, into: &mNew, count: n, wNorm2: wNorm2, wdw: wdw, dw2: dw2, slope: slope, c: c) else { return true }
      let (step, fNew) = (found.step, found.f)
      wNorm2 = found.wNorm2
      noiseSteps = found.withinRounding ? noiseSteps + 1 : 0
      for j in 0..<d { w[j] += step * dw[j] }
      b += step * db
      swap(&m, &mNew)
      if nv > 0 {
        predictedMoves(db: db)
        for v in 0..<nv { mv[v] += step * dmv[v] }
      }
      let converged = abs(f - fNew) <= 1e-16 * max(1, abs(f)) && step < 1
      f = fNew
      return converged
    }
    try z.values.withUnsafeBufferPointer { pz in
      while iterations < maxIterations {
        // Gradient: g_w = w + C·Zᵀq, g_b = C·Σq.
        let gb = c * lossDerivatives(m, q: &q, d: &dd, count: n)
        for j in 0..<d { gw[j] = w[j] }
        if d > 0 { Linalg.gemv(pz.baseAddress!, q, &gw, m: n, n: d, trans: true, alpha: c, beta: 1) }
        // Stop at the optimum to rounding: the gradient's size is at the level of its own
        // floating-point error (≈ C·n·ε); `tolerance` bounds it on scikit-learn's mean-loss scale.
        var gmax = abs(gb)
        for j in 0..<d { gmax = max(gmax, abs(gw[j])) }
        if gmax <= threshold || (noiseSteps >= 2 && gmax > 0.5 * gAtLastStep) { break }
        iterations += 1
        // Newton direction from the (d+1)² Hessian  P + C·[Z 1]ᵀ·D·[Z 1]  (P: identity on w, 0 on b),
        // or a chord step with the last factor in the quadratic phase (as in `fitKernel`).
        let chord = factored && gmax <= chordThreshold && gmax <= 0.1 * gAtLastStep && chordSteps < 4
        gAtLastStep = gmax
        func factorHere() throws {
          // H = P + C·[Z 1]ᵀ·D·[Z 1], column-major lower.
          h.withUnsafeMutableBufferPointer { ph in
            dd.withUnsafeBufferPointer { pd in
              let done = !transposed.values.isEmpty && transposed.values.withUnsafeBufferPointer { pt in
                Linalg.weightedGramShift(transposed: pt.baseAddress!, stride: transposed.stride, rows: n, cols: d, weights: pd.baseAddress!, c: c, into: ph.baseAddress!)
              }
              if !done { Linalg.weightedGramShift(pz.baseAddress, rows: n, cols: d, weights: pd.baseAddress!, c: c, into: ph.baseAddress!) }
            }
          }
          h[d * p + d] += 1e-12 * max(1, c)  // keeps the intercept block definite when every Dᵢ underflows
          try h.withUnsafeMutableBufferPointer { try Linalg.choleskyInPlace($0.baseAddress!, n: p) }
          hasInverses = h.withUnsafeBufferPointer { ph in hInverses.withUnsafeMutableBufferPointer { Linalg.choleskyBlockInverses(ph.baseAddress!, n: p, into: $0.baseAddress!) } }
          factored = true
          ddF = dd
        }
        /// The direction (dw, Δb) with the current factor.
        func direction() -> Double {
          for j in 0..<d { rhs[j] = -gw[j] }
          rhs[d] = -gb
          solveH(&rhs)
          for j in 0..<d { dw[j] = rhs[j] }
          return rhs[d]
        }
        // Certain classes of the prediction rows end the fit, as in `fitKernel`.
        var rho = Double.infinity
        if certify && rows != nil && nv > 0 && factored {
          rho = 0
          for i in 0..<n { rho = max(rho, abs(dd[i] - ddF[i]) / max(ddF[i], 1e-300)) }
        }
        var certified = false
        var db: Double
        if chord || rho <= 0.5 {
          db = direction()
          if rho <= 0.5, let rows {
            predictedMoves(db: db)
            var slope = gb * db, sumDF = 0.0
            for j in 0..<d { slope += gw[j] * dw[j] }
            for i in 0..<n { sumDF += ddF[i] }
            let lbb = h[d * p + d]  // the factor's last pivot: √(intercept curvature with w eliminated)
            certified = PredictionRows.certain(
              mv, moved: dmv, energy: max(-slope, 0).squareRoot(), rho: rho / (1 - rho), norms: rows.norms, schurB: lbb * lbb, interceptCurvature: c * sumDF
            ) { v in
              // Exact ‖(z, 1)‖²_{H_F⁻¹}: one solve with the factor.
              for j in 0..<d { rowX[j] = rows.z.values[v * d + j] }
              rowX[d] = 1
              solveH(&rowX)
              var q2 = 0.0
              for j in 0..<d { q2 += rows.z.values[v * d + j] * rowX[j] }
              q2 += rowX[d]  // the intercept's 1 times its component, last as before
              return q2
            }
          }
          if chord || certified {
            chordSteps += 1
          } else {
            chordSteps = 0
            try factorHere()
            db = direction()
          }
        } else {
          chordSteps = 0
          try factorHere()
          db = direction()
        }
        // Margins move by u = Z·Δw + Δb.
        if d > 0 { Linalg.gemv(pz.baseAddress!, dw, &u, m: n, n: d) } else { for i in 0..<n { u[i] = 0 } }
        for i in 0..<n { u[i] += db }
        if try lineSearch(db: db, gb: gb) || certified { break }
      }
    }
    let margins = Margins(train: m.map { $0 - b }, predicted: mv.map { $0 - b }, weightNorm2: w.reduce(0) { $0 + $1 * $1 })
    // The path tangent H⁻¹·(w, 0) with the last factor (see `fitPath`), and its margins.
    var tangent: PathTangent?
    if wantTangent && factored {
      var v = w + [0]
      solveH(&v)
      let vb = v.removeLast()
      var train = [Double](repeating: 0, count: n), predicted = [Double](repeating: 0, count: nv)
      if d > 0 {
        z.values.withUnsafeBufferPointer { Linalg.gemv($0.baseAddress!, v, &train, m: n, n: d) }
        if let rows, nv > 0 { rows.z.values.withUnsafeBufferPointer { Linalg.gemv($0.baseAddress!, v, &predicted, m: nv, n: d) } }
      }
      var wv = 0.0, vv = 0.0
      for j in 0..<d {
        wv += w[j] * v[j]
        vv += v[j] * v[j]
      }
      tangent = PathTangent(w: v, b: vb, train: train, predicted: predicted, wDotV: wv, vNorm2: vv)
    }
    return (LogisticModel(weights: w, intercept: b, iterations: iterations), tangent, margins)
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

  /// `tolerance`: the problem's gradient tolerance, `LogisticProblem`'s default (the rounding
  /// level) when nil.
  public static func fit(_ x: DataMatrix, _ y: [Int], c: Double, scale: Bool = true, tolerance: Double? = nil) throws -> ScaledLogistic {
    let scaler = scale ? StandardScaler(fit: x) : nil
    let z = scaler?.transform(x) ?? x
    var problem = LogisticProblem(z: z, y: y)
    if let tolerance { problem.tolerance = tolerance }
    return ScaledLogistic(scaler: scaler, model: try problem.fit(c: c), c: c)
  }

  public func transform(_ x: DataMatrix) -> DataMatrix { scaler?.transform(x) ?? x }
  public func predict(_ x: DataMatrix) -> [Int] { model.predict(transform(x)) }
}

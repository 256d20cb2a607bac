import ProbeNumerics

/// Ridge predictions for many targets and many penalties in the kernel form, for wide data
/// (rows ≤ columns, e.g. all 768 dimensions from ~120 training rows), as scikit-learn's Ridge
/// solves it there (on X·Xᵀ): with Xc, Yc the centred training data and G = Xc·Xcᵀ = U·Λ·Uᵀ,
///
///     ŷ(v) = ȳ + (v − x̄)·Xcᵀ · U · diag(1 / (λ + α)) · Uᵀ·Yc,
///
/// one n×n eigen-decomposition for every α, and no d×targets coefficient matrix.
public struct KernelRidge {
  let x: [Double]  // Xc, n × d
  let xMean: [Double]
  let yMean: [Double]
  let lambda: [Double]
  let u: [Double]  // n × n, eigenvectors as columns
  let uty: [Double]  // Uᵀ·Yc, n × targets
  public let rows: Int, features: Int, targets: Int

  public init(x: DataMatrix, y: DataMatrix) throws {
    precondition(x.rows == y.rows)
    let n = x.rows, d = x.cols, t = y.cols
    let xs = StandardScaler(fit: x).mean
    let ys = StandardScaler(fit: y).mean
    var xc = x.values
    for r in 0..<n { for c in 0..<d { xc[r * d + c] -= xs[c] } }
    var yc = y.values
    for r in 0..<n { for c in 0..<t { yc[r * t + c] -= ys[c] } }
    let (values, vectors) = try Linalg.symmetricEigen(Linalg.gram(xc, rows: n, cols: d), n: n)
    var uty = [Double](repeating: 0, count: n * t)
    vectors.withUnsafeBufferPointer { pu in
      yc.withUnsafeBufferPointer { py in
        uty.withUnsafeMutableBufferPointer { po in Linalg.gemm(pu.baseAddress!, py.baseAddress!, po.baseAddress!, m: n, n: t, k: n, transA: true) }
      }
    }
    self.x = xc
    self.xMean = xs
    self.yMean = ys
    self.lambda = values.map { max(0, $0) }  // G is positive semi-definite; rounding may dip below 0
    self.u = vectors
    self.uty = uty
    (rows, features, targets) = (n, d, t)
  }

  /// Predictions (rows × targets) for each α, in order.
  public func predict(_ v: DataMatrix, alphas: [Double]) -> [DataMatrix] {
    precondition(v.cols == features)
    let m = v.rows, n = rows, d = features, t = targets
    var vc = v.values
    for r in 0..<m { for c in 0..<d { vc[r * d + c] -= xMean[c] } }
    var kv = [Double](repeating: 0, count: m * n)  // (v − x̄)·Xcᵀ
    var kvu = [Double](repeating: 0, count: m * n)
    vc.withUnsafeBufferPointer { pv in
      x.withUnsafeBufferPointer { px in
        kv.withUnsafeMutableBufferPointer { pk in Linalg.gemm(pv.baseAddress!, px.baseAddress!, pk.baseAddress!, m: m, n: n, k: d, transB: true) }
      }
    }
    kv.withUnsafeBufferPointer { pk in
      u.withUnsafeBufferPointer { pu in
        kvu.withUnsafeMutableBufferPointer { po in Linalg.gemm(pk.baseAddress!, pu.baseAddress!, po.baseAddress!, m: m, n: n, k: n) }
      }
    }
    return alphas.map { alpha in
      var coef = uty
      for i in 0..<n {
        let f = 1 / (lambda[i] + alpha)
        for j in 0..<t { coef[i * t + j] *= f }
      }
      var out = [Double](repeating: 0, count: m * t)
      for r in 0..<m { for j in 0..<t { out[r * t + j] = yMean[j] } }
      kvu.withUnsafeBufferPointer { pk in
        coef.withUnsafeBufferPointer { pc in
          out.withUnsafeMutableBufferPointer { po in Linalg.gemm(pk.baseAddress!, pc.baseAddress!, po.baseAddress!, m: m, n: t, k: n, beta: 1) }
        }
      }
      return DataMatrix(rows: m, cols: t, values: out)
    }
  }
}

/// Ridge regression with an unpenalised intercept for many targets and many penalties at once
/// (scikit-learn `Ridge(alpha, fit_intercept=True)` on each target column):
///
///     w(α) = (XcᵀXc + αI)⁻¹ Xcᵀ Yc = V · diag(s / (s² + α)) · Uᵀ Yc,   b = ȳ − x̄·w
///
/// with Xc, Yc the centred training data and Xc = U·diag(s)·Vᵀ one thin SVD shared by every α
/// and every target.
public struct RidgeSolver {
  let xMean: [Double]
  let yMean: [Double]
  let u: [Double]
  let s: [Double]
  let vt: [Double]
  /// Uᵀ·Yc (r × targets).
  let uty: [Double]
  public let features: Int
  public let targets: Int
  let rank: Int

  public init(x: DataMatrix, y: DataMatrix) throws {
    precondition(x.rows == y.rows)
    let n = x.rows
    let xs = StandardScaler(fit: x).mean
    let ys = StandardScaler(fit: y).mean
    var xc = x.values
    for r in 0..<n { for c in 0..<x.cols { xc[r * x.cols + c] -= xs[c] } }
    var yc = y.values
    for r in 0..<n { for c in 0..<y.cols { yc[r * y.cols + c] -= ys[c] } }
    let (u, s, vt) = try Linalg.svd(xc, rows: n, cols: x.cols)
    let r = s.count
    var uty = [Double](repeating: 0, count: r * y.cols)
    u.withUnsafeBufferPointer { pu in
      yc.withUnsafeBufferPointer { py in
        uty.withUnsafeMutableBufferPointer { po in Linalg.gemm(pu.baseAddress!, py.baseAddress!, po.baseAddress!, m: r, n: y.cols, k: n, transA: true, lda: r) }
      }
    }
    self.xMean = xs
    self.yMean = ys
    self.u = u
    self.s = s
    self.vt = vt
    self.uty = uty
    self.features = x.cols
    self.targets = y.cols
    self.rank = r
  }

  /// Coefficients (features × targets) and intercepts (targets) for one α.
  public func coefficients(alpha: Double) -> (w: [Double], b: [Double]) {
    var scaled = uty
    for i in 0..<rank {
      let f = s[i] / (s[i] * s[i] + alpha)
      for t in 0..<targets { scaled[i * targets + t] *= f }
    }
    var w = [Double](repeating: 0, count: features * targets)
    vt.withUnsafeBufferPointer { pv in
      scaled.withUnsafeBufferPointer { ps in
        w.withUnsafeMutableBufferPointer { pw in Linalg.gemm(pv.baseAddress!, ps.baseAddress!, pw.baseAddress!, m: features, n: targets, k: rank, transA: true, lda: features) }
      }
    }
    var b = yMean
    for t in 0..<targets {
      var dot = 0.0
      for j in 0..<features { dot += xMean[j] * w[j * targets + t] }
      b[t] -= dot
    }
    return (w, b)
  }

  /// Predictions (rows × targets) for one α.
  public func predict(_ x: DataMatrix, alpha: Double) -> DataMatrix {
    let (w, b) = coefficients(alpha: alpha)
    var out = [Double](repeating: 0, count: x.rows * targets)
    for r in 0..<x.rows { for t in 0..<targets { out[r * targets + t] = b[t] } }
    x.values.withUnsafeBufferPointer { px in
      w.withUnsafeBufferPointer { pw in
        out.withUnsafeMutableBufferPointer { po in Linalg.gemm(px.baseAddress!, pw.baseAddress!, po.baseAddress!, m: x.rows, n: targets, k: features, beta: 1) }
      }
    }
    return DataMatrix(rows: x.rows, cols: targets, values: out)
  }
}

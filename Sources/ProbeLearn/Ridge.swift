import ProbeNumerics

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

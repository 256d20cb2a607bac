import Foundation
import ProbeNumerics

#if canImport(Glibc)
  import Glibc
#endif

/// The few dense kernels the forward pass is made of: GEMM-shaped linear layers on OpenBLAS,
/// and fused row-wise elementwise work (bias + GELU, layer norm, softmax), spread over cores.
enum Kernels {
  /// `y[M, out] = x[M, in] · Wᵀ + b` with W stored `[out, in]` as in the checkpoint.
  static func linear(_ x: UnsafePointer<Float>, rows m: Int, in k: Int, weight: [Float], bias: [Float]?, out n: Int,
                     into y: UnsafeMutablePointer<Float>, ldy: Int? = nil) {
    let ldc = ldy ?? n
    weight.withUnsafeBufferPointer { w in
      Float.gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: x, lda: k, b: w.baseAddress!, ldb: k, beta: 0, c: y, ldc: ldc)
    }
    if let bias { addBias(y, rows: m, cols: n, ld: ldc, bias: bias) }
  }

  static func addBias(_ y: UnsafeMutablePointer<Float>, rows m: Int, cols n: Int, ld: Int, bias: [Float]) {
    bias.withUnsafeBufferPointer { b in
      parallelRows(m) { r in
        let row = y + r * ld
        for j in 0..<n { row[j] += b[j] }
      }
    }
  }

  /// Exact GELU `0.5·x·(1 + erf(x/√2))` (transformers' "gelu"), in place.
  static func gelu(_ y: UnsafeMutablePointer<Float>, count: Int) {
    let blocks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, count / 16384))
    let per = (count + blocks - 1) / blocks
    DispatchQueue.concurrentPerform(iterations: blocks) { b in
      let lo = b * per, hi = min(count, lo + per)
      if lo < hi { for i in lo..<hi { let x = y[i]; y[i] = 0.5 * x * (1 + erff(x * 0.70710678118654752)) } }
    }
  }

  /// Bias then exact GELU, one pass over the rows.
  static func biasGELU(_ y: UnsafeMutablePointer<Float>, rows m: Int, cols n: Int, bias: [Float]) {
    bias.withUnsafeBufferPointer { b in
      parallelRows(m) { r in
        let row = y + r * n
        for j in 0..<n { let x = row[j] + b[j]; row[j] = 0.5 * x * (1 + erff(x * 0.70710678118654752)) }
      }
    }
  }

  /// LayerNorm over each row of `x[m, n]` (biased variance, statistics in Double), affine, into `y`
  /// (which may alias `x`).
  static func layerNorm(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows m: Int, cols n: Int,
                        weight: [Float], bias: [Float], eps: Float) {
    weight.withUnsafeBufferPointer { g in
      bias.withUnsafeBufferPointer { b in
        parallelRows(m) { r in
          let xi = x + r * n, yi = y + r * n
          var s = 0.0
          for j in 0..<n { s += Double(xi[j]) }
          let mean = s / Double(n)
          var v = 0.0
          for j in 0..<n { let d = Double(xi[j]) - mean; v += d * d }
          let inv = Float(1 / (v / Double(n) + Double(eps)).squareRoot())
          let mu = Float(mean)
          for j in 0..<n { yi[j] = (xi[j] - mu) * inv * g[j] + b[j] }
        }
      }
    }
  }

  /// Run `body(row)` for rows 0..<m, split over the cores when the work is large enough.
  static func parallelRows(_ m: Int, _ body: (Int) -> Void) {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    if m < 64 || cores == 1 {
      for r in 0..<m { body(r) }
      return
    }
    let per = (m + cores - 1) / cores
    withoutActuallyEscaping(body) { body in
      DispatchQueue.concurrentPerform(iterations: cores) { c in
        let lo = c * per, hi = min(m, lo + per)
        if lo < hi { for r in lo..<hi { body(r) } }
      }
    }
  }
}

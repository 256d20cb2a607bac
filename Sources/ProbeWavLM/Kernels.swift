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
      for r in 0..<m {
        let row = y + r * ld
        for j in 0..<n { row[j] += b[j] }
      }
    }
  }

  /// `e^x` in Float32 without a library call, so loops over it vectorise: x = n·ln2 + r with
  /// |r| ≤ ln2/2 (ln2 split in two for exactness), a degree-6 polynomial for e^r, 2^n from the
  /// exponent bits. Relative error ≤ 2 ulp on [-87, 88]; below −87 it returns 0 (as expf
  /// underflows there, up to denormals).
  @inline(__always) static func exp(_ x: Float) -> Float {
    let c = min(max(x, -87.3), 88.3)
    // Round to nearest with the 1.5·2^23 trick: the integer lands in the low mantissa bits, so no
    // float→int conversion (which would trap, and stop the loop from vectorising).
    let shifted = c * 1.44269504088896341 + 12582912
    let n = shifted - 12582912
    let r = (c - n * 0.693359375) + n * 2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let e = (p * r * r + r) + 1
    let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
    return x < -87.3 ? 0 : e * scale
  }

  /// The exact-erf GELU `0.5·x·(1 + erf(x/√2))` (transformers' "gelu", not the tanh form), with
  /// erf from Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7; GELU needs erf only to absolute
  /// accuracy, being x·erf) and the vectorisable `exp` above.
  @inline(__always) static func gelu(_ x: Float) -> Float {
    let z = abs(x) * 0.70710678118654752
    let t = 1 / (1 + 0.3275911 * z)
    var p: Float = 1.061405429
    p = p * t - 1.453152027
    p = p * t + 1.421413741
    p = p * t - 0.284496736
    p = p * t + 0.254829592
    let erfAbs = 1 - p * t * exp(-z * z)
    let erf = x < 0 ? -erfAbs : erfAbs
    return 0.5 * x * (1 + erf)
  }

  /// Largest of `x[0..<n]`, eight lanes at a time.
  static func maximum(_ x: UnsafePointer<Float>, count n: Int) -> Float {
    var m8 = SIMD8<Float>(repeating: -.infinity)
    var j = 0
    let raw = UnsafeRawPointer(x)
    while j + 8 <= n {
      let v = raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
      m8.replace(with: v, where: v .> m8)
      j += 8
    }
    var m = m8.max()
    while j < n { m = max(m, x[j]); j += 1 }
    return m
  }

  /// Sum of `x[0..<n]` in eight lanes (then the lanes), so it vectorises.
  static func sum(_ x: UnsafePointer<Float>, count n: Int) -> Float {
    var s8 = SIMD8<Float>(repeating: 0)
    var j = 0
    let raw = UnsafeRawPointer(x)
    while j + 8 <= n {
      s8 += raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
      j += 8
    }
    var s = s8.sum()
    while j < n { s += x[j]; j += 1 }
    return s
  }

  /// GELU in place.
  static func gelu(_ y: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { y[i] = gelu(y[i]) }
  }

  /// Bias then GELU, one pass over the rows.
  static func biasGELU(_ y: UnsafeMutablePointer<Float>, rows m: Int, cols n: Int, bias: [Float]) {
    bias.withUnsafeBufferPointer { b in
      for r in 0..<m {
        let row = y + r * n
        for j in 0..<n { row[j] = gelu(row[j] + b[j]) }
      }
    }
  }

  /// LayerNorm over each row of `x[m, n]` (biased variance, statistics in Double), affine, into `y`
  /// (which may alias `x`).
  static func layerNorm(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows m: Int, cols n: Int,
                        weight: [Float], bias: [Float], eps: Float) {
    weight.withUnsafeBufferPointer { g in
      bias.withUnsafeBufferPointer { b in
        for r in 0..<m {
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

  /// `count` floats in fresh anonymous pages (mmap), for the large per-pass buffers: they go back
  /// to the OS at `freePages`, whatever malloc's thresholds and arenas would have kept.
  static func allocatePages(_ count: Int) -> UnsafeMutablePointer<Float> {
    let bytes = max(1, count) * MemoryLayout<Float>.stride
    guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
      fatalError("WavLM: cannot map \(bytes) bytes for activations")
    }
    return p.bindMemory(to: Float.self, capacity: max(1, count))
  }

  static func freePages(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
    munmap(UnsafeMutableRawPointer(p), max(1, count) * MemoryLayout<Float>.stride)
  }

  /// Workers for the forward pass: one per core. Each runs whole row ranges (or heads, or conv
  /// chunks) with single-threaded BLAS, so elementwise work is fused with its GEMM and no thread
  /// spins waiting for another between calls.
  static var workers: Int { max(1, WavLMModel.threads ?? ProcessInfo.processInfo.activeProcessorCount) }

  /// `body(i)` for i in 0..<n, concurrently when n > 1.
  static func parallel(_ n: Int, _ body: (Int) -> Void) {
    if n <= 1 {
      for i in 0..<n { body(i) }
      return
    }
    withoutActuallyEscaping(body) { body in DispatchQueue.concurrentPerform(iterations: n, execute: body) }
  }

  /// `body(part)` for each part concurrently; a single part runs on the calling thread with
  /// BLAS using every worker.
  static func rowParts(_ parts: Int, _ body: (Int) -> Void) {
    if parts == 1 && workers > 1 {
      Linalg.setBLASThreads(workers)
      body(0)
      Linalg.setBLASThreads(1)
    } else {
      parallel(parts, body)
    }
  }

  /// `body(lo, hi)` over `parts` near-equal ranges covering 0..<m, concurrently.
  static func parallelRanges(_ m: Int, parts: Int = workers, _ body: (Int, Int) -> Void) {
    parallelParts(m, parts: parts) { _, lo, hi in body(lo, hi) }
  }

  /// `body(part, lo, hi)` over at most `parts` near-equal ranges covering 0..<m, concurrently.
  static func parallelParts(_ m: Int, parts: Int = workers, _ body: (Int, Int, Int) -> Void) {
    let p = max(1, min(parts, m))
    parallel(p) { i in body(i, m * i / p, m * (i + 1) / p) }
  }
}

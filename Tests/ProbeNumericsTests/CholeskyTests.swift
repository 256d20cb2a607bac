import Foundation
import XCTest

@testable import ProbeNumerics

/// The project's small-matrix Cholesky kernel (every instruction set this CPU runs) against LAPACK's
/// dpotrf/dpotrs on random positive definite matrices of sizes around the kernel's block and vector
/// widths and cross-validation's sizes; failures report the column like dpotrf.
final class CholeskyTests: XCTestCase {
  var state: UInt64 = 0x5eed
  func uniform() -> Double {
    state = state &* 6364136223846793005 &+ 1442695040888963407
    return Double(state >> 11) / Double(1 << 53) * 2 - 1
  }

  /// I + Z·Zᵀ/d for a random n×d Z, in full (both triangles), like a kernel-form Newton matrix.
  func spd(_ n: Int, d: Int = 40) -> [Double] {
    let z = (0..<(n * d)).map { _ in uniform() }
    var k = Linalg.gram(z, rows: n, cols: d)
    for i in 0..<(n * n) { k[i] /= Double(d) }
    for i in 0..<n { k[i * n + i] += 1 }
    return k
  }

  func testFactorAndSolveMatchLAPACKForEveryKernel() throws {
    // From n = 192 the AVX-512 kernel updates 8 columns per pass (tails of 0–7 columns below).
    for n in [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 123, 150, 192, 197, 203, 256, 300] {
      let a = spd(n)
      var reference = a
      XCTAssertEqual(reference.withUnsafeMutableBufferPointer { Linalg.lapackCholeskyInPlace($0.baseAddress!, n: n) }, 0)
      var b = (0..<(3 * n)).map { _ in uniform() }
      var bReference = b
      reference.withUnsafeBufferPointer { pl in
        bReference.withUnsafeMutableBufferPointer { Linalg.lapackCholeskySolveInPlace(pl.baseAddress!, n: n, $0.baseAddress!, nrhs: 3) }
      }
      for kernel in 0...Linalg.choleskyKernelLevel {
        var mine = a
        // Poison the scratch (strictly upper) part: it must never be read.
        for j in 0..<n { for i in 0..<j { mine[j * n + i] = .nan } }
        XCTAssertTrue(try mine.withUnsafeMutableBufferPointer { try Linalg.choleskyInPlace($0.baseAddress!, n: n, kernel: kernel) })
        for j in 0..<n {
          for i in j..<n {
            XCTAssertEqual(mine[j * n + i], reference[j * n + i], accuracy: 1e-12 * max(1, abs(reference[j * n + i])),
                           "n = \(n), \(Linalg.choleskyKernelNames[kernel]), L(\(i), \(j))")
          }
        }
      }
      // The dispatching entry points: factor, then solve three right-hand sides (2 + 1).
      var mine = a
      try mine.withUnsafeMutableBufferPointer { try Linalg.choleskyInPlace($0.baseAddress!, n: n) }
      mine.withUnsafeBufferPointer { pl in b.withUnsafeMutableBufferPointer { Linalg.choleskySolveInPlace(pl.baseAddress!, n: n, $0.baseAddress!, nrhs: 3) } }
      for i in b.indices { XCTAssertEqual(b[i], bReference[i], accuracy: 1e-11 * max(1, abs(bReference[i])), "n = \(n), solve \(i)") }
      // With the factor's block inverses formed once: the same solutions, bit for bit (the solve
      // forms the same inverses itself); used by the AVX-512 and AVX2 solves (n ≤ 300 here).
      var blocks = [Double](repeating: .nan, count: Linalg.choleskyInverseCount(n))
      let used = mine.withUnsafeBufferPointer { pl in blocks.withUnsafeMutableBufferPointer { Linalg.choleskyBlockInverses(pl.baseAddress!, n: n, into: $0.baseAddress!) } }
      XCTAssertEqual(used, Linalg.choleskyKernelLevel >= 1, "n = \(n)")
      var again = bReference
      var plain = bReference
      mine.withUnsafeBufferPointer { pl in
        blocks.withUnsafeBufferPointer { pi in
          again.withUnsafeMutableBufferPointer { Linalg.choleskySolveInPlace(pl.baseAddress!, n: n, $0.baseAddress!, nrhs: 3, inverses: used ? pi.baseAddress! : nil) }
        }
        plain.withUnsafeMutableBufferPointer { Linalg.choleskySolveInPlace(pl.baseAddress!, n: n, $0.baseAddress!, nrhs: 3) }
      }
      XCTAssertEqual(again.map(\.bitPattern), plain.map(\.bitPattern), "n = \(n)")
      XCTAssertTrue(again.allSatisfy(\.isFinite), "n = \(n)")
      // Every instruction set's solve, forming the block inverses itself or given them, on
      // LAPACK's factor (the solves take either factor).
      let original = (0..<(3 * n)).map { _ in uniform() }
      var lapackX = original
      reference.withUnsafeBufferPointer { pl in lapackX.withUnsafeMutableBufferPointer { Linalg.lapackCholeskySolveInPlace(pl.baseAddress!, n: n, $0.baseAddress!, nrhs: 3) } }
      for kernel in 0...Linalg.choleskyKernelLevel {
        for withInverses in [false, true] {
          var x = original
          XCTAssertTrue(reference.withUnsafeBufferPointer { pl in
            x.withUnsafeMutableBufferPointer { Linalg.choleskySolveInPlace(pl.baseAddress!, n: n, $0.baseAddress!, nrhs: 3, kernel: kernel, withInverses: withInverses) }
          })
          for i in x.indices {
            XCTAssertEqual(x[i], lapackX[i], accuracy: 1e-11 * max(1, abs(lapackX[i])), "n = \(n), \(Linalg.choleskyKernelNames[kernel]), inverses \(withInverses), solve \(i)")
          }
        }
      }
    }
  }

  /// The Newton-step helpers (A = I + c·S·K·S, H = P + c·Z̃ᵀ·diag(w)·Z̃, K·x for one and two vectors)
  /// against plain loops.
  func testKernelFormProductsMatchPlainLoops() {
    for n in [1, 3, 8, 13, 64, 123] {
      let k = spd(n)
      let sv = (0..<n).map { _ in abs(uniform()) }
      let c = 3.5
      var a = [Double](repeating: .nan, count: n * n)
      a.withUnsafeMutableBufferPointer { pa in Linalg.scaledGramShift(pa.baseAddress!, k, sv, c: c, n: n) }
      for j in 0..<n {
        for i in j..<n {
          let want = (i == j ? 1 : 0) + c * sv[i] * k[i * n + j] * sv[j]
          XCTAssertEqual(a[j * n + i], want, accuracy: 1e-13 * max(1, abs(want)), "n \(n) A(\(i), \(j))")
        }
      }
      // H = P + c·Z̃ᵀ·diag(w)·Z̃ (Z̃ = [Z 1]) for Z n×d, d around the tile widths.
      for d in [0, 1, 3, 4, 7, 9, 33, 40] {
        let z = (0..<(n * d)).map { _ in uniform() }
        var w = (0..<n).map { _ in abs(uniform()) }
        w[n / 2] = 0  // a row whose D underflowed
        let p = d + 1
        // −3: from Zᵀ on the row-products kernel (AVX-512 only); −2: OpenBLAS; −1: the best direct kernel.
        for kernel in -3...Linalg.choleskyKernelLevel {
          var h = [Double](repeating: .nan, count: p * p)
          if kernel == -3 {
            let t = Linalg.transposedPadded(z, rows: n, cols: d)
            XCTAssertEqual(t.stride % 8, 0)
            let ran = t.values.withUnsafeBufferPointer { pt in
              h.withUnsafeMutableBufferPointer { ph in
                Linalg.weightedGramShift(transposed: pt.baseAddress ?? UnsafePointer(ph.baseAddress!), stride: t.stride, rows: n, cols: d, weights: w, c: c, into: ph.baseAddress!)
              }
            }
            XCTAssertEqual(ran, Linalg.choleskyKernelLevel == 2, "the transposed form runs exactly where AVX-512 does")
            if !ran { continue }
          }
          z.withUnsafeBufferPointer { pz in
            h.withUnsafeMutableBufferPointer { ph in
              if kernel == -3 {
                return
              } else if kernel == -2 {
                Linalg.weightedGramShiftBLAS(pz.baseAddress, rows: n, cols: d, weights: w, c: c, into: ph.baseAddress!)
              } else if kernel == -1 {
                Linalg.weightedGramShift(pz.baseAddress, rows: n, cols: d, weights: w, c: c, into: ph.baseAddress!)
              } else {
                XCTAssertTrue(Linalg.weightedGramShift(pz.baseAddress, rows: n, cols: d, weights: w, c: c, into: ph.baseAddress!, kernel: kernel))
              }
            }
          }
          for b in 0..<p {
            for a in b..<p {
              var want = a == b && a < d ? 1.0 : 0
              for i in 0..<n { want += c * w[i] * (a < d ? z[i * d + a] : 1) * (b < d ? z[i * d + b] : 1) }
              XCTAssertEqual(h[b * p + a], want, accuracy: 1e-12 * max(1, abs(want)), "n \(n) d \(d) kernel \(kernel) H(\(a), \(b))")
            }
          }
        }
      }
      let x = (0..<(2 * n)).map { _ in uniform() }
      var y = [Double](repeating: .nan, count: 2 * n)
      Linalg.symmetricProduct(k, n: n, x, &y, count: 2)
      var y1 = [Double](repeating: .nan, count: n)
      Linalg.symmetricProduct(k, n: n, x, &y1, count: 1)
      for v in 0..<2 {
        for i in 0..<n {
          var want = 0.0
          for j in 0..<n { want += k[i * n + j] * x[v * n + j] }
          XCTAssertEqual(y[v * n + i], want, accuracy: 1e-12 * max(1, abs(want)), "n \(n) vector \(v) row \(i)")
          if v == 0 { XCTAssertEqual(y1[i], want, accuracy: 1e-12 * max(1, abs(want))) }
        }
      }
    }
  }

  /// Column means, SDs and standardisation (StandardScaler) against NumPy-order plain loops, bit
  /// for bit, with every instruction set: widths around the vector widths, a constant column
  /// (scale 1), a column with a NaN (NaN mean, scale 1), large offsets (cancellation in the
  /// deviations); in place too.
  func testStandardizeMatchesPlainLoopsBitForBit() {
    for (n, d) in [(1, 1), (5, 3), (7, 8), (13, 17), (123, 768), (40, 33)] {
      var x = (0..<(n * d)).map { _ in 1e4 + 10 * uniform() }
      for r in 0..<n { x[r * d] = 2.5 }  // constant column
      if d > 2 { x[(n / 2) * d + 2] = .nan }
      // Plain loops: sums in row order, squares and sums rounded separately.
      var mean = [Double](repeating: 0, count: d), scale = [Double](repeating: 0, count: d)
      for r in 0..<n { for c in 0..<d { mean[c] += x[r * d + c] } }
      for c in 0..<d { mean[c] /= Double(n) }
      for r in 0..<n {
        for c in 0..<d {
          let v = x[r * d + c] - mean[c]
          let sq = v * v
          scale[c] += sq
        }
      }
      for c in 0..<d {
        let sd = (scale[c] / Double(n)).squareRoot()
        scale[c] = sd == 0 || !sd.isFinite ? 1 : sd
      }
      var want = x
      for r in 0..<n { for c in 0..<d { want[r * d + c] = (x[r * d + c] - mean[c]) / scale[c] } }
      for kernel in 0...Linalg.choleskyKernelLevel {
        var m = [Double](repeating: .nan, count: d), s = [Double](repeating: .nan, count: d)
        XCTAssertTrue(Linalg.columnMeansAndScales(x, rows: n, cols: d, mean: &m, scale: &s, kernel: kernel))
        for c in 0..<d {
          XCTAssertTrue(m[c].bitPattern == mean[c].bitPattern || (m[c].isNaN && mean[c].isNaN), "n \(n) d \(d) kernel \(kernel) mean \(c)")
          XCTAssertEqual(s[c].bitPattern, scale[c].bitPattern, "n \(n) d \(d) kernel \(kernel) scale \(c)")
        }
        var z = x
        z.withUnsafeMutableBufferPointer { pz in
          XCTAssertTrue(Linalg.standardize(pz.baseAddress!, rows: n, cols: d, mean: mean, scale: scale, into: pz.baseAddress!, kernel: kernel))
        }
        for i in z.indices { XCTAssertTrue(z[i].bitPattern == want[i].bitPattern || (z[i].isNaN && want[i].isNaN), "n \(n) d \(d) kernel \(kernel) entry \(i)") }
      }
    }
  }

  /// C += A·Bᵀ (the sweep's Gram and cross-product updates) against plain loops, for every
  /// instruction set, strided A and B (leading dimensions beyond k), shapes around the tile sizes;
  /// with A = B the result is exactly symmetric; k beyond the kernel's limit goes to dgemm.
  func testAddProductsMatchPlainLoops() {
    for (m, n) in [(1, 1), (3, 5), (4, 33), (7, 8), (13, 40), (123, 123), (30, 154)] {
      for k in [1, 3, 10, 33] {
        let ld = k + 5
        let a = (0..<(m * ld)).map { _ in uniform() }
        let b = (0..<(n * ld)).map { _ in uniform() }
        let c0 = (0..<(m * n)).map { _ in uniform() }
        var want = c0
        for r in 0..<m { for j in 0..<n { for cc in 0..<k { want[r * n + j] += a[r * ld + cc] * b[j * ld + cc] } } }
        for kernel in -1...Linalg.choleskyKernelLevel {
          var c = c0
          a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
              c.withUnsafeMutableBufferPointer { pc in
                if kernel < 0 {
                  Linalg.addProducts(pa.baseAddress!, lda: ld, m: m, pb.baseAddress!, ldb: ld, n: n, k: k, into: pc.baseAddress!, ldc: n)
                } else {
                  XCTAssertTrue(Linalg.addProducts(pa.baseAddress!, lda: ld, m: m, pb.baseAddress!, ldb: ld, n: n, k: k, into: pc.baseAddress!, ldc: n, kernel: kernel))
                }
              }
            }
          }
          for i in c.indices { XCTAssertEqual(c[i], want[i], accuracy: 1e-12 * max(1, abs(want[i])), "m \(m) n \(n) k \(k) kernel \(kernel) entry \(i)") }
        }
      }
    }
    // A = B: B·Bᵀ added to a symmetric matrix stays exactly symmetric.
    let n = 45, k = 10, ld = 17
    let b = (0..<(n * ld)).map { _ in uniform() }
    for kernel in 0...Linalg.choleskyKernelLevel {
      var g = spd(n)
      b.withUnsafeBufferPointer { pb in
        g.withUnsafeMutableBufferPointer { pg in
          XCTAssertTrue(Linalg.addProducts(pb.baseAddress!, lda: ld, m: n, pb.baseAddress!, ldb: ld, n: n, k: k, into: pg.baseAddress!, ldc: n, kernel: kernel))
        }
      }
      for i in 0..<n { for j in 0..<i { XCTAssertEqual(g[i * n + j], g[j * n + i], "kernel \(kernel) (\(i), \(j))") } }
    }
  }

  /// The row-products kernel (the kernel form's K and its prediction rows' products) against plain
  /// sums: every kernel, shapes with partial tiles, fewer columns than a vector, column blocks
  /// (d > 256) with a short last block, rows ld > d apart, and rows at every alignment (copied to
  /// aligned rows or not: the same sums bit for bit); the first n rows' block is exactly symmetric.
  func testRowProductsMatchPlainSumsForEveryKernelShapeAndAlignment() {
    let shapes: [(m: Int, n: Int, d: Int, ld: Int)] = [
      (1, 1, 1, 1), (5, 3, 3, 3), (9, 9, 7, 7), (13, 8, 8, 8), (21, 17, 88, 88), (40, 33, 300, 300), (30, 30, 600, 603), (34, 29, 768, 768),
      (23, 19, 40, 41), (16, 10, 9, 9), (7, 4, 1, 1), (154, 123, 100, 100),
    ]
    for (m, n, d, ld) in shapes {
      let values = (0..<(m * ld)).map { _ in uniform() }
      var first: [[Double]] = []  // per kernel, at offset 0
      for offset in [0, 1, 3, 6] {
        let buffer = [Double](repeating: 0, count: offset) + values + [Double](repeating: 0, count: 8)
        let z = values
        var want = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for k in 0..<d { want[i * n + j] += z[i * ld + k] * z[j * ld + k] } } }
        for kernel in 0...Linalg.choleskyKernelLevel {
          var c = [Double](repeating: .nan, count: m * n)
          buffer.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
              XCTAssertTrue(Linalg.rowProducts(pb.baseAddress! + offset, ld: ld, rows: m, first: n, cols: d, into: pc.baseAddress!, kernel: kernel))
            }
          }
          for i in c.indices { XCTAssertEqual(c[i], want[i], accuracy: 1e-12 * max(1, abs(want[i])), "m \(m) n \(n) d \(d) offset \(offset) kernel \(kernel) entry \(i)") }
          for i in 0..<n { for j in 0..<i { XCTAssertEqual(c[i * n + j], c[j * n + i], "kernel \(kernel) (\(i), \(j))") } }
          if offset == 0 { first.append(c) } else { XCTAssertEqual(c, first[kernel], "m \(m) n \(n) d \(d) offset \(offset) kernel \(kernel): not bit-identical") }
        }
      }
    }
    // The default entry points agree with OpenBLAS.
    let (m, n, d) = (50, 41, 130)
    let z = (0..<(m * d)).map { _ in uniform() }
    let products = Linalg.rowProducts(z, rows: m, first: n, cols: d)
    let k = Linalg.gramBLAS(Array(z.prefix(n * d)), rows: n, cols: d)
    for i in 0..<(n * n) { XCTAssertEqual(products[i], k[i], accuracy: 1e-12 * max(1, abs(k[i]))) }
    let gram = Linalg.gram(Array(z.prefix(n * d)), rows: n, cols: d)
    for i in 0..<(n * n) { XCTAssertEqual(gram[i], k[i], accuracy: 1e-12 * max(1, abs(k[i]))) }
  }

  func testNotPositiveDefiniteNamesTheColumnLikeLAPACK() throws {
    // Column `col` (1-based) a copy of the one before it, less on the diagonal: the leading block
    // is singular plus a negative direction, so that column fails. From n = 192 the AVX-512 kernel
    // works in 8-column passes: a failure in a pass's first half, its second half, and the tail.
    for (n, col) in [(40, 23), (200, 146), (200, 150), (210, 206), (203, 202)] {
      var a = spd(n)
      let j = col - 1
      for i in 0..<n {
        a[j * n + i] = a[(j - 1) * n + i]
        a[i * n + j] = a[i * n + j - 1]
      }
      a[j * n + j] = a[(j - 1) * n + j - 1] - 0.5
      var reference = a
      let info = reference.withUnsafeMutableBufferPointer { Linalg.lapackCholeskyInPlace($0.baseAddress!, n: n) }
      XCTAssertEqual(Int(info), col, "n = \(n)")
      for kernel in 0...Linalg.choleskyKernelLevel {
        var mine = a
        XCTAssertThrowsError(try mine.withUnsafeMutableBufferPointer { try Linalg.choleskyInPlace($0.baseAddress!, n: n, kernel: kernel) }) { error in
          XCTAssertEqual(error as? NumericError, .notPositiveDefinite(info: col), "n = \(n), \(Linalg.choleskyKernelNames[kernel])")
        }
      }
    }
    var nan = spd(9)
    nan[4 * 9 + 4] = .nan
    XCTAssertThrowsError(try nan.withUnsafeMutableBufferPointer { try Linalg.choleskyInPlace($0.baseAddress!, n: 9) })
  }
}

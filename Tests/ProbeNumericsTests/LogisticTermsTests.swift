import Foundation
import XCTest

@testable import ProbeNumerics

/// The vectorised logistic loss terms (own exp and log1p) against libm's on margins from −800 to
/// 800, including the exp clamp, signs, zeros and lengths around the vector widths.
final class LogisticTermsTests: XCTestCase {
  func testVectorKernelsMatchLibm() {
    var m: [Double] = [.infinity, -.infinity, 0, -0.0, 1e-300, -1e-300, 1e-8, -1e-8, 0.5, -0.5, 1, -1, 20, -20, 36, -36, 700, -700, 708.5, -708.5, 745, -745, 800, -800]
    var state: UInt64 = 99
    for _ in 0..<2000 {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      let u = Double(state >> 11) / Double(1 << 53)
      m.append((u - 0.5) * (u < 0.9 ? 20 : 200))
    }
    let s = m.indices.map { $0 % 3 == 0 ? -1.0 : 1.0 }
    let u = m.map { $0.isFinite ? 0.25 - $0 * 1e-3 : 0 }
    // Infinite margins (t = ±∞) only in the derivatives: their losses are 0 and +∞.
    let finite = m.map { $0.isFinite ? $0 : 3 }
    for n in [m.count, 1, 3, 7, 9, 17] {
      var q0 = [Double](repeating: 0, count: n), d0 = q0, out0 = q0
      let sum0 = LogisticTerms.derivatives(s: s, m: m, count: n, q: &q0, d: &d0, kernel: 0)
      let loss0 = LogisticTerms.loss(s: s, m: finite, moving: u, step: 0.5, into: &out0, count: n, kernel: 0)
      // The libm kernel is the textbook formula, row by row.
      for i in 0..<n {
        let t = s[i] * m[i], e = exp(-abs(t))
        XCTAssertEqual(q0[i], -s[i] * (t >= 0 ? e : 1) / (1 + e), accuracy: 1e-16)
        XCTAssertFalse(q0[i].isNaN || d0[i].isNaN, "m = \(m[i])")
        XCTAssertEqual(out0[i], finite[i] + 0.5 * u[i])
      }
      for kernel in 1...max(1, Linalg.choleskyKernelLevel) where kernel <= Linalg.choleskyKernelLevel {
        var q = [Double](repeating: 0, count: n), d = q, out = q
        let sum = LogisticTerms.derivatives(s: s, m: m, count: n, q: &q, d: &d, kernel: kernel)
        let loss = LogisticTerms.loss(s: s, m: finite, moving: u, step: 0.5, into: &out, count: n, kernel: kernel)
        for i in 0..<n {
          XCTAssertFalse(q[i].isNaN || d[i].isNaN, "kernel \(kernel), m = \(m[i])")
          XCTAssertEqual(q[i], q0[i], accuracy: 4e-16 * abs(q0[i]) + 1e-300, "kernel \(kernel), m = \(m[i]): q")
          XCTAssertEqual(d[i], d0[i], accuracy: 4e-16 * abs(d0[i]) + 1e-300, "kernel \(kernel), m = \(m[i]): d")
          XCTAssertEqual(out[i], out0[i])
        }
        XCTAssertEqual(sum, sum0, accuracy: 1e-14 * max(1, abs(sum0)), "kernel \(kernel), n \(n)")
        XCTAssertEqual(loss, loss0, accuracy: 1e-14 * max(1, abs(loss0)), "kernel \(kernel), n \(n)")
        // The per-row losses, one at a time (a sum can hide a wrong term).
        for i in stride(from: 0, to: n, by: 7) {
          let one = LogisticTerms.loss(s: s.withUnsafeBufferPointer { $0.baseAddress! + i }, m: m.withUnsafeBufferPointer { $0.baseAddress! + i }, count: 1, kernel: kernel)
          let eight = Array(repeating: m[i], count: 8), signs = Array(repeating: s[i], count: 8)
          let vector = LogisticTerms.loss(s: signs, m: eight, count: 8, kernel: kernel) / 8
          if one.isInfinite {
            XCTAssertEqual(vector, one, "kernel \(kernel), m = \(m[i]): loss")
          } else {
            // 8 copies summed then divided by 8: within a few ulps.
            XCTAssertEqual(vector, one, accuracy: 1e-15 * abs(one) + 1e-300, "kernel \(kernel), m = \(m[i]): loss")
          }
        }
      }
    }
  }
}

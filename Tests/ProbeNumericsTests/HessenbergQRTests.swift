import Foundation
import XCTest

@testable import ProbeNumerics

/// The hand-written Hessenberg QR against LAPACK's dgeev on companion matrices like the formant
/// tracker's (order 11, LPC-like coefficients) and on random Hessenberg matrices: within 1e-6
/// (clusters of close real roots are ill-conditioned, and two correct methods differ there by ~1e-8).
final class HessenbergQRTests: XCTestCase {
  func sorted(_ v: [(re: Double, im: Double)]) -> [(re: Double, im: Double)] {
    v.sorted { ($0.re, $0.im) < ($1.re, $1.im) }
  }

  func testMatchesLAPACK() throws {
    var state: UInt64 = 12345
    func uniform() -> Double {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Double(state >> 11) / Double(1 << 53) * 2 - 1
    }
    for trial in 0..<400 {
      let n = trial < 300 ? 11 : 2 + trial % 9
      var a = [Double](repeating: 0, count: n * n)
      if trial < 300 {
        // Companion matrix of a polynomial with roots inside the unit circle (as from LPC).
        var poly = [1.0]
        var k = 0
        while k < n {
          // Mostly conjugate pairs, as LPC polynomials have; up to 3 real roots (more, drawn at
          // random, would form ill-conditioned clusters where any two methods differ by ~eps^(1/k)).
          if k + 1 < n && !(trial % 3 == 0 && k >= n - 3) {
            let r = 0.3 + 0.69 * abs(uniform()), th = Double.pi * abs(uniform())
            let (b1, b2) = (-2 * r * cos(th), r * r)
            var next = [Double](repeating: 0, count: poly.count + 2)
            for (i, c) in poly.enumerated() { next[i] += c; next[i + 1] += b1 * c; next[i + 2] += b2 * c }
            poly = next; k += 2
          } else {
            let r = 0.9 * uniform()
            var next = [Double](repeating: 0, count: poly.count + 1)
            for (i, c) in poly.enumerated() { next[i] += c; next[i + 1] -= r * c }
            poly = next; k += 1
          }
        }
        for j in 0..<n { a[j] = -poly[j + 1] }
        for i in 1..<n { a[i * n + i - 1] = 1 }
      } else {
        for i in 0..<n { for j in max(0, i - 1)..<n { a[i * n + j] = uniform() } }
      }
      let want = sorted(try Linalg.eigenvalues(a, n: n))
      guard let got0 = Linalg.hessenbergEigenvaluesQR(a, n: n) else { return XCTFail("trial \(trial): no convergence") }
      let got = sorted(got0)
      XCTAssertEqual(got.count, n)
      for (g, w) in zip(got, want) {
        let scale = max(1, (w.re * w.re + w.im * w.im).squareRoot())
        XCTAssertEqual(g.re, w.re, accuracy: 1e-6 * scale, "trial \(trial)")
        XCTAssertEqual(g.im, w.im, accuracy: 1e-6 * scale, "trial \(trial)")
      }
    }
  }
}

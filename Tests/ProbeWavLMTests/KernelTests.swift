import Foundation
import XCTest

@testable import ProbeWavLM

/// The vectorisable exp and exact-erf GELU against Double references on a dense grid.
final class KernelTests: XCTestCase {
  func testExpRelativeError() {
    var worst = 0.0
    for i in 0...200_000 {
      let x = Float(-87 + Double(i) * (175.0 / 200_000))
      let want = Foundation.exp(Double(x))
      worst = max(worst, abs(Double(Kernels.exp(x)) - want) / want)
    }
    XCTAssertLessThan(worst, 3e-7)
    XCTAssertEqual(Kernels.exp(-200), 0)
    XCTAssertEqual(Kernels.exp(0), 1)
  }

  func testGELUMatchesExactErfForm() {
    var worst = 0.0
    for i in 0...400_000 {
      let x = Float(-20 + Double(i) * (40.0 / 400_000))
      let want = 0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot()))
      worst = max(worst, abs(Double(Kernels.gelu(x)) - want) / max(1, abs(want)))
    }
    XCTAssertLessThan(worst, 5e-7)
    // The tanh approximation differs by up to ~5e-4 (|x| ≈ 3): this form must not be that.
    var apart: Float = 0
    for i in 0...800 {
      let x = Float(-4 + Double(i) * 0.01)
      let tanhForm = 0.5 * x * (1 + tanh(0.7978845608 * (x + 0.044715 * x * x * x)))
      apart = max(apart, abs(Kernels.gelu(x) - tanhForm))
    }
    XCTAssertGreaterThan(apart, 2e-4)
  }
}

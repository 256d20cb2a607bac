import ProbeNumerics
import XCTest

final class MatrixTests: XCTestCase {
  func testGEMMMatchesNaiveProduct() {
    let a = Matrix<Double>(rows: 3, cols: 4, (0..<12).map { Double($0) * 0.5 - 2 })
    let b = Matrix<Double>(rows: 4, cols: 2, (0..<8).map { Double($0 * $0) / 7 })
    let c = a * b
    for i in 0..<3 {
      for j in 0..<2 {
        var s = 0.0
        for k in 0..<4 { s += a[i, k] * b[k, j] }
        XCTAssertEqual(c[i, j], s, accuracy: 1e-12)
      }
    }
    // Transposed operands: (aᵀ)ᵀ b = a b.
    let at = Matrix<Double>(rows: 4, cols: 3, (0..<12).map { idx in a[idx % 3, idx / 3] })
    XCTAssertEqual(Matrix.product(at, b, transposeA: true), c)
  }

  func testFloatGEMM() {
    let a = Matrix<Float>(rows: 2, cols: 2, [1, 2, 3, 4])
    XCTAssertEqual((a * a).storage, [7, 10, 15, 22])
  }

  func testSolveSPD() throws {
    let a = Matrix<Double>(rows: 2, cols: 2, [4, 1, 1, 3])
    let b = Matrix<Double>(rows: 2, cols: 1, [1, 2])
    let x = try solveSPD(a, b)
    XCTAssertEqual(x[0, 0], 1.0 / 11, accuracy: 1e-14)
    XCTAssertEqual(x[1, 0], 7.0 / 11, accuracy: 1e-14)
    XCTAssertThrowsError(try solveSPD(Matrix(rows: 2, cols: 2, [1, 2, 2, 1]), b)) { e in
      XCTAssertEqual(e as? NumericError, .notPositiveDefinite(info: 2))
    }
  }
}

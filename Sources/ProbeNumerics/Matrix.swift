import CProbeBLAS

/// A dense row-major matrix of `Float` or `Double` backed by a Swift array (copy-on-write).
///
/// The numeric home of ProbeDB: products go to OpenBLAS, solves to LAPACKE. This module is the
/// only importer of `CProbeBLAS`; the learning and model modules build on it.
public struct Matrix<Scalar: BLASScalar>: Equatable, Sendable {
  public var rows: Int
  public var cols: Int
  public var storage: [Scalar]

  public init(rows: Int, cols: Int, repeating value: Scalar = 0) {
    precondition(rows >= 0 && cols >= 0, "negative matrix shape")
    self.rows = rows
    self.cols = cols
    self.storage = [Scalar](repeating: value, count: rows * cols)
  }

  public init(rows: Int, cols: Int, _ values: [Scalar]) {
    precondition(values.count == rows * cols, "matrix of \(rows)x\(cols) needs \(rows * cols) values, got \(values.count)")
    self.rows = rows
    self.cols = cols
    self.storage = values
  }

  public subscript(r: Int, c: Int) -> Scalar {
    get { storage[r * cols + c] }
    set { storage[r * cols + c] = newValue }
  }

  /// `alpha · op(a) · op(b)` with optional transposes, via BLAS gemm.
  public static func product(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false, alpha: Scalar = 1) -> Matrix {
    let m = transposeA ? a.cols : a.rows
    let k = transposeA ? a.rows : a.cols
    let kb = transposeB ? b.cols : b.rows
    let n = transposeB ? b.rows : b.cols
    precondition(k == kb, "inner dimensions differ: \(k) vs \(kb)")
    var c = Matrix(rows: m, cols: n)
    if m == 0 || n == 0 { return c }
    a.storage.withUnsafeBufferPointer { pa in
      b.storage.withUnsafeBufferPointer { pb in
        c.storage.withUnsafeMutableBufferPointer { pc in
          Scalar.gemm(
            transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: max(1, a.cols),
            b: pb.baseAddress!, ldb: max(1, b.cols), beta: 0, c: pc.baseAddress!, ldc: max(1, n))
        }
      }
    }
    return c
  }

  public static func * (a: Matrix, b: Matrix) -> Matrix { product(a, b) }
}

/// Scalars with a BLAS binding.
public protocol BLASScalar: BinaryFloatingPoint, Sendable {
  static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
    b: UnsafePointer<Self>, ldb: Int, beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}

@inline(__always) private func trans(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: BLASScalar {
  public static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_sgemm(
      CblasRowMajor, trans(transA), trans(transB), blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b,
      blasint(ldb), beta, c, blasint(ldc))
  }
}

extension Double: BLASScalar {
  public static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
    b: UnsafePointer<Double>, ldb: Int, beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    cblas_dgemm(
      CblasRowMajor, trans(transA), trans(transB), blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b,
      blasint(ldb), beta, c, blasint(ldc))
  }
}

/// Solve the symmetric positive definite system `A x = B` (A n×n, B n×nrhs, row-major) by
/// Cholesky (LAPACK dposv). Throws `NumericError.notPositiveDefinite` with LAPACK's `info`.
public func solveSPD(_ a: Matrix<Double>, _ b: Matrix<Double>) throws -> Matrix<Double> {
  precondition(a.rows == a.cols && b.rows == a.rows, "solveSPD: shapes \(a.rows)x\(a.cols), \(b.rows)x\(b.cols)")
  var a = a
  var b = b
  let info = a.storage.withUnsafeMutableBufferPointer { pa in
    b.storage.withUnsafeMutableBufferPointer { pb in
      LAPACKE_dposv(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "U")), Int32(a.rows), Int32(b.cols), pa.baseAddress, Int32(a.cols), pb.baseAddress, Int32(b.cols))
    }
  }
  if info != 0 { throw NumericError.notPositiveDefinite(info: Int(info)) }
  return b
}

/// A failure in a numeric routine, with LAPACK's `info` value.
public enum NumericError: Error, Equatable, CustomStringConvertible {
  case notPositiveDefinite(info: Int)
  case svdDidNotConverge(info: Int)
  public var description: String {
    switch self {
    case .notPositiveDefinite(let info): return "matrix is not positive definite (LAPACK info \(info))"
    case .svdDidNotConverge(let info): return "singular value decomposition did not converge (LAPACK info \(info))"
    }
  }
}

import CProbeBLAS
import CProbeKernels

/// Row-major Double kernels on flat arrays, for the many small fits of cross-validation where a
/// `Matrix` wrapper would only add copies. Thin wrappers over OpenBLAS / LAPACKE.
public enum Linalg {
  /// Number of threads OpenBLAS may use (1 when the caller parallelises itself).
  /// A no-op when it is already `n` (setting it wakes OpenBLAS's thread pool, which then spins).
  public static func setBLASThreads(_ n: Int) {
    if openblas_get_num_threads() != Int32(n) { openblas_set_num_threads(Int32(n)) }
  }
  public static var blasThreads: Int { Int(openblas_get_num_threads()) }
  /// Stop OpenBLAS's worker threads (they spin for ~0.1 s after starting and after each threaded
  /// call). Any later thread-count change starts them again; `setBLASThreads` changes it only
  /// when it differs, so single-threaded work never restarts them.
  public static func stopBLASThreadPool() { _ = blas_thread_shutdown_() }
  /// The CPU kernel family OpenBLAS chose (its own detection, or `OPENBLAS_CORETYPE`).
  public static var blasCoreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

  /// `C = alpha·op(A)·op(B) + beta·C` with A m×k (or k×m if transposed), B k×n (or n×k).
  public static func gemm(
    _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>, m: Int, n: Int, k: Int,
    transA: Bool = false, transB: Bool = false, alpha: Double = 1, beta: Double = 0, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
  ) {
    guard m > 0, n > 0 else { return }
    Double.gemm(
      transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda ?? (transA ? m : k), b: b,
      ldb: ldb ?? (transB ? k : n), beta: beta, c: c, ldc: ldc ?? n)
  }

  /// `y = alpha·op(A)·x + beta·y`, A m×n row-major.
  public static func gemv(
    _ a: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, m: Int, n: Int, trans: Bool = false,
    alpha: Double = 1, beta: Double = 0
  ) {
    guard m > 0, n > 0 else { return }
    cblas_dgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha, a, blasint(n), x, 1, beta, y, 1)
  }

  /// `y_v = K·x_v` for `count` vectors stored one after another (n each), K symmetric n×n held in
  /// full (both triangles): the project's kernel, which reads K once per two vectors — for the
  /// small products of the kernel-form Newton step, where it beats two dsymv calls.
  public static func symmetricProduct(_ k: UnsafePointer<Double>, n: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count: Int = 1) {
    probe_symmetric_matvec(k, Int32(n), x, y, Int32(count))
  }

  /// Column means and population SDs (0 or non-finite → 1) of an n×d row-major matrix with
  /// NumPy's axis-0 arithmetic (row order, no fused multiply-add), vectorised across columns:
  /// `StandardScaler`'s fit. `kernel` −1: the best this CPU runs; false when it cannot run it.
  @discardableResult
  public static func columnMeansAndScales(
    _ x: UnsafePointer<Double>, rows n: Int, cols d: Int, mean: UnsafeMutablePointer<Double>, scale: UnsafeMutablePointer<Double>, kernel: Int = -1
  ) -> Bool {
    probe_standardize_fit(x, Int32(n), Int32(d), mean, scale, Int32(kernel)) == 0
  }

  /// `columnMeansAndScales` of rows `rows` of x (d wide, in that order), without gathering them:
  /// the same numbers.
  public static func columnMeansAndScales(
    _ x: UnsafePointer<Double>, rows: [Int32], cols d: Int, mean: UnsafeMutablePointer<Double>, scale: UnsafeMutablePointer<Double>
  ) {
    rows.withUnsafeBufferPointer { pr in _ = probe_standardize_fit_rows(x, pr.baseAddress, Int32(rows.count), Int32(d), mean, scale, -1) }
  }

  /// `standardize` of rows `rows` of x (d wide) into `out`, row r at `out + r·ld`.
  public static func standardize(
    _ x: UnsafePointer<Double>, rows: [Int32], cols d: Int, mean: UnsafePointer<Double>, scale: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, ld: Int
  ) {
    rows.withUnsafeBufferPointer { pr in _ = probe_standardize_apply_rows(x, pr.baseAddress, Int32(rows.count), Int32(d), mean, scale, out, Int32(ld), -1) }
  }

  /// `out = (x − mean)/scale` row by row for an n×d row-major matrix (`out` may be `x`).
  @discardableResult
  public static func standardize(
    _ x: UnsafePointer<Double>, rows n: Int, cols d: Int, mean: UnsafePointer<Double>, scale: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>,
    kernel: Int = -1
  ) -> Bool {
    probe_standardize_apply(x, Int32(n), Int32(d), mean, scale, out, Int32(kernel)) == 0
  }

  /// `C += A·Bᵀ` for A m×k, B n×k, C m×n, row-major with leading dimensions `lda`, `ldb`, `ldc`:
  /// the project's kernel for k ≤ 32 (the top-k sweep's blocks of new columns, where OpenBLAS's
  /// packing costs more than the arithmetic; with A = B the result stays exactly symmetric),
  /// `dgemm` beyond.
  public static func addProducts(
    _ a: UnsafePointer<Double>, lda: Int, m: Int, _ b: UnsafePointer<Double>, ldb: Int, n: Int, k: Int, into c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    guard m > 0, n > 0, k > 0 else { return }
    if k <= 32 {
      probe_add_products(a, Int32(lda), Int32(m), b, Int32(ldb), Int32(n), Int32(k), c, Int32(ldc))
    } else {
      gemm(a, b, c, m: m, n: n, k: k, transB: true, beta: 1, lda: lda, ldb: ldb, ldc: ldc)
    }
  }

  /// `addProducts` with a given kernel (0 portable, 1 AVX2, 2 AVX-512), for tests and benchmarks;
  /// false when this CPU cannot run it.
  @discardableResult
  public static func addProducts(
    _ a: UnsafePointer<Double>, lda: Int, m: Int, _ b: UnsafePointer<Double>, ldb: Int, n: Int, k: Int, into c: UnsafeMutablePointer<Double>, ldc: Int,
    kernel: Int
  ) -> Bool {
    probe_add_products_with_kernel(a, Int32(lda), Int32(m), b, Int32(ldb), Int32(n), Int32(k), c, Int32(ldc), Int32(kernel)) == 0
  }

  /// `H = P + c·Z̃ᵀ·diag(w)·Z̃` for an n×d row-major Z (Z̃ = [Z 1], P the identity on the d
  /// weights, 0 on the intercept), (d+1)×(d+1), into `h` as `choleskyInPlace` stores its input
  /// (column-major lower triangle): the primal Newton matrix, without forming diag(√w)·Z̃.
  /// `z` may be nil when d = 0.
  public static func weightedGramShift(_ z: UnsafePointer<Double>?, rows n: Int, cols d: Int, weights w: UnsafePointer<Double>, c: Double, into h: UnsafeMutablePointer<Double>) {
    if choleskyKernelLevel == 2 {
      probe_weighted_gram_shift(z, Int32(n), Int32(d), w, c, h)
    } else {
      weightedGramShiftBLAS(z, rows: n, cols: d, weights: w, c: c, into: h)
    }
  }

  /// `weightedGramShift` from Zᵀ (d rows of `stride` values, a multiple of 8, zero past n; see
  /// `transposedPadded`) as S·Sᵀ with S = [Zᵀ; 1ᵀ]·diag(√(c·w)) on the row-products kernel:
  /// 1.25–5× faster than the direct kernel (the more so the fewer the columns), the same sums in
  /// another order. AVX-512 only: false (h untouched) without it.
  public static func weightedGramShift(transposed zt: UnsafePointer<Double>, stride: Int, rows n: Int, cols d: Int, weights w: UnsafePointer<Double>, c: Double, into h: UnsafeMutablePointer<Double>) -> Bool {
    probe_weighted_gram_shift_transposed(zt, Int32(stride), Int32(n), Int32(d), w, c, h) == 0
  }

  /// Zᵀ of an n×d row-major matrix, each of its d rows `stride` = n rounded up to a multiple of 8
  /// long and zero past n: the input of `weightedGramShift(transposed:…)`.
  public static func transposedPadded(_ z: [Double], rows n: Int, cols d: Int) -> (values: [Double], stride: Int) {
    let stride = (n + 7) / 8 * 8
    var t = [Double](repeating: 0, count: d * stride)
    z.withUnsafeBufferPointer { pz in
      t.withUnsafeMutableBufferPointer { pt in
        guard let src = pz.baseAddress, let dst = pt.baseAddress else { return }
        // In 8 × 8 blocks: each block's 8 source rows and 8 destination rows stay in cache.
        for i0 in Swift.stride(from: 0, to: n, by: 8) {
          let i1 = min(i0 + 8, n)
          for j0 in Swift.stride(from: 0, to: d, by: 8) {
            let j1 = min(j0 + 8, d)
            for i in i0..<i1 {
              for j in j0..<j1 { dst[j * stride + i] = src[i * d + j] }
            }
          }
        }
      }
    }
    return (t, stride)
  }

  /// `weightedGramShift` by OpenBLAS: the rows of Z̃ scaled by √w, then `dsyrk` (row-major upper =
  /// column-major lower). What runs without AVX-512, where OpenBLAS's kernels are the faster
  /// (`probedb-bench cholesky N` compares them).
  public static func weightedGramShiftBLAS(_ z: UnsafePointer<Double>?, rows n: Int, cols d: Int, weights w: UnsafePointer<Double>, c: Double, into h: UnsafeMutablePointer<Double>) {
    let p = d + 1
    h.update(repeating: 0, count: p * p)
    if n > 0 {
      var scaled = [Double](repeating: 0, count: n * p)
      for i in 0..<n {
        let r = max(w[i], 0).squareRoot()
        for j in 0..<d { scaled[i * p + j] = r * z![i * d + j] }
        scaled[i * p + d] = r
      }
      scaled.withUnsafeBufferPointer { ps in
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, blasint(p), blasint(n), c, ps.baseAddress, blasint(p), 0, h, blasint(p))
      }
    }
    for j in 0..<d { h[j * p + j] += 1 }
  }

  /// `weightedGramShift` with a chosen instruction set (as `choleskyInPlace(_:n:kernel:)`); false
  /// when this CPU cannot run it.
  public static func weightedGramShift(
    _ z: UnsafePointer<Double>?, rows n: Int, cols d: Int, weights w: UnsafePointer<Double>, c: Double, into h: UnsafeMutablePointer<Double>, kernel: Int
  ) -> Bool {
    probe_weighted_gram_shift_with_kernel(z, Int32(n), Int32(d), w, c, h, Int32(kernel)) == 0
  }

  /// `A = I + c·S·K·S` (S = diag(s)) for a symmetric n×n K held in full, into `a` as
  /// `choleskyInPlace` stores its input (column-major lower triangle).
  public static func scaledGramShift(_ a: UnsafeMutablePointer<Double>, _ k: UnsafePointer<Double>, _ s: UnsafePointer<Double>, c: Double, n: Int) {
    probe_scaled_gram_shift(a, k, s, c, Int32(n))
  }

  /// The Gram matrix `Z·Zᵀ` (n×n, full, exactly symmetric) of an n×d row-major matrix: `rowProducts`
  /// of its n rows — the project's kernel (`probe_row_products`) with AVX-512, where it runs at
  /// about twice the speed of OpenBLAS's AVX2 `dsyrk` (`probedb-bench cholesky N` compares them);
  /// `dsyrk` otherwise.
  public static func gram(_ z: [Double], rows n: Int, cols d: Int) -> [Double] { rowProducts(z, rows: n, first: n, cols: d) }

  /// `gram` with a given kernel (0 portable, 1 AVX2, 2 AVX-512); nil when this CPU cannot run it.
  public static func gram(_ z: [Double], rows n: Int, cols d: Int, kernel: Int) -> [Double]? {
    var k = [Double](repeating: 0, count: n * n)
    let ok = z.withUnsafeBufferPointer { pz in
      k.withUnsafeMutableBufferPointer { probe_row_products_with_kernel(pz.baseAddress, Int32(d), Int32(n), Int32(n), Int32(d), $0.baseAddress, Int32(kernel)) == 0 }
    }
    return ok ? k : nil
  }

  /// The products of the rows of Z (m×d, row-major) with its first n rows: C (m×n, row-major)
  /// with C(i, j) = z_i·z_j — the Gram matrix of the first n rows (exactly symmetric) followed by
  /// the other rows' products with them (a kernel-form problem's K and its prediction rows'
  /// `cross`, in one pass). The project's kernel with AVX-512 (as `gram`), OpenBLAS otherwise.
  public static func rowProducts(_ z: [Double], rows m: Int, first n: Int, cols d: Int) -> [Double] {
    precondition(n >= 0 && n <= m && z.count >= m * d)
    var c = [Double](repeating: 0, count: m * n)
    guard n > 0, d > 0 else { return c }
    z.withUnsafeBufferPointer { pz in c.withUnsafeMutableBufferPointer { rowProducts(pz.baseAddress!, ld: d, rows: m, first: n, cols: d, into: $0.baseAddress!) } }
    return c
  }

  /// `rowProducts` from a pointer, rows `ld` apart, into `c` (m×n). The kernel reads rows that
  /// start on 64-byte boundaries fastest (others are copied to such rows first).
  public static func rowProducts(_ z: UnsafePointer<Double>, ld: Int, rows m: Int, first n: Int, cols d: Int, into c: UnsafeMutablePointer<Double>) {
    guard n > 0 else { return }
    if choleskyKernelLevel == 2 || d == 0 {
      _ = probe_row_products_with_kernel(z, Int32(ld), Int32(m), Int32(n), Int32(d), c, Int32(choleskyKernelLevel))
      return
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, blasint(n), blasint(d), 1, z, blasint(ld), 0, c, blasint(n))
    for i in 0..<n { for j in 0..<i { c[i * n + j] = c[j * n + i] } }
    if m > n {
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(m - n), blasint(n), blasint(d), 1, z + n * ld, blasint(ld), z, blasint(ld), 0, c + n * n, blasint(n))
    }
  }

  /// `rowProducts` from a pointer (rows `ld` apart, any alignment) into `c` (m×n) with a given
  /// kernel (0 portable, 1 AVX2, 2 AVX-512), for tests and benchmarks; false when this CPU cannot
  /// run it.
  @discardableResult
  public static func rowProducts(
    _ z: UnsafePointer<Double>, ld: Int, rows m: Int, first n: Int, cols d: Int, into c: UnsafeMutablePointer<Double>, kernel: Int
  ) -> Bool {
    probe_row_products_with_kernel(z, Int32(ld), Int32(m), Int32(n), Int32(d), c, Int32(kernel)) == 0
  }

  /// `gram` by OpenBLAS's `dsyrk` (row-major upper, mirrored).
  public static func gramBLAS(_ z: [Double], rows n: Int, cols d: Int) -> [Double] {
    var k = [Double](repeating: 0, count: n * n)
    guard n > 0, d > 0 else { return k }
    z.withUnsafeBufferPointer { pz in
      k.withUnsafeMutableBufferPointer { pk in
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, blasint(n), blasint(d), 1, pz.baseAddress, blasint(d), 0, pk.baseAddress, blasint(n))
      }
    }
    for i in 0..<n { for j in 0..<i { k[i * n + j] = k[j * n + i] } }
    return k
  }

  /// Cholesky factorisation `A = L·Lᵀ` in place, for the many small systems of cross-validation:
  /// A symmetric positive definite, held column-major in its lower triangle (`a[j·n + i]` =
  /// A(i, j) for i ≥ j, i.e. row-major upper; the strictly upper part is scratch and may be
  /// overwritten). Up to n = 512 the project's vectorised kernel (`probe_cholesky`: no packing,
  /// no allocation, about twice dpotrf's speed at n ≈ 120 on AVX-512, see `probedb-bench
  /// cholesky N`); LAPACK's dpotrf beyond. Throws with the failing column otherwise.
  public static func choleskyInPlace(_ a: UnsafeMutablePointer<Double>, n: Int) throws {
    let info = n <= smallCholeskyLimit && choleskyKernelLevel == 2 ? probe_cholesky(a, Int32(n)) : lapackCholeskyInPlace(a, n: n)
    if info != 0 { throw NumericError.notPositiveDefinite(info: Int(info)) }
  }

  /// Largest n `choleskyInPlace` factors with the project's kernel (with AVX-512; without it, the
  /// project's AVX2 kernel is no faster than OpenBLAS's and LAPACK factors every n).
  public static let smallCholeskyLimit = 512

  /// LAPACK's dpotrf on the same storage as `choleskyInPlace`; returns LAPACK's `info`.
  public static func lapackCholeskyInPlace(_ a: UnsafeMutablePointer<Double>, n: Int) -> Int32 {
    LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), a, Int32(n))
  }

  /// LAPACK's dpotrs with a factor from `lapackCholeskyInPlace`.
  public static func lapackCholeskySolveInPlace(_ l: UnsafePointer<Double>, n: Int, _ b: UnsafeMutablePointer<Double>, nrhs: Int) {
    _ = LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), Int32(nrhs), l, Int32(n), b, Int32(n))
  }

  /// Solve with the factor from `choleskyInPlace`; `b` holds `nrhs` right-hand sides one after
  /// another (column-major n×nrhs), overwritten by the solutions.
  public static func choleskySolveInPlace(_ l: UnsafePointer<Double>, n: Int, _ b: UnsafeMutablePointer<Double>, nrhs: Int) {
    // Either factor (the kernel's or dpotrf's) has the same layout; the project's solves are used
    // up to the kernel's size limit.
    if n <= smallCholeskyLimit {
      probe_cholesky_solve(l, Int32(n), b, Int32(nrhs))
    } else {
      lapackCholeskySolveInPlace(l, n: n, b, nrhs: nrhs)
    }
  }

  /// The inverses of a factor's diagonal blocks (8×8 on AVX-512, 4×4 on AVX2), which
  /// `choleskySolveInPlace(_:n:_:nrhs:inverses:)` reads instead of forming them on every call
  /// (worth it when one factor serves several solves): `inv` has room for
  /// `choleskyInverseCount(n)` values. False, with `inv` untouched, where the solves do not use
  /// them (the portable code, or n above `smallCholeskyLimit`): pass nil then.
  public static func choleskyBlockInverses(_ l: UnsafePointer<Double>, n: Int, into inv: UnsafeMutablePointer<Double>) -> Bool {
    n > 0 && n <= smallCholeskyLimit && probe_cholesky_block_inverses(l, Int32(n), inv) == 1
  }

  /// How many values `choleskyBlockInverses` may write for an n×n factor (n/8 blocks of 8×8 on
  /// AVX-512, n/4 of 4×4 on AVX2).
  public static func choleskyInverseCount(_ n: Int) -> Int { n / 4 * 32 }

  /// `choleskyBlockInverses` and `choleskySolveInPlace(_:n:_:nrhs:inverses:)` with a chosen
  /// instruction set (as `choleskyInPlace(_:n:kernel:)`), whatever n; false when this CPU cannot
  /// run it. For tests and benchmarks.
  public static func choleskySolveInPlace(_ l: UnsafePointer<Double>, n: Int, _ b: UnsafeMutablePointer<Double>, nrhs: Int, kernel: Int, withInverses: Bool) -> Bool {
    guard kernel >= 0, kernel <= choleskyKernelLevel else { return false }
    var inv = [Double](repeating: .nan, count: max(choleskyInverseCount(n), 1))
    let has = withInverses && inv.withUnsafeMutableBufferPointer { probe_cholesky_block_inverses_with_kernel(l, Int32(n), $0.baseAddress!, Int32(kernel)) == 1 }
    return inv.withUnsafeBufferPointer { pi in probe_cholesky_solve_with_kernel(l, Int32(n), has ? pi.baseAddress! : nil, b, Int32(nrhs), Int32(kernel)) == 0 }
  }

  /// `choleskySolveInPlace` with the factor's block inverses from `choleskyBlockInverses` (nil:
  /// formed by the solve).
  public static func choleskySolveInPlace(_ l: UnsafePointer<Double>, n: Int, _ b: UnsafeMutablePointer<Double>, nrhs: Int, inverses: UnsafePointer<Double>?) {
    if n <= smallCholeskyLimit {
      probe_cholesky_solve_inverses(l, Int32(n), inverses, b, Int32(nrhs))
    } else {
      lapackCholeskySolveInPlace(l, n: n, b, nrhs: nrhs)
    }
  }

  /// `choleskyInPlace`'s kernel with a chosen instruction set (2 AVX-512, 1 AVX2+FMA, 0 portable),
  /// whatever n; false when this CPU cannot run it. For tests and benchmarks.
  public static func choleskyInPlace(_ a: UnsafeMutablePointer<Double>, n: Int, kernel: Int) throws -> Bool {
    let info = probe_cholesky_with_kernel(a, Int32(n), Int32(kernel))
    if info < 0 { return false }
    if info != 0 { throw NumericError.notPositiveDefinite(info: Int(info)) }
    return true
  }

  /// The instruction set `choleskyInPlace`'s kernel uses on this CPU: "AVX-512", "AVX2" or "portable".
  public static var choleskyKernel: String { choleskyKernelNames[choleskyKernelLevel] }
  /// `choleskyInPlace`'s kernel on this CPU as its `kernel:` number, and the names of all of them.
  public static var choleskyKernelLevel: Int { Int(probe_cholesky_kernel()) }
  public static let choleskyKernelNames = ["portable", "AVX2", "AVX-512"]

  /// Eigenvalues (real, imaginary parts) of a general n×n row-major matrix (LAPACK dgeev).
  public static func eigenvalues(_ a: [Double], n: Int) throws -> [(re: Double, im: Double)] {
    guard n > 0 else { return [] }
    var a = a
    var wr = [Double](repeating: 0, count: n), wi = [Double](repeating: 0, count: n)
    var dummy = [Double](repeating: 0, count: 1)
    let info = a.withUnsafeMutableBufferPointer { pa in
      wr.withUnsafeMutableBufferPointer { pr in
        wi.withUnsafeMutableBufferPointer { pi in
          dummy.withUnsafeMutableBufferPointer { pd in
            LAPACKE_dgeev(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "N")), Int8(UInt8(ascii: "N")), Int32(n), pa.baseAddress, Int32(n), pr.baseAddress, pi.baseAddress,
                          pd.baseAddress, 1, pd.baseAddress, 1)
          }
        }
      }
    }
    if info != 0 { throw NumericError.svdDidNotConverge(info: Int(info)) }
    return zip(wr, wi).map { ($0, $1) }
  }

  /// Eigen-decomposition of a symmetric n×n matrix (LAPACK dsyevd): eigenvalues ascending, and the
  /// eigenvectors as the columns of the row-major n×n result (`vectors[i·n + j]` is component i of
  /// vector j).
  public static func symmetricEigen(_ a: [Double], n: Int) throws -> (values: [Double], vectors: [Double]) {
    var v = a
    var w = [Double](repeating: 0, count: n)
    guard n > 0 else { return (w, v) }
    let info = v.withUnsafeMutableBufferPointer { pv in
      w.withUnsafeMutableBufferPointer { pw in
        LAPACKE_dsyevd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")), Int32(n), pv.baseAddress, Int32(n), pw.baseAddress)
      }
    }
    if info != 0 { throw NumericError.svdDidNotConverge(info: Int(info)) }
    return (w, v)
  }

  /// Thin singular value decomposition `A = U·diag(s)·Vᵀ` of an m×n row-major matrix (divide and
  /// conquer): U m×r, s r, Vᵀ r×n with r = min(m, n).
  public static func svd(_ a: [Double], rows m: Int, cols n: Int) throws -> (u: [Double], s: [Double], vt: [Double]) {
    let r = min(m, n)
    var a = a
    var s = [Double](repeating: 0, count: r)
    var u = [Double](repeating: 0, count: m * r)
    var vt = [Double](repeating: 0, count: r * n)
    guard r > 0 else { return (u, s, vt) }
    let info = a.withUnsafeMutableBufferPointer { pa in
      s.withUnsafeMutableBufferPointer { ps in
        u.withUnsafeMutableBufferPointer { pu in
          vt.withUnsafeMutableBufferPointer { pv in
            LAPACKE_dgesdd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "S")), Int32(m), Int32(n), pa.baseAddress, Int32(n), ps.baseAddress, pu.baseAddress, Int32(r), pv.baseAddress, Int32(n))
          }
        }
      }
    }
    if info != 0 { throw NumericError.svdDidNotConverge(info: Int(info)) }
    return (u, s, vt)
  }
}

/// Per-row terms of the logistic loss for class signs s (±1) and margins m, t = s·m, on
/// `CProbeKernels`' vectorised code (its own exp and log1p with AVX2/AVX-512, within a few units
/// in the last place of libm's; libm otherwise).
public enum LogisticTerms {
  /// q = −s·(1 − σ(t)) and d = σ′(t) per row; returns Σq. `kernel` (2 AVX-512, 1 AVX2, 0 libm)
  /// for tests; nil uses the CPU's best.
  @inline(__always) public static func derivatives(
    s: UnsafePointer<Double>, m: UnsafePointer<Double>, count n: Int, q: UnsafeMutablePointer<Double>, d: UnsafeMutablePointer<Double>, kernel: Int? = nil
  ) -> Double {
    guard let kernel else { return probe_logistic_derivatives(s, m, Int32(n), q, d) }
    return probe_logistic_derivatives_with_kernel(s, m, Int32(n), q, d, Int32(kernel))
  }

  /// Σ log(1 + exp(−s·m′)) with m′ = m + step·u written to `out`, or m′ = m when `u` is nil.
  @inline(__always) public static func loss(
    s: UnsafePointer<Double>, m: UnsafePointer<Double>, moving u: UnsafePointer<Double>? = nil, step: Double = 0, into out: UnsafeMutablePointer<Double>? = nil,
    count n: Int, kernel: Int? = nil
  ) -> Double {
    guard let kernel else { return probe_logistic_loss(s, m, u, step, Int32(n), out) }
    return probe_logistic_loss_with_kernel(s, m, u, step, Int32(n), out, Int32(kernel))
  }
}

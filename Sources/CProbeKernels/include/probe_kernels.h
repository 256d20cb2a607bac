#ifndef PROBE_KERNELS_H
#define PROBE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// SHA-256 compression of `blocks` consecutive 64-byte blocks into `state` (8 words, FIPS 180-4
/// order). Uses the x86 SHA extensions when the CPU has them, portable C otherwise.
void probe_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// 1 when `probe_sha256_blocks` runs on the SHA extensions (for tests and benchmarks).
int probe_sha256_accelerated(void);

/// The portable implementation, always (tests compare the two).
void probe_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks);

/// 1 when the CPU and the OS support AVX-512 (F, BW, DQ, VL with ZMM state enabled): OpenBLAS's
/// SkylakeX/Cooperlake kernels can run.
int probe_cpu_has_avx512(void);

/// A loop body for `probe_parallel_for`: called once for each index.
typedef void (*probe_task_fn)(void *ctx, long i);

/// Run fn(ctx, i) for i in 0..<n on the calling thread and the pool's helper threads (one per
/// further core, started on first use), returning when every call has returned. Calls made from
/// inside a body, or from another thread while a loop runs, run serially on their own thread.
void probe_parallel_for(long n, probe_task_fn fn, void *ctx);

/// Wake the helper threads so that they spin, ready, for a few milliseconds: for callers that know
/// a loop is coming (waking a sleeping thread can take ~1 ms).
void probe_parallel_warm(void);

/// The threads a `probe_parallel_for` loop runs on (the caller and the helpers).
int probe_parallel_threads(void);

/// glibc only: serve allocations up to 32 MiB from the heap (no mmap/munmap per matrix) and trim it
/// only past 256 MiB. Returns 1 when both settings took effect. For the probedb executable.
int probe_malloc_keep_large_blocks(void);

/// Cholesky factorisation A = L·Lᵀ in place of a symmetric positive definite n×n matrix stored
/// column-major in its lower triangle (A(i, j) = a[j·n + i], i ≥ j; the strictly upper part is
/// scratch). Returns 0, or the 1-based column whose pivot is not positive (or not finite).
/// Vectorised with AVX-512 or AVX2+FMA when the CPU has them; for small n, faster than dpotrf.
int probe_cholesky(double *a, int n);

/// The same factorisation with a given kernel (2 AVX-512, 1 AVX2+FMA, 0 portable), for tests and
/// benchmarks; -1 when this CPU cannot run it. A kernel that runs here also runs every lower one.
int probe_cholesky_with_kernel(double *a, int n, int kernel);

/// Which kernel `probe_cholesky` uses: 2 AVX-512, 1 AVX2+FMA, 0 portable.
int probe_cholesky_kernel(void);

/// A = I + c·S·K·S into `a`, column-major lower triangle (the layout `probe_cholesky` factors), for
/// an n×n symmetric K held in full (row-major, either triangle read as the other) and S = diag(s).
void probe_scaled_gram_shift(double *a, const double *k, const double *s, double c, int n);

/// H = P + c·Z̃ᵀ·diag(w)·Z̃ into `h`, (d+1)×(d+1) column-major lower triangle (the layout
/// `probe_cholesky` factors), for Z n×d row-major, Z̃ = [Z 1] and P the identity on the d weights
/// (0 on the intercept): the primal Newton matrix of logistic regression.
void probe_weighted_gram_shift(const double *z, int n, int d, const double *w, double c, double *h);

/// The same with a given kernel (as `probe_cholesky_with_kernel`); -1 when this CPU cannot run it.
int probe_weighted_gram_shift_with_kernel(const double *z, int n, int d, const double *w, double c, double *h, int kernel);

/// `probe_weighted_gram_shift` from Zᵀ (d rows of `ldn` ≥ n values, a multiple of 8, zero past n)
/// as S·Sᵀ with S = [Zᵀ; 1ᵀ]·diag(√(c·w)), on the row-products kernel (1.25–5× faster than the
/// direct kernel, the more so the fewer the columns). AVX-512 only: returns −1 (h untouched)
/// without it or with bad arguments, else 0.
int probe_weighted_gram_shift_transposed(const double *zt, int ldn, int n, int d, const double *w, double c, double *h);

/// y_v = K·x_v for `count` vectors stored one after another (n each), K n×n symmetric held in full
/// (row-major); K is read once for every two vectors.
void probe_symmetric_matvec(const double *k, int n, const double *x, double *y, int count);

/// Column means and population standard deviations of an n×d row-major matrix, as NumPy's axis-0
/// reductions compute them (row order, no fused multiply-add; an SD of 0 or not finite becomes
/// 1): bit for bit the plain loops'. `kernel` as `probe_cholesky_with_kernel`, −1 for the best
/// this CPU runs; returns −1 when it cannot run the one asked for.
int probe_standardize_fit(const double *x, int n, int d, double *mean, double *scale, int kernel);

/// out = (x − mean)/scale row by row (out may be x); `kernel` as in `probe_standardize_fit`.
int probe_standardize_apply(const double *x, int n, int d, const double *mean, const double *scale, double *out, int kernel);

/// `probe_standardize_fit` over rows `rows[0..<n]` of x (d wide), in that order: the same numbers
/// as on those rows gathered first.
int probe_standardize_fit_rows(const double *x, const int *rows, int n, int d, double *mean, double *scale, int kernel);

/// `probe_standardize_apply` of rows `rows[0..<n]` of x (d wide) into out, row r at out + r·ldo.
int probe_standardize_apply_rows(const double *x, const int *rows, int n, int d, const double *mean, const double *scale, double *out, int ldo, int kernel);

/// C += A·Bᵀ for A m×k, B n×k and C m×n, all row-major with leading dimensions lda, ldb, ldc:
/// for small k (the top-k sweep's column blocks), where a BLAS call costs more in packing than in
/// arithmetic. With A = B (and C symmetric) the result stays exactly symmetric.
void probe_add_products(const double *a, int lda, int m, const double *b, int ldb, int n, int k, double *c, int ldc);

/// The same with a given kernel (as `probe_cholesky_with_kernel`); -1 when this CPU cannot run it.
int probe_add_products_with_kernel(const double *a, int lda, int m, const double *b, int ldb, int n, int k, double *c, int ldc, int kernel);

/// Products of rows: C(i, j) = z_i·z_j for i < m and j < n ≤ m, into C (m×n, row-major), for Z
/// m×d row-major with row stride ld — the Gram matrix of the first n rows (exactly symmetric) and
/// the other rows' products with them. Dot products of rows in 4 × 4 tiles, every read sequential.
void probe_row_products(const double *z, int ld, int m, int n, int d, double *c);

/// The same with a given kernel (as `probe_cholesky_with_kernel`); -1 when this CPU cannot run it.
int probe_row_products_with_kernel(const double *z, int ld, int m, int n, int d, double *c, int kernel);

/// Logistic loss terms for rows with class signs s (±1) and margins m, t = s·m: q = −s·(1 − σ(t))
/// and d = σ′(t) per row; returns Σq. Vectorised (own exp) with AVX2/AVX-512, libm otherwise.
double probe_logistic_derivatives(const double *s, const double *m, int n, double *q, double *d);

/// Σ log(1 + exp(−s·m′)) with m′ = m + step·u, m′ written to `out` (u and out may be NULL: m′ = m).
double probe_logistic_loss(const double *s, const double *m, const double *u, double step, int n, double *out);

/// The same with a given kernel (2 AVX-512, 1 AVX2, 0 libm), for tests.
double probe_logistic_derivatives_with_kernel(const double *s, const double *m, int n, double *q, double *d, int kernel);
double probe_logistic_loss_with_kernel(const double *s, const double *m, const double *u, double step, int n, double *out, int kernel);

/// Solve A·X = B with the factor from `probe_cholesky`; B holds `nrhs` right-hand sides one after
/// another (column-major n×nrhs), overwritten by X.
void probe_cholesky_solve(const double *l, int n, double *b, int nrhs);

/// The inverses of the diagonal blocks of a factor in `probe_cholesky`'s layout (from it or from
/// dpotrf) — 8×8 blocks on AVX-512, 4×4 on AVX2 — which `probe_cholesky_solve_inverses` reads
/// instead of forming them on every call: `inv` receives at most n/4·32 values. Returns 1, or 0
/// with `inv` untouched where the solves do not use them (portable code, or n > 512).
int probe_cholesky_block_inverses(const double *l, int n, double *inv);

/// The same for a given instruction set (2 AVX-512, 1 AVX2, 0 portable); 0 when this CPU cannot
/// run it. For tests: the inverses must go to the solve of the same kernel.
int probe_cholesky_block_inverses_with_kernel(const double *l, int n, double *inv, int kernel);

/// `probe_cholesky_solve` with the inverses from `probe_cholesky_block_inverses` of the same
/// factor, or NULL (then formed here, as `probe_cholesky_solve` does).
void probe_cholesky_solve_inverses(const double *l, int n, const double *inv, double *b, int nrhs);

/// `probe_cholesky_solve_inverses` with a given instruction set; -1 when this CPU cannot run it.
int probe_cholesky_solve_with_kernel(const double *l, int n, const double *inv, double *b, int nrhs, int kernel);

#endif

// Cholesky factorisation and solves for the small dense systems of cross-validation (n ≈ 50–400).
//
// At these sizes LAPACK's dpotrf spends much of its time outside arithmetic (panel packing, buffer
// allocation under a lock, recursive blocking tuned for large n). This is the left-looking
// column-major algorithm with block columns of 4: for each block, the columns are updated by the
// previous columns (a GEMM-shaped product, vectorised along the rows and tiled so the accumulators
// stay in registers), then the 4×4 diagonal block is factored and the rows below it finished in
// one pass over the four columns (the same operations per element, in the same order, as finishing
// the columns one after another, which read and wrote each column up to four times). Written for
// this project from the textbook algorithm (Golub & Van Loan, Matrix Computations, §4.2).
//
// Storage: column-major lower triangle, A(i, j) = a[j·n + i] for i ≥ j (= row-major upper).
// The strictly upper part is scratch: it may be overwritten and is never read.
#include "probe_kernels.h"
#include <math.h>
#include <string.h>

#define NB 4

// One tile of the update: TVN vectors of VW rows from row `s`, accumulated over k < j0 in
// registers; rows below `from` (already updated by the previous tile, when the last tile is moved
// back to end at row n instead of running past it) are computed but not stored.
#define UPDATE_TILE(VT, VW, TVN, a, n, j0, s, from)                                                   \
  do {                                                                                                 \
    VT acc[TVN][NB];                                                                                   \
    for (int v = 0; v < TVN; v++)                                                                      \
      for (int c = 0; c < NB; c++) acc[v][c] = (VT){0};                                                \
    for (int k = 0; k < (j0); k++) {                                                                   \
      const double *col = (a) + (size_t)k * (n);                                                       \
      VT x[TVN];                                                                                       \
      for (int v = 0; v < TVN; v++) memcpy(&x[v], col + (s) + v * VW, sizeof(VT));                    \
      for (int c = 0; c < NB; c++) {                                                                   \
        const double sc = col[(j0) + c];                                                               \
        for (int v = 0; v < TVN; v++) acc[v][c] += x[v] * sc;                                          \
      }                                                                                                \
    }                                                                                                  \
    for (int c = 0; c < NB; c++) {                                                                     \
      double *dst = (a) + (size_t)((j0) + c) * (n) + (s);                                              \
      if ((from) == (s)) {                                                                             \
        for (int v = 0; v < TVN; v++) {                                                                \
          VT cur;                                                                                      \
          memcpy(&cur, dst + v * VW, sizeof(VT));                                                      \
          cur -= acc[v][c];                                                                            \
          memcpy(dst + v * VW, &cur, sizeof(VT));                                                      \
        }                                                                                              \
      } else {                                                                                         \
        double tmp[TVN * VW];                                                                          \
        for (int v = 0; v < TVN; v++) memcpy(tmp + v * VW, &acc[v][c], sizeof(VT));                    \
        for (int r = (from) - (s); r < TVN * VW; r++) dst[r] -= tmp[r];                                \
      }                                                                                                \
    }                                                                                                  \
  } while (0)

// The update of block column [j0, j0+NB) for rows [j0, n):  A(i, j0+c) −= Σ_{k<j0} L(i,k)·L(j0+c,k),
// in tiles of TV vectors of VW rows, then single vectors; a last partial tile or vector is moved
// back to end at row n (overlapping rows are computed twice and stored once), so only blocks with
// fewer than VW rows left use scalar code.
#define DEFINE_UPDATE(NAME, ATTR, VT, VW, TV)                                                         \
  DEFINE_UPDATE_WITH(NAME, ATTR, VT, VW, TV, (void)0)

// `DEFINE_UPDATE` with `REMAINDER`, a statement run after the whole tiles that may finish the
// rows [i0, n) itself and return (the AVX-512 kernel's masked tiles).
#define DEFINE_UPDATE_WITH(NAME, ATTR, VT, VW, TV, REMAINDER)                                         \
  ATTR static void NAME(double *a, int n, int j0) {                                                    \
    const int tile = VW * TV;                                                                          \
    int i0 = j0;                                                                                       \
    for (; i0 + tile <= n; i0 += tile) UPDATE_TILE(VT, VW, TV, a, n, j0, i0, i0);                      \
    REMAINDER;                                                                                         \
    if (i0 < n && n - j0 >= tile && n - i0 > tile / 2) {                                               \
      UPDATE_TILE(VT, VW, TV, a, n, j0, n - tile, i0);                                                 \
      return;                                                                                          \
    }                                                                                                  \
    /* Two-vector tiles next: eight independent accumulators, enough to cover the FMA latency. */ \
    for (; i0 + 2 * VW <= n; i0 += 2 * VW) UPDATE_TILE(VT, VW, 2, a, n, j0, i0, i0);                   \
    if (i0 < n && n - j0 >= 2 * VW && n - i0 > VW) {                                                   \
      UPDATE_TILE(VT, VW, 2, a, n, j0, n - 2 * VW, i0);                                                \
      return;                                                                                          \
    }                                                                                                  \
    for (; i0 + VW <= n; i0 += VW) UPDATE_TILE(VT, VW, 1, a, n, j0, i0, i0);                           \
    if (i0 < n && n - j0 >= VW) {                                                                      \
      UPDATE_TILE(VT, VW, 1, a, n, j0, n - VW, i0);                                                    \
      return;                                                                                          \
    }                                                                                                  \
    for (; i0 < n; i0++) {                                                                             \
      double acc[NB] = {0, 0, 0, 0};                                                                   \
      for (int k = 0; k < j0; k++) {                                                                   \
        const double *col = a + (size_t)k * n;                                                         \
        for (int c = 0; c < NB; c++) acc[c] += col[i0] * col[j0 + c];                                  \
      }                                                                                                \
      for (int c = 0; c < NB; c++) a[(size_t)(j0 + c) * n + i0] -= acc[c];                             \
    }                                                                                                  \
  }

// Rows below a 4×4 diagonal block, finished in all four columns: each column's entries less the
// finished entries of the block's earlier columns times the diagonal block's multipliers (s10…s32),
// in column order, then scaled by the reciprocal of its pivot — as a column-by-column pass does.
// For vectors or scalars alike; one statement per operation, so every product-difference
// contracts to the same fused multiply-add as in that pass.
#define FINISH_ROWS(v0, v1, v2, v3)                                                                    \
  do {                                                                                                 \
    v0 *= inv[0];                                                                                      \
    v1 -= v0 * s10;                                                                                    \
    v1 *= inv[1];                                                                                      \
    v2 -= v0 * s20;                                                                                    \
    v2 -= v1 * s21;                                                                                    \
    v2 *= inv[2];                                                                                      \
    v3 -= v0 * s30;                                                                                    \
    v3 -= v1 * s31;                                                                                    \
    v3 -= v2 * s32;                                                                                    \
    v3 *= inv[3];                                                                                      \
  } while (0)

// The update of the last, partial block (JB = n − j0 < NB columns and rows): each of its JB × JB
// entries less its sum over the previous columns, in column order as the column-by-column form
// does, but in a register (constant JB, so the loops unroll) instead of through memory, where
// each step waited on the previous one's store.
#define PARTIAL_UPDATE(a, n, j0, JB)                                                                   \
  do {                                                                                                 \
    double acc_[JB][JB];                                                                               \
    for (int c_ = 0; c_ < JB; c_++)                                                                    \
      for (int r_ = 0; r_ < JB; r_++) acc_[c_][r_] = (a)[(size_t)((j0) + c_) * (n) + (j0) + r_];       \
    for (int k_ = 0; k_ < (j0); k_++) {                                                                \
      const double *col_ = (a) + (size_t)k_ * (n) + (j0);                                              \
      for (int c_ = 0; c_ < JB; c_++) {                                                                \
        const double s_ = col_[c_];                                                                    \
        for (int r_ = 0; r_ < JB; r_++) acc_[c_][r_] -= col_[r_] * s_;                                 \
      }                                                                                                \
    }                                                                                                  \
    for (int c_ = 0; c_ < JB; c_++)                                                                    \
      for (int r_ = 0; r_ < JB; r_++) (a)[(size_t)((j0) + c_) * (n) + (j0) + r_] = acc_[c_][r_];       \
  } while (0)

// The 4×4 diagonal block of columns [j0, j0+4) (already updated by every earlier column) factored
// column by column, then the rows below it finished in one pass over the four columns. Returns 0,
// or the 1-based column whose pivot is not positive.
#define DEFINE_FINISH4(NAME, ATTR, VT, VW)                                                            \
  ATTR static int NAME(double *a, int n, int j0) {                                                     \
    /* The 4×4 diagonal block column by column, then the rows below it in one pass that */        \
    /* finishes all four columns: each element gets the same operations in the same order as */   \
    /* the column-by-column form (below), which makes four passes over each column. */           \
    double *c0 = a + (size_t)j0 * n, *c1 = c0 + n, *c2 = c1 + n, *c3 = c2 + n;                     \
    double *cols[NB] = {c0, c1, c2, c3};                                                           \
    double inv[NB];                                                                                \
    for (int c = 0; c < NB; c++) {                                                                 \
      const int j = j0 + c;                                                                        \
      double *colj = cols[c];                                                                      \
      for (int cc = 0; cc < c; cc++) {                                                             \
        const double *colk = cols[cc];                                                             \
        const double sk = colk[j];                                                                 \
        for (int i = j; i < j0 + NB; i++) colj[i] -= colk[i] * sk;                                 \
      }                                                                                            \
      const double d = colj[j];                                                                    \
      if (!(d > 0) || !isfinite(d)) return j + 1;                                                  \
      const double r = sqrt(d);                                                                    \
      colj[j] = r;                                                                                 \
      inv[c] = 1 / r;                                                                              \
      for (int i = j + 1; i < j0 + NB; i++) colj[i] *= inv[c];                                     \
    }                                                                                              \
    const double s10 = c0[j0 + 1], s20 = c0[j0 + 2], s21 = c1[j0 + 2];                            \
    const double s30 = c0[j0 + 3], s31 = c1[j0 + 3], s32 = c2[j0 + 3];                            \
    int i = j0 + NB;                                                                               \
    for (; i + VW <= n; i += VW) {                                                                 \
      VT v0, v1, v2, v3;                                                                           \
      memcpy(&v0, c0 + i, sizeof(VT));                                                             \
      memcpy(&v1, c1 + i, sizeof(VT));                                                             \
      memcpy(&v2, c2 + i, sizeof(VT));                                                             \
      memcpy(&v3, c3 + i, sizeof(VT));                                                             \
      FINISH_ROWS(v0, v1, v2, v3);                                                                 \
      memcpy(c0 + i, &v0, sizeof(VT));                                                             \
      memcpy(c1 + i, &v1, sizeof(VT));                                                             \
      memcpy(c2 + i, &v2, sizeof(VT));                                                             \
      memcpy(c3 + i, &v3, sizeof(VT));                                                             \
    }                                                                                              \
    for (; i < n; i++) {                                                                           \
      double v0 = c0[i], v1 = c1[i], v2 = c2[i], v3 = c3[i];                                       \
      FINISH_ROWS(v0, v1, v2, v3);                                                                 \
      c0[i] = v0;                                                                                  \
      c1[i] = v1;                                                                                  \
      c2[i] = v2;                                                                                  \
      c3[i] = v3;                                                                                  \
    }                                                                                              \
    return 0;                                                                                          \
  }

// The whole factorisation around an update kernel, compiled once per instruction set so the
// column operations of the diagonal blocks are vectorised too.
#define DEFINE_FACTOR(NAME, ATTR, UPDATE, FINISH, VT, VW)                                             \
  ATTR static int NAME##_from(double *a, int n, int start) {                                           \
    for (int j0 = start; j0 < n; j0 += NB) {                                                               \
      const int jb = n - j0 < NB ? n - j0 : NB;                                                        \
      if (jb == NB) {                                                                                  \
        UPDATE(a, n, j0);                                                                              \
        { const int r_ = FINISH(a, n, j0); if (r_) return r_; }                                        \
        continue;                                                                                      \
      } else if (jb == 3) {                                                                            \
        PARTIAL_UPDATE(a, n, j0, 3);                                                                   \
      } else if (jb == 2) {                                                                            \
        PARTIAL_UPDATE(a, n, j0, 2);                                                                   \
      } else {                                                                                         \
        PARTIAL_UPDATE(a, n, j0, 1);                                                                   \
      }                                                                                                \
      /* The diagonal block and the rows below it, column by column within the block. */              \
      for (int c = 0; c < jb; c++) {                                                                   \
        const int j = j0 + c;                                                                          \
        double *colj = a + (size_t)j * n;                                                              \
        for (int cc = 0; cc < c; cc++) {                                                               \
          const double *colk = a + (size_t)(j0 + cc) * n;                                              \
          const double s = colk[j];                                                                    \
          for (int i = j; i < n; i++) colj[i] -= colk[i] * s;                                          \
        }                                                                                              \
        const double d = colj[j];                                                                      \
        if (!(d > 0) || !isfinite(d)) return j + 1;                                                    \
        const double r = sqrt(d);                                                                      \
        colj[j] = r;                                                                                   \
        const double inv = 1 / r;                                                                      \
        for (int i = j + 1; i < n; i++) colj[i] *= inv;                                                \
      }                                                                                                \
    }                                                                                                  \
    return 0;                                                                                          \
  }                                                                                                    \
  ATTR static int NAME(double *a, int n) { return NAME##_from(a, n, 0); }

// Loads of rows [i, i+VW) of four consecutive columns c0…c3 into a0…a3.
#define LOAD4(VT, i)                                                                                   \
  VT a0, a1, a2, a3;                                                                                   \
  memcpy(&a0, c0 + (i), sizeof(VT));                                                                   \
  memcpy(&a1, c1 + (i), sizeof(VT));                                                                   \
  memcpy(&a2, c2 + (i), sizeof(VT));                                                                   \
  memcpy(&a3, c3 + (i), sizeof(VT))

// Forward and back substitution, two right-hand sides at a time (one pass over L for both), in
// blocks of 4 columns: the 4×4 diagonal block in scalar code, the rest of the block's rows as one
// fused update (forward: x −= L(:, block)·y(block)) or four dot products (back: y(block) −=
// L(:, block)ᵀ·x) per pass over x, so dependent chains are only 4 long. The portable solves; the
// AVX2 and AVX-512 ones (below) go through the diagonal blocks' inverses up to n = 512 and use
// this beyond.
#define DEFINE_SOLVE(NAME, ATTR, VT, VW)                                                              \
  ATTR static void NAME(const double *l, int n, double *b, int nrhs) {                                 \
    for (int r = 0; r < nrhs; r += 2) {                                                                \
      double *x0 = b + (size_t)r * n;                                                                  \
      const int two = r + 1 < nrhs;                                                                    \
      double *x1 = two ? x0 + n : x0;                                                                  \
      for (int j0 = 0; j0 < n; j0 += NB) {                                                             \
        const int jb = n - j0 < NB ? n - j0 : NB;                                                      \
        double y0[NB] = {0, 0, 0, 0}, y1[NB] = {0, 0, 0, 0};                                           \
        for (int c = 0; c < jb; c++) {                                                                 \
          const double *col = l + (size_t)(j0 + c) * n;                                                \
          y0[c] = x0[j0 + c] / col[j0 + c];                                                            \
          y1[c] = x1[j0 + c] / col[j0 + c];                                                            \
          for (int i = j0 + c + 1; i < j0 + jb; i++) {                                                 \
            x0[i] -= col[i] * y0[c];                                                                   \
            if (two) x1[i] -= col[i] * y1[c];                                                          \
          }                                                                                            \
          x0[j0 + c] = y0[c];                                                                          \
          if (two) x1[j0 + c] = y1[c];                                                                 \
        }                                                                                              \
        if (jb < NB) continue; /* the last block: no rows below it */                                  \
        const double *c0 = l + (size_t)j0 * n, *c1 = c0 + n, *c2 = c1 + n, *c3 = c2 + n;               \
        int i = j0 + NB;                                                                               \
        for (; i + VW <= n; i += VW) {                                                                 \
          LOAD4(VT, i);                                                                                \
          VT v0, v1;                                                                                   \
          memcpy(&v0, x0 + i, sizeof(VT));                                                             \
          v0 -= a0 * y0[0] + a1 * y0[1] + a2 * y0[2] + a3 * y0[3];                                     \
          memcpy(x0 + i, &v0, sizeof(VT));                                                             \
          if (two) {                                                                                   \
            memcpy(&v1, x1 + i, sizeof(VT));                                                           \
            v1 -= a0 * y1[0] + a1 * y1[1] + a2 * y1[2] + a3 * y1[3];                                   \
            memcpy(x1 + i, &v1, sizeof(VT));                                                           \
          }                                                                                            \
        }                                                                                              \
        for (; i < n; i++) {                                                                           \
          x0[i] -= c0[i] * y0[0] + c1[i] * y0[1] + c2[i] * y0[2] + c3[i] * y0[3];                      \
          if (two) x1[i] -= c0[i] * y1[0] + c1[i] * y1[1] + c2[i] * y1[2] + c3[i] * y1[3];             \
        }                                                                                              \
      }                                                                                                \
      /* Back substitution, blocks from the bottom (the last block may be short). */                  \
      const int last = ((n - 1) / NB) * NB;                                                            \
      for (int j0 = last; j0 >= 0; j0 -= NB) {                                                         \
        const int jb = n - j0 < NB ? n - j0 : NB;                                                      \
        double s0[NB] = {0, 0, 0, 0}, s1[NB] = {0, 0, 0, 0};                                           \
        if (jb == NB) {                                                                                \
          const double *c0 = l + (size_t)j0 * n, *c1 = c0 + n, *c2 = c1 + n, *c3 = c2 + n;             \
          VT p0 = {0}, p1 = {0}, p2 = {0}, p3 = {0}, q0 = {0}, q1 = {0}, q2 = {0}, q3 = {0};           \
          int i = j0 + NB;                                                                             \
          for (; i + VW <= n; i += VW) {                                                               \
            LOAD4(VT, i);                                                                              \
            VT v0, v1;                                                                                 \
            memcpy(&v0, x0 + i, sizeof(VT));                                                           \
            memcpy(&v1, x1 + i, sizeof(VT));                                                           \
            p0 += a0 * v0;                                                                             \
            p1 += a1 * v0;                                                                             \
            p2 += a2 * v0;                                                                             \
            p3 += a3 * v0;                                                                             \
            q0 += a0 * v1;                                                                             \
            q1 += a1 * v1;                                                                             \
            q2 += a2 * v1;                                                                             \
            q3 += a3 * v1;                                                                             \
          }                                                                                            \
          for (int e = 0; e < VW; e++) {                                                               \
            s0[0] += p0[e];                                                                            \
            s0[1] += p1[e];                                                                            \
            s0[2] += p2[e];                                                                            \
            s0[3] += p3[e];                                                                            \
            s1[0] += q0[e];                                                                            \
            s1[1] += q1[e];                                                                            \
            s1[2] += q2[e];                                                                            \
            s1[3] += q3[e];                                                                            \
          }                                                                                            \
          for (; i < n; i++) {                                                                         \
            s0[0] += c0[i] * x0[i];                                                                    \
            s0[1] += c1[i] * x0[i];                                                                    \
            s0[2] += c2[i] * x0[i];                                                                    \
            s0[3] += c3[i] * x0[i];                                                                    \
            s1[0] += c0[i] * x1[i];                                                                    \
            s1[1] += c1[i] * x1[i];                                                                    \
            s1[2] += c2[i] * x1[i];                                                                    \
            s1[3] += c3[i] * x1[i];                                                                    \
          }                                                                                            \
        }                                                                                              \
        for (int c = jb - 1; c >= 0; c--) {                                                            \
          const int j = j0 + c;                                                                        \
          const double *col = l + (size_t)j * n;                                                       \
          double t0 = x0[j] - s0[c], t1 = x1[j] - s1[c];                                               \
          for (int i = j + 1; i < j0 + jb; i++) {                                                      \
            t0 -= col[i] * x0[i];                                                                      \
            t1 -= col[i] * x1[i];                                                                      \
          }                                                                                            \
          x0[j] = t0 / col[j];                                                                         \
          if (two) x1[j] = t1 / col[j];                                                                \
        }                                                                                              \
      }                                                                                                \
    }                                                                                                  \
  }

typedef double probe_v2d __attribute__((vector_size(16)));
DEFINE_UPDATE(update_generic, , probe_v2d, 2, 4)
DEFINE_FINISH4(finish4_generic, , probe_v2d, 2)
DEFINE_FACTOR(factor_generic, , update_generic, finish4_generic, probe_v2d, 2)
DEFINE_SOLVE(solve_generic, , probe_v2d, 2)

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define PROBE_X86 1
typedef double probe_v4d __attribute__((vector_size(32)));
typedef double probe_v8d __attribute__((vector_size(64)));
#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f")))
#include <immintrin.h>
// AVX2: 12 accumulators + 3 row vectors + 1 broadcast = the 16 ymm registers.
DEFINE_UPDATE(update_avx2, AVX2, probe_v4d, 4, 3)
DEFINE_FINISH4(finish4_avx2, AVX2, probe_v4d, 4)
DEFINE_FACTOR(factor_avx2, AVX2, update_avx2, finish4_avx2, probe_v4d, 4)
// The columns past the last whole block of the blocked solves (fewer than a block): forward
// substitution after the blocks (no rows below them), back substitution before them.
static inline void forward_tail(const double *l, int n, int whole, double *x0, double *x1, int two) {
  for (int j = whole; j < n; j++) {
    double s0 = x0[j], s1 = two ? x1[j] : 0;
    for (int k = whole; k < j; k++) {
      s0 -= l[(size_t)k * n + j] * x0[k];
      if (two) s1 -= l[(size_t)k * n + j] * x1[k];
    }
    x0[j] = s0 / l[(size_t)j * n + j];
    if (two) x1[j] = s1 / l[(size_t)j * n + j];
  }
}

static inline void back_tail(const double *l, int n, int whole, double *x0, double *x1, int two) {
  for (int j = n - 1; j >= whole; j--) {
    const double *col = l + (size_t)j * n;
    double s0 = x0[j], s1 = two ? x1[j] : 0;
    for (int i = j + 1; i < n; i++) {
      s0 -= col[i] * x0[i];
      if (two) s1 -= col[i] * x1[i];
    }
    x0[j] = s0 / col[j];
    if (two) x1[j] = s1 / col[j];
  }
}

DEFINE_SOLVE(solve4sub_avx2, AVX2, probe_v4d, 4)

// AVX2 solves through the inverses of the 4×4 diagonal blocks: the AVX-512 solves' scheme below
// (see there) with blocks of 4 columns and 4-lane vectors.
AVX2 static inline void block_inverse4(const double *l, int n, int j0, __m256d m[4]) {
  for (int i = 0; i < 4; i++) {
    const double *row = l + j0 + i;  // L(j0+i, j0+k) = row[(j0+k)·n]
    __m256d acc = _mm256_setzero_pd();
    for (int k = 0; k < i; k++) acc = _mm256_fmadd_pd(_mm256_set1_pd(row[(size_t)(j0 + k) * n]), m[k], acc);
    double unit[4] = {0, 0, 0, 0};
    unit[i] = 1;
    m[i] = _mm256_div_pd(_mm256_sub_pd(_mm256_loadu_pd(unit), acc), _mm256_set1_pd(row[(size_t)(j0 + i) * n]));
  }
}

// Four vectors to one: lane k holds the sum of the lanes of v_k.
AVX2 static inline __m256d sum_lanes4(const __m256d v[4]) {
  const __m256d t01 = _mm256_hadd_pd(v[0], v[1]), t23 = _mm256_hadd_pd(v[2], v[3]);
  return _mm256_add_pd(_mm256_permute2f128_pd(t01, t23, 0x20), _mm256_permute2f128_pd(t01, t23, 0x31));
}

// Lane k of v broadcast to every lane.
#define LANE4(v, k) _mm256_permute4x64_pd((v), (k) * 0x55)

// The first min(r, 4) lanes (loads only: masked stores are slow on some CPUs).
AVX2 static inline __m256i rows_mask4(int r) {
  return _mm256_set_epi64x(r > 3 ? -1 : 0, r > 2 ? -1 : 0, r > 1 ? -1 : 0, r > 0 ? -1 : 0);
}

AVX2 static inline __m256d block_times4(const __m256d m[4], const double *p) {
  const __m256d x = _mm256_loadu_pd(p);
  __m256d t[4];
  for (int i = 0; i < 4; i++) t[i] = _mm256_mul_pd(m[i], x);
  return sum_lanes4(t);
}

AVX2 static inline __m256d block_transposed_times4(const __m256d m[4], __m256d t) {
  const __m256d r0 = _mm256_fmadd_pd(LANE4(t, 1), m[1], _mm256_mul_pd(LANE4(t, 3), m[3]));
  const __m256d r1 = _mm256_fmadd_pd(LANE4(t, 0), m[0], _mm256_mul_pd(LANE4(t, 2), m[2]));
  return _mm256_add_pd(r0, r1);
}

AVX2 static inline __attribute__((always_inline)) void solve4_pair(const double *l, int n, double *x0, double *x1, const int two, double *inv, int have) {
  const int whole = n / 4 * 4;
  for (int j0 = 0; j0 < whole; j0 += 4) {
    __m256d m[4];
    double *mi = inv + (size_t)j0 * 4;
    if (have) {
      for (int c = 0; c < 4; c++) m[c] = _mm256_loadu_pd(mi + 4 * c);
    } else {
      block_inverse4(l, n, j0, m);
      for (int c = 0; c < 4; c++) _mm256_storeu_pd(mi + 4 * c, m[c]);
    }
    const __m256d y0 = block_times4(m, x0 + j0), y1 = two ? block_times4(m, x1 + j0) : y0;
    _mm256_storeu_pd(x0 + j0, y0);
    if (two) _mm256_storeu_pd(x1 + j0, y1);
    const __m256d b00 = LANE4(y0, 0), b01 = LANE4(y0, 1), b02 = LANE4(y0, 2), b03 = LANE4(y0, 3);
    const __m256d b10 = LANE4(y1, 0), b11 = LANE4(y1, 1), b12 = LANE4(y1, 2), b13 = LANE4(y1, 3);
    const double *c0 = l + (size_t)j0 * n, *c1 = c0 + n, *c2 = c1 + n, *c3 = c2 + n;
    // Whole vectors with plain loads and stores (masked stores are slow on some CPUs), then the
    // last rows (fewer than 4) one by one with the same operations.
    int i = j0 + 4;
    for (; i + 4 <= n; i += 4) {
      const __m256d a0 = _mm256_loadu_pd(c0 + i), a1 = _mm256_loadu_pd(c1 + i), a2 = _mm256_loadu_pd(c2 + i), a3 = _mm256_loadu_pd(c3 + i);
      const __m256d s0 = _mm256_fmadd_pd(a1, b01, _mm256_mul_pd(a0, b00)), s1 = _mm256_fmadd_pd(a3, b03, _mm256_mul_pd(a2, b02));
      _mm256_storeu_pd(x0 + i, _mm256_sub_pd(_mm256_loadu_pd(x0 + i), _mm256_add_pd(s0, s1)));
      if (two) {
        const __m256d s2 = _mm256_fmadd_pd(a1, b11, _mm256_mul_pd(a0, b10)), s3 = _mm256_fmadd_pd(a3, b13, _mm256_mul_pd(a2, b12));
        _mm256_storeu_pd(x1 + i, _mm256_sub_pd(_mm256_loadu_pd(x1 + i), _mm256_add_pd(s2, s3)));
      }
    }
    double y0s[4], y1s[4];
    _mm256_storeu_pd(y0s, y0);
    _mm256_storeu_pd(y1s, y1);
    for (; i < n; i++) {
      x0[i] -= __builtin_fma(c1[i], y0s[1], c0[i] * y0s[0]) + __builtin_fma(c3[i], y0s[3], c2[i] * y0s[2]);
      if (two) x1[i] -= __builtin_fma(c1[i], y1s[1], c0[i] * y1s[0]) + __builtin_fma(c3[i], y1s[3], c2[i] * y1s[2]);
    }
  }
  forward_tail(l, n, whole, x0, x1, two);
  back_tail(l, n, whole, x0, x1, two);
  for (int j0 = whole - 4; j0 >= 0; j0 -= 4) {
    __m256d p[4], q[4];
    for (int c = 0; c < 4; c++) p[c] = q[c] = _mm256_setzero_pd();
    const double *c0 = l + (size_t)j0 * n;
    for (int i = j0 + 8;; i += 4) {  // the rows solved last (j0+4…) last
      if (i >= n) i = j0 + 4;
      if (i >= n) break;
      const __m256i mk = rows_mask4(n - i);
      const __m256d v0 = _mm256_maskload_pd(x0 + i, mk), v1 = two ? _mm256_maskload_pd(x1 + i, mk) : v0;
      for (int c = 0; c < 4; c++) {
        const __m256d a = _mm256_maskload_pd(c0 + (size_t)c * n + i, mk);
        p[c] = _mm256_fmadd_pd(a, v0, p[c]);
        if (two) q[c] = _mm256_fmadd_pd(a, v1, q[c]);
      }
      if (i == j0 + 4) break;
    }
    __m256d m[4];
    for (int c = 0; c < 4; c++) m[c] = _mm256_loadu_pd(inv + (size_t)j0 * 4 + 4 * c);
    _mm256_storeu_pd(x0 + j0, block_transposed_times4(m, _mm256_sub_pd(_mm256_loadu_pd(x0 + j0), sum_lanes4(p))));
    if (two) _mm256_storeu_pd(x1 + j0, block_transposed_times4(m, _mm256_sub_pd(_mm256_loadu_pd(x1 + j0), sum_lanes4(q))));
  }
}

AVX2 static void solve_avx2(const double *l, int n, const double *given, double *b, int nrhs) {
  if (n > 512) {
    solve4sub_avx2(l, n, b, nrhs);
    return;
  }
  double formed[n / 4 * 16 + 4];
  double *inv = given ? (double *)given : formed;  // only read when given
  for (int r = 0; r < nrhs; r += 2) {
    double *x0 = b + (size_t)r * n;
    if (r + 1 < nrhs) solve4_pair(l, n, x0, x0 + n, 1, inv, given || r > 0);
    else solve4_pair(l, n, x0, x0, 0, inv, given || r > 0);
  }
}

AVX2 static void block_inverses_avx2(const double *l, int n, double *inv) {
  for (int j0 = 0; j0 + 4 <= n; j0 += 4) {
    __m256d m[4];
    block_inverse4(l, n, j0, m);
    for (int c = 0; c < 4; c++) _mm256_storeu_pd(inv + (size_t)j0 * 4 + 4 * c, m[c]);
  }
}
// AVX-512 update tiles: columns [cb, cb+NC) of rows [s, s + 8·TVN) less their terms from columns
// k ∈ [k0, k1), in NC × TVN accumulators; with MASKED the last vector holds the rows `mask` keeps
// (loads and stores masked), for the rows left after the whole tiles.
#define COLS_TILE(TVN, NC, MASKED, a, n, cb, k0, k1, s, mask)                                          \
  do {                                                                                                 \
    __m512d acc[TVN][NC];                                                                              \
    for (int v = 0; v < TVN; v++)                                                                      \
      for (int c = 0; c < NC; c++) acc[v][c] = _mm512_setzero_pd();                                    \
    for (int k = (k0); k < (k1); k++) {                                                                \
      const double *col = (a) + (size_t)k * (n);                                                       \
      __m512d x[TVN];                                                                                  \
      for (int v = 0; v < TVN; v++)                                                                    \
        x[v] = (MASKED && v == TVN - 1) ? _mm512_maskz_loadu_pd((mask), col + (s) + v * 8) : _mm512_loadu_pd(col + (s) + v * 8); \
      for (int c = 0; c < NC; c++) {                                                                   \
        const __m512d sc = _mm512_set1_pd(col[(cb) + c]);                                              \
        for (int v = 0; v < TVN; v++) acc[v][c] = _mm512_fmadd_pd(x[v], sc, acc[v][c]);               \
      }                                                                                                \
    }                                                                                                  \
    for (int c = 0; c < NC; c++) {                                                                     \
      double *dst = (a) + (size_t)((cb) + c) * (n) + (s);                                              \
      for (int v = 0; v < TVN; v++) {                                                                  \
        if (MASKED && v == TVN - 1) {                                                                  \
          __m512d cur = _mm512_maskz_loadu_pd((mask), dst + v * 8);                                     \
          _mm512_mask_storeu_pd(dst + v * 8, (mask), _mm512_sub_pd(cur, acc[v][c]));                   \
        } else {                                                                                       \
          _mm512_storeu_pd(dst + v * 8, _mm512_sub_pd(_mm512_loadu_pd(dst + v * 8), acc[v][c]));       \
        }                                                                                              \
      }                                                                                                \
    }                                                                                                  \
  } while (0)

// Rows [i0, n) (fewer than 8·TV) of columns [cb, cb+NC) in one tile of as many vectors as they
// need, the last one masked.
#define COLS_REMAINDER(TV, NC, a, n, cb, k0, k1, i0)                                                   \
  do {                                                                                                 \
    const int r_ = (n) - (i0);                                                                         \
    if (r_ <= 0) break;                                                                                \
    const int tvn_ = (r_ + 7) / 8;                                                                     \
    const __mmask8 mask_ = (__mmask8)((1u << (r_ - 8 * (tvn_ - 1))) - 1);                              \
    switch (tvn_) {                                                                                    \
    case 1: COLS_TILE(1, NC, 1, a, n, cb, k0, k1, i0, mask_); break;                                   \
    case 2: COLS_TILE(2, NC, 1, a, n, cb, k0, k1, i0, mask_); break;                                   \
    case 3: COLS_TILE(3, NC, 1, a, n, cb, k0, k1, i0, mask_); break;                                   \
    default: COLS_TILE(TV, NC, 1, a, n, cb, k0, k1, i0, mask_); break;                                 \
    }                                                                                                  \
  } while (0)

// The 4-column update (16 accumulators of 8 rows: a 32×4 tile in the 32 zmm registers): the rows
// left after the whole tiles (fewer than 32) in one tile with its last vector masked, instead of
// tiles moved back over finished rows and narrower tiles — the same operations on every element
// that is kept.
AVX512 static void masked_remainder_avx512(double *a, int n, int j0, int i0) { COLS_REMAINDER(4, NB, a, n, j0, 0, j0, i0); }
DEFINE_UPDATE_WITH(update_avx512, AVX512, probe_v8d, 8, 4, if (i0 < n) { masked_remainder_avx512(a, n, j0, i0); return; })
DEFINE_FINISH4(finish4_avx512, AVX512, probe_v8d, 8)
DEFINE_FACTOR(factor_avx512, AVX512, update_avx512, finish4_avx512, probe_v8d, 8)

// Eight columns per update pass (AVX-512). The left-looking update reads, for every block of
// columns, all earlier columns of L from L2 (at n ≈ 120–250 L does not fit in L1); with 4 columns
// per pass each vector of L loaded feeds 4 multiply-adds. Here the update of columns [j0, j0+8)
// by every column k < j0 runs in tiles of 3 vectors × 8 columns (24 accumulators: 8
// multiply-adds per vector loaded), then the first four columns are finished as above, the other
// four updated by those four (a short pass) and finished. The sums are the same terms as the
// 4-column form's, with the last four columns' terms k ∈ [j0, j0+4) subtracted after the rest
// instead of with them (rounding differs in the last bits).
AVX512 static void update8_avx512(double *a, int n, int j0) {
  int i0 = j0;
  for (; i0 + 24 <= n; i0 += 24) COLS_TILE(3, 8, 0, a, n, j0, 0, j0, i0, 0xFF);
  COLS_REMAINDER(3, 8, a, n, j0, 0, j0, i0);
}

// Columns [q, q+4), rows [q, n): less their terms from the four columns before q.
AVX512 static void catchup4_avx512(double *a, int n, int q) {
  int i0 = q;
  for (; i0 + 32 <= n; i0 += 32) COLS_TILE(4, 4, 0, a, n, q, q - 4, q, i0, 0xFF);
  COLS_REMAINDER(4, 4, a, n, q, q - 4, q, i0);
}

AVX512 static int factor8_avx512(double *a, int n) {
  int j0 = 0;
  for (; j0 + 8 <= n; j0 += 8) {
    update8_avx512(a, n, j0);
    int r = finish4_avx512(a, n, j0);
    if (r) return r;
    catchup4_avx512(a, n, j0 + 4);
    r = finish4_avx512(a, n, j0 + 4);
    if (r) return r;
  }
  return factor_avx512_from(a, n, j0);
}

// The 8-column passes from n = 192 on: standalone (a 768-column Gram plus I, scaled), n = 205
// 35.1 → 31.4 µs, 231 47.3 → 41.6, 256 78.7 → 56.8 (there the 4-column form also suffers the
// power-of-two column stride), 283 89.3 → 74.3; below, within ±5 % either way (n = 123 7.2 → 7.6,
// 147 13.9 → 12.5, 179 21.3 → 21.6), so the 4-column form stays.
AVX512 static int factor_avx512_sized(double *a, int n) { return n >= 192 ? factor8_avx512(a, n) : factor_avx512(a, n); }
DEFINE_SOLVE(solve4_avx512, AVX512, probe_v8d, 8)

// AVX-512 solves in blocks of 8 columns, through the inverses of the 8×8 diagonal blocks: the
// substitution within a block — a chain of 8 dependent divisions and products, which made the
// 4-column solve latency-bound — becomes one product with the block's inverse (8 independent sums),
// and every vector load of x lines up with a vector store of the block before it. The inverses are
// formed once per call, row by row (row i of M = L_bb⁻¹ is (e_i − Σ_{k<i} L(i,k)·M(k,:)) / L(i,i)),
// and shared by all right-hand sides. The solutions equal the substitution's up to rounding (a few
// ulps for well-conditioned systems); columns past the last whole block take plain substitution.
AVX512 static inline void block_inverse8(const double *l, int n, int j0, __m512d m[8]) {
  for (int i = 0; i < 8; i++) {
    const double *row = l + j0 + i;  // L(j0+i, j0+k) = row[(j0+k)·n]
    __m512d acc = _mm512_setzero_pd();
    for (int k = 0; k < i; k++) acc = _mm512_fmadd_pd(_mm512_set1_pd(row[(size_t)(j0 + k) * n]), m[k], acc);
    const __m512d e = _mm512_maskz_mov_pd((__mmask8)(1u << i), _mm512_set1_pd(1.0));
    m[i] = _mm512_div_pd(_mm512_sub_pd(e, acc), _mm512_set1_pd(row[(size_t)(j0 + i) * n]));
  }
}

// Eight vectors to one: lane k holds the sum of the lanes of v_k.
AVX512 static inline __m512d sum_lanes8(const __m512d v[8]) {
  const __m512d t01 = _mm512_add_pd(_mm512_unpacklo_pd(v[0], v[1]), _mm512_unpackhi_pd(v[0], v[1]));
  const __m512d t23 = _mm512_add_pd(_mm512_unpacklo_pd(v[2], v[3]), _mm512_unpackhi_pd(v[2], v[3]));
  const __m512d t45 = _mm512_add_pd(_mm512_unpacklo_pd(v[4], v[5]), _mm512_unpackhi_pd(v[4], v[5]));
  const __m512d t67 = _mm512_add_pd(_mm512_unpacklo_pd(v[6], v[7]), _mm512_unpackhi_pd(v[6], v[7]));
  const __m512d u0 = _mm512_add_pd(_mm512_shuffle_f64x2(t01, t23, 0x88), _mm512_shuffle_f64x2(t01, t23, 0xDD));
  const __m512d u1 = _mm512_add_pd(_mm512_shuffle_f64x2(t45, t67, 0x88), _mm512_shuffle_f64x2(t45, t67, 0xDD));
  return _mm512_add_pd(_mm512_shuffle_f64x2(u0, u1, 0x88), _mm512_shuffle_f64x2(u0, u1, 0xDD));
}

AVX512 static inline __mmask8 rows_mask(int r) { return r >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << r) - 1); }

// Lane k of v broadcast to every lane.
AVX512 static inline __m512d lane(__m512d v, int k) { return _mm512_permutexvar_pd(_mm512_set1_epi64(k), v); }

// y = M·x for the block's M (rows m[0…7]) and the block's x at p: lane i = Σ_k M(i,k)·x_k.
AVX512 static inline __m512d block_times(const __m512d m[8], const double *p) {
  const __m512d x = _mm512_loadu_pd(p);
  __m512d t[8];
  for (int i = 0; i < 8; i++) t[i] = _mm512_mul_pd(m[i], x);
  return sum_lanes8(t);
}

// x = Mᵀ·t: Σ_k t_k·(row k of M), in two chains.
AVX512 static inline __m512d block_transposed_times(const __m512d m[8], __m512d t) {
  __m512d r0 = _mm512_mul_pd(lane(t, 7), m[7]), r1 = _mm512_mul_pd(lane(t, 6), m[6]);
  for (int k = 5; k >= 1; k -= 2) {
    r0 = _mm512_fmadd_pd(lane(t, k), m[k], r0);
    r1 = _mm512_fmadd_pd(lane(t, k - 1), m[k - 1], r1);
  }
  return _mm512_add_pd(r0, r1);
}

// One right-hand side (two == 0, x1 unused) or two; `inv` holds the blocks' inverses (8 rows of 8)
// when `have`, else receives them.
AVX512 static inline __attribute__((always_inline)) void solve8_pair(const double *l, int n, double *x0, double *x1, const int two, double *inv, int have) {
  const int whole = n / 8 * 8;
  // Forward: L·y = b, block by block; the rows below a block less its columns times its y.
  for (int j0 = 0; j0 < whole; j0 += 8) {
    __m512d m[8];
    double *mi = inv + (size_t)j0 * 8;
    if (have) {
      for (int c = 0; c < 8; c++) m[c] = _mm512_loadu_pd(mi + 8 * c);
    } else {
      block_inverse8(l, n, j0, m);
      for (int c = 0; c < 8; c++) _mm512_storeu_pd(mi + 8 * c, m[c]);
    }
    const __m512d y0 = block_times(m, x0 + j0), y1 = two ? block_times(m, x1 + j0) : y0;
    _mm512_storeu_pd(x0 + j0, y0);
    if (two) _mm512_storeu_pd(x1 + j0, y1);
    __m512d b0[8], b1[8];
    for (int c = 0; c < 8; c++) {
      b0[c] = lane(y0, c);
      if (two) b1[c] = lane(y1, c);
    }
    for (int i = j0 + 8; i < n; i += 8) {
      const __mmask8 mk = rows_mask(n - i);
      __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd(), s2 = _mm512_setzero_pd(), s3 = _mm512_setzero_pd();
      for (int c = 0; c < 8; c += 2) {
        const __m512d a = _mm512_maskz_loadu_pd(mk, l + (size_t)(j0 + c) * n + i);
        const __m512d a2 = _mm512_maskz_loadu_pd(mk, l + (size_t)(j0 + c + 1) * n + i);
        s0 = _mm512_fmadd_pd(a, b0[c], s0);
        s1 = _mm512_fmadd_pd(a2, b0[c + 1], s1);
        if (two) {
          s2 = _mm512_fmadd_pd(a, b1[c], s2);
          s3 = _mm512_fmadd_pd(a2, b1[c + 1], s3);
        }
      }
      _mm512_mask_storeu_pd(x0 + i, mk, _mm512_sub_pd(_mm512_maskz_loadu_pd(mk, x0 + i), _mm512_add_pd(s0, s1)));
      if (two) _mm512_mask_storeu_pd(x1 + i, mk, _mm512_sub_pd(_mm512_maskz_loadu_pd(mk, x1 + i), _mm512_add_pd(s2, s3)));
    }
  }
  forward_tail(l, n, whole, x0, x1, two);
  // Back: Lᵀ·x = y, from the bottom.
  back_tail(l, n, whole, x0, x1, two);
  for (int j0 = whole - 8; j0 >= 0; j0 -= 8) {
    // The block's columns times the solved rows below it, as 8 (or 16) vector sums; the rows of
    // the block solved just before (j0+8…) come last, so the other terms need not wait for them.
    __m512d p[8], q[8];
    for (int c = 0; c < 8; c++) p[c] = q[c] = _mm512_setzero_pd();
    for (int i = j0 + 16;; i += 8) {
      if (i >= n) i = j0 + 8;
      if (i >= n) break;  // the last block: nothing below it
      const __mmask8 mk = rows_mask(n - i);
      const __m512d v0 = _mm512_maskz_loadu_pd(mk, x0 + i), v1 = two ? _mm512_maskz_loadu_pd(mk, x1 + i) : v0;
      for (int c = 0; c < 8; c++) {
        const __m512d a = _mm512_maskz_loadu_pd(mk, l + (size_t)(j0 + c) * n + i);
        p[c] = _mm512_fmadd_pd(a, v0, p[c]);
        if (two) q[c] = _mm512_fmadd_pd(a, v1, q[c]);
      }
      if (i == j0 + 8) break;
    }
    __m512d m[8];
    for (int c = 0; c < 8; c++) m[c] = _mm512_loadu_pd(inv + (size_t)j0 * 8 + 8 * c);
    _mm512_storeu_pd(x0 + j0, block_transposed_times(m, _mm512_sub_pd(_mm512_loadu_pd(x0 + j0), sum_lanes8(p))));
    if (two) _mm512_storeu_pd(x1 + j0, block_transposed_times(m, _mm512_sub_pd(_mm512_loadu_pd(x1 + j0), sum_lanes8(q))));
  }
}

// With `given` (from `block_inverses_avx512`) or forming the inverses on the first pair.
AVX512 static void solve_avx512(const double *l, int n, const double *given, double *b, int nrhs) {
  if (n > 512) {  // the inverses would not fit the stack comfortably; large n is not latency-bound
    solve4_avx512(l, n, b, nrhs);
    return;
  }
  double formed[n / 8 * 64 + 8];
  double *inv = given ? (double *)given : formed;  // only read when given
  for (int r = 0; r < nrhs; r += 2) {
    double *x0 = b + (size_t)r * n;
    if (r + 1 < nrhs) solve8_pair(l, n, x0, x0 + n, 1, inv, given || r > 0);
    else solve8_pair(l, n, x0, x0, 0, inv, given || r > 0);
  }
}

AVX512 static void block_inverses_avx512(const double *l, int n, double *inv) {
  for (int j0 = 0; j0 + 8 <= n; j0 += 8) {
    __m512d m[8];
    block_inverse8(l, n, j0, m);
    for (int c = 0; c < 8; c++) _mm512_storeu_pd(inv + (size_t)j0 * 8 + 8 * c, m[c]);
  }
}

static int has_avx2_fma(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

typedef int (*factor_fn)(double *, int);
typedef void (*solve_fn)(const double *, int, double *, int);
static const factor_fn factors[3] = {factor_generic,
#ifdef PROBE_X86
                                     factor_avx2, factor_avx512_sized
#endif
};
static const solve_fn solves[1] = {solve_generic};

int probe_cholesky_kernel(void) {
  static int level = -1;
  int k = __atomic_load_n(&level, __ATOMIC_RELAXED);
  if (k >= 0) return k;
  k = 0;
#ifdef PROBE_X86
  if (probe_cpu_has_avx512()) k = 2;
  else if (has_avx2_fma()) k = 1;
#endif
  __atomic_store_n(&level, k, __ATOMIC_RELAXED);
  return k;
}

int probe_cholesky(double *a, int n) {
  if (n <= 0) return 0;
  return factors[probe_cholesky_kernel()](a, n);
}

int probe_cholesky_with_kernel(double *a, int n, int kernel) {
  if (kernel < 0 || kernel > probe_cholesky_kernel()) return -1;
  if (n <= 0) return 0;
  return factors[kernel](a, n);
}

void probe_cholesky_solve(const double *l, int n, double *b, int nrhs) { probe_cholesky_solve_inverses(l, n, NULL, b, nrhs); }

int probe_cholesky_block_inverses(const double *l, int n, double *inv) {
  return probe_cholesky_block_inverses_with_kernel(l, n, inv, probe_cholesky_kernel());
}

int probe_cholesky_block_inverses_with_kernel(const double *l, int n, double *inv, int kernel) {
  if (kernel < 0 || kernel > probe_cholesky_kernel() || n > 512) return 0;
#ifdef PROBE_X86
  if (kernel == 2) {
    block_inverses_avx512(l, n, inv);
    return 1;
  }
  if (kernel == 1) {
    block_inverses_avx2(l, n, inv);
    return 1;
  }
#endif
  (void)l, (void)inv;
  return 0;
}

void probe_cholesky_solve_inverses(const double *l, int n, const double *inv, double *b, int nrhs) {
  probe_cholesky_solve_with_kernel(l, n, inv, b, nrhs, probe_cholesky_kernel());
}

int probe_cholesky_solve_with_kernel(const double *l, int n, const double *inv, double *b, int nrhs, int kernel) {
  if (kernel < 0 || kernel > probe_cholesky_kernel()) return -1;
  if (n <= 0) return 0;
#ifdef PROBE_X86
  if (kernel == 2) {
    solve_avx512(l, n, inv, b, nrhs);
    return 0;
  }
  if (kernel == 1) {
    solve_avx2(l, n, inv, b, nrhs);
    return 0;
  }
#endif
  solves[0](l, n, b, nrhs);
  return 0;
}

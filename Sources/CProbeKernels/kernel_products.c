// Small dense products of the kernel-form Newton step (n ≈ 50–400, K = Z·Zᵀ held in full):
// forming A = I + c·S·K·S for the Cholesky kernel, and K·x for one or two vectors. At these sizes
// the BLAS calls cost more in dispatch and in reading K twice than in arithmetic.
#include "probe_kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

// A(i, j) = [i = j] + c·s_i·K(i, j)·s_j for i ≥ j, column-major lower (column j of A's lower
// triangle from row j of K's upper triangle, both contiguous).
#define DEFINE_SHIFT(NAME, ATTR, VT, VW)                                                              \
  ATTR static void NAME(double *a, const double *k, const double *s, double c, int n) {                \
    for (int j = 0; j < n; j++) {                                                                      \
      const double cj = c * s[j];                                                                      \
      const double *kr = k + (size_t)j * n;                                                            \
      double *col = a + (size_t)j * n;                                                                 \
      int i = j;                                                                                       \
      for (; i + VW <= n; i += VW) {                                                                   \
        VT kv, sv;                                                                                     \
        memcpy(&kv, kr + i, sizeof(VT));                                                               \
        memcpy(&sv, s + i, sizeof(VT));                                                                \
        VT r = kv * sv * cj;                                                                           \
        memcpy(col + i, &r, sizeof(VT));                                                               \
      }                                                                                                \
      for (; i < n; i++) col[i] = cj * kr[i] * s[i];                                                   \
      col[j] += 1;                                                                                     \
    }                                                                                                  \
  }

// y_v = K·x_v for `count` (1 or 2) vectors stored one after another; K symmetric, full, row-major:
// rows of K dotted with each vector, four rows at a time (independent accumulators), K read once
// for both vectors.
#define DEFINE_MATVEC(NAME, ATTR, VT, VW, HSUM)                                                       \
  ATTR static void NAME(const double *k, int n, const double *x, double *y, int count) {               \
    const double *x1 = count > 1 ? x + n : x;                                                          \
    int i = 0;                                                                                         \
    for (; i + 4 <= n; i += 4) {                                                                       \
      const double *k0 = k + (size_t)i * n, *k1 = k0 + n, *k2 = k1 + n, *k3 = k2 + n;                  \
      VT p0 = {0}, p1 = {0}, p2 = {0}, p3 = {0}, q0 = {0}, q1 = {0}, q2 = {0}, q3 = {0};               \
      int j = 0;                                                                                       \
      for (; j + VW <= n; j += VW) {                                                                   \
        VT a, b, r0, r1, r2, r3;                                                                       \
        memcpy(&a, x + j, sizeof(VT));                                                                 \
        memcpy(&b, x1 + j, sizeof(VT));                                                                \
        memcpy(&r0, k0 + j, sizeof(VT));                                                               \
        memcpy(&r1, k1 + j, sizeof(VT));                                                               \
        memcpy(&r2, k2 + j, sizeof(VT));                                                               \
        memcpy(&r3, k3 + j, sizeof(VT));                                                               \
        p0 += r0 * a;                                                                                  \
        p1 += r1 * a;                                                                                  \
        p2 += r2 * a;                                                                                  \
        p3 += r3 * a;                                                                                  \
        q0 += r0 * b;                                                                                  \
        q1 += r1 * b;                                                                                  \
        q2 += r2 * b;                                                                                  \
        q3 += r3 * b;                                                                                  \
      }                                                                                                \
      double s0 = HSUM(p0), s1 = HSUM(p1), s2 = HSUM(p2), s3 = HSUM(p3);                               \
      double t0 = HSUM(q0), t1 = HSUM(q1), t2 = HSUM(q2), t3 = HSUM(q3);                               \
      for (; j < n; j++) {                                                                             \
        s0 += k0[j] * x[j];                                                                            \
        s1 += k1[j] * x[j];                                                                            \
        s2 += k2[j] * x[j];                                                                            \
        s3 += k3[j] * x[j];                                                                            \
        t0 += k0[j] * x1[j];                                                                           \
        t1 += k1[j] * x1[j];                                                                           \
        t2 += k2[j] * x1[j];                                                                           \
        t3 += k3[j] * x1[j];                                                                           \
      }                                                                                                \
      y[i] = s0;                                                                                       \
      y[i + 1] = s1;                                                                                   \
      y[i + 2] = s2;                                                                                   \
      y[i + 3] = s3;                                                                                   \
      if (count > 1) {                                                                                 \
        y[n + i] = t0;                                                                                 \
        y[n + i + 1] = t1;                                                                             \
        y[n + i + 2] = t2;                                                                             \
        y[n + i + 3] = t3;                                                                             \
      }                                                                                                \
    }                                                                                                  \
    for (; i < n; i++) {                                                                               \
      const double *kr = k + (size_t)i * n;                                                            \
      double s0 = 0, s1 = 0;                                                                           \
      for (int j = 0; j < n; j++) {                                                                    \
        s0 += kr[j] * x[j];                                                                            \
        s1 += kr[j] * x1[j];                                                                           \
      }                                                                                                \
      y[i] = s0;                                                                                       \
      if (count > 1) y[n + i] = s1;                                                                    \
    }                                                                                                  \
  }

// The primal Newton matrix H = P + c·Z̃ᵀ·diag(w)·Z̃ (Z̃ = [Z 1], P = I on the d weights, 0 on the
// intercept) into h, (d+1)×(d+1) column-major lower (the layout `probe_cholesky` factors). Tiles of
// TV vectors of VW rows of H (a) by 4 columns (b), a ≥ b, accumulated over the n rows of Z in
// registers: row i contributes z_i[a] · (c·w_i·z_i[b]). A last partial tile is moved back to end
// at row d (rows computed twice, stored once), as in the Cholesky update. The factors
// (c·w_i)·z_i[b] are formed once per call into y (n×d, row-major) when it could be allocated, so
// the tiles only load and broadcast them (the same products, so the same sums).
#define WG_TILE(VT, VW, TVN, z, n, d, w, c, h, b0, s, from)                                           \
  do {                                                                                                 \
    VT acc[TVN][4];                                                                                    \
    for (int v = 0; v < TVN; v++)                                                                      \
      for (int q = 0; q < 4; q++) acc[v][q] = (VT){0};                                                 \
    if (y) {                                                                                           \
      for (int i = 0; i < (n); i++) {                                                                  \
        const double *row = (z) + (size_t)i * (d), *yrow = y + (size_t)i * (d) + (b0);                 \
        VT x[TVN];                                                                                     \
        for (int v = 0; v < TVN; v++) memcpy(&x[v], row + (s) + v * VW, sizeof(VT));                   \
        for (int q = 0; q < 4; q++) {                                                                  \
          const double sc = yrow[q];                                                                   \
          for (int v = 0; v < TVN; v++) acc[v][q] += x[v] * sc;                                        \
        }                                                                                              \
      }                                                                                                \
    } else {                                                                                           \
      for (int i = 0; i < (n); i++) {                                                                  \
        const double *row = (z) + (size_t)i * (d);                                                     \
        const double wi = (c) * (w)[i];                                                                \
        VT x[TVN];                                                                                     \
        for (int v = 0; v < TVN; v++) memcpy(&x[v], row + (s) + v * VW, sizeof(VT));                   \
        for (int q = 0; q < 4; q++) {                                                                  \
          const double sc = wi * row[(b0) + q];                                                        \
          for (int v = 0; v < TVN; v++) acc[v][q] += x[v] * sc;                                        \
        }                                                                                              \
      }                                                                                                \
    }                                                                                                  \
    for (int q = 0; q < 4; q++) {                                                                      \
      double *dst = (h) + (size_t)((b0) + q) * ((d) + 1) + (s);                                        \
      double tmp[TVN * VW];                                                                            \
      for (int v = 0; v < TVN; v++) memcpy(tmp + v * VW, &acc[v][q], sizeof(VT));                      \
      for (int r = (from) - (s); r < TVN * VW; r++) dst[r] = tmp[r];                                   \
    }                                                                                                  \
  } while (0)

#define DEFINE_WGRAM(NAME, ATTR, VT, VW, TV)                                                          \
  ATTR static void NAME(const double *z, int n, int d, const double *w, double c, double *h) {         \
    const int p = d + 1;                                                                               \
    const int tile = VW * TV;                                                                          \
    double *y = d >= 4 && n > 0 ? malloc(sizeof(double) * (size_t)n * (size_t)d) : NULL;               \
    if (y)                                                                                             \
      for (int i = 0; i < n; i++) {                                                                    \
        const double wi = c * w[i];                                                                    \
        for (int b = 0; b < d; b++) y[(size_t)i * d + b] = wi * z[(size_t)i * d + b];                  \
      }                                                                                                \
    int b0 = 0;                                                                                        \
    for (; b0 + 4 <= d; b0 += 4) {                                                                     \
      int a0 = b0;                                                                                     \
      for (; a0 + tile <= d; a0 += tile) WG_TILE(VT, VW, TV, z, n, d, w, c, h, b0, a0, a0);            \
      if (a0 < d && d - b0 >= tile && d - a0 > tile / 2) {                                             \
        WG_TILE(VT, VW, TV, z, n, d, w, c, h, b0, d - tile, a0);                                       \
        continue;                                                                                      \
      }                                                                                                \
      for (; a0 + VW <= d; a0 += VW) WG_TILE(VT, VW, 1, z, n, d, w, c, h, b0, a0, a0);                 \
      if (a0 < d && d - b0 >= VW) {                                                                    \
        WG_TILE(VT, VW, 1, z, n, d, w, c, h, b0, d - VW, a0);                                          \
        continue;                                                                                      \
      }                                                                                                \
      for (; a0 < d; a0++)                                                                             \
        for (int q = 0; q < 4; q++) {                                                                  \
          double acc = 0;                                                                              \
          for (int i = 0; i < n; i++) acc += z[(size_t)i * d + a0] * (c * w[i] * z[(size_t)i * d + b0 + q]); \
          h[(size_t)(b0 + q) * p + a0] = acc;                                                          \
        }                                                                                              \
    }                                                                                                  \
    /* The last columns (fewer than 4), then the intercept row and corner. */                          \
    for (int b = b0; b < d; b++)                                                                       \
      for (int a = b; a < d; a++) {                                                                    \
        double acc = 0;                                                                                \
        for (int i = 0; i < n; i++) acc += z[(size_t)i * d + a] * (c * w[i] * z[(size_t)i * d + b]);   \
        h[(size_t)b * p + a] = acc;                                                                    \
      }                                                                                                \
    double corner = 0;                                                                                 \
    for (int b = 0; b < d; b++) h[(size_t)b * p + d] = 0;                                              \
    for (int i = 0; i < n; i++) {                                                                      \
      const double wi = c * w[i];                                                                      \
      if (d > 0) {                                                                                     \
        const double *row = z + (size_t)i * d;                                                         \
        for (int b = 0; b < d; b++) h[(size_t)b * p + d] += wi * row[b];                               \
      }                                                                                                \
      corner += wi;                                                                                    \
    }                                                                                                  \
    h[(size_t)d * p + d] = corner;                                                                     \
    for (int b = 0; b < d; b++) h[(size_t)b * p + b] += 1;                                             \
    free(y);                                                                                           \
  }

typedef double kp_v2d __attribute__((vector_size(16)));
// C (m×n, row-major, ldc) += A·Bᵀ for A m×k and Bᵀ k×n (row-major, contiguous: the caller's B
// transposed once), k small: tiles of 4 rows × TV vectors of C accumulated over k in registers
// (Bᵀ's vectors loaded, A's entries broadcast), then single vectors and scalars at the edges;
// rows beyond the last multiple of 4 one at a time. Each entry is its sum over k in order, from 0,
// then added to C — so for A = B the result is exactly symmetric.
#define AP_TILE(VT, VW, TVN, RB, a, lda, bt, n, k, c, ldc, r0, j)                                     \
  do {                                                                                                 \
    VT acc[RB][TVN];                                                                                   \
    for (int q = 0; q < RB; q++)                                                                       \
      for (int v = 0; v < TVN; v++) acc[q][v] = (VT){0};                                               \
    for (int cc = 0; cc < (k); cc++) {                                                                 \
      VT x[TVN];                                                                                       \
      for (int v = 0; v < TVN; v++) memcpy(&x[v], (bt) + (size_t)cc * (n) + (j) + v * VW, sizeof(VT)); \
      for (int q = 0; q < RB; q++) {                                                                   \
        const double av = (a)[(size_t)((r0) + q) * (lda) + cc];                                        \
        for (int v = 0; v < TVN; v++) acc[q][v] += x[v] * av;                                          \
      }                                                                                                \
    }                                                                                                  \
    for (int q = 0; q < RB; q++) {                                                                     \
      double *dst = (c) + (size_t)((r0) + q) * (ldc) + (j);                                            \
      for (int v = 0; v < TVN; v++) {                                                                  \
        VT cur;                                                                                        \
        memcpy(&cur, dst + v * VW, sizeof(VT));                                                        \
        cur += acc[q][v];                                                                              \
        memcpy(dst + v * VW, &cur, sizeof(VT));                                                        \
      }                                                                                                \
    }                                                                                                  \
  } while (0)

#define DEFINE_ADDPROD(NAME, ATTR, VT, VW, TV)                                                        \
  ATTR static void NAME(const double *a, int lda, int m, const double *bt, int n, int k, double *c, int ldc) { \
    int r0 = 0;                                                                                        \
    for (; r0 + 4 <= m; r0 += 4) {                                                                     \
      int j = 0;                                                                                       \
      for (; j + VW * TV <= n; j += VW * TV) AP_TILE(VT, VW, TV, 4, a, lda, bt, n, k, c, ldc, r0, j);  \
      for (; j + VW <= n; j += VW) AP_TILE(VT, VW, 1, 4, a, lda, bt, n, k, c, ldc, r0, j);             \
      for (; j < n; j++)                                                                               \
        for (int q = 0; q < 4; q++) {                                                                  \
          double acc = 0;                                                                              \
          for (int cc = 0; cc < k; cc++) acc += a[(size_t)(r0 + q) * lda + cc] * bt[(size_t)cc * n + j]; \
          c[(size_t)(r0 + q) * ldc + j] += acc;                                                        \
        }                                                                                              \
    }                                                                                                  \
    for (; r0 < m; r0++) {                                                                             \
      int j = 0;                                                                                       \
      for (; j + VW * TV <= n; j += VW * TV) AP_TILE(VT, VW, TV, 1, a, lda, bt, n, k, c, ldc, r0, j);  \
      for (; j + VW <= n; j += VW) AP_TILE(VT, VW, 1, 1, a, lda, bt, n, k, c, ldc, r0, j);             \
      for (; j < n; j++) {                                                                             \
        double acc = 0;                                                                                \
        for (int cc = 0; cc < k; cc++) acc += a[(size_t)r0 * lda + cc] * bt[(size_t)cc * n + j];       \
        c[(size_t)r0 * ldc + j] += acc;                                                                \
      }                                                                                                \
    }                                                                                                  \
  }

// Products of rows of Z (m×d, row-major, row stride ld): C(i, j) = z_i·z_j for every row i < m and
// j < n ≤ m, into C (m×n, row-major) — the Gram matrix of the first n rows (its upper triangle
// computed, then mirrored: exactly symmetric) and the other rows' products with them. Dot products
// of rows in tiles of 4 × 4 entries, each entry a vector accumulator (both rows' vectors loaded: no
// packing, every read sequential), reduced by REDUCE16 and added to C. Columns go in blocks of
// GRAM_KC, so one block of every row stays in L2 while all tiles use it (the rows come from
// memory once per block rather than once per tile row); the columns after a block's last whole
// vector are added as scalars. Entries outside whole tiles go one at a time. Every entry's sum
// has the same order whatever the rows' addresses (`probe_row_products` aligns them, for speed).
#define GRAM_KC 256
#define GD_RANGE(VW, k0, k1, vs, ve)                                                                   \
  const int vs = (k0), ve = vs + ((k1) - vs) / VW * VW
#define GD_DOT(VT, VW, HSUM, z, ld, i, j, k0, k1, out)                                                 \
  do {                                                                                                 \
    const double *zi_ = (z) + (size_t)(i) * (ld), *zj_ = (z) + (size_t)(j) * (ld);                     \
    GD_RANGE(VW, k0, k1, vs_, ve_);                                                                    \
    VT a_ = {0};                                                                                       \
    for (int k_ = vs_; k_ < ve_; k_ += VW) {                                                           \
      VT x_, y_;                                                                                       \
      memcpy(&x_, zi_ + k_, sizeof(VT));                                                               \
      memcpy(&y_, zj_ + k_, sizeof(VT));                                                               \
      a_ += x_ * y_;                                                                                   \
    }                                                                                                  \
    double s_ = HSUM(a_);                                                                              \
    for (int k_ = ve_; k_ < (k1); k_++) s_ += zi_[k_] * zj_[k_];                                       \
    (out) += s_;                                                                                       \
  } while (0)
#define GD_TILE(VT, VW, REDUCE16, z, ld, i0, j0, k0, k1, c, ldc)                                       \
  do {                                                                                                 \
    const double *zi_ = (z) + (size_t)(i0) * (ld), *zj_ = (z) + (size_t)(j0) * (ld);                   \
    GD_RANGE(VW, k0, k1, vs_, ve_);                                                                    \
    VT acc_[16];                                                                                       \
    for (int e_ = 0; e_ < 16; e_++) acc_[e_] = (VT){0};                                                \
    for (int k_ = vs_; k_ < ve_; k_ += VW) {                                                           \
      VT x_[4], y_[4];                                                                                 \
      for (int p_ = 0; p_ < 4; p_++) memcpy(&x_[p_], zi_ + (size_t)p_ * (ld) + k_, sizeof(VT));        \
      for (int q_ = 0; q_ < 4; q_++) memcpy(&y_[q_], zj_ + (size_t)q_ * (ld) + k_, sizeof(VT));        \
      for (int p_ = 0; p_ < 4; p_++)                                                                   \
        for (int q_ = 0; q_ < 4; q_++) acc_[p_ * 4 + q_] += x_[p_] * y_[q_];                           \
    }                                                                                                  \
    double sums_[16];                                                                                  \
    REDUCE16(acc_, sums_);                                                                             \
    for (int p_ = 0; p_ < 4; p_++)                                                                     \
      for (int q_ = 0; q_ < 4; q_++) {                                                                 \
        double s_ = sums_[p_ * 4 + q_];                                                                \
        for (int kk_ = ve_; kk_ < (k1); kk_++) s_ += zi_[(size_t)p_ * (ld) + kk_] * zj_[(size_t)q_ * (ld) + kk_]; \
        (c)[(size_t)((i0) + p_) * (ldc) + (j0) + q_] += s_;                                            \
      }                                                                                                \
  } while (0)
#define DEFINE_GRAM(NAME, ATTR, VT, VW, HSUM, REDUCE16)                                                \
  ATTR static void NAME(const double *z, int ld, int m, int n, int d, double *c) {                     \
    memset(c, 0, sizeof(double) * (size_t)m * (size_t)n);                                              \
    for (int k0 = 0; k0 < d;) {                                                                        \
      int k1 = k0 + GRAM_KC;                                                                           \
      if (k1 > d || d - k1 < GRAM_KC / 4) k1 = d;                                                      \
      /* The first n rows: tiles on and above the diagonal. */                                         \
      int i0 = 0;                                                                                      \
      for (; i0 + 4 <= n; i0 += 4) {                                                                   \
        int j0 = i0;                                                                                   \
        for (; j0 + 4 <= n; j0 += 4) GD_TILE(VT, VW, REDUCE16, z, ld, i0, j0, k0, k1, c, n);           \
        for (; j0 < n; j0++)                                                                           \
          for (int p = 0; p < 4; p++) GD_DOT(VT, VW, HSUM, z, ld, i0 + p, j0, k0, k1, c[(size_t)(i0 + p) * n + j0]); \
      }                                                                                                \
      for (; i0 < n; i0++)                                                                             \
        for (int j = i0; j < n; j++) GD_DOT(VT, VW, HSUM, z, ld, i0, j, k0, k1, c[(size_t)i0 * n + j]); \
      /* The other rows against the first n. */                                                        \
      for (i0 = n; i0 + 4 <= m; i0 += 4) {                                                            \
        int j0 = 0;                                                                                    \
        for (; j0 + 4 <= n; j0 += 4) GD_TILE(VT, VW, REDUCE16, z, ld, i0, j0, k0, k1, c, n);           \
        for (; j0 < n; j0++)                                                                           \
          for (int p = 0; p < 4; p++) GD_DOT(VT, VW, HSUM, z, ld, i0 + p, j0, k0, k1, c[(size_t)(i0 + p) * n + j0]); \
      }                                                                                                \
      for (; i0 < m; i0++)                                                                             \
        for (int j = 0; j < n; j++) GD_DOT(VT, VW, HSUM, z, ld, i0, j, k0, k1, c[(size_t)i0 * n + j]);  \
      k0 = k1;                                                                                         \
    }                                                                                                  \
    for (int i = 0; i < n; i++)                                                                        \
      for (int j = 0; j < i; j++) c[(size_t)i * n + j] = c[(size_t)j * n + i];                         \
  }
// Sixteen vector sums, one by one.
#define REDUCE16_HSUM(HSUM)                                                                            \
  for (int e_ = 0; e_ < 16; e_++) sums[e_] = HSUM(acc[e_])

static inline double hsum2(kp_v2d v) { return v[0] + v[1]; }
static inline void reduce16_v2(const kp_v2d *acc, double *sums) { REDUCE16_HSUM(hsum2); }
DEFINE_ADDPROD(addprod_generic, , kp_v2d, 2, 4)
DEFINE_GRAM(gram_generic, , kp_v2d, 2, hsum2, reduce16_v2)
DEFINE_SHIFT(shift_generic, , kp_v2d, 2)
DEFINE_WGRAM(wgram_generic, , kp_v2d, 2, 4)
DEFINE_MATVEC(matvec_generic, , kp_v2d, 2, hsum2)

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define KP_X86 1
typedef double kp_v4d __attribute__((vector_size(32)));
typedef double kp_v8d __attribute__((vector_size(64)));
// Pairwise horizontal sums (a tree, not a chain of dependent adds).
__attribute__((target("avx2,fma"))) static inline double hsum4(kp_v4d v) { return (v[0] + v[2]) + (v[1] + v[3]); }
__attribute__((target("avx512f"))) static inline double hsum8(kp_v8d v) {
  return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
}
DEFINE_SHIFT(shift_avx2, __attribute__((target("avx2,fma"))), kp_v4d, 4)
DEFINE_WGRAM(wgram_avx2, __attribute__((target("avx2,fma"))), kp_v4d, 4, 3)
DEFINE_MATVEC(matvec_avx2, __attribute__((target("avx2,fma"))), kp_v4d, 4, hsum4)
DEFINE_ADDPROD(addprod_avx2, __attribute__((target("avx2,fma"))), kp_v4d, 4, 3)
DEFINE_SHIFT(shift_avx512, __attribute__((target("avx512f"))), kp_v8d, 8)
DEFINE_WGRAM(wgram_avx512, __attribute__((target("avx512f"))), kp_v8d, 8, 4)
DEFINE_MATVEC(matvec_avx512, __attribute__((target("avx512f"))), kp_v8d, 8, hsum8)
DEFINE_ADDPROD(addprod_avx512, __attribute__((target("avx512f"))), kp_v8d, 8, 4)
__attribute__((target("avx2,fma"))) static inline void reduce16_v4(const kp_v4d *acc, double *sums) { REDUCE16_HSUM(hsum4); }
// Eight sums of 8-lane vectors as a tree of shuffles and adds (7 adds per 8 vectors rather than 7
// per vector): pairs of lanes, then quads, then halves; lane e of the result is vector e's sum.
__attribute__((target("avx512f"))) static inline kp_v8d reduce8_v8(const kp_v8d *v) {
  kp_v8d a[4], b[2];
  for (int t = 0; t < 4; t++)
    a[t] = __builtin_shufflevector(v[2 * t], v[2 * t + 1], 0, 8, 2, 10, 4, 12, 6, 14) +
           __builtin_shufflevector(v[2 * t], v[2 * t + 1], 1, 9, 3, 11, 5, 13, 7, 15);
  for (int t = 0; t < 2; t++)
    b[t] = __builtin_shufflevector(a[2 * t], a[2 * t + 1], 0, 1, 8, 9, 4, 5, 12, 13) +
           __builtin_shufflevector(a[2 * t], a[2 * t + 1], 2, 3, 10, 11, 6, 7, 14, 15);
  return __builtin_shufflevector(b[0], b[1], 0, 1, 2, 3, 8, 9, 10, 11) + __builtin_shufflevector(b[0], b[1], 4, 5, 6, 7, 12, 13, 14, 15);
}
DEFINE_GRAM(gram_avx2, __attribute__((target("avx2,fma"))), kp_v4d, 4, hsum4, reduce16_v4)

// The AVX-512 products in tiles of up to 6 rows × 4 rows: 24 accumulators, the six rows' vectors
// loaded once per step and the four others' one at a time (31 of the 32 registers), so each
// vector loaded feeds 2.4 multiply-adds instead of 2 and the rows streamed from L2 feed six
// accumulators each instead of four. The last rows and columns go through the same tile with
// fewer rows or columns (compiled for each size), not through single dot products, whose one
// chain of dependent multiply-adds ran at a quarter of the speed; every entry is summed the same
// way (eight lanes accumulated over the columns, the tree `reduce8_v8`, then the columns after
// the last whole vector).
__attribute__((target("avx512f"), always_inline)) static inline void gram_tile(
    const double *z, int ld, int i0, int j0, int vs, int ve, int k1, double *c, int ldc, const int R, const int Q) {
  const double *zi = z + (size_t)i0 * ld, *zj = z + (size_t)j0 * ld;
  kp_v8d acc[24];
  for (int e = 0; e < 24; e++) acc[e] = (kp_v8d){0};
  for (int k = vs; k < ve; k += 8) {
    kp_v8d x[6];
    for (int p = 0; p < R; p++) memcpy(&x[p], zi + (size_t)p * ld + k, sizeof(kp_v8d));
    for (int q = 0; q < Q; q++) {
      kp_v8d y;
      memcpy(&y, zj + (size_t)q * ld + k, sizeof(kp_v8d));
      for (int p = 0; p < R; p++) acc[p * 4 + q] += x[p] * y;
    }
  }
  double sums[24];
  for (int g = 0; g < (R * 4 + 7) / 8; g++) {
    kp_v8d r = reduce8_v8(acc + 8 * g);
    memcpy(sums + 8 * g, &r, sizeof r);
  }
  for (int p = 0; p < R; p++)
    for (int q = 0; q < Q; q++) {
      double s = sums[p * 4 + q];
      for (int kk = ve; kk < k1; kk++) s += zi[(size_t)p * ld + kk] * zj[(size_t)q * ld + kk];
      c[(size_t)(i0 + p) * ldc + j0 + q] += s;
    }
}

// Rows [i0, i0 + R) against rows [j0, j1) (R ≤ 6), four at a time.
__attribute__((target("avx512f"))) static void gram_strip(const double *z, int ld, int i0, int R, int j0, int j1, int vs, int ve, int k1, double *c, int ldc) {
#define GRAM_TILE_CASE(RR, QQ) \
  case RR * 8 + QQ: gram_tile(z, ld, i0, j, vs, ve, k1, c, ldc, RR, QQ); break;
#define GRAM_TILE_ROW(RR) GRAM_TILE_CASE(RR, 1) GRAM_TILE_CASE(RR, 2) GRAM_TILE_CASE(RR, 3) GRAM_TILE_CASE(RR, 4)
  for (int j = j0; j < j1; j += 4) {
    const int Q = j1 - j < 4 ? j1 - j : 4;
    switch (R * 8 + Q) {
      GRAM_TILE_ROW(1) GRAM_TILE_ROW(2) GRAM_TILE_ROW(3) GRAM_TILE_ROW(4) GRAM_TILE_ROW(5) GRAM_TILE_ROW(6)
    default: break;
    }
  }
#undef GRAM_TILE_ROW
#undef GRAM_TILE_CASE
}

__attribute__((target("avx512f"))) static void gram_avx512(const double *z, int ld, int m, int n, int d, double *c) {
  memset(c, 0, sizeof(double) * (size_t)m * (size_t)n);
  for (int k0 = 0; k0 < d;) {
    int k1 = k0 + GRAM_KC;
    if (k1 > d || d - k1 < GRAM_KC / 4) k1 = d;
    GD_RANGE(8, k0, k1, vs, ve);
    // The first n rows: from each block of six, the columns from its first row on (entries
    // below the diagonal come out too and are overwritten by the mirror below); then the other
    // rows against the first n.
    for (int i0 = 0; i0 < n; i0 += 6) gram_strip(z, ld, i0, n - i0 < 6 ? n - i0 : 6, i0, n, vs, ve, k1, c, n);
    for (int i0 = n; i0 < m; i0 += 6) gram_strip(z, ld, i0, m - i0 < 6 ? m - i0 : 6, 0, n, vs, ve, k1, c, n);
    k0 = k1;
  }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++) c[(size_t)i * n + j] = c[(size_t)j * n + i];
}
#endif

typedef void (*shift_fn)(double *, const double *, const double *, double, int);
typedef void (*matvec_fn)(const double *, int, const double *, double *, int);
static const shift_fn shifts[3] = {shift_generic,
#ifdef KP_X86
                                   shift_avx2, shift_avx512
#endif
};
static const matvec_fn matvecs[3] = {matvec_generic,
#ifdef KP_X86
                                     matvec_avx2, matvec_avx512
#endif
};

typedef void (*wgram_fn)(const double *, int, int, const double *, double, double *);
static const wgram_fn wgrams[3] = {wgram_generic,
#ifdef KP_X86
                                   wgram_avx2, wgram_avx512
#endif
};

void probe_weighted_gram_shift(const double *z, int n, int d, const double *w, double c, double *h) {
  if (d < 0) return;
  wgrams[probe_cholesky_kernel()](z, n, d, w, c, h);
}

int probe_weighted_gram_shift_with_kernel(const double *z, int n, int d, const double *w, double c, double *h, int kernel) {
  if (kernel < 0 || kernel > probe_cholesky_kernel()) return -1;
  if (d >= 0) wgrams[kernel](z, n, d, w, c, h);
  return 0;
}

void probe_scaled_gram_shift(double *a, const double *k, const double *s, double c, int n) {
  if (n <= 0) return;
  shifts[probe_cholesky_kernel()](a, k, s, c, n);
}

void probe_symmetric_matvec(const double *k, int n, const double *x, double *y, int count) {
  if (n <= 0 || count <= 0) return;
  for (int v = 0; v < count; v += 2) {
    const int here = count - v < 2 ? count - v : 2;
    matvecs[probe_cholesky_kernel()](k, n, x + (size_t)v * n, y + (size_t)v * n, here);
  }
}

typedef void (*addprod_fn)(const double *, int, int, const double *, int, int, double *, int);
static const addprod_fn addprods[3] = {addprod_generic,
#ifdef KP_X86
                                       addprod_avx2, addprod_avx512
#endif
};

void probe_add_products(const double *a, int lda, int m, const double *b, int ldb, int n, int k, double *c, int ldc) {
  probe_add_products_with_kernel(a, lda, m, b, ldb, n, k, c, ldc, probe_cholesky_kernel());
}

int probe_add_products_with_kernel(const double *a, int lda, int m, const double *b, int ldb, int n, int k, double *c, int ldc, int kernel) {
  if (kernel < 0 || kernel > probe_cholesky_kernel()) return -1;
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  double *bt = malloc(sizeof(double) * (size_t)k * (size_t)n);
  if (!bt) abort(); /* out of memory: stop, as a Swift allocation would, rather than leave C unchanged */
  for (int j = 0; j < n; j++)
    for (int cc = 0; cc < k; cc++) bt[(size_t)cc * n + j] = b[(size_t)j * ldb + cc];
  addprods[kernel](a, lda, m, bt, n, k, c, ldc);
  free(bt);
  return 0;
}

typedef void (*gram_fn)(const double *, int, int, int, int, double *);
static const gram_fn grams[3] = {gram_generic,
#ifdef KP_X86
                                 gram_avx2, gram_avx512
#endif
};

int probe_row_products_with_kernel(const double *z, int ld, int m, int n, int d, double *c, int kernel) {
  if (kernel < 0 || kernel > probe_cholesky_kernel()) return -1;
  if (m <= 0 || n <= 0) return 0;
  if (d <= 0) {
    memset(c, 0, sizeof(double) * (size_t)m * (size_t)n);
    return 0;
  }
  // Vector loads split across cache lines unless every row starts on one (about 1.5× slower):
  // rows that do not are copied first into rows that do.
  const size_t line = 64;
  if ((uintptr_t)z % line == 0 && ((size_t)ld * sizeof(double)) % line == 0) {
    grams[kernel](z, ld, m, n, d, c);  // (zeroes C first)
    return 0;
  }
  const int ld2 = (int)(((size_t)d * sizeof(double) + line - 1) / line * (line / sizeof(double)));
  double *copy = aligned_alloc(line, (size_t)m * (size_t)ld2 * sizeof(double));
  if (!copy) abort(); /* out of memory: stop, as a Swift allocation would */
  for (int i = 0; i < m; i++) memcpy(copy + (size_t)i * ld2, z + (size_t)i * ld, sizeof(double) * (size_t)d);
  grams[kernel](copy, ld2, m, n, d, c);
  free(copy);
  return 0;
}

void probe_row_products(const double *z, int ld, int m, int n, int d, double *c) {
  probe_row_products_with_kernel(z, ld, m, n, d, c, probe_cholesky_kernel());
}

// S for `probe_weighted_gram_shift_transposed`, per thread (kept between calls: the Newton steps of
// a thread's fits reuse it), rows aligned to cache lines as the row-products kernel wants them.
static _Thread_local double *wgt_scratch = NULL;
static _Thread_local size_t wgt_capacity = 0;

#ifdef KP_X86
// S = [Zᵀ; 1ᵀ]·diag(√(c·w)) (compiled for AVX-512, which the caller has checked), then S·Sᵀ.
__attribute__((target("avx512f"))) static void wgram_transposed_avx512(const double *zt, int ldn, int n, int d, const double *w, double c, double *h) {
  const int p = d + 1;
  const size_t need = (size_t)p * (size_t)ldn + (size_t)ldn;  // S, then the row scales √(c·w)
  if (need > wgt_capacity) {
    free(wgt_scratch);
    const size_t bytes = (need * sizeof(double) + 63) / 64 * 64;
    wgt_scratch = aligned_alloc(64, bytes);
    if (!wgt_scratch) abort();  // out of memory: stop, as a Swift allocation would
    wgt_capacity = bytes / sizeof(double);
  }
  double *s = wgt_scratch, *r = wgt_scratch + (size_t)p * (size_t)ldn;
  for (int i = 0; i < n; i++) {
    const double v = c * w[i];
    r[i] = v > 0 ? sqrt(v) : 0;
  }
  for (int i = n; i < ldn; i++) r[i] = 0;
  for (int a = 0; a < d; a++) {
    const double *za = zt + (size_t)a * ldn;
    double *sa = s + (size_t)a * ldn;
    for (int i = 0; i < ldn; i++) sa[i] = za[i] * r[i];
  }
  memcpy(s + (size_t)d * ldn, r, sizeof(double) * (size_t)ldn);
  if (n == 0) {
    memset(h, 0, sizeof(double) * (size_t)p * (size_t)p);
  } else {
    gram_avx512(s, ldn, p, p, ldn, h);  // S·Sᵀ, full and symmetric (the padding adds zeros)
  }
  for (int a = 0; a < d; a++) h[(size_t)a * p + a] += 1;
}
#endif

int probe_weighted_gram_shift_transposed(const double *zt, int ldn, int n, int d, const double *w, double c, double *h) {
  if (probe_cholesky_kernel() < 2 || d < 0 || n < 0 || ldn < n || ldn % 8 != 0) return -1;
#ifdef KP_X86
  wgram_transposed_avx512(zt, ldn, n, d, w, c, h);
  return 0;
#else
  return -1;
#endif
}

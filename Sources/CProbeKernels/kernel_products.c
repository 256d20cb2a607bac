// Small dense products of the kernel-form Newton step (n ≈ 50–400, K = Z·Zᵀ held in full):
// forming A = I + c·S·K·S for the Cholesky kernel, and K·x for one or two vectors. At these sizes
// the BLAS calls cost more in dispatch and in reading K twice than in arithmetic.
#include "probe_kernels.h"
#include <string.h>

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
// row i of K dotted with each vector, K read once for both.
#define DEFINE_MATVEC(NAME, ATTR, VT, VW)                                                             \
  ATTR static void NAME(const double *k, int n, const double *x, double *y, int count) {               \
    const double *x1 = count > 1 ? x + n : x;                                                          \
    for (int i = 0; i < n; i++) {                                                                      \
      const double *kr = k + (size_t)i * n;                                                            \
      VT p = {0}, q = {0};                                                                             \
      int j = 0;                                                                                       \
      for (; j + VW <= n; j += VW) {                                                                   \
        VT kv, a, b;                                                                                   \
        memcpy(&kv, kr + j, sizeof(VT));                                                               \
        memcpy(&a, x + j, sizeof(VT));                                                                 \
        memcpy(&b, x1 + j, sizeof(VT));                                                                \
        p += kv * a;                                                                                   \
        q += kv * b;                                                                                   \
      }                                                                                                \
      double s0 = 0, s1 = 0;                                                                           \
      for (int e = 0; e < VW; e++) {                                                                   \
        s0 += p[e];                                                                                    \
        s1 += q[e];                                                                                    \
      }                                                                                                \
      for (; j < n; j++) {                                                                             \
        s0 += kr[j] * x[j];                                                                            \
        s1 += kr[j] * x1[j];                                                                           \
      }                                                                                                \
      y[i] = s0;                                                                                       \
      if (count > 1) y[n + i] = s1;                                                                    \
    }                                                                                                  \
  }

typedef double kp_v2d __attribute__((vector_size(16)));
DEFINE_SHIFT(shift_generic, , kp_v2d, 2)
DEFINE_MATVEC(matvec_generic, , kp_v2d, 2)

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define KP_X86 1
typedef double kp_v4d __attribute__((vector_size(32)));
typedef double kp_v8d __attribute__((vector_size(64)));
DEFINE_SHIFT(shift_avx2, __attribute__((target("avx2,fma"))), kp_v4d, 4)
DEFINE_MATVEC(matvec_avx2, __attribute__((target("avx2,fma"))), kp_v4d, 4)
DEFINE_SHIFT(shift_avx512, __attribute__((target("avx512f"))), kp_v8d, 8)
DEFINE_MATVEC(matvec_avx512, __attribute__((target("avx512f"))), kp_v8d, 8)
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

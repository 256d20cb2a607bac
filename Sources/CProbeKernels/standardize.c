// Column standardisation of row-major matrices (StandardScaler, per-speaker z-scores): the
// arithmetic of NumPy's axis-0 reductions — each column summed in row order, squares and sums as
// separate roundings (no fused multiply-add) — vectorised across columns, so the results are
// those of the plain loops bit for bit, whatever the instruction set.
#include "probe_kernels.h"
#include <math.h>
#include <string.h>

#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#define DEFINE_STD(SUFFIX, ATTR, VT, VW)                                                              \
  ATTR static void fit_##SUFFIX(const double *x, const int *idx, int n, int d, double *mean, double *scale) { \
    memset(mean, 0, sizeof(double) * (size_t)d);                                                       \
    memset(scale, 0, sizeof(double) * (size_t)d);                                                      \
    for (int r = 0; r < n; r++) {                                                                      \
      const double *row = x + (size_t)(idx ? idx[r] : r) * d;                                          \
      int c = 0;                                                                                       \
      for (; c + VW <= d; c += VW) {                                                                   \
        VT a, m;                                                                                       \
        memcpy(&a, row + c, sizeof(VT));                                                               \
        memcpy(&m, mean + c, sizeof(VT));                                                              \
        m += a;                                                                                        \
        memcpy(mean + c, &m, sizeof(VT));                                                              \
      }                                                                                                \
      for (; c < d; c++) mean[c] += row[c];                                                            \
    }                                                                                                  \
    const double count = (double)n;                                                                    \
    for (int c = 0; c < d; c++) mean[c] /= count;                                                      \
    for (int r = 0; r < n; r++) {                                                                      \
      const double *row = x + (size_t)(idx ? idx[r] : r) * d;                                          \
      int c = 0;                                                                                       \
      for (; c + VW <= d; c += VW) {                                                                   \
        VT a, m, s;                                                                                    \
        memcpy(&a, row + c, sizeof(VT));                                                               \
        memcpy(&m, mean + c, sizeof(VT));                                                              \
        memcpy(&s, scale + c, sizeof(VT));                                                             \
        VT v = a - m;                                                                                  \
        VT sq = v * v;                                                                                 \
        s += sq;                                                                                       \
        memcpy(scale + c, &s, sizeof(VT));                                                             \
      }                                                                                                \
      for (; c < d; c++) {                                                                             \
        const double v = row[c] - mean[c];                                                             \
        const double sq = v * v;                                                                       \
        scale[c] += sq;                                                                                \
      }                                                                                                \
    }                                                                                                  \
    for (int c = 0; c < d; c++) {                                                                      \
      const double sd = sqrt(scale[c] / count);                                                        \
      scale[c] = (sd == 0 || !isfinite(sd)) ? 1 : sd;                                                  \
    }                                                                                                  \
  }                                                                                                    \
  ATTR static void apply_##SUFFIX(const double *x, const int *idx, int n, int d, const double *mean, const double *scale, double *out, int ldo) { \
    for (int r = 0; r < n; r++) {                                                                      \
      const double *row = x + (size_t)(idx ? idx[r] : r) * d;                                          \
      double *dst = out + (size_t)r * ldo;                                                             \
      int c = 0;                                                                                       \
      for (; c + VW <= d; c += VW) {                                                                   \
        VT a, m, s;                                                                                    \
        memcpy(&a, row + c, sizeof(VT));                                                               \
        memcpy(&m, mean + c, sizeof(VT));                                                              \
        memcpy(&s, scale + c, sizeof(VT));                                                             \
        VT z = (a - m) / s;                                                                            \
        memcpy(dst + c, &z, sizeof(VT));                                                               \
      }                                                                                                \
      for (; c < d; c++) dst[c] = (row[c] - mean[c]) / scale[c];                                       \
    }                                                                                                  \
  }

typedef double sd_v2d __attribute__((vector_size(16)));
DEFINE_STD(generic, , sd_v2d, 2)

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define SD_X86 1
typedef double sd_v4d __attribute__((vector_size(32)));
typedef double sd_v8d __attribute__((vector_size(64)));
DEFINE_STD(avx2, __attribute__((target("avx2"))), sd_v4d, 4)
DEFINE_STD(avx512, __attribute__((target("avx512f"))), sd_v8d, 8)
#endif

typedef void (*fit_fn)(const double *, const int *, int, int, double *, double *);
typedef void (*apply_fn)(const double *, const int *, int, int, const double *, const double *, double *, int);
static const fit_fn fits[3] = {fit_generic,
#ifdef SD_X86
                               fit_avx2, fit_avx512
#endif
};
static const apply_fn applies[3] = {apply_generic,
#ifdef SD_X86
                                    apply_avx2, apply_avx512
#endif
};

int probe_standardize_fit(const double *x, int n, int d, double *mean, double *scale, int kernel) {
  if (kernel < 0) kernel = probe_cholesky_kernel();
  if (kernel > probe_cholesky_kernel()) return -1;
  if (d > 0) fits[kernel](x, NULL, n, d, mean, scale);
  return 0;
}

int probe_standardize_fit_rows(const double *x, const int *rows, int n, int d, double *mean, double *scale, int kernel) {
  if (kernel < 0) kernel = probe_cholesky_kernel();
  if (kernel > probe_cholesky_kernel()) return -1;
  if (d > 0) fits[kernel](x, rows, n, d, mean, scale);
  return 0;
}

int probe_standardize_apply(const double *x, int n, int d, const double *mean, const double *scale, double *out, int kernel) {
  if (kernel < 0) kernel = probe_cholesky_kernel();
  if (kernel > probe_cholesky_kernel()) return -1;
  if (d > 0) applies[kernel](x, NULL, n, d, mean, scale, out, d);
  return 0;
}

int probe_standardize_apply_rows(const double *x, const int *rows, int n, int d, const double *mean, const double *scale, double *out, int ldo, int kernel) {
  if (kernel < 0) kernel = probe_cholesky_kernel();
  if (kernel > probe_cholesky_kernel()) return -1;
  if (d > 0) applies[kernel](x, rows, n, d, mean, scale, out, ldo);
  return 0;
}

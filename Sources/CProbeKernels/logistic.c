// Per-row terms of the logistic loss, vectorised: the loss Σ log(1 + exp(−t)) and its derivatives
// (t = s·m, s = ±1 the class sign, m the margin), the inner loops of every Newton step and line
// search of cross-validation's logistic regressions.
//
// With e = exp(−|t|) (never overflows):
//   log(1 + exp(−t)) = max(−t, 0) + log1p(e)
//   1 − σ(t) = (t ≥ 0 ? e : 1) / (1 + e),   σ′(t) = e / (1 + e)²
// exp is evaluated by reduction to r = x − k·ln 2 (|r| ≤ ln 2 / 2, ln 2 in two parts) and the
// Taylor polynomial of degree 13 (truncation < 5e-18 relative); log1p(e) for e ∈ (0, 1] as
// 2·atanh(u), u = e/(2 + e) ≤ 1/3, by its series to u³⁷ (truncation < 1e-18 relative). Both are
// within a few units in the last place of libm's. Without vector instructions the scalar code
// calls libm. Written for this project from the textbook identities.
#include "probe_kernels.h"
#include <math.h>
#include <string.h>

static inline double scalar_loss(double t) { return (t > 0 ? 0 : -t) + log1p(exp(-fabs(t))); }

// q and σ′ of one row with libm (the scalar path and the vector paths' tails); returns q.
static inline double scalar_derivatives(double s, double m, double *q, double *d) {
  const double t = s * m;
  const double e = exp(-fabs(t)), inv = 1 / (1 + e);
  *q = -s * (t >= 0 ? e : 1) * inv;
  *d = e * inv * inv;
  return *q;
}

#define EXP_COEFFS                                                                                     \
  {1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,          \
   1.0 / 40320.0,      1.0 / 5040.0,      1.0 / 720.0,      1.0 / 120.0,     1.0 / 24.0,               \
   1.0 / 6.0,          0.5,               1.0,              1.0}

// exp(x) for x ≤ 0 (clamped at −708, where exp is still normal), e = exp(−|t|).
#define DEFINE_VEXP(NAME, ATTR, VT, IT)                                                               \
  ATTR static inline VT NAME(VT x) {                                                                   \
    static const double c[14] = EXP_COEFFS;                                                            \
    const VT zero = {0};                                                                               \
    const VT lo = zero - 708.0; /* splats built from zero, not x·0 (NaN for infinite x) */             \
    x = __builtin_elementwise_max(x, lo);                                                              \
    const double shifter = 0x1.8p52;                                                                   \
    VT kf = x * 1.4426950408889634 + shifter;                                                          \
    VT k = kf - shifter;                                                                               \
    VT r = x - k * 0x1.62e42fee00000p-1;                                                               \
    r = r - k * 0x1.a39ef35793c76p-33;                                                                 \
    VT p = zero + c[0];                                                                                \
    for (int i = 1; i < 14; i++) p = p * r + c[i];                                                     \
    IT ki = __builtin_convertvector(k, IT);                                                            \
    IT bits = (ki + 1023) << 52;                                                                       \
    VT scale;                                                                                          \
    memcpy(&scale, &bits, sizeof(VT));                                                                 \
    return p * scale;                                                                                  \
  }

// log1p(e) for e ∈ [0, 1].
#define DEFINE_VLOG1P(NAME, ATTR, VT)                                                                 \
  ATTR static inline VT NAME(VT e) {                                                                   \
    VT u = e / (e + 2.0);                                                                              \
    VT v = u * u;                                                                                      \
    const VT zero = {0};                                                                               \
    VT p = zero + 1.0 / 37.0;                                                                          \
    for (int j = 17; j >= 0; j--) p = p * v + 1.0 / (2 * j + 1);                                       \
    return 2.0 * u * p;                                                                                \
  }

#define DEFINE_LOGISTIC(SUFFIX, ATTR, VT, IT, VW)                                                     \
  DEFINE_VEXP(vexp_##SUFFIX, ATTR, VT, IT)                                                             \
  DEFINE_VLOG1P(vlog1p_##SUFFIX, ATTR, VT)                                                             \
  ATTR static double derivatives_##SUFFIX(const double *s, const double *m, int n, double *q, double *d) { \
    VT acc = {0};                                                                                      \
    int i = 0;                                                                                         \
    for (; i + VW <= n; i += VW) {                                                                     \
      VT sv, mv;                                                                                       \
      memcpy(&sv, s + i, sizeof(VT));                                                                  \
      memcpy(&mv, m + i, sizeof(VT));                                                                  \
      VT t = sv * mv;                                                                                  \
      VT e = vexp_##SUFFIX(-__builtin_elementwise_abs(t));                                             \
      VT inv = 1.0 / (1.0 + e);                                                                        \
      const VT zero = {0};                                                                             \
      VT one = zero + 1.0;                                                                             \
      IT nonneg = t >= 0, eb, ob, rb;                                                                  \
      memcpy(&eb, &e, sizeof(VT));                                                                     \
      memcpy(&ob, &one, sizeof(VT));                                                                   \
      rb = (eb & nonneg) | (ob & ~nonneg); /* t ≥ 0 ? e : 1 */                                         \
      VT rest;                                                                                         \
      memcpy(&rest, &rb, sizeof(VT));                                                                  \
      rest = rest * inv; /* 1 − σ(t) */                                                                \
      VT qv = -sv * rest;                                                                              \
      VT dv = e * inv * inv;                                                                           \
      memcpy(q + i, &qv, sizeof(VT));                                                                  \
      memcpy(d + i, &dv, sizeof(VT));                                                                  \
      acc += qv;                                                                                       \
    }                                                                                                  \
    double sum = 0;                                                                                    \
    for (int j = 0; j < VW; j++) sum += acc[j];                                                        \
    for (; i < n; i++) sum += scalar_derivatives(s[i], m[i], q + i, d + i);                            \
    return sum;                                                                                        \
  }                                                                                                    \
  ATTR static double loss_##SUFFIX(const double *s, const double *m, const double *u, double step, int n, double *out) { \
    VT acc = {0};                                                                                      \
    int i = 0;                                                                                         \
    for (; i + VW <= n; i += VW) {                                                                     \
      VT sv, mv;                                                                                       \
      memcpy(&sv, s + i, sizeof(VT));                                                                  \
      memcpy(&mv, m + i, sizeof(VT));                                                                  \
      if (u) {                                                                                         \
        VT uv;                                                                                         \
        memcpy(&uv, u + i, sizeof(VT));                                                                \
        mv = mv + step * uv;                                                                           \
        memcpy(out + i, &mv, sizeof(VT));                                                              \
      }                                                                                                \
      VT t = sv * mv;                                                                                  \
      const VT zero = {0};                                                                             \
      VT neg = __builtin_elementwise_max(-t, zero); /* max(−t, 0) */                                   \
      acc += neg + vlog1p_##SUFFIX(vexp_##SUFFIX(-__builtin_elementwise_abs(t)));                      \
    }                                                                                                  \
    double sum = 0;                                                                                    \
    for (int j = 0; j < VW; j++) sum += acc[j];                                                        \
    for (; i < n; i++) {                                                                               \
      double mi = m[i];                                                                                \
      if (u) {                                                                                         \
        mi += step * u[i];                                                                             \
        out[i] = mi;                                                                                   \
      }                                                                                                \
      sum += scalar_loss(s[i] * mi);                                                                   \
    }                                                                                                  \
    return sum;                                                                                        \
  }

static double derivatives_generic(const double *s, const double *m, int n, double *q, double *d) {
  double sum = 0;
  for (int i = 0; i < n; i++) sum += scalar_derivatives(s[i], m[i], q + i, d + i);
  return sum;
}

static double loss_generic(const double *s, const double *m, const double *u, double step, int n, double *out) {
  double sum = 0;
  for (int i = 0; i < n; i++) {
    double mi = m[i];
    if (u) {
      mi += step * u[i];
      out[i] = mi;
    }
    sum += scalar_loss(s[i] * mi);
  }
  return sum;
}

#if defined(__x86_64__) && defined(__clang__)
#define LG_X86 1
typedef double lg_v4d __attribute__((vector_size(32)));
typedef long long lg_v4i __attribute__((vector_size(32)));
typedef double lg_v8d __attribute__((vector_size(64)));
typedef long long lg_v8i __attribute__((vector_size(64)));
DEFINE_LOGISTIC(avx2, __attribute__((target("avx2,fma"))), lg_v4d, lg_v4i, 4)
DEFINE_LOGISTIC(avx512, __attribute__((target("avx512f,avx512dq"))), lg_v8d, lg_v8i, 8)
#endif

double probe_logistic_derivatives_with_kernel(const double *s, const double *m, int n, double *q, double *d, int kernel) {
  if (n <= 0) return 0;
#ifdef LG_X86
  if (kernel == 2) return derivatives_avx512(s, m, n, q, d);
  if (kernel == 1) return derivatives_avx2(s, m, n, q, d);
#endif
  (void)kernel;
  return derivatives_generic(s, m, n, q, d);
}

double probe_logistic_loss_with_kernel(const double *s, const double *m, const double *u, double step, int n, double *out, int kernel) {
  if (n <= 0) return 0;
#ifdef LG_X86
  if (kernel == 2) return loss_avx512(s, m, u, step, n, out);
  if (kernel == 1) return loss_avx2(s, m, u, step, n, out);
#endif
  (void)kernel;
  return loss_generic(s, m, u, step, n, out);
}

double probe_logistic_derivatives(const double *s, const double *m, int n, double *q, double *d) {
  return probe_logistic_derivatives_with_kernel(s, m, n, q, d, probe_cholesky_kernel());
}

double probe_logistic_loss(const double *s, const double *m, const double *u, double step, int n, double *out) {
  return probe_logistic_loss_with_kernel(s, m, u, step, n, out, probe_cholesky_kernel());
}

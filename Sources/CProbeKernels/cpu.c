// CPU feature queries for run-time choices and advice.
#include "probe_kernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>

int probe_cpu_has_avx512(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 27) & 1)) return 0;  // OSXSAVE
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0xE6) != 0xE6) return 0;  // XMM, YMM, opmask, ZMM_Hi256 and Hi16_ZMM state enabled
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  const unsigned need = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);  // F, DQ, BW, VL
  return (b & need) == need;
}
#else
int probe_cpu_has_avx512(void) { return 0; }
#endif

// Process-wide allocator tuning for the probedb executable.
#include "probe_kernels.h"

#if defined(__GLIBC__)
#include <malloc.h>

int probe_malloc_keep_large_blocks(void) {
  // Matrices of a few MB are allocated and freed constantly by the analyses: serve them from the
  // heap instead of a fresh mmap each time (glibc's threshold starts at 128 KiB), and do not
  // trim the heap after every free.
  int ok = mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the largest value every glibc accepts
  ok &= mallopt(M_TRIM_THRESHOLD, 256 << 20);
  return ok;
}
#else
int probe_malloc_keep_large_blocks(void) { return 0; }
#endif

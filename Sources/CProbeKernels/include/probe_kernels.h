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

/// glibc only: serve allocations up to 32 MiB from the heap (no mmap/munmap per matrix) and trim it
/// only past 256 MiB. Returns 1 when both settings took effect. For the probedb executable.
int probe_malloc_keep_large_blocks(void);

#endif

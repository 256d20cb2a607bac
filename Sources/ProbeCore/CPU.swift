import CProbeKernels

/// What the processor offers, for run-time advice.
public enum CPU {
  /// AVX-512 (F, BW, DQ, VL) usable: OpenBLAS's SkylakeX/Cooperlake kernels can run.
  public static let hasAVX512: Bool = probe_cpu_has_avx512() != 0
}

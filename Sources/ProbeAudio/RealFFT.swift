import CProbeKissFFT
import Foundation

/// Forward real FFT of a fixed power-of-two size (KissFFT, float32), unnormalised:
/// `X[k] = Σ x[n]·e^{−2πikn/N}`, k = 0…N/2. Not thread-safe: one instance per thread.
public final class RealFFT {
  public let size: Int
  private let cfg: kiss_fftr_cfg
  private var out: [kiss_fft_cpx]

  public init(size: Int) {
    precondition(size >= 2 && size & (size - 1) == 0, "FFT size must be a power of two, not \(size)")
    self.size = size
    self.cfg = kiss_fftr_alloc(Int32(size), 0, nil, nil)!
    self.out = [kiss_fft_cpx](repeating: kiss_fft_cpx(), count: size / 2 + 1)
  }

  deinit { free(UnsafeMutableRawPointer(cfg)) }

  /// Real and imaginary parts of bins 0…N/2 of `input` (exactly `size` samples).
  public func forward(_ input: [Float]) -> (re: [Float], im: [Float]) {
    precondition(input.count == size)
    input.withUnsafeBufferPointer { inp in out.withUnsafeMutableBufferPointer { kiss_fftr(cfg, inp.baseAddress, $0.baseAddress) } }
    return (out.map(\.r), out.map(\.i))
  }
}

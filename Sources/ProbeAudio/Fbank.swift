import CProbeKissFFT
import Foundation

/// Log-mel filterbank features as Kaldi computes them (`compute-fbank-feats`, and
/// `torchaudio.compliance.kaldi.fbank` with its defaults): the FBANK baseline SUPERB uses as its
/// non-learned upstream.
///
/// 25 ms frames every 10 ms (snip edges), DC offset removed, pre-emphasis 0.97, Povey window
/// (Hann^0.85), 512-point FFT, power spectrum, 80 triangular mel filters from 20 Hz to Nyquist
/// (mel = 1127·ln(1 + f/700)), natural log floored at float32 ε. Input samples are scaled to the
/// 16-bit range (×32768), as Kaldi expects. No dither, so the result is deterministic.
public struct FbankExtractor {
  public var sampleRate = 16000
  public var frameLength = 400
  public var frameShift = 160
  public var melBins = 80
  public var lowFreq = 20.0
  public var preemphasis: Float = 0.97
  public let fftSize = 512
  let window: [Float]
  let banks: [Float]  // melBins × (fftSize/2 + 1)

  public init() {
    let n = 400
    window = (0..<n).map { i in Float(pow(0.5 - 0.5 * cos(2 * Double.pi * Double(i) / Double(n - 1)), 0.85)) }
    banks = FbankExtractor.melBanks(bins: 80, fft: 512, sampleRate: 16000, low: 20, high: 8000)
  }

  static func mel(_ f: Double) -> Double { 1127 * log(1 + f / 700) }

  /// Kaldi's triangular mel filters over FFT bins 0…fft/2 (the Nyquist bin gets weight 0).
  static func melBanks(bins: Int, fft: Int, sampleRate: Int, low: Double, high: Double) -> [Float] {
    let half = fft / 2
    let binWidth = Double(sampleRate) / Double(fft)
    let mlo = mel(low), mhi = mel(high)
    let delta = (mhi - mlo) / Double(bins + 1)
    var out = [Float](repeating: 0, count: bins * (half + 1))
    for b in 0..<bins {
      let left = mlo + Double(b) * delta, center = left + delta, right = center + delta
      for j in 0..<half {
        let m = mel(binWidth * Double(j))
        let up = (m - left) / (center - left), down = (right - m) / (right - center)
        out[b * (half + 1) + j] = Float(max(0, min(up, down)))
      }
    }
    return out
  }

  /// Number of frames for `n` samples (snip edges).
  public func frameCount(_ n: Int) -> Int { n < frameLength ? 0 : 1 + (n - frameLength) / frameShift }

  /// Log-mel energies, frames × melBins (row-major).
  public func features(_ samples: [Float]) -> [Float] {
    let frames = frameCount(samples.count)
    guard frames > 0 else { return [] }
    let half = fftSize / 2
    let cfg = kiss_fftr_alloc(Int32(fftSize), 0, nil, nil)
    defer { free(UnsafeMutableRawPointer(cfg)) }
    var frame = [Float](repeating: 0, count: fftSize)
    var spectrum = [kiss_fft_cpx](repeating: kiss_fft_cpx(), count: half + 1)
    var power = [Float](repeating: 0, count: half + 1)
    var out = [Float](repeating: 0, count: frames * melBins)
    let eps = Float.ulpOfOne
    for f in 0..<frames {
      let start = f * frameShift
      var mean: Float = 0
      for i in 0..<frameLength {
        frame[i] = samples[start + i] * 32768
        mean += frame[i]
      }
      mean /= Float(frameLength)
      for i in 0..<frameLength { frame[i] -= mean }
      // Pre-emphasis, the first sample against itself (Kaldi's convention).
      for i in stride(from: frameLength - 1, to: 0, by: -1) { frame[i] -= preemphasis * frame[i - 1] }
      frame[0] -= preemphasis * frame[0]
      for i in 0..<frameLength { frame[i] *= window[i] }
      for i in frameLength..<fftSize { frame[i] = 0 }
      frame.withUnsafeBufferPointer { inp in spectrum.withUnsafeMutableBufferPointer { kiss_fftr(cfg, inp.baseAddress, $0.baseAddress) } }
      for k in 0...half { power[k] = spectrum[k].r * spectrum[k].r + spectrum[k].i * spectrum[k].i }
      for b in 0..<melBins {
        var e: Float = 0
        let row = b * (half + 1)
        for k in 0...half { e += banks[row + k] * power[k] }
        out[f * melBins + b] = log(max(e, eps))
      }
    }
    return out
  }

  /// The utterance embedding: mean and (population) standard deviation of every mel band over
  /// the frames — 2 × melBins values; nil when the audio is shorter than one frame.
  public func pooled(_ samples: [Float]) -> [Double]? {
    let feats = features(samples)
    let frames = feats.count / melBins
    guard frames > 0 else { return nil }
    var mean = [Double](repeating: 0, count: melBins), sd = mean
    for f in 0..<frames { for b in 0..<melBins { mean[b] += Double(feats[f * melBins + b]) } }
    for b in 0..<melBins { mean[b] /= Double(frames) }
    for f in 0..<frames {
      for b in 0..<melBins {
        let d = Double(feats[f * melBins + b]) - mean[b]
        sd[b] += d * d
      }
    }
    for b in 0..<melBins { sd[b] = (sd[b] / Double(frames)).squareRoot() }
    return mean + sd
  }
}

import Foundation
import ProbeAudio

/// The 20-ms branch of eGeMAPSv02 (clean-room from `../shared/docs/egemaps-spec.md` §2.2–2.4):
/// per 20-ms frame (hop 10 ms) the loudness, MFCC 1–4, alpha ratio, Hammarberg index, spectral
/// slopes 0–500 and 500–1500 Hz, spectral flux and the frame energy used by Leq.
public struct SpectralLLDs: Sendable {
  public var loudness: [Double] = []
  public var mfcc: [[Double]] = [[], [], [], []]
  public var alphaRatio: [Double] = []
  public var hammarberg: [Double] = []
  public var slope0to500: [Double] = []
  public var slope500to1500: [Double] = []
  public var flux: [Double] = []
  /// Mean square of the raw (unwindowed) frame.
  public var energy: [Double] = []
  /// Formant frequencies F1…F5 and bandwidths B1…B5 per frame (0 where absent), ungated.
  public var formantFrequencies: [[Double]] = []
  public var formantBandwidths: [[Double]] = []
  public var frames: Int { loudness.count }

  func geometryFor(_ sampleRate: Int) -> FrameGeometry { FrameGeometry(sampleRate: sampleRate) }
}

/// Frame geometry for a sample rate (§2.2, §2.3).
public struct FrameGeometry: Sendable {
  public let sampleRate: Int
  public let hop: Int
  public let length20: Int
  public let length60: Int
  public let fft20: Int
  public let fft60: Int

  public init(sampleRate: Int) {
    self.sampleRate = sampleRate
    hop = Int((0.010 * Double(sampleRate)).rounded())
    length20 = Int((0.020 * Double(sampleRate)).rounded())
    length60 = Int((0.060 * Double(sampleRate)).rounded())
    fft20 = FrameGeometry.nextPowerOfTwo(length20)
    fft60 = FrameGeometry.nextPowerOfTwo(length60)
  }

  static func nextPowerOfTwo(_ n: Int) -> Int {
    var p = 1
    while p < n { p <<= 1 }
    return p
  }

  /// Complete frames of `length` samples every `hop` samples (no padding).
  public func frameCount(samples: Int, length: Int) -> Int { samples < length ? 0 : (samples - length) / hop + 1 }
}

enum Mel {
  static func mel(_ f: Double) -> Double { 1127 * log(1 + f / 700) }
  static func imel(_ m: Double) -> Double { 700 * (exp(m / 1127) - 1) }
}

/// Computes `SpectralLLDs` for samples already scaled as openSMILE reads 16-bit PCM (int16/32767).
public struct SpectralAnalyzer {
  public let geometry: FrameGeometry
  let window: [Float]
  let bandPoints: [Double]  // 28 mel boundary points
  let binBand: [(lower: Int, weight: Double)?]  // per FFT bin: band j−2 gets weight, band j−1 gets 1−weight
  let centreWeights: [Double]  // equal-loudness weight E(fc_b) per band
  let dct: [Double]  // cos(π·i·(m + ½)/26), i = 1…4
  static let bands = 26

  public init(sampleRate: Int) {
    let g = FrameGeometry(sampleRate: sampleRate)
    geometry = g
    let l = g.length20
    window = (0..<l).map { Float(0.54 - 0.46 * cos(2 * Double.pi * Double($0) / Double(l - 1))) }
    let nyquist = Double(sampleRate) / 2
    var lo = 20.0, hi = 8000.0
    if hi > nyquist || hi <= 0 { hi = nyquist }
    if lo < 0 || lo > nyquist || lo > hi { lo = 0 }
    let mlo = Mel.mel(lo), mhi = Mel.mel(hi)
    let points = (0..<28).map { mlo + Double($0) * (mhi - mlo) / 27 }
    bandPoints = points
    let df = Double(sampleRate) / Double(g.fft20)
    let kLo = Int((lo / df).rounded()), kHi = Int((hi / df).rounded())
    var map = [(lower: Int, weight: Double)?](repeating: nil, count: g.fft20 / 2 + 1)
    for k in 0...(g.fft20 / 2) where k > kLo && k < kHi {
      let mu = Mel.mel(Double(k) * df)
      guard let j = points.firstIndex(where: { $0 >= mu }), j >= 1 else { continue }
      // openSMILE computes the weights in Float32.
      map[k] = (j - 2, Double(Float((points[j] - mu) / (points[j] - points[j - 1]))))
    }
    binBand = map
    centreWeights = (0..<SpectralAnalyzer.bands).map { b in SpectralAnalyzer.equalLoudness(Mel.imel(points[b + 1])) }
    dct = (1...4).flatMap { i in (0..<SpectralAnalyzer.bands).map { m in cos(Double.pi * Double(i) * (Double(m) + 0.5) / Double(SpectralAnalyzer.bands)) } }
  }

  /// The equal-loudness weight of §2.4 (with its ω⁷ term as implemented).
  static func equalLoudness(_ f: Double) -> Double {
    let w = 2 * Double.pi * f
    let w2 = w * w
    return 1e32 * (w2 + 56.8e6) * w2 * w2 / ((w2 + 6.3e6) * (w2 + 6.3e6) * (w2 + 0.38e9) * (w2 * w2 * w2 * w + 1.7e31))
  }

  public func analyze(_ x: [Float]) -> SpectralLLDs {
    let g = geometry
    let n20 = g.frameCount(samples: x.count, length: g.length20)
    var out = SpectralLLDs()
    guard n20 > 0 else { return out }
    let fft = RealFFT(size: g.fft20)
    let formantAnalyzer = Formants(fftSize: g.fft20, frameLength: g.length20, sampleRate: g.sampleRate)
    let pad = (g.fft20 - g.length20) / 2
    let half = g.fft20 / 2
    let df = Double(g.sampleRate) / Double(g.fft20)
    var buffer = [Float](repeating: 0, count: g.fft20)
    var previousMagnitude: [Double]?
    let fluxTop = (0...half).last { Double($0) * df < 5000 } ?? 0
    let slopeTop = min(half, Int((1500 / df).rounded(.up)) + 1)
    for t in 0..<n20 {
      let start = t * g.hop
      var e = 0.0
      for i in 0..<g.length20 {
        let v = x[start + i]
        e += Double(v) * Double(v)
        buffer[pad + i] = v * window[i]
      }
      out.energy.append(e / Double(g.length20))
      let (re, im) = fft.forward(buffer)
      let formants = formantAnalyzer.analyze(re: re, im: im)
      out.formantFrequencies.append(formants.f)
      out.formantBandwidths.append(formants.b)
      var power = [Double](repeating: 0, count: half + 1)
      var magnitude = [Double](repeating: 0, count: half + 1)
      for k in 0...half {
        let p = Double(re[k]) * Double(re[k]) + Double(im[k]) * Double(im[k])
        power[k] = p
        magnitude[k] = p.squareRoot()
      }
      // Mel bands (shared by loudness and MFCC).
      var bands = [Double](repeating: 0, count: SpectralAnalyzer.bands)
      for k in 0...half {
        guard let (lower, w) = binBand[k] else { continue }
        if lower >= 0 && lower < SpectralAnalyzer.bands { bands[lower] += w * power[k] }
        if lower + 1 >= 0 && lower + 1 < SpectralAnalyzer.bands { bands[lower + 1] += (1 - w) * power[k] }
      }
      var loud = 0.0
      for b in 0..<SpectralAnalyzer.bands { loud += pow(max(bands[b], 9.3e-10) * centreWeights[b], 0.33) }
      out.loudness.append(loud / Double(SpectralAnalyzer.bands))
      let logBands = bands.map { log(max($0 * 32767 * 32767, 1.0)) }
      for i in 1...4 {
        var c = 0.0
        for m in 0..<SpectralAnalyzer.bands { c += logBands[m] * dct[(i - 1) * SpectralAnalyzer.bands + m] }
        c *= (2.0 / Double(SpectralAnalyzer.bands)).squareRoot()
        out.mfcc[i - 1].append(c * (1 + 11 * sin(Double.pi * Double(i) / 22)))
      }
      // Alpha ratio and Hammarberg index.
      var sLo = 0.0, sHi = 0.0, mLo = 0.0, mHi = 0.0
      for k in 0...half {
        let f = Double(k) * df
        if f > 5000 { break }
        if f < 1000 { sLo += power[k] } else { sHi += power[k] }
        if f < 2000 { mLo = max(mLo, power[k]) } else { mHi = max(mHi, power[k]) }
      }
      out.alphaRatio.append(sLo <= 0 ? 0 : (sHi > 1e-14 ? 10 * log10(sHi / sLo) : 10 * log10(1e-14 / sLo)))
      out.hammarberg.append(mHi <= 0 ? 0 : (mLo > 1e-14 ? 10 * log10(mLo / mHi) : 10 * log10(1e-14 / mHi)))
      // Spectral slopes on the dB power spectrum.
      // dB only where the slopes look (up to the bin past 1500 Hz).
      var db = [Double](repeating: -140, count: half + 1)
      for k in 0...min(half, slopeTop) where power[k] > 1e-14 { db[k] = 10 * log10(power[k]) }
      out.slope0to500.append(SpectralAnalyzer.slope(db, df: df, from: 0, to: 500))
      out.slope500to1500.append(SpectralAnalyzer.slope(db, df: df, from: 500, to: 1500))
      // Spectral flux 0–5 kHz (magnitudes).
      if let prev = previousMagnitude {
        var s = 0.0
        for k in 0...fluxTop { s += (magnitude[k] - prev[k]) * (magnitude[k] - prev[k]) }
        out.flux.append((s / Double(fluxTop + 1)).squareRoot())
      } else {
        out.flux.append(0)
      }
      previousMagnitude = magnitude
    }
    return out
  }

  /// Linear-regression slope of `y` (dB) over the band [a, b] Hz with openSMILE's edge weights and
  /// its n = (number of bins − 1) quirk (§2.4).
  static func slope(_ y: [Double], df: Double, from a: Double, to b: Double) -> Double {
    let f = { (k: Int) in Double(k) * df }
    guard let iFirst = y.indices.first(where: { f($0) > a }), iFirst >= 1, let iEnd = y.indices.first(where: { f($0) >= b }), iEnd >= 1 else { return 0 }
    var wL = (f(iFirst) - a) / (f(iFirst) - f(iFirst - 1))
    let iL = iFirst - 1
    var wR = (b - f(iEnd - 1)) / (f(iEnd) - f(iEnd - 1))
    let iR = f(iEnd) == b ? iEnd : iEnd - 1
    if wL == 0 { wL = 1 }
    if wR == 0 { wR = 1 }
    var sf = wL * f(iL), s2f = (wL * f(iL)) * (wL * f(iL)), sa = wL * f(iL) * y[iL], sb = wL * y[iL]
    if iR > iL + 1 {
      for k in (iL + 1)..<iR {
        sf += f(k)
        s2f += f(k) * f(k)
        sa += f(k) * y[k]
        sb += y[k]
      }
    }
    if iR > iL {
      sf += wR * f(iR)
      s2f += (wR * f(iR)) * (wR * f(iR))
      sa += wR * f(iR) * y[iR]
      sb += wR * y[iR]
    }
    let n = Double(iR - iL)
    let den = n * s2f - sf * sf
    return den == 0 ? 0 : (n * sa - sf * sb) / den
  }
}

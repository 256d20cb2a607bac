import Foundation
import ProbeTestSupport
import XCTest

@testable import ProbeWavLM

/// Bad model folders and files: every case is a thrown error that names the file and the problem,
/// never a crash; the restricted unpickler refuses anything but a plain state dict.
final class CheckpointErrorTests: XCTestCase {
  static let base = TestSupport.fixture("wavlm/base")

  /// A copy of the base fixture folder with `edit` applied.
  func folder(_ label: String, _ edit: (String) throws -> Void) throws -> String {
    let dir = TestSupport.temporaryDirectory("wavlm-" + label)
    for f in ["config.json", "preprocessor_config.json", "model.safetensors", "pytorch_model.bin"] {
      try FileManager.default.copyItem(atPath: Self.base + "/" + f, toPath: dir + "/" + f)
    }
    try edit(dir)
    return dir
  }

  func assertLoadError(_ dir: String, weights: String? = nil, contains: [String], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try WavLMModel.load(folder: dir, weights: weights), file: file, line: line) { e in
      let text = "\(e)"
      for c in contains { XCTAssertTrue(text.contains(c), "'\(text)' lacks '\(c)'", file: file, line: line) }
    }
  }

  func testMissingFolderConfigAndWeights() throws {
    assertLoadError("/nonexistent/wavlm", contains: ["'/nonexistent/wavlm'", "config.json"])
    let noConfig = try folder("noconfig") { try FileManager.default.removeItem(atPath: $0 + "/config.json") }
    assertLoadError(noConfig, contains: ["has no config.json"])
    let noWeights = try folder("noweights") { d in
      try FileManager.default.removeItem(atPath: d + "/model.safetensors")
      try FileManager.default.removeItem(atPath: d + "/pytorch_model.bin")
    }
    assertLoadError(noWeights, contains: ["has no weights", "model.safetensors", "pytorch_model.bin"])
  }

  func testUnsupportedArchitectureAndShapeMismatch() throws {
    func rewrite(_ d: String, _ from: String, _ to: String) throws {
      let p = d + "/config.json"
      try String(contentsOfFile: p, encoding: .utf8).replacingOccurrences(of: from, with: to).write(toFile: p, atomically: true, encoding: .utf8)
    }
    let hubert = try folder("hubert") { try rewrite($0, "\"model_type\": \"wavlm\"", "\"model_type\": \"hubert\"") }
    assertLoadError(hubert, contains: ["model_type is 'hubert'", "WavLM"])
    let wide = try folder("wide") { try rewrite($0, "\"intermediate_size\": 64", "\"intermediate_size\": 96") }
    assertLoadError(wide, contains: ["model.safetensors", "encoder.layers.0.feed_forward.intermediate_dense.weight", "[64, 32]", "[96, 32]"])
    let tanh = try folder("tanh") { try rewrite($0, "\"hidden_act\": \"gelu\"", "\"hidden_act\": \"gelu_new\"") }
    assertLoadError(tanh, contains: ["hidden_act 'gelu_new'"])
    let notJSON = try folder("notjson") { try "{ not json".write(toFile: $0 + "/config.json", atomically: true, encoding: .utf8) }
    assertLoadError(notJSON, contains: ["config.json", "not a JSON object"])
  }

  /// Truncation at many points, and corrupted bytes, in both formats: errors, never crashes.
  func testTruncatedAndCorruptWeightFiles() throws {
    for name in ["model.safetensors", "pytorch_model.bin"] {
      let whole = try Data(contentsOf: URL(fileURLWithPath: Self.base + "/" + name))
      let dir = try folder("trunc") { _ in }
      var cuts = [0, 1, 7, 8, 9, 100, whole.count / 3, whole.count / 2, whole.count - 200, whole.count - 23, whole.count - 1]
      cuts += (1...12).map { whole.count * $0 / 13 }
      for cut in cuts {
        try whole.prefix(cut).write(to: URL(fileURLWithPath: dir + "/" + name))
        XCTAssertThrowsError(try WavLMModel.load(folder: dir, weights: name), "\(name) cut at \(cut)") { e in
          XCTAssertTrue("\(e)".contains(name), "\(name) cut at \(cut): '\(e)' does not name the file")
        }
      }
      // Flip bytes throughout: either a clean error or (if only tensor values changed) a model.
      var rng = SplitMix(seed: 7)
      for trial in 0..<200 {
        var bytes = [UInt8](whole)
        for _ in 0..<4 { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
        do { _ = try WavLMModel.load(folder: dir, weights: name) } catch let e as CheckpointError {
          XCTAssertFalse(e.description.isEmpty, "trial \(trial)")
        }
      }
    }
  }

  /// Storages are decoded in place: contiguous views (size-1 dimensions may have any stride) in
  /// one pass, others (a transpose, an offset) gathered in row-major order of their size.
  func testStridedStorages() throws {
    let floats: [Float] = [0, 1, 2, 3, 4, 5, 6]
    let raw = floats.withUnsafeBytes { Array($0) }
    func view(_ size: [Int], _ stride: [Int], _ offset: Int = 0, dtype: String = "F32") throws -> [Float] {
      try raw.withUnsafeBytes { try TensorRef(storageKey: "0", dtype: dtype, offset: offset, size: size, stride: stride).materialize($0, file: "f", key: "k").values }
    }
    XCTAssertEqual(try view([2, 3], [3, 1]), [0, 1, 2, 3, 4, 5])
    XCTAssertEqual(try view([3, 2], [1, 3]), [0, 3, 1, 4, 2, 5])
    XCTAssertEqual(try view([1, 3], [7, 1], 4), [4, 5, 6])
    XCTAssertEqual(try view([2, 2], [2, 1], 3), [3, 4, 5, 6])
    XCTAssertEqual(try view([2, 2], [1, 2], 1), [1, 3, 2, 4])
    XCTAssertEqual(try view([0, 5], [5, 1]), [])
    XCTAssertEqual(try view([2, 2], [4, 1], 1), [1, 2, 5, 6])
    XCTAssertThrowsError(try view([2, 2], [4, 1], 2)) { e in XCTAssertTrue("\(e)".contains("truncated or corrupt"), "\(e)") }
  }

  /// A pickle that would run `os.system` under Python's unpickler is refused by name.
  func testUnpicklerRefusesForeignGlobals() throws {
    var evil: [UInt8] = [0x80, 0x02]
    evil += Array("cos\nsystem\n".utf8)
    evil += [0x58] + [4, 0, 0, 0] + Array("echo".utf8) + [0x85, 0x52, 0x2e]
    var u = Unpickler(bytes: evil, name: "evil.pkl")
    XCTAssertThrowsError(try u.run()) { e in XCTAssertTrue("\(e)".contains("refused global 'os.system'"), "\(e)") }
    // An integer storage type is refused too (only float tensors are read).
    var ints: [UInt8] = [0x80, 0x02]
    ints += Array("ctorch\nLongStorage\n".utf8) + [0x2e]
    var v = Unpickler(bytes: ints, name: "ints.pkl")
    XCTAssertThrowsError(try v.run()) { e in XCTAssertTrue("\(e)".contains("torch.LongStorage"), "\(e)") }
  }

  /// Inputs found by review that would have trapped or exhausted memory: each a clean error.
  func testHostileInputsAreErrors() throws {
    // 200 000 nested 1-tuples: refused by depth, never freed recursively.
    var deep: [UInt8] = [0x80, 0x02, 0x4e] + [UInt8](repeating: 0x85, count: 200_000) + [0x2e]
    var u = Unpickler(bytes: deep, name: "deep.pkl")
    XCTAssertThrowsError(try u.run()) { e in XCTAssertTrue("\(e)".contains("nested more than"), "\(e)") }
    deep = []
    // A memoised dict grown by 100 000 SETITEMs (each a copy): refused by the work budget.
    var grow: [UInt8] = [0x80, 0x02, 0x7d]
    for _ in 0..<100_000 { grow += [0x94, 0x4b, 0x01, 0x4b, 0x01, 0x73] }
    grow.append(0x2e)
    var g = Unpickler(bytes: grow, name: "grow.pkl")
    XCTAssertThrowsError(try g.run()) { e in XCTAssertTrue("\(e)".contains("too much work"), "\(e)") }
    // A safetensors entry whose byte count overflows.
    let header = Data(#"{"x":{"dtype":"F32","shape":[2305843009213693952],"data_offsets":[0,0]}}"#.utf8)
    var st = Data()
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { st.append(contentsOf: $0) }
    st.append(header)
    XCTAssertThrowsError(try SafeTensors.parse(st, name: "huge.safetensors")) { e in XCTAssertTrue("\(e)".contains("too many"), "\(e)") }
    // Config values that would overflow or ask for absurd sizes.
    let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.base + "/config.json"))) as! [String: Any]
    for (key, value) in [("hidden_size", 1e20 as Any), ("conv_stride", [5, 2, 2, 2, 2, 2, 4_194_304] as Any), ("num_hidden_layers", Int.max as Any),
                         ("layer_norm_eps", 0.0 as Any)] {
      var c = config
      c[key] = value
      XCTAssertThrowsError(try WavLMConfig.parse(c, preprocessor: [:], name: "config.json"), key)
    }
  }

  func testShortAndNonFiniteAudio() throws {
    let model = try WavLMModel.load(folder: Self.base)
    XCTAssertEqual(model.config.receptiveField, 400)
    XCTAssertEqual(model.config.hop, 320)
    XCTAssertThrowsError(try model.forward([Float](repeating: 0.1, count: 399))) { e in
      XCTAssertTrue("\(e)".contains("shorter than WavLM's receptive field of 400 samples"), "\(e)")
    }
    XCTAssertEqual(try model.forward((0..<400).map { Float($0 % 7) / 10 }).frames, 1)
    var x = [Float](repeating: 0.1, count: 1000)
    x[321] = .nan
    XCTAssertThrowsError(try model.forward(x)) { e in XCTAssertTrue("\(e)".contains("sample 321"), "\(e)") }
    // The frame count formula of the spec.
    for (n, t) in [(16000, 49), (64000, 199), (160_000, 499), (24123, 75)] { XCTAssertEqual(model.config.frames(samples: n), t) }
    // Longer than the limit: a clear error, nothing allocated for it.
    let limit = WavLMModel.maxSamples
    WavLMModel.maxSamples = 16000
    defer { WavLMModel.maxSamples = limit }
    XCTAssertThrowsError(try model.forward([Float](repeating: 0.1, count: 16001))) { e in XCTAssertTrue("\(e)".contains("longer than WavLM's limit"), "\(e)") }
  }
}

struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9e37_79b9_7f4a_7c15
    var z = state
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }
}

import Foundation
import ProbeTestSupport
import XCTest

@testable import ProbeWavLM

/// Sharded checkpoints (`model.safetensors.index.json` + shards) load to the same model as the
/// single file; a shard listed but absent is a clear error.
final class ShardedCheckpointTests: XCTestCase {
  /// A minimal safetensors writer (F32 only) for building shards from the fixture's tensors.
  static func write(_ tensors: [(String, Tensor)], to path: String) throws {
    var header: [String: Any] = ["__metadata__": ["format": "pt"]]
    var offset = 0
    var payload = Data()
    for (name, t) in tensors {
      header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]]
      t.values.withUnsafeBufferPointer { payload.append(Data(buffer: $0)) }
      offset += 4 * t.values.count
    }
    let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    var out = Data()
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(json)
    out.append(payload)
    try out.write(to: URL(fileURLWithPath: path))
  }

  /// Two names over the same bytes: the second decode, after the first released its pages of the
  /// mapped file, still reads the file's values.
  func testOverlappingTensorsReadAfterRelease() throws {
    let n = 8192
    let values = (0..<n).map { Float($0) * 0.5 + 1 }
    let header = #"{"a":{"dtype":"F32","shape":[\#(n)],"data_offsets":[0,\#(4 * n)]},"b":{"dtype":"F32","shape":[\#(n)],"data_offsets":[0,\#(4 * n)]}}"#
    var file = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { file.append(contentsOf: $0) }
    file.append(Data(header.utf8))
    values.withUnsafeBufferPointer { file.append(Data(buffer: $0)) }
    let path = TestSupport.temporaryDirectory("overlap") + "/o.safetensors"
    try file.write(to: URL(fileURLWithPath: path))
    let index = try SafeTensors.index(path: path)
    XCTAssertEqual(try index["a"]!.values(), values)
    XCTAssertEqual(try index["b"]!.values(), values)
    XCTAssertEqual(try index["a"]!.values(), values)
  }

  func testShardedSafetensorsMatchSingleFile() throws {
    let base = TestSupport.fixture("wavlm/base")
    let dir = TestSupport.temporaryDirectory("wavlm-sharded")
    for f in ["config.json", "preprocessor_config.json"] { try FileManager.default.copyItem(atPath: base + "/" + f, toPath: dir + "/" + f) }
    let tensors = try SafeTensors.read(path: base + "/model.safetensors").sorted { $0.key < $1.key }
    let half = tensors.count / 2
    try Self.write(tensors[..<half].map { ($0.key, $0.value) }, to: dir + "/model-00001-of-00002.safetensors")
    try Self.write(tensors[half...].map { ($0.key, $0.value) }, to: dir + "/model-00002-of-00002.safetensors")
    var map: [String: String] = [:]
    for (i, t) in tensors.enumerated() { map[t.key] = i < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors" }
    try JSONSerialization.data(withJSONObject: ["metadata": [:], "weight_map": map]).write(to: URL(fileURLWithPath: dir + "/model.safetensors.index.json"))
    XCTAssertEqual(try WavLMModel.weightPaths(folder: dir).count, 2)

    let x = try WavLMParityTests.f32(TestSupport.fixture("wavlm/input/speech_like_16k.f32"))
    let sharded = try WavLMModel.load(folder: dir).pooledHiddenStates(x)
    let single = try WavLMModel.load(folder: base).pooledHiddenStates(x)
    XCTAssertEqual(sharded, single)

    try FileManager.default.removeItem(atPath: dir + "/model-00002-of-00002.safetensors")
    XCTAssertThrowsError(try WavLMModel.load(folder: dir)) { e in
      XCTAssertTrue("\(e)".contains("lists shard 'model-00002-of-00002.safetensors'"), "\(e)")
    }
  }
}

import Foundation
import ProbeDB
import ProbeTestSupport
import XCTest

/// EXTRACT wavlm end to end: decode → WavLM forward (ProbeWavLM) → pooled vectors of every layer
/// in `embeddings`, read back through EXPORT wavlm LAYER ALL and compared with transformers
/// 5.24.0's pooled hidden states for the same file (fixture `wavlm/base`, |a−b| ≤ 1e-4 + 1e-4·|b|).
final class ExtractWavLMTests: XCTestCase {
  static let model = TestSupport.fixture("wavlm/base")

  func corpus() throws -> String {
    let dir = TestSupport.temporaryDirectory("wavlm-corpus")
    try FileManager.default.createDirectory(atPath: dir + "/spk01", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: TestSupport.fixture("wavlm/input/speech_like_16k.wav"), toPath: dir + "/spk01/speech.wav")
    // 0.02 s = 320 samples at 16 kHz: shorter than WavLM's 400-sample receptive field.
    try TestSupport.writeTone(dir, "spk02/short.wav", seconds: 0.02)
    return dir
  }

  static func f32(_ path: String) throws -> [Float] { try TestSupport.readFloat32(path) }

  func testExtractMatchesTransformersAndIsIdempotent() throws {
    let db = try Database()
    try db.execute("IMPORT CORPUS w FROM '\(try corpus())' FORMAT files")
    let r = try db.execute("EXTRACT wavlm FROM w USING MODEL '\(Self.model)'")[0].table
    XCTAssertEqual(r.values("extracted"), [.integer(1)])
    XCTAssertEqual(r.values("skipped"), [.integer(1)])
    XCTAssertEqual(r.values("dims"), [.integer(32)])
    XCTAssertTrue(r.notices.contains { $0.contains("short.wav") && $0.contains("receptive field of 400 samples") }, "\(r.notices)")
    // An OPENBLAS_CORETYPE pin below the CPU (AVX2 kernels on an AVX-512 CPU) is pointed out.
    let pin = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]?.lowercased() ?? ""
    let pinnedLow = !pin.isEmpty && CPU.hasAVX512 && !["skylakex", "cooperlake", "sapphirerapids"].contains(pin)
    XCTAssertEqual(r.notices.contains { $0.hasPrefix("OPENBLAS_CORETYPE=") && $0.contains("unset") }, pinnedLow, "\(r.notices)")
    XCTAssertEqual(try db.query("SELECT layers, dtype FROM representations WHERE name = 'wavlm'").rows, [[.integer(3), .text("float32")]])
    XCTAssertTrue(try db.query("SELECT source FROM representations WHERE name = 'wavlm'").rows[0][0].stringValue!.contains("sha256:"))

    let csv = TestSupport.temporaryDirectory("wavlm-export") + "/all.csv"
    try db.execute("EXPORT wavlm LAYER ALL FROM w TO '\(csv)'")
    let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(lines.count, 1 + 3)
    XCTAssertTrue(lines[0].hasPrefix("path,layer,d0,d1,"))
    let expected = try Self.f32(Self.model + "/pooled_hidden_states.f32")
    for (l, line) in lines.dropFirst().enumerated() {
      let f = line.split(separator: ",")
      XCTAssertEqual(f[0], "spk01/speech.wav")
      XCTAssertEqual(f[1], "\(l)")
      let got = f.dropFirst(2).map { Float(String($0))! }
      XCTAssertEqual(got.count, 32)
      for (j, v) in got.enumerated() {
        let b = expected[l * 32 + j]
        XCTAssertLessThanOrEqual(abs(v - b), 1e-4 + 1e-4 * abs(b), "layer \(l) dim \(j)")
      }
    }
    // LAYER n exports one layer; the default (no LAYER) is the last.
    let one = TestSupport.temporaryDirectory("wavlm-export") + "/l1.csv"
    try db.execute("EXPORT wavlm LAYER 1 FROM w TO '\(one)'")
    XCTAssertEqual(try String(contentsOfFile: one, encoding: .utf8).split(separator: "\n")[1].split(separator: ",").dropFirst().joined(separator: ","),
                   lines[2].split(separator: ",").dropFirst(2).joined(separator: ","))

    // Same model again: nothing to do, nothing recorded.
    let runs = try db.query("SELECT count(*) FROM runs").rows
    let again = try db.execute("EXTRACT wavlm FROM w USING MODEL '\(Self.model)'")[0].table
    XCTAssertEqual(again.values("extracted"), [.integer(0)])
    XCTAssertEqual(try db.query("SELECT count(*) FROM runs").rows, runs)

    // Another model under the same name is refused, and the stored vectors stay.
    let stored = try db.query("SELECT utterance_id, layer, vector FROM embeddings ORDER BY 1, 2").rows
    XCTAssertThrowsError(try db.execute("EXTRACT wavlm FROM w USING MODEL '\(TestSupport.fixture("wavlm/large"))'")) { e in
      XCTAssertTrue("\(e)".contains("stored otherwise"), "\(e)")
    }
    XCTAssertEqual(try db.query("SELECT utterance_id, layer, vector FROM embeddings ORDER BY 1, 2").rows, stored)
  }

  func testBadModelFoldersAreClearErrorsAndKeepData() throws {
    let db = try Database()
    try db.execute("IMPORT CORPUS w FROM '\(try corpus())' FORMAT files")
    let before = try db.query("SELECT count(*) FROM utterances").rows
    XCTAssertThrowsError(try db.execute("EXTRACT wavlm FROM w USING MODEL '/nonexistent/model'")) { e in
      XCTAssertTrue("\(e)".contains("'/nonexistent/model'"), "\(e)")
    }
    let truncated = TestSupport.temporaryDirectory("wavlm-trunc")
    for f in ["config.json", "preprocessor_config.json"] { try FileManager.default.copyItem(atPath: Self.model + "/" + f, toPath: truncated + "/" + f) }
    let whole = try Data(contentsOf: URL(fileURLWithPath: Self.model + "/model.safetensors"))
    try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: truncated + "/model.safetensors"))
    XCTAssertThrowsError(try db.execute("EXTRACT wavlm FROM w USING MODEL '\(truncated)'")) { e in
      XCTAssertTrue("\(e)".contains("model.safetensors") && "\(e)".contains("truncated"), "\(e)")
    }
    XCTAssertThrowsError(try db.execute("EXTRACT wavlm FROM w")) { e in XCTAssertTrue("\(e)".contains("needs a model folder"), "\(e)") }
    XCTAssertEqual(try db.query("SELECT count(*) FROM utterances").rows, before)
    XCTAssertEqual(try db.query("SELECT count(*) FROM representations").rows, [[.integer(0)]])
  }
}

import Foundation
import ProbeAudio

/// Paths and helpers shared by the test targets.
public enum TestSupport {
  /// The package root (found from this file's location).
  public static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// A file under `Tests/ProbeTestSupport/Fixtures/`.
  public static func fixture(_ relative: String) -> String {
    packageRoot.appendingPathComponent("Tests/ProbeTestSupport/Fixtures").appendingPathComponent(relative).path
  }

  /// The bundled example corpus (a copy of the shared mini corpus).
  public static var exampleCorpus: String { packageRoot.appendingPathComponent("examples/mini-corpus").path }

  /// A raw little-endian float32 file (the WavLM fixtures' `.f32`).
  public static func readFloat32(_ path: String) throws -> [Float] {
    let d = try Data(contentsOf: URL(fileURLWithPath: path))
    return d.withUnsafeBytes { raw in (0..<(d.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
  }

  /// One folder per test process (`$TMPDIR/probedb-tests-<pid>-<random>`), removed when the process exits, so
  /// test runs leave nothing behind.
  public static let scratchRoot: URL = {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("probedb-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.removeItem(at: root)
    try! FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(at: TestSupport.scratchRoot) }
    return root
  }()

  /// A new empty temporary directory under `scratchRoot` (removed with it when the tests exit).
  public static func temporaryDirectory(_ label: String = "probedb") -> String {
    let dir = scratchRoot.appendingPathComponent("\(label)-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.path
  }

  /// A sine tone of `seconds` at `rate`, amplitude 0.25.
  public static func tone(seconds: Double = 0.1, rate: Int = 16000, frequency: Double = 220, channels: Int = 1) -> [Float] {
    let n = Int(seconds * Double(rate))
    var out: [Float] = []
    out.reserveCapacity(n * channels)
    for i in 0..<n {
      let v = Float(0.25 * sin(2 * Double.pi * frequency * Double(i) / Double(rate)))
      for c in 0..<channels { out.append(c == 0 ? v : v * 0.5) }
    }
    return out
  }

  /// Write a short tone as a WAV at `dir/relative`, creating folders.
  public static func writeTone(_ dir: String, _ relative: String, seconds: Double = 0.1, rate: Int = 16000, channels: Int = 1) throws {
    let url = URL(fileURLWithPath: dir).appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try AudioWriter.writeWAV(path: url.path, samples: tone(seconds: seconds, rate: rate, channels: channels), sampleRate: rate, channels: channels)
  }

  /// Write a text file at `dir/relative`, creating folders.
  public static func writeText(_ dir: String, _ relative: String, _ text: String) throws {
    let url = URL(fileURLWithPath: dir).appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: true, encoding: .utf8)
  }
}

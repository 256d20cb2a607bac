import Foundation
import CProbeKernels
import ProbeCore
import XCTest

final class SourceAndDiagnosticTests: XCTestCase {
  func testLocationsAreOneBasedLineAndColumn() {
    let s = SourceFile(name: "x.pql", text: "SELECT 1;\n  EVALUATE x;\n")
    XCTAssertEqual(s.location(of: 0).description, "1:1")
    XCTAssertEqual(s.location(of: 10).description, "2:1")
    XCTAssertEqual(s.location(of: 12).description, "2:3")
    XCTAssertEqual(s.lineText(2), "  EVALUATE x;")
    XCTAssertEqual(s.lineText(3), "")
  }

  func testColumnsCountCharactersNotBytes() {
    let s = SourceFile(name: "", text: "-- é\nUSE ç;")
    XCTAssertEqual(s.location(of: 9).description, "2:5")
  }

  func testRendererDrawsCaretUnderRange() {
    let s = SourceFile(name: "<command>", text: "SELECT 1;\nEVALUATE angy VS neutral;")
    let d = Diagnostic("bind.unknown-emotion", "unknown emotion 'angy'", range: SourceRange(19, 23), source: s, notes: ["did you mean 'angry'?"])
    XCTAssertEqual(
      DiagnosticRenderer().render(d),
      """
      error: 2:10: unknown emotion 'angy'
        2 | EVALUATE angy VS neutral;
          |          ^~~~
        = did you mean 'angry'?
      """)
  }

  func testRendererNamesScriptFiles() {
    let s = SourceFile(name: "a.pql", text: "USE x")
    let d = Diagnostic("bind.unknown-corpus", "unknown corpus 'x'", range: SourceRange(4, 5), source: s)
    XCTAssertTrue(DiagnosticRenderer().render(d).hasPrefix("error: a.pql:1:5: unknown corpus 'x'"))
  }

  func testClosestMatch() {
    XCTAssertEqual(closestMatch(to: "angy", in: ["angry", "happy", "sad"]), "angry")
    XCTAssertEqual(closestMatch(to: "WAVLN", in: ["wavlm", "egemaps"]), "wavlm")
    XCTAssertNil(closestMatch(to: "xyzzy", in: ["angry", "happy"]))
  }

  func testEmotionNormalisation() {
    XCTAssertEqual(Emotion.normalise("Anger"), "angry")
    XCTAssertEqual(Emotion.normalise("fear"), "fearful")
    XCTAssertEqual(Emotion.normalise("surprise"), "surprised")
    XCTAssertEqual(Emotion.normalise("joy"), "happy")
    XCTAssertNil(Emotion.normalise("excited"))
  }

  func testSHA256KnownVectors() {
    XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    XCTAssertEqual(SHA256.hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    // 56-byte message: padding spills into a second block.
    XCTAssertEqual(
      SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    var streamed = SHA256()
    for chunk in stride(from: 0, to: 1000, by: 37) { streamed.update([UInt8](repeating: 0x61, count: min(37, 1000 - chunk))) }
    XCTAssertEqual(streamed.finalize().map { String(format: "%02x", $0) }.joined(), SHA256.hex([UInt8](repeating: 0x61, count: 1000)))
  }

  /// FIPS 180-2's million-'a' vector (many whole blocks through the block kernel), and the SHA
  /// extension kernel equal to the portable one on arbitrary bytes and block counts.
  func testSHA256BlockKernels() {
    var big = SHA256()
    let chunk = [UInt8](repeating: 0x61, count: 10_007)
    var left = 1_000_000
    while left > 0 {
      big.update(chunk.prefix(left))
      left -= min(left, chunk.count)
    }
    XCTAssertEqual(big.finalize().map { String(format: "%02x", $0) }.joined(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15
    let bytes = (0..<(64 * 33)).map { _ -> UInt8 in
      x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: x >> 56)
    }
    for blocks in [1, 2, 5, 33] {
      var a: [UInt32] = [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19]
      var b = a
      probe_sha256_blocks(&a, bytes, blocks)
      probe_sha256_blocks_portable(&b, bytes, blocks)
      XCTAssertEqual(a, b, "\(blocks) blocks (accelerated: \(SHA256.accelerated))")
    }
  }

  func testEGeMAPSCatalogue() {
    XCTAssertEqual(EGeMAPS.names.count, 88)
    XCTAssertEqual(Set(EGeMAPS.names).count, 88)
    let counts = Dictionary(grouping: EGeMAPS.features, by: \.category).mapValues(\.count)
    XCTAssertEqual(counts, ["frequency": 24, "energy": 15, "spectral": 43, "temporal": 6])
    XCTAssertEqual(EGeMAPS.expand("f0")?.count, 10)
    XCTAssertEqual(EGeMAPS.expand("mfcc1"), ["mfcc1_sma3_amean", "mfcc1_sma3_stddevNorm", "mfcc1V_sma3nz_amean", "mfcc1V_sma3nz_stddevNorm"])
    XCTAssertEqual(EGeMAPS.expand("F1_BANDWIDTH"), ["F1bandwidth_sma3nz_amean", "F1bandwidth_sma3nz_stddevNorm"])
    XCTAssertEqual(EGeMAPS.expand("temporal")?.count, 6)
    XCTAssertEqual(EGeMAPS.expand("leq"), ["equivalentSoundLevel_dBp"])
    XCTAssertNil(EGeMAPS.expand("f4"))
  }
}

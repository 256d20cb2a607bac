import Foundation
import ProbeAudio
import ProbeTestSupport
import XCTest

final class DecoderTests: XCTestCase {
  var dir = ""
  override func setUp() { dir = TestSupport.temporaryDirectory("audio") }
  override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

  func path(_ name: String) -> String { dir + "/" + name }

  func rms(_ x: ArraySlice<Float>) -> Double {
    (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot()
  }

  /// Rising zero crossings per second in the middle of the signal.
  func frequency(_ x: [Float], rate: Int) -> Double {
    let mid = x[(x.count / 4)..<(3 * x.count / 4)]
    var n = 0
    var prev = mid.first!
    for v in mid.dropFirst() {
      if prev < 0 && v >= 0 { n += 1 }
      prev = v
    }
    return Double(n) / (Double(mid.count) / Double(rate))
  }

  func testEveryRateBecomes16kHzWithPitchAndLevelKept() throws {
    for rate in [8000, 16000, 22050, 44100, 48000] {
      let p = path("tone\(rate).wav")
      let tone = (0..<rate).map { Float(0.25 * sin(2 * Double.pi * 440 * Double($0) / Double(rate))) }
      try AudioWriter.writeWAV(path: p, samples: tone, sampleRate: rate)
      let d = try AudioDecoder.decode(path: p)
      XCTAssertEqual(d.sampleRate, 16000)
      XCTAssertEqual(d.source.sampleRate, rate)
      XCTAssertEqual(d.samples.count, 16000, accuracy: 1, "rate \(rate)")
      // ref: a full-scale-0.25 sine has RMS 0.25/√2; resampling with soxr HQ keeps it within 0.5 %.
      XCTAssertEqual(rms(d.samples[2000..<14000]), 0.25 / 2.0.squareRoot(), accuracy: 0.25 / 2.0.squareRoot() * 0.005, "rate \(rate)")
      XCTAssertEqual(frequency(d.samples, rate: 16000), 440, accuracy: 3, "rate \(rate)")
    }
  }

  func testStereoIsAveragedToMono() throws {
    let p = path("stereo.wav")
    try AudioWriter.writeWAV(path: p, samples: TestSupport.tone(seconds: 0.5, rate: 16000, frequency: 300, channels: 2), sampleRate: 16000, channels: 2)
    let d = try AudioDecoder.decode(path: p)
    XCTAssertEqual(d.source.channels, 2)
    let left = TestSupport.tone(seconds: 0.5, rate: 16000, frequency: 300, channels: 1)
    // Right channel is half the left, so the mix is 0.75 × left (up to 16-bit quantisation).
    for i in stride(from: 0, to: left.count, by: 97) { XCTAssertEqual(d.samples[i], 0.75 * left[i], accuracy: 2.0 / 32768) }
  }

  func testSampleEncodings() throws {
    let tone = TestSupport.tone(seconds: 0.2, rate: 16000, frequency: 250)
    let steps: [(SampleEncoding, Float)] = [(.pcm8, 1.0 / 128), (.pcm16, 1.0 / 32768), (.pcm24, 1.0 / 8_388_608), (.float32, 1e-7)]
    for (enc, step) in steps {
      let p = path("enc-\(enc).wav")
      try AudioWriter.writeWAV(path: p, samples: tone, sampleRate: 16000, encoding: enc)
      let d = try AudioDecoder.decode(path: p)
      XCTAssertEqual(d.samples.count, tone.count)
      let maxErr = zip(d.samples, tone).map { abs($0 - $1) }.max()!
      XCTAssertLessThanOrEqual(maxErr, step, "\(enc)")
    }
  }

  func testPCM16IsScaledByOneOver32768() throws {
    let ints: [Int16] = [0, 1, -1, 16384, -32768, 32767, 12345]
    // Write the WAV bytes by hand so the stored integers are exactly these.
    let p = path("exact.wav")
    var d = Data()
    func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { d.append(contentsOf: $0) } }
    func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { d.append(contentsOf: $0) } }
    d.append(contentsOf: Array("RIFF".utf8)); u32(36 + 2 * ints.count); d.append(contentsOf: Array("WAVEfmt ".utf8))
    u32(16); u16(1); u16(1); u32(16000); u32(32000); u16(2); u16(16)
    d.append(contentsOf: Array("data".utf8)); u32(2 * ints.count)
    for v in ints { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
    try d.write(to: URL(fileURLWithPath: p))
    let decoded = try AudioDecoder.decode(path: p)
    XCTAssertEqual(decoded.samples, ints.map { Float($0) / 32768 })
  }

  func testHeaderInfo() throws {
    let p = path("info.wav")
    try AudioWriter.writeWAV(path: p, samples: TestSupport.tone(seconds: 0.25, rate: 44100, channels: 2), sampleRate: 44100, channels: 2, encoding: .pcm24)
    let f = try AudioFile(path: p)
    XCTAssertEqual(f.info, AudioInfo(frames: 11025, sampleRate: 44100, channels: 2, format: "WAV/PCM_24"))
    XCTAssertEqual(f.info.duration, 0.25, accuracy: 1e-12)
  }

  func testBadInputNamesTheFile() throws {
    XCTAssertThrowsError(try AudioDecoder.decode(path: path("nope.wav"))) { e in
      XCTAssertEqual((e as! AudioError).kind, .missing)
      XCTAssertTrue("\(e)".contains("nope.wav"))
    }
    try "not audio at all".write(toFile: path("text.wav"), atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try AudioDecoder.decode(path: path("text.wav"))) { e in
      XCTAssertEqual((e as! AudioError).kind, .unreadable)
      XCTAssertTrue("\(e)".contains("text.wav"))
    }
    try AudioWriter.writeWAV(path: path("empty.wav"), samples: [], sampleRate: 16000)
    XCTAssertThrowsError(try AudioDecoder.decode(path: path("empty.wav"))) { e in XCTAssertEqual((e as! AudioError).kind, .empty) }
    // A truncated copy: libsndfile would read it as a shorter file; ProbeDB refuses it.
    try AudioWriter.writeWAV(path: path("full.wav"), samples: TestSupport.tone(seconds: 0.5), sampleRate: 16000)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path("full.wav")))
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path("cut.wav")))
    XCTAssertThrowsError(try AudioDecoder.decode(path: path("cut.wav"))) { e in
      XCTAssertTrue("\(e)".contains("truncated"), "\(e)")
    }
    var withNaN = TestSupport.tone(seconds: 0.1)
    withNaN[777] = .nan
    try AudioWriter.writeWAV(path: path("nan.wav"), samples: withNaN, sampleRate: 16000, encoding: .float32)
    XCTAssertThrowsError(try AudioDecoder.decode(path: path("nan.wav"))) { e in
      XCTAssertEqual((e as! AudioError).kind, .invalidSamples)
      XCTAssertTrue("\(e)".contains("frame 777"), "\(e)")
    }
  }
}

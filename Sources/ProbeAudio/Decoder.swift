import CProbeSoxr
import Foundation

/// The one path from an audio file to what every extractor consumes: 16 kHz mono float32.
///
/// libsndfile decodes to float (16-bit PCM scaled by 1/32768), channels are averaged to mono,
/// and any other rate is converted with libsoxr at its high-quality setting (SOXR_HQ: 20-bit
/// precision, linear phase, passband to 91.3 % of Nyquist). NaN or infinite samples are an
/// error naming the file and the first bad frame.
public struct DecodedAudio: Sendable {
  public var samples: [Float]
  public var sampleRate: Int
  /// The file's own header facts, before mixing and resampling.
  public var source: AudioInfo
}

public enum AudioDecoder {
  public static let targetRate = 16000

  public static func decode(path: String, targetRate: Int = AudioDecoder.targetRate) throws -> DecodedAudio {
    let file = try AudioFile(path: path)
    if let problem = file.integrityProblem { throw AudioError(.unreadable, path: path, detail: problem) }
    let interleaved = try file.readInterleaved()
    let info = file.info
    if interleaved.isEmpty { throw AudioError(.empty, path: path, detail: "the file holds 0 frames") }
    let mono = mixToMono(interleaved, channels: info.channels)
    if let bad = mono.firstIndex(where: { !$0.isFinite }) {
      throw AudioError(.invalidSamples, path: path, detail: "NaN or infinite sample at frame \(bad)")
    }
    let out = try resample(mono, from: info.sampleRate, to: targetRate, path: path)
    return DecodedAudio(samples: out, sampleRate: targetRate, source: info)
  }

  /// Average the channels of interleaved samples.
  public static func mixToMono(_ x: [Float], channels: Int) -> [Float] {
    if channels == 1 { return x }
    let frames = x.count / channels
    var out = [Float](repeating: 0, count: frames)
    let scale = 1 / Float(channels)
    x.withUnsafeBufferPointer { p in
      for f in 0..<frames {
        var s: Float = 0
        for c in 0..<channels { s += p[f * channels + c] }
        out[f] = s * scale
      }
    }
    return out
  }

  /// Convert mono samples between rates with libsoxr (HQ). Identity when the rates agree.
  public static func resample(_ x: [Float], from inRate: Int, to outRate: Int, path: String = "<buffer>") throws -> [Float] {
    if inRate == outRate || x.isEmpty { return x }
    let outLen = Int((Double(x.count) * Double(outRate) / Double(inRate)).rounded())
    var out = [Float](repeating: 0, count: outLen + 16)
    var idone = 0
    var odone = 0
    var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
    var q = soxr_quality_spec(UInt(SOXR_HQ), 0)
    let err = x.withUnsafeBufferPointer { inp in
      out.withUnsafeMutableBufferPointer { outp in
        soxr_oneshot(
          Double(inRate), Double(outRate), 1, inp.baseAddress, x.count, &idone, outp.baseAddress, outp.count, &odone,
          &io, &q, nil)
      }
    }
    if let err { throw AudioError(.resampling, path: path, detail: String(cString: err)) }
    out.removeLast(out.count - odone)
    return out
  }
}

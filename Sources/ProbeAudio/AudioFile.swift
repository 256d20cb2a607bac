import CProbeSndfile
import Foundation

/// Header facts of an audio file, read by libsndfile without decoding the samples.
public struct AudioInfo: Sendable, Equatable {
  public var frames: Int64
  public var sampleRate: Int
  public var channels: Int
  /// Container and encoding, e.g. `WAV/PCM_16`, `FLAC/PCM_24`, `WAV/FLOAT`.
  public var format: String
  public var duration: Double { sampleRate > 0 ? Double(frames) / Double(sampleRate) : 0 }

  public init(frames: Int64, sampleRate: Int, channels: Int, format: String) {
    self.frames = frames
    self.sampleRate = sampleRate
    self.channels = channels
    self.format = format
  }
}

/// An open libsndfile handle; closed when released. The only type that calls libsndfile.
public final class AudioFile {
  private let handle: OpaquePointer
  public let path: String
  public let info: AudioInfo

  /// Open `path` for reading. Throws `AudioError` naming the file and libsndfile's reason.
  public init(path: String) throws {
    var fm = FileManager.default.fileExists(atPath: path, isDirectory: nil)
    if !fm { throw AudioError(.missing, path: path) }
    var isDir: ObjCBool = false
    fm = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
    if isDir.boolValue { throw AudioError(.unreadable, path: path, detail: "is a directory") }
    var sfinfo = SF_INFO()
    guard let h = sf_open(path, Int32(SFM_READ), &sfinfo) else {
      let reason = String(cString: sf_strerror(nil))
      throw AudioError(.unreadable, path: path, detail: AudioFile.cleanReason(reason))
    }
    self.handle = h
    self.path = path
    self.info = AudioInfo(
      frames: Int64(sfinfo.frames), sampleRate: Int(sfinfo.samplerate), channels: Int(sfinfo.channels),
      format: AudioFile.describe(format: sfinfo.format))
    if sfinfo.samplerate <= 0 || sfinfo.channels <= 0 {
      sf_close(h)
      throw AudioError(.unreadable, path: path, detail: "header declares \(sfinfo.samplerate) Hz and \(sfinfo.channels) channels")
    }
  }

  deinit { sf_close(handle) }

  /// libsndfile's parse log of the header.
  public var headerLog: String {
    var buf = [CChar](repeating: 0, count: 8192)
    _ = sf_command(handle, Int32(SFC_GET_LOG_INFO), &buf, Int32(buf.count))
    return String(cString: buf)
  }

  /// A description of damage libsndfile noticed but tolerated, or nil. Today: a WAV whose data
  /// chunk declares more bytes than the file holds (a truncated copy), which libsndfile reads as
  /// a shorter file without complaint. Streamed WAVs that declare an unknown length (0 or
  /// 0xFFFFFFFF) are not damage.
  public var integrityProblem: String? {
    for line in headerLog.split(separator: "\n") {
      let t = line.trimmingCharacters(in: .whitespaces)
      guard t.hasPrefix("data"), let open = t.range(of: "(should be ") else { continue }
      let declared = t[t.index(after: t.firstIndex(of: ":")!)..<open.lowerBound].trimmingCharacters(in: .whitespaces)
      let actual = t[open.upperBound...].prefix { $0.isNumber }
      if let d = Int64(declared), let a = Int64(actual), d > a, d != 0, d < 0x7FFF_FFFF {
        return "truncated: the data chunk declares \(d) bytes but the file holds \(a)"
      }
    }
    return nil
  }

  /// Read every frame as interleaved float32 in [-1, 1) (16-bit PCM divided by 32768, 24-bit by
  /// 2^23, 8-bit by 128, float as stored). Throws if the data ends before the header says.
  public func readInterleaved() throws -> [Float] {
    let channels = info.channels
    var out: [Float] = []
    out.reserveCapacity(Int(max(0, info.frames)) * channels)
    let chunk = 16384
    var buf = [Float](repeating: 0, count: chunk * channels)
    while true {
      let n = buf.withUnsafeMutableBufferPointer { sf_readf_float(handle, $0.baseAddress, sf_count_t(chunk)) }
      if n <= 0 { break }
      out.append(contentsOf: buf[0..<(Int(n) * channels)])
    }
    let err = sf_error(handle)
    if err != 0 {
      throw AudioError(.unreadable, path: path, detail: AudioFile.cleanReason(String(cString: sf_strerror(handle))))
    }
    return out
  }

  static func cleanReason(_ s: String) -> String {
    s.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
  }

  static func describe(format: Int32) -> String {
    let major = format & Int32(SF_FORMAT_TYPEMASK)
    let sub = format & Int32(SF_FORMAT_SUBMASK)
    var m = SF_FORMAT_INFO()
    m.format = major
    var majorName = "unknown"
    if sf_command(nil, Int32(SFC_GET_FORMAT_INFO), &m, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0, let e = m.extension {
      majorName = String(cString: e).uppercased()
    }
    let subs: [Int32: String] = [
      Int32(SF_FORMAT_PCM_S8): "PCM_S8", Int32(SF_FORMAT_PCM_U8): "PCM_U8", Int32(SF_FORMAT_PCM_16): "PCM_16",
      Int32(SF_FORMAT_PCM_24): "PCM_24", Int32(SF_FORMAT_PCM_32): "PCM_32", Int32(SF_FORMAT_FLOAT): "FLOAT",
      Int32(SF_FORMAT_DOUBLE): "DOUBLE", Int32(SF_FORMAT_ULAW): "ULAW", Int32(SF_FORMAT_ALAW): "ALAW",
      Int32(SF_FORMAT_VORBIS): "VORBIS", Int32(SF_FORMAT_OPUS): "OPUS",
    ]
    return "\(majorName)/\(subs[sub] ?? "0x\(String(sub, radix: 16))")"
  }
}

/// Sample encodings `AudioWriter` can produce.
public enum SampleEncoding: Sendable {
  case pcm8, pcm16, pcm24, float32
  var sndfile: Int32 {
    switch self {
    case .pcm8: return Int32(SF_FORMAT_PCM_U8)
    case .pcm16: return Int32(SF_FORMAT_PCM_16)
    case .pcm24: return Int32(SF_FORMAT_PCM_24)
    case .float32: return Int32(SF_FORMAT_FLOAT)
    }
  }
}

/// Writes WAV files (used for fixtures and tests, and for exporting decoded audio).
public enum AudioWriter {
  /// Write interleaved samples to a WAV file.
  public static func writeWAV(path: String, samples: [Float], sampleRate: Int, channels: Int = 1, encoding: SampleEncoding = .pcm16) throws {
    var info = SF_INFO()
    info.samplerate = Int32(sampleRate)
    info.channels = Int32(channels)
    info.format = Int32(SF_FORMAT_WAV) | encoding.sndfile
    guard let h = sf_open(path, Int32(SFM_WRITE), &info) else {
      throw AudioError(.writing, path: path, detail: String(cString: sf_strerror(nil)))
    }
    defer { sf_close(h) }
    let frames = samples.count / channels
    let written = samples.withUnsafeBufferPointer { sf_writef_float(h, $0.baseAddress, sf_count_t(frames)) }
    if written != frames { throw AudioError(.writing, path: path, detail: "wrote \(written) of \(frames) frames") }
  }
}

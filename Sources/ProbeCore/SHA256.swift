import CProbeKernels

/// SHA-256 (FIPS 180-4), used for content fingerprints of audio files and model checkpoints.
///
/// Streaming; whole 64-byte blocks are compressed straight from the caller's bytes by
/// `probe_sha256_blocks` (the x86 SHA extensions when present, ≈ 1.5–2 GB/s, else portable C), so
/// fingerprinting a model checkpoint costs a fraction of loading it. Checked in tests against
/// `sha256sum` and the FIPS test vectors.
public struct SHA256 {
  private var h: [UInt32] = [
    0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
  ]
  /// Bytes of an incomplete block (< 64).
  private var buffer: [UInt8] = []
  private var length: UInt64 = 0

  public init() {}

  /// Whether the SHA extensions are in use on this CPU.
  public static var accelerated: Bool { probe_sha256_accelerated() != 0 }

  public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
    let done: Bool? = bytes.withContiguousStorageIfAvailable { p in
      update(UnsafeRawBufferPointer(p))
      return true
    }
    if done == nil { Array(bytes).withUnsafeBytes { update($0) } }
  }

  public mutating func update(_ raw: UnsafeRawBufferPointer) {
    guard var p = raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count > 0 else { return }
    var n = raw.count
    length &+= UInt64(n)
    if !buffer.isEmpty {
      let take = min(64 - buffer.count, n)
      buffer.append(contentsOf: UnsafeBufferPointer(start: p, count: take))
      p += take
      n -= take
      if buffer.count == 64 {
        compress(buffer)
        buffer.removeAll(keepingCapacity: true)
      }
    }
    let blocks = n / 64
    if blocks > 0 {
      h.withUnsafeMutableBufferPointer { probe_sha256_blocks($0.baseAddress!, p, blocks) }
      p += 64 * blocks
      n -= 64 * blocks
    }
    if n > 0 { buffer.append(contentsOf: UnsafeBufferPointer(start: p, count: n)) }
  }

  public mutating func finalize() -> [UInt8] {
    let bitLength = length &* 8
    var tail = buffer
    tail.append(0x80)
    while tail.count % 64 != 56 { tail.append(0) }
    for i in (0..<8).reversed() { tail.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
    compress(tail)
    buffer = []
    var out: [UInt8] = []
    for v in h { for s in [24, 16, 8, 0] { out.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
    return out
  }

  public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    var s = SHA256()
    s.update(bytes)
    return s.finalizeHex()
  }

  /// `finalize()` as 64 lowercase hex digits.
  public mutating func finalizeHex() -> String { finalize().map { String(format2: $0) }.joined() }

  /// Compress whole blocks of `blocks` (a multiple of 64 bytes).
  private mutating func compress(_ blocks: [UInt8]) {
    blocks.withUnsafeBufferPointer { b in
      h.withUnsafeMutableBufferPointer { probe_sha256_blocks($0.baseAddress!, b.baseAddress!, b.count / 64) }
    }
  }
}

extension String {
  /// Two lowercase hex digits.
  init(format2 byte: UInt8) {
    let digits = Array("0123456789abcdef")
    self = String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
  }
}

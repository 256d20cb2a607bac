import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A named float tensor read from a checkpoint (row-major, converted to Float32).
public struct Tensor: Sendable {
  public var shape: [Int]
  public var values: [Float]
  public init(shape: [Int], values: [Float]) {
    self.shape = shape
    self.values = values
  }
  public var count: Int { shape.reduce(1, *) }
}

/// A tensor whose shape is known from the file's index and whose values are decoded only when
/// asked for: the loader checks a tensor's name and shape against the config before it decodes
/// it, and never decodes tensors it does not use (so a hostile index listing many overlapping
/// tensors costs nothing, and loading holds one decoded copy of the weights, not two).
public struct LazyTensor {
  public let shape: [Int]
  let decode: () throws -> [Float]
  public init(shape: [Int], decode: @escaping () throws -> [Float]) {
    self.shape = shape
    self.decode = decode
  }
  public func values() throws -> [Float] { try decode() }
}

/// The file mapped read-only (private, file-backed), or nil if it cannot be opened. Mapping it
/// ourselves guarantees the bytes are file pages, which `releaseMappedPages` may drop safely
/// (they are reloaded from the file if touched again), never anonymous memory.
func mapFile(_ path: String) -> Data? {
  #if canImport(Glibc)
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { return nil }
    let size = Int(st.st_size)
    if size == 0 { return Data() }
    guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else { return nil }
    return Data(bytesNoCopy: p, count: size, deallocator: .custom { ptr, n in munmap(ptr, n) })
  #else
    return try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
  #endif
}

/// Drop the pages of `range` of a memory-mapped file from the process's resident set once its
/// bytes have been decoded (clean file pages: the kernel reloads them if they are touched again).
func releaseMappedPages(_ data: Data, _ range: Range<Int>) {
  #if canImport(Glibc)
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    data.withUnsafeBytes { raw in
      guard let base = raw.baseAddress, page > 0 else { return }
      let start = Int(bitPattern: base) + range.lowerBound, end = Int(bitPattern: base) + range.upperBound
      let lo = (start + page - 1) / page * page, hi = end / page * page
      if hi > lo { _ = madvise(UnsafeMutableRawPointer(bitPattern: lo), hi - lo, MADV_DONTNEED) }
    }
  #endif
}

/// Errors from reading a model folder: always name the file and what is wrong in it.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// A weight-file format: an index of the file's tensors (checked against the file), from which
/// reading a file, or eagerly decoding everything, follow.
public protocol CheckpointFormat {
  /// `mapped`: `data` is a file mapping made by `mapFile`, whose decoded ranges may be released.
  static func index(_ data: Data, name: String, mapped: Bool) throws -> [String: LazyTensor]
}

extension CheckpointFormat {
  /// The tensors of a file, mapped read-only, decoded on demand.
  public static func index(path: String) throws -> [String: LazyTensor] {
    guard let data = mapFile(path) else { throw CheckpointError("cannot read '\(path)'") }
    return try index(data, name: (path as NSString).lastPathComponent, mapped: true)
  }

  public static func index(_ data: Data, name: String) throws -> [String: LazyTensor] { try index(data, name: name, mapped: false) }

  /// Every tensor of a file, decoded.
  public static func read(path: String) throws -> [String: Tensor] { try decodeAll(index(path: path)) }

  /// Every tensor of in-memory file bytes, decoded.
  public static func parse(_ data: Data, name: String) throws -> [String: Tensor] { try decodeAll(index(data, name: name)) }

  static func decodeAll(_ index: [String: LazyTensor]) throws -> [String: Tensor] {
    try index.mapValues { Tensor(shape: $0.shape, values: try $0.values()) }
  }
}

/// Reader for the safetensors format: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}`, then the raw
/// little-endian tensor bytes. Every offset and size is checked against the file before use.
public enum SafeTensors: CheckpointFormat {
  public static func index(_ data: Data, name: String, mapped: Bool) throws -> [String: LazyTensor] {
    guard data.count >= 8 else { throw CheckpointError("'\(name)' is truncated: \(data.count) bytes, no safetensors header") }
    let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) }
    guard headerLength >= 2, headerLength <= UInt64(data.count - 8), headerLength < 100_000_000 else {
      throw CheckpointError("'\(name)' is not a safetensors file or is truncated: header length \(headerLength) with \(data.count) bytes in the file")
    }
    let headerEnd = 8 + Int(headerLength)
    guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd)) as? [String: Any] else {
      throw CheckpointError("'\(name)': the safetensors header is not a JSON object")
    }
    let payload = data.count - headerEnd
    var out: [String: LazyTensor] = [:]
    for (key, value) in header where key != "__metadata__" {
      guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
        let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
      else { throw CheckpointError("'\(name)': tensor '\(key)' has a malformed header entry") }
      guard shape.allSatisfy({ $0 >= 0 }), shape.count <= 8 else { throw CheckpointError("'\(name)': tensor '\(key)' has shape \(shape)") }
      let (begin, end) = (offsets[0], offsets[1])
      guard begin >= 0, end >= begin, end <= payload else {
        throw CheckpointError("'\(name)' is truncated or corrupt: tensor '\(key)' spans bytes \(begin)..<\(end) of a \(payload)-byte data section")
      }
      let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
      let width: Int
      switch dtype {
      case "F32": width = 4
      case "F64": width = 8
      case "F16", "BF16": width = 2
      default: throw CheckpointError("'\(name)': tensor '\(key)' has dtype \(dtype); only F32, F64, F16 and BF16 are read")
      }
      let (needed, overflow) = count.multipliedReportingOverflow(by: width)
      guard count != Int.max, !overflow, needed == end - begin else {
        throw CheckpointError("'\(name)': tensor '\(key)' of shape \(shape) and dtype \(dtype) needs \(count == Int.max || overflow ? "too many" : String(needed)) bytes, its offsets give \(end - begin)")
      }
      let range = (headerEnd + begin)..<(headerEnd + end)
      out[key] = LazyTensor(shape: shape) {
        defer { if mapped { releaseMappedPages(data, range) } }
        return decode(data.subdata(in: range), dtype: dtype, count: count)
      }
    }
    return out
  }

  /// Little-endian bytes of `dtype` to Float32.
  static func decode(_ bytes: Data, dtype: String, count: Int) -> [Float] {
    bytes.withUnsafeBytes { decode($0, dtype: dtype, count: count) }
  }

  /// Little-endian bytes of `dtype` to Float32, straight from (mapped) memory.
  static func decode(_ raw: UnsafeRawBufferPointer, dtype: String, count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { out, initialized in
      for i in 0..<count { out[i] = element(raw, i, dtype: dtype) }
      initialized = count
    }
  }

  /// Element `i` of little-endian `dtype` values, as Float32.
  @inline(__always) static func element(_ raw: UnsafeRawBufferPointer, _ i: Int, dtype: String) -> Float {
    switch dtype {
    case "F32": return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
    case "F64": return Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
    case "BF16": return Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
    default: return halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))  // F16
    }
  }

  static func halfToFloat(_ h: UInt16) -> Float {
    let sign: Float = (h & 0x8000) != 0 ? -1 : 1
    let exponent = Int((h >> 10) & 0x1f)
    let mantissa = Float(h & 0x3ff)
    switch exponent {
    case 0: return sign * mantissa * powf(2, -24)
    case 31: return mantissa == 0 ? sign * .infinity : .nan
    default: return sign * (1 + mantissa / 1024) * powf(2, Float(exponent - 15))
    }
  }
}

import Foundation

/// Reader for `pytorch_model.bin` as written by `torch.save` (PyTorch ≥ 1.6): a zip archive with
/// `<dir>/data.pkl` (a pickled state dict) and one raw little-endian storage per tensor under
/// `<dir>/data/<key>`.
///
/// The pickle is interpreted by a small stack machine that understands exactly the opcodes and
/// the handful of globals a saved state dict uses (`collections.OrderedDict`,
/// `torch._utils._rebuild_tensor_v2` / `_rebuild_parameter`, `torch.*Storage`). Nothing is ever
/// imported or executed: any other global, or any opcode outside the subset, is refused with an
/// error naming it and its byte offset.
public enum TorchCheckpoint: CheckpointFormat {
  /// The state dict's tensors (shapes from the pickle), each decoded from its storage on demand.
  public static func index(_ data: Data, name: String, mapped: Bool) throws -> [String: LazyTensor] {
    let bytes = data.startIndex == 0 ? data : Data(data)
    if bytes.count >= 2, bytes[0] == 0x80, bytes[1] <= 5 {
      throw CheckpointError("'\(name)' is in the legacy (pre-1.6) torch.save format; re-save it with a current PyTorch or convert it to model.safetensors")
    }
    var zip = try ZipArchive(bytes, name: name)
    zip.mapped = mapped && data.startIndex == 0
    guard let pkl = zip.entries.keys.filter({ $0.hasSuffix("data.pkl") }).min(by: { $0.count < $1.count }) else {
      throw CheckpointError("'\(name)' is not a PyTorch checkpoint: no data.pkl in the archive")
    }
    let prefix = String(pkl.dropLast("data.pkl".count))
    if let order = zip.entries[prefix + "byteorder"], String(decoding: try zip.contents(order), as: UTF8.self) != "little" {
      throw CheckpointError("'\(name)' stores big-endian tensors; only little-endian checkpoints are read")
    }
    var machine = Unpickler(bytes: try zip.contents(zip.entries[pkl]!), name: name + ":" + pkl)
    let root = try machine.run()
    guard case .dict(let items) = root else { throw CheckpointError("'\(name)': data.pkl does not hold a state dict (a dict of tensors)") }
    var out: [String: LazyTensor] = [:]
    for (k, v) in items {
      guard case .string(let key) = k else { continue }
      guard case .tensor(let ref) = v else { continue }  // non-tensor entries (e.g. step counters) are ignored
      guard let entry = zip.entries[prefix + "data/" + ref.storageKey] else {
        throw CheckpointError("'\(name)': tensor '\(key)' refers to storage '\(ref.storageKey)', which the archive does not hold")
      }
      out[key] = LazyTensor(shape: ref.size) { try zip.withContents(entry) { try ref.materialize($0, file: name, key: key).values } }
    }
    return out
  }
}

// MARK: - Zip (stored entries only, as torch.save writes them)

struct ZipArchive {
  struct Entry { var offset: Int, size: Int, method: UInt16, name: String }
  let bytes: Data  // indices start at 0
  let name: String
  /// The bytes are a file mapping: ranges copied out may be dropped from the resident set.
  var mapped = false
  var entries: [String: Entry] = [:]

  init(_ bytes: Data, name: String) throws {
    self.bytes = bytes
    self.name = name
    guard bytes.count >= 22, bytes[0] == 0x50, bytes[1] == 0x4b else {
      throw CheckpointError("'\(name)' is not a PyTorch checkpoint (not a zip archive)")
    }
    // End of central directory: last occurrence of PK\5\6 within the final 64 KiB + 22 bytes.
    var eocd = -1
    var i = bytes.count - 22
    while i >= max(0, bytes.count - 65_557) {
      if bytes[i] == 0x50, bytes[i + 1] == 0x4b, bytes[i + 2] == 5, bytes[i + 3] == 6 { eocd = i; break }
      i -= 1
    }
    guard eocd >= 0 else { throw CheckpointError("'\(name)' is truncated: the zip directory at its end is missing") }
    var count = Int(u16(eocd + 10))
    var dirOffset = Int(u32(eocd + 16))
    if count == 0xffff || dirOffset == 0xffff_ffff {
      // Zip64: the locator (PK\6\7) sits just before the EOCD and points at the zip64 EOCD record.
      let loc = eocd - 20
      guard loc >= 0, u32(loc) == 0x0706_4b50 else { throw CheckpointError("'\(name)': malformed zip64 directory") }
      let rec = Int(truncatingIfNeeded: u64(loc + 8))
      guard rec >= 0, rec <= bytes.count - 56, u32(rec) == 0x0606_4b50 else { throw CheckpointError("'\(name)': malformed zip64 directory record") }
      count = Int(truncatingIfNeeded: u64(rec + 32))
      dirOffset = Int(truncatingIfNeeded: u64(rec + 48))
      guard count >= 0, count < bytes.count, dirOffset >= 0, dirOffset < bytes.count else { throw CheckpointError("'\(name)': malformed zip64 directory record") }
    }
    var p = dirOffset
    for _ in 0..<count {
      guard p + 46 <= bytes.count, u32(p) == 0x0201_4b50 else { throw CheckpointError("'\(name)' is truncated or corrupt: bad zip directory entry at byte \(p)") }
      let method = u16(p + 10)
      var size = Int(u32(p + 24))
      let nameLength = Int(u16(p + 28)), extraLength = Int(u16(p + 30)), commentLength = Int(u16(p + 32))
      var local = Int(u32(p + 42))
      guard p + 46 + nameLength + extraLength <= bytes.count else { throw CheckpointError("'\(name)' is truncated in its zip directory") }
      let entryName = String(decoding: bytes[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
      // Zip64 extra field (id 1): 8-byte sizes/offset for the fields that overflowed.
      var e = p + 46 + nameLength
      let extraEnd = e + extraLength
      while e + 4 <= extraEnd {
        let id = u16(e), len = Int(u16(e + 2))
        let fieldEnd = min(e + 4 + len, extraEnd)
        if id == 1 {
          var q = e + 4
          if u32(p + 24) == 0xffff_ffff, q + 8 <= fieldEnd { size = Int(truncatingIfNeeded: u64(q)); q += 8 }  // uncompressed
          if u32(p + 20) == 0xffff_ffff, q + 8 <= fieldEnd { q += 8 }  // compressed
          if u32(p + 42) == 0xffff_ffff, q + 8 <= fieldEnd { local = Int(truncatingIfNeeded: u64(q)) }
        }
        e += 4 + len
      }
      guard local >= 0, local <= bytes.count - 30, u32(local) == 0x0403_4b50 else {
        throw CheckpointError("'\(name)' is truncated or corrupt: entry '\(entryName)' has no local header")
      }
      let start = local + 30 + Int(u16(local + 26)) + Int(u16(local + 28))
      entries[entryName] = Entry(offset: start, size: size, method: method, name: entryName)
      p += 46 + nameLength + extraLength + commentLength
    }
  }

  func contents(_ e: Entry) throws -> [UInt8] {
    try withContents(e) { Array($0) }
  }

  /// The entry's bytes in place (no copy; in the mapping when the file is mapped), released from
  /// the resident set afterwards.
  func withContents<R>(_ e: Entry, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    guard e.method == 0 else { throw CheckpointError("'\(name)': entry '\(e.name)' is compressed (method \(e.method)); torch.save stores entries uncompressed") }
    guard e.offset >= 0, e.size >= 0, e.offset <= bytes.count, e.size <= bytes.count - e.offset else {
      throw CheckpointError("'\(name)' is truncated: entry '\(e.name)' needs \(e.size) bytes from byte \(e.offset), the file has \(bytes.count)")
    }
    defer { if mapped { releaseMappedPages(bytes, e.offset..<(e.offset + e.size)) } }
    return try bytes.withUnsafeBytes { all in try body(UnsafeRawBufferPointer(rebasing: all[e.offset..<(e.offset + e.size)])) }
  }

  func u16(_ i: Int) -> UInt16 { UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 }
  func u32(_ i: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[i + $1]) << (8 * UInt32($1)) } }
  func u64(_ i: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) } }
}

// MARK: - Restricted unpickler

struct TensorRef {
  var storageKey: String
  var dtype: String  // F32, F64, F16, BF16
  var offset: Int
  var size: [Int]
  var stride: [Int]

  func materialize(_ raw: UnsafeRawBufferPointer, file: String, key: String) throws -> Tensor {
    let width = dtype == "F64" ? 8 : dtype == "F32" ? 4 : 2
    // Sizes come from the file: bound them before any arithmetic can overflow.
    let limit = raw.count / width + 1
    guard size.count == stride.count, size.count <= 8, size.allSatisfy({ $0 >= 0 && $0 <= limit }), stride.allSatisfy({ $0 >= 0 && $0 <= limit }),
      offset >= 0, offset <= limit
    else {
      throw CheckpointError("'\(file)': tensor '\(key)' has size \(size), stride \(stride) and offset \(offset), which do not fit its \(raw.count)-byte storage")
    }
    var count = 1
    for d in size {
      let (p, o) = count.multipliedReportingOverflow(by: d)
      guard !o, p <= limit else { throw CheckpointError("'\(file)': tensor '\(key)' of size \(size) is larger than its \(raw.count)-byte storage") }
      count = p
    }
    let span = count == 0 ? 0 : zip(size, stride).reduce(1) { $0 + ($1.0 - 1) * $1.1 }
    guard span <= limit, (offset + span) * width <= raw.count else {
      throw CheckpointError("'\(file)' is truncated or corrupt: tensor '\(key)' of size \(size) needs \((offset + span) * width) bytes of storage '\(storageKey)', which has \(raw.count)")
    }
    if count == 0 { return Tensor(shape: size, values: []) }
    // Row-major contiguous when every dimension longer than 1 has the stride of the ones after it
    // (the running product stays ≤ count ≤ limit, so it cannot overflow).
    var contiguous = true
    var expected = 1
    for d in stride.indices.reversed() {
      if size[d] > 1 && stride[d] != expected { contiguous = false }
      expected *= size[d]
    }
    if contiguous {
      let bytes = UnsafeRawBufferPointer(rebasing: raw[(offset * width)..<((offset + count) * width)])
      return Tensor(shape: size, values: SafeTensors.decode(bytes, dtype: dtype, count: count))
    }
    // Gather in row-major order of `size` with an odometer over the indices.
    var values = [Float](repeating: 0, count: count)
    var index = [Int](repeating: 0, count: size.count)
    var position = offset
    for i in 0..<count {
      values[i] = SafeTensors.element(raw, position, dtype: dtype)
      var d = size.count - 1
      while d >= 0 {
        index[d] += 1
        position += stride[d]
        if index[d] < size[d] { break }
        position -= stride[d] * size[d]
        index[d] = 0
        d -= 1
      }
    }
    return Tensor(shape: size, values: values)
  }
}

indirect enum PickleValue {
  case none, bool(Bool), int(Int), float(Double), string(String), bytes([UInt8])
  case tuple([PickleValue]), list([PickleValue]), dict([(PickleValue, PickleValue)])
  case global(String, String)
  case storage(key: String, dtype: String)
  case tensor(TensorRef)
  case mark
}

struct Unpickler {
  let bytes: [UInt8]
  let name: String
  var pos = 0
  var stack: [PickleValue] = []
  /// Nesting depth of each stack entry (containers of containers), kept beside `stack`: a value
  /// nested deeper than `maxDepth` is refused, since freeing a deep chain recurses per level.
  var depths: [Int] = []
  var memo: [Int: (PickleValue, Int)] = [:]
  /// Elements copied by container mutations; a memoised container is copied on every later
  /// SETITEM/APPEND, so a small pickle could otherwise demand quadratic work and memory.
  var work = 0
  static let maxDepth = 64

  init(bytes: [UInt8], name: String) {
    self.bytes = bytes
    self.name = name
  }

  static let storageTypes = ["FloatStorage": "F32", "DoubleStorage": "F64", "HalfStorage": "F16", "BFloat16Storage": "BF16"]
  static let allowedGlobals: Set<String> = [
    "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter", "builtins.dict",
  ]

  func fail(_ what: String, at: Int? = nil) -> CheckpointError {
    CheckpointError("'\(name)': \(what) at byte \(at ?? pos) of the pickle; only plain state dicts of float tensors are read, nothing is executed")
  }

  mutating func byte() throws -> UInt8 {
    guard pos < bytes.count else { throw fail("unexpected end (truncated pickle)") }
    defer { pos += 1 }
    return bytes[pos]
  }
  mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
    guard n >= 0, n <= bytes.count - pos else { throw fail("unexpected end (truncated pickle)") }
    defer { pos += n }
    return bytes[pos..<(pos + n)]
  }
  mutating func uint(_ n: Int) throws -> Int {
    try take(n).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
  }
  mutating func line() throws -> String {
    guard let nl = bytes[pos...].firstIndex(of: 0x0a) else { throw fail("unterminated line") }
    defer { pos = nl + 1 }
    return String(decoding: bytes[pos..<nl], as: UTF8.self)
  }
  mutating func push(_ v: PickleValue, depth: Int = 0) throws {
    guard depth <= Self.maxDepth else { throw fail("values nested more than \(Self.maxDepth) deep") }
    stack.append(v)
    depths.append(depth)
  }
  mutating func popWithDepth() throws -> (PickleValue, Int) {
    guard let v = stack.popLast(), let d = depths.popLast() else { throw fail("stack underflow") }
    return (v, d)
  }
  mutating func pop() throws -> PickleValue { try popWithDepth().0 }
  mutating func charge(_ n: Int) throws {
    work += n
    guard work <= 50_000_000 else { throw fail("too much work for a state dict (containers copied over and over)") }
  }
  mutating func popMark() throws -> (items: [PickleValue], depth: Int) {
    guard let m = stack.lastIndex(where: { if case .mark = $0 { return true } else { return false } }) else { throw fail("missing MARK") }
    let items = Array(stack[(m + 1)...])
    let depth = depths[(m + 1)...].max() ?? 0
    stack.removeSubrange(m...)
    depths.removeSubrange(m...)
    return (items, depth)
  }

  mutating func run() throws -> PickleValue {
    while true {
      let at = pos
      let op = try byte()
      switch op {
      case 0x80: _ = try byte()  // PROTO
      case 0x95: _ = try take(8)  // FRAME
      case 0x2e:  // STOP
        return try pop()
      case 0x28: try push(.mark)  // MARK
      case 0x7d: try push(.dict([]), depth: 1)  // EMPTY_DICT
      case 0x5d: try push(.list([]), depth: 1)  // EMPTY_LIST
      case 0x29: try push(.tuple([]), depth: 1)  // EMPTY_TUPLE
      case 0x4e: try push(.none)
      case 0x88: try push(.bool(true))
      case 0x89: try push(.bool(false))
      case 0x4b: try push(.int(try uint(1)))  // BININT1
      case 0x4d: try push(.int(try uint(2)))  // BININT2
      case 0x4a: try push(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))  // BININT
      case 0x8a:  // LONG1
        let n = Int(try byte())
        guard n <= 8 else { throw fail("integer of \(n) bytes", at: at) }
        let raw = try take(n)
        var v = raw.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        if n > 0, n < 8, raw.last! & 0x80 != 0 { v |= ~UInt64(0) << (8 * UInt64(n)) }
        try push(.int(Int(Int64(bitPattern: v))))
      case 0x47:  // BINFLOAT (big-endian double)
        let raw = try take(8)
        try push(.float(Double(bitPattern: raw.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))
      case 0x58, 0x8c, 0x8d:  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
        let n = try uint(op == 0x8c ? 1 : op == 0x58 ? 4 : 8)
        try push(.string(String(decoding: try take(n), as: UTF8.self)))
      case 0x55, 0x54:  // SHORT_BINSTRING, BINSTRING
        let n = try uint(op == 0x55 ? 1 : 4)
        try push(.string(String(decoding: try take(n), as: UTF8.self)))
      case 0x43, 0x42:  // SHORT_BINBYTES, BINBYTES
        let n = try uint(op == 0x43 ? 1 : 4)
        try push(.bytes(Array(try take(n))))
      case 0x71, 0x72, 0x94:  // BINPUT, LONG_BINPUT, MEMOIZE
        let i = op == 0x94 ? memo.count : try uint(op == 0x71 ? 1 : 4)
        guard let v = stack.last, let d = depths.last else { throw fail("memo of an empty stack", at: at) }
        memo[i] = (v, d)
      case 0x68, 0x6a:  // BINGET, LONG_BINGET
        let i = try uint(op == 0x68 ? 1 : 4)
        guard let (v, d) = memo[i] else { throw fail("memo entry \(i) used before it was set", at: at) }
        try push(v, depth: d)
      case 0x74: let (items, d) = try popMark(); try push(.tuple(items), depth: d + 1)  // TUPLE
      case 0x85: let (a, da) = try popWithDepth(); try push(.tuple([a]), depth: da + 1)
      case 0x86: let (b, db) = try popWithDepth(), (a, da) = try popWithDepth(); try push(.tuple([a, b]), depth: max(da, db) + 1)
      case 0x87:
        let (c, dc) = try popWithDepth(), (b, db) = try popWithDepth(), (a, da) = try popWithDepth()
        try push(.tuple([a, b, c]), depth: max(da, db, dc) + 1)
      case 0x6c: let (items, d) = try popMark(); try push(.list(items), depth: d + 1)  // LIST
      case 0x61:  // APPEND
        let (v, dv) = try popWithDepth()
        let (target, dl) = try popWithDepth()
        guard case .list(var l) = target else { throw fail("APPEND to a non-list", at: at) }
        try charge(l.count + 1)
        l.append(v); try push(.list(l), depth: max(dl, dv + 1))
      case 0x65:  // APPENDS
        let (items, di) = try popMark()
        let (target, dl) = try popWithDepth()
        guard case .list(var l) = target else { throw fail("APPENDS to a non-list", at: at) }
        try charge(l.count + items.count)
        l += items; try push(.list(l), depth: max(dl, di + 1))
      case 0x73:  // SETITEM
        let (v, dv) = try popWithDepth(), (k, dk) = try popWithDepth()
        let (target, dd) = try popWithDepth()
        guard case .dict(var d) = target else { throw fail("SETITEM on a non-dict", at: at) }
        try charge(d.count + 1)
        d.append((k, v)); try push(.dict(d), depth: max(dd, dv + 1, dk + 1))
      case 0x75:  // SETITEMS
        let (items, di) = try popMark()
        let (target, dd) = try popWithDepth()
        guard items.count % 2 == 0, case .dict(var d) = target else { throw fail("SETITEMS on a non-dict", at: at) }
        try charge(d.count + items.count)
        for i in stride(from: 0, to: items.count, by: 2) { d.append((items[i], items[i + 1])) }
        try push(.dict(d), depth: max(dd, di + 1))
      case 0x63:  // GLOBAL "module\nname\n"
        let module = try line(), n = try line()
        try push(try global(module, n, at: at))
      case 0x93:  // STACK_GLOBAL
        guard case .string(let n) = try pop(), case .string(let module) = try pop() else { throw fail("STACK_GLOBAL without names", at: at) }
        try push(try global(module, n, at: at))
      case 0x51:  // BINPERSID: ('storage', StorageType, key, location, numel)
        guard case .tuple(let t) = try pop(), t.count >= 3, case .string("storage") = t[0], case .global(_, let type) = t[1],
          case .string(let key) = t[2], let dtype = Self.storageTypes[type]
        else { throw fail("persistent id that is not a float tensor storage", at: at) }
        try push(.storage(key: key, dtype: dtype))
      case 0x52:  // REDUCE
        let args = try pop(), callable = try pop()
        let result = try reduce(callable, args, at: at)
        if case .dict = result { try push(result, depth: 1) } else { try push(result) }
      case 0x62:  // BUILD: object state (the state dict's `_metadata`) is dropped
        _ = try pop()
      default:
        throw fail(String(format: "pickle opcode 0x%02x is outside the state-dict subset", op), at: at)
      }
    }
  }

  func global(_ module: String, _ n: String, at: Int) throws -> PickleValue {
    if module == "torch", Self.storageTypes[n] != nil { return .global(module, n) }
    guard Self.allowedGlobals.contains(module + "." + n) else {
      if module == "torch", n.hasSuffix("Storage") { throw fail("tensor storage type torch.\(n) (only float types are read)", at: at) }
      throw fail("refused global '\(module).\(n)'", at: at)
    }
    return .global(module, n)
  }

  func reduce(_ callable: PickleValue, _ args: PickleValue, at: Int) throws -> PickleValue {
    guard case .global(let module, let n) = callable, case .tuple(let a) = args else { throw fail("REDUCE of a non-global", at: at) }
    switch module + "." + n {
    case "collections.OrderedDict", "builtins.dict":
      return .dict([])
    case "torch._utils._rebuild_tensor_v2":
      guard a.count >= 4, case .storage(let key, let dtype) = a[0], case .int(let offset) = a[1],
        case .tuple(let sizeValues) = a[2], case .tuple(let strideValues) = a[3]
      else { throw fail("malformed _rebuild_tensor_v2 arguments", at: at) }
      let size = try sizeValues.map { v -> Int in guard case .int(let i) = v else { throw fail("non-integer tensor size", at: at) }; return i }
      let strides = try strideValues.map { v -> Int in guard case .int(let i) = v else { throw fail("non-integer tensor stride", at: at) }; return i }
      return .tensor(TensorRef(storageKey: key, dtype: dtype, offset: offset, size: size, stride: strides))
    case "torch._utils._rebuild_parameter":
      guard let first = a.first, case .tensor = first else { throw fail("malformed _rebuild_parameter arguments", at: at) }
      return first
    default:
      throw fail("refused call of '\(module).\(n)'", at: at)
    }
  }
}

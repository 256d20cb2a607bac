import Foundation

/// A small JSON reader for reference fixtures. Foundation's JSONSerialization does not round
/// every decimal to the nearest Double on Linux; parity tests need exact values, so numbers here
/// go through `Double(String)` (correctly rounded).
public indirect enum JSON: Equatable {
  case null, bool(Bool), number(Double), string(String), array([JSON]), object([String: JSON])

  public static func parse(file: String) throws -> JSON {
    let data = try Data(contentsOf: URL(fileURLWithPath: file))
    var p = JSONParser(bytes: [UInt8](data))
    return try p.value()
  }

  public subscript(key: String) -> JSON {
    guard case .object(let o) = self, let v = o[key] else { fatalError("no key \(key)") }
    return v
  }
  public subscript(i: Int) -> JSON {
    guard case .array(let a) = self else { fatalError("not an array") }
    return a[i]
  }
  public var array: [JSON] {
    guard case .array(let a) = self else { fatalError("not an array: \(self)") }
    return a
  }
  public var object: [String: JSON] {
    guard case .object(let o) = self else { fatalError("not an object") }
    return o
  }
  public var double: Double {
    guard case .number(let d) = self else { fatalError("not a number: \(self)") }
    return d
  }
  public var int: Int { Int(double) }
  public var string: String {
    guard case .string(let s) = self else { fatalError("not a string") }
    return s
  }
  public var doubles: [Double] { array.map(\.double) }
  public var ints: [Int] { array.map(\.int) }
  public var strings: [String] { array.map(\.string) }
}

struct JSONParser {
  let bytes: [UInt8]
  var i = 0
  struct Failure: Error { let offset: Int }

  init(bytes: [UInt8]) { self.bytes = bytes }

  mutating func skip() { while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 } }

  mutating func value() throws -> JSON {
    skip()
    guard i < bytes.count else { throw Failure(offset: i) }
    switch bytes[i] {
    case UInt8(ascii: "{"):
      i += 1
      var o: [String: JSON] = [:]
      skip()
      if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
      while true {
        skip()
        guard case .string(let k) = try value() else { throw Failure(offset: i) }
        skip(); i += 1  // ':'
        o[k] = try value()
        skip()
        if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
        i += 1
        return .object(o)
      }
    case UInt8(ascii: "["):
      i += 1
      var a: [JSON] = []
      skip()
      if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
      while true {
        a.append(try value())
        skip()
        if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
        i += 1
        return .array(a)
      }
    case UInt8(ascii: "\""):
      i += 1
      var s = [UInt8]()
      while bytes[i] != UInt8(ascii: "\"") {
        if bytes[i] == UInt8(ascii: "\\") {
          i += 1
          switch bytes[i] {
          case UInt8(ascii: "n"): s.append(0x0A)
          case UInt8(ascii: "t"): s.append(0x09)
          case UInt8(ascii: "u"):
            let hex = String(decoding: bytes[(i + 1)...(i + 4)], as: UTF8.self)
            s.append(contentsOf: Array(String(Character(Unicode.Scalar(UInt32(hex, radix: 16)!)!)).utf8))
            i += 4
          default: s.append(bytes[i])
          }
        } else { s.append(bytes[i]) }
        i += 1
      }
      i += 1
      return .string(String(decoding: s, as: UTF8.self))
    case UInt8(ascii: "t"): i += 4; return .bool(true)
    case UInt8(ascii: "f"): i += 5; return .bool(false)
    case UInt8(ascii: "n"): i += 4; return .null
    case UInt8(ascii: "N"): i += 3; return .number(.nan)
    default:
      let start = i
      while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
      guard let d = Double(String(decoding: bytes[start..<i], as: UTF8.self)) else { throw Failure(offset: start) }
      return .number(d)
    }
  }
}

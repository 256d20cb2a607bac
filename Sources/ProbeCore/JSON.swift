/// JSON string literal.
public func jsonString(_ s: String) -> String {
  var out = "\""
  for c in s.unicodeScalars {
    switch c {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    default:
      if c.value < 0x20 { out += String(format4: c.value) } else { out.unicodeScalars.append(c) }
    }
  }
  return out + "\""
}

extension String {
  fileprivate init(format4 v: UInt32) {
    let hex = String(v, radix: 16)
    self = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
  }
}


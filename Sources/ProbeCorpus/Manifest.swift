import Foundation
import ProbeCore

/// A parsed CSV manifest: one row per utterance with `path`, `speaker`, `emotion` and any
/// other columns.
public struct Manifest: Sendable {
  public struct Row: Sendable {
    /// 1-based line number in the file (for messages).
    public var line: Int
    public var path: String
    public var labels: UtteranceLabels
  }
  public var rows: [Row]
  /// Labels that were not one of the normalised emotions (kept lower-cased), for a warning.
  public var unknownLabels: [String]
}

/// Why a manifest could not be read; every case names the file and, where it applies, the line.
public struct ManifestError: Error, CustomStringConvertible, Equatable {
  public let path: String
  public let line: Int?
  public let message: String
  public var description: String { "'\(path)'\(line.map { " line \($0)" } ?? ""): \(message)" }
}

public enum ManifestReader {
  public static let requiredColumns = ["path", "speaker", "emotion"]
  static let knownColumns: Set<String> = ["path", "speaker", "emotion", "intensity", "statement", "repetition", "gender"]

  /// Read and validate a manifest file.
  public static func read(path: String) throws -> Manifest {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ManifestError(path: path, line: nil, message: "cannot read the file")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      let bytes = [UInt8](data)
      throw ManifestError(path: path, line: firstInvalidUTF8Line(bytes), message: "is not valid UTF-8")
    }
    let records = try CSV.parse(text, path: path)
    guard let header = records.first else { throw ManifestError(path: path, line: nil, message: "is empty: a header line with path, speaker, emotion is needed") }
    let names = header.fields.map { $0.trimmedSpaces.lowercased() }
    let missing = requiredColumns.filter { !names.contains($0) }
    if !missing.isEmpty {
      throw ManifestError(
        path: path, line: 1,
        message: "lacks the required column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")) (header: \(header.fields.joined(separator: ",")))")
    }
    var dup: Set<String> = []
    for n in names where !n.isEmpty { if !dup.insert(n).inserted { throw ManifestError(path: path, line: 1, message: "names column '\(n)' twice") } }
    let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    var rows: [Manifest.Row] = []
    var unknown: Set<String> = []
    var seenPaths: [String: Int] = [:]
    for rec in records.dropFirst() {
      if rec.fields.count == 1 && rec.fields[0].trimmedSpaces.isEmpty { continue }
      guard rec.fields.count == names.count else {
        throw ManifestError(path: path, line: rec.line, message: "has \(rec.fields.count) fields, the header has \(names.count)")
      }
      func field(_ n: String) -> String? {
        guard let i = index[n] else { return nil }
        let v = rec.fields[i].trimmedSpaces
        return v.isEmpty ? nil : v
      }
      guard let p = field("path") else { throw ManifestError(path: path, line: rec.line, message: "has an empty path") }
      if let prev = seenPaths[p] { throw ManifestError(path: path, line: rec.line, message: "lists '\(p)' again (first on line \(prev))") }
      seenPaths[p] = rec.line
      var l = UtteranceLabels()
      l.speaker = field("speaker")
      if let e = field("emotion") {
        l.label = e
        if let n = Emotion.normalise(e) { l.emotion = n } else {
          l.emotion = e.lowercased()
          unknown.insert(e.lowercased())
        }
      }
      l.intensity = field("intensity")
      l.statement = field("statement")
      l.repetition = field("repetition")
      l.gender = field("gender")
      for (i, n) in names.enumerated() where !knownColumns.contains(n) && !n.isEmpty {
        l.extra[n] = rec.fields[i]
      }
      rows.append(Manifest.Row(line: rec.line, path: p, labels: l))
    }
    return Manifest(rows: rows, unknownLabels: unknown.sorted())
  }

  static func firstInvalidUTF8Line(_ bytes: [UInt8]) -> Int {
    var line = 1
    var start = 0
    for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x0A {
      if String(bytes: bytes[start..<i], encoding: .utf8) == nil { return line }
      line += 1
      start = i + 1
    }
    return line
  }
}

/// RFC 4180 CSV: quoted fields with doubled quotes, CRLF or LF line ends.
public enum CSV {
  public struct Record: Sendable {
    public var line: Int
    public var fields: [String]
  }

  /// Parsed on UTF-8 bytes (every delimiter is ASCII, so multi-byte characters pass through
  /// untouched inside fields).
  public static func parse(_ text: String, path: String) throws -> [Record] {
    var text = text
    return try text.withUTF8 { bytes -> [Record] in
      var records: [Record] = []
      var fields: [String] = []
      // A field is read straight from the bytes between its delimiters; one with a quoted part
      // is built in `field` instead (`quoted`), undoubling its quotes.
      var field: [UInt8] = []
      var quoted = false
      var inQuotes = false
      var line = 1
      var recordLine = 1
      var quoteLine = 1
      let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
      var i = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0  // byte-order mark
      let n = bytes.count
      var start = i  // where the current field began
      func take(_ end: Int) -> String {
        guard quoted else { return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) }
        let s = String(decoding: field, as: UTF8.self)
        field.removeAll(keepingCapacity: true)
        quoted = false
        return s
      }
      while i < n {
        let c = bytes[i]
        if inQuotes {
          if c == quote {
            if i + 1 < n && bytes[i + 1] == quote { field.append(quote); i += 1 } else { inQuotes = false }
          } else {
            if c == lf { line += 1 }
            field.append(c)
          }
        } else if c == quote && (quoted ? field.isEmpty : i == start) {
          quoted = true
          inQuotes = true
          quoteLine = line
        } else if c == comma {
          fields.append(take(i))
          start = i + 1
        } else if c == lf || c == cr {
          let end = i
          if c == cr && i + 1 < n && bytes[i + 1] == lf { i += 1 }
          fields.append(take(end))
          start = i + 1
          records.append(Record(line: recordLine, fields: fields))
          fields = []
          line += 1
          recordLine = line
        } else if quoted {
          field.append(c)
        }
        i += 1
      }
      if inQuotes { throw ManifestError(path: path, line: quoteLine, message: "has a quoted field that is never closed") }
      if (quoted ? !field.isEmpty : start < n) || !fields.isEmpty {
        fields.append(take(n))
        records.append(Record(line: recordLine, fields: fields))
      }
      return records
    }
  }
}

import Foundation
import ProbeCore

/// A numeric matrix read from a file (row-major).
public struct NumericMatrix: Sendable {
  /// Rows per layer (for a 3-D array: its second axis).
  public var rows: Int
  public var cols: Int
  /// Layers (the first axis of a 3-D array, e.g. stacked hidden states); 1 for a matrix.
  public var layers: Int = 1
  /// Layer-major values: layer ℓ, row i, column j at `(ℓ·rows + i)·cols + j`.
  public var values: [Double]
  /// `float32` or `float64`: what the file stored (CSV counts as float64).
  public var dtype: String
}

/// Why a matrix or table file cannot be read; names the file and the place.
public struct MatrixFileError: Error, CustomStringConvertible, Equatable {
  public let path: String
  public let message: String
  public var description: String { "'\(path)': \(message)" }
}

/// Reader for NumPy `.npy` files: version 1–3, little- or big-endian float32/float64, C order,
/// 2-D (utterances × dimensions; a 1-D array is one row) or 3-D (layers × utterances ×
/// dimensions, e.g. every hidden state's pooled vectors stacked). Never executes anything (no
/// pickles).
public enum NPYReader {
  public static func read(path: String) throws -> NumericMatrix {
    guard let data = FileManager.default.contents(atPath: path) else { throw MatrixFileError(path: path, message: "cannot read the file") }
    let b = [UInt8](data)
    func fail(_ m: String) -> MatrixFileError { MatrixFileError(path: path, message: m) }
    guard b.count >= 10, b[0] == 0x93, Array(b[1...5]) == Array("NUMPY".utf8) else { throw fail("not a .npy file (no \\x93NUMPY magic)") }
    let major = b[6]
    let headerLen: Int
    let headerStart: Int
    switch major {
    case 1:
      headerLen = Int(b[8]) | Int(b[9]) << 8
      headerStart = 10
    case 2, 3:
      guard b.count >= 12 else { throw fail("truncated header") }
      headerLen = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
      headerStart = 12
    default: throw fail("unsupported .npy version \(major)")
    }
    guard b.count >= headerStart + headerLen else { throw fail("truncated header") }
    guard let header = String(bytes: b[headerStart..<(headerStart + headerLen)], encoding: major == 3 ? .utf8 : .isoLatin1) else { throw fail("unreadable header") }
    func field(_ key: String) -> String? {
      guard let r = header.range(of: "'\(key)':") else { return nil }
      return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
    }
    guard let descrField = field("descr"), descrField.hasPrefix("'"), let close = descrField.dropFirst().firstIndex(of: "'") else {
      throw fail("header has no dtype ('descr')")
    }
    let descr = String(descrField[descrField.index(after: descrField.startIndex)..<close])
    guard let fortran = field("fortran_order") else { throw fail("header has no 'fortran_order'") }
    if fortran.hasPrefix("True") { throw fail("Fortran-ordered arrays are not supported; save with np.ascontiguousarray(x)") }
    guard let shapeField = field("shape"), shapeField.hasPrefix("("), let end = shapeField.firstIndex(of: ")") else { throw fail("header has no 'shape'") }
    let dims = shapeField[shapeField.index(after: shapeField.startIndex)..<end].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let (layers, rows, cols): (Int, Int, Int)
    switch dims.count {
    case 1: (layers, rows, cols) = (1, 1, dims[0])
    case 2: (layers, rows, cols) = (1, dims[0], dims[1])
    case 3: (layers, rows, cols) = (dims[0], dims[1], dims[2])
    default: throw fail("expected a 2-D (utterances × dimensions) or 3-D (layers × utterances × dimensions) array, the shape is (\(dims.map(String.init).joined(separator: ", ")))")
    }
    let size: Int
    let big: Bool
    switch descr {
    case "<f4", "|f4", "=f4": (size, big) = (4, false)
    case "<f8", "|f8", "=f8": (size, big) = (8, false)
    case ">f4": (size, big) = (4, true)
    case ">f8": (size, big) = (8, true)
    default: throw fail("dtype '\(descr)' is not supported; embeddings must be float32 or float64")
    }
    let start = headerStart + headerLen
    let count = layers * rows * cols
    let need = count * size
    guard b.count - start >= need else { throw fail("truncated: the header promises \(dims.map(String.init).joined(separator: "×")) values (\(need) bytes), the file holds \(b.count - start)") }
    var values = [Double](repeating: 0, count: count)
    b.withUnsafeBytes { raw in
      for i in 0..<count {
        let o = start + i * size
        if size == 4 {
          var bits = raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)
          bits = big ? bits.byteSwapped : bits
          values[i] = Double(Float(bitPattern: bits))
        } else {
          var bits = raw.loadUnaligned(fromByteOffset: o, as: UInt64.self)
          bits = big ? bits.byteSwapped : bits
          values[i] = Double(bitPattern: bits)
        }
      }
    }
    return NumericMatrix(rows: rows, cols: cols, layers: layers, values: values, dtype: size == 4 ? "float32" : "float64")
  }
}

/// A CSV file with a header: string columns by name and numeric columns parsed strictly.
public struct CSVTable: Sendable {
  public var header: [String]
  /// Data records with their 1-based line numbers.
  public var records: [(line: Int, fields: [String])]

  public static func read(path: String) throws -> CSVTable { try parse(contents(path: path), path: path) }

  /// The bytes of the file at `path`; an error naming it when it cannot be read.
  public static func contents(path: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else { throw MatrixFileError(path: path, message: "cannot read the file") }
    return data
  }

  /// The table in `data`, the contents of the file at `path` (named in errors).
  public static func parse(_ data: Data, path: String) throws -> CSVTable {
    guard let text = String(data: data, encoding: .utf8) else {
      throw MatrixFileError(path: path, message: "line \(ManifestReader.firstInvalidUTF8Line([UInt8](data))) is not valid UTF-8")
    }
    let recs: [CSV.Record]
    do { recs = try CSV.parse(text, path: path) } catch let e as ManifestError { throw MatrixFileError(path: path, message: "line \(e.line ?? 0) \(e.message)") }
    guard let head = recs.first else { throw MatrixFileError(path: path, message: "is empty") }
    var body: [(Int, [String])] = []
    for r in recs.dropFirst() {
      if r.fields.count == 1 && r.fields[0].trimmedSpaces.isEmpty { continue }
      guard r.fields.count == head.fields.count else {
        throw MatrixFileError(path: path, message: "line \(r.line) has \(r.fields.count) fields, the header has \(head.fields.count)")
      }
      body.append((r.line, r.fields))
    }
    return CSVTable(header: head.fields.map { $0.trimmedSpaces }, records: body)
  }

  /// Parse a numeric field: empty → nil; NaN, infinities and text are errors naming line and column.
  public static func number(_ field: String, line: Int, column: String, path: String) throws -> Double? {
    let t = field.trimmedSpaces
    if t.isEmpty { return nil }
    guard let d = Double(t) else { throw MatrixFileError(path: path, message: "line \(line), column '\(column)': '\(t)' is not a number") }
    guard d.isFinite else { throw MatrixFileError(path: path, message: "line \(line), column '\(column)': \(t) is not a finite number") }
    return d
  }
}

/// A numeric matrix from a CSV file: every column numeric; a first line that is not numeric is a
/// header and skipped.
public enum CSVMatrixReader {
  public static func read(path: String) throws -> NumericMatrix {
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
      throw MatrixFileError(path: path, message: "cannot read the file as UTF-8 text")
    }
    var recs: [CSV.Record]
    do { recs = try CSV.parse(text, path: path) } catch let e as ManifestError { throw MatrixFileError(path: path, message: "line \(e.line ?? 0) \(e.message)") }
    recs = recs.filter { !($0.fields.count == 1 && $0.fields[0].trimmedSpaces.isEmpty) }
    var keep: [Int]?
    if let first = recs.first, first.fields.contains(where: { Double($0.trimmedSpaces) == nil }) {
      // A header. Key columns (`path`, `layer`, as EXPORT writes them) are not part of the matrix.
      let names = first.fields.map { $0.trimmedSpaces.lowercased() }
      keep = names.indices.filter { !["path", "layer"].contains(names[$0]) }
      recs.removeFirst()
    }
    if let keep { recs = recs.map { r in CSV.Record(line: r.line, fields: keep.map { r.fields[$0] }) } }
    guard let cols = recs.first?.fields.count else { throw MatrixFileError(path: path, message: "holds no numeric rows") }
    var values: [Double] = []
    for r in recs {
      guard r.fields.count == cols else { throw MatrixFileError(path: path, message: "line \(r.line) has \(r.fields.count) values, line \(recs[0].line) has \(cols)") }
      for (j, f) in r.fields.enumerated() {
        guard let v = try CSVTable.number(f, line: r.line, column: "\(j + 1)", path: path) else {
          throw MatrixFileError(path: path, message: "line \(r.line), column \(j + 1) is empty")
        }
        values.append(v)
      }
    }
    return NumericMatrix(rows: recs.count, cols: cols, values: values, dtype: "float64")
  }
}

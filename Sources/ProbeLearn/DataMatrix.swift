import Dispatch
import ProbeCore
import ProbeNumerics

/// A dense row-major n×d matrix of Doubles: the rows are utterances, the columns features or
/// embedding dimensions.
public struct DataMatrix: Sendable, Equatable {
  public var rows: Int
  public var cols: Int
  public var values: [Double]

  public init(rows: Int, cols: Int, values: [Double]) {
    precondition(values.count == rows * cols, "DataMatrix \(rows)x\(cols) needs \(rows * cols) values, got \(values.count)")
    self.rows = rows
    self.cols = cols
    self.values = values
  }

  public subscript(r: Int, c: Int) -> Double { values[r * cols + c] }

  /// The listed rows, in the given order.
  public func rows(_ idx: [Int]) -> DataMatrix {
    var out = [Double]()
    out.reserveCapacity(idx.count * cols)
    for i in idx { out.append(contentsOf: values[(i * cols)..<((i + 1) * cols)]) }
    return DataMatrix(rows: idx.count, cols: cols, values: out)
  }

  /// The listed columns, in the given order.
  public func columns(_ idx: [Int]) -> DataMatrix {
    precondition(idx.allSatisfy { $0 >= 0 && $0 < cols }, "column index out of 0..<\(cols)")  // the copy below is unchecked
    let k = idx.count
    var out = [Double](repeating: 0, count: rows * k)
    values.withUnsafeBufferPointer { pv in
      idx.withUnsafeBufferPointer { pi in
        out.withUnsafeMutableBufferPointer { po in
          for r in 0..<rows {
            let src = pv.baseAddress! + r * cols, dst = po.baseAddress! + r * k
            for j in 0..<k { dst[j] = src[pi[j]] }
          }
        }
      }
    }
    return DataMatrix(rows: rows, cols: k, values: out)
  }

  /// Columns `range` (a contiguous block: one copy per row, as the top-k sweep takes prefixes).
  public func columns(_ range: Range<Int>) -> DataMatrix {
    precondition(range.lowerBound >= 0 && range.upperBound <= cols, "columns \(range) out of 0..<\(cols)")
    let k = range.count
    guard k > 0, rows > 0 else { return DataMatrix(rows: rows, cols: k, values: []) }
    let out = [Double](unsafeUninitializedCapacity: rows * k) { buffer, count in
      values.withUnsafeBufferPointer { pv in
        for r in 0..<rows {
          (buffer.baseAddress! + r * k).initialize(from: pv.baseAddress! + r * cols + range.lowerBound, count: k)
        }
      }
      count = rows * k
    }
    return DataMatrix(rows: rows, cols: k, values: out)
  }
}

/// Column standardisation with scikit-learn `StandardScaler` semantics: mean and population
/// standard deviation of the fitted rows; a zero-variance column gets scale 1.
public struct StandardScaler: Sendable, Equatable {
  public var mean: [Double]
  public var scale: [Double]

  /// Fitted on the rows of `x`: two passes (mean, then squared deviations) in NumPy's order, for
  /// the same rounding (`Linalg.columnMeansAndScales`).
  public init(fit x: DataMatrix) { self.init(fit: x, firstRows: x.rows) }

  /// Fitted on the first `firstRows` rows of `x` only (training rows stored ahead of others).
  public init(fit x: DataMatrix, firstRows n: Int) {
    precondition(n >= 0 && n <= x.rows)
    let d = x.cols
    var mean = [Double](repeating: 0, count: d)
    var scale = [Double](repeating: 1, count: d)
    if n > 0 && d > 0 {
      _ = x.values.withUnsafeBufferPointer { px in
        mean.withUnsafeMutableBufferPointer { pm in
          scale.withUnsafeMutableBufferPointer { ps in
            Linalg.columnMeansAndScales(px.baseAddress!, rows: n, cols: d, mean: pm.baseAddress!, scale: ps.baseAddress!)
          }
        }
      }
    }
    self.mean = mean
    self.scale = scale
  }

  /// `transform(x.rows(rows))` without gathering the rows first (the same numbers).
  public func transform(_ x: DataMatrix, rows: [Int]) -> DataMatrix {
    guard !rows.isEmpty, x.cols > 0 else { return x.rows(rows) }
    precondition(x.cols == mean.count, "scaler of \(mean.count) columns, data \(x.cols)")
    let index = rows.map { Int32($0) }
    let out = [Double](unsafeUninitializedCapacity: rows.count * x.cols) { buffer, count in
      x.values.withUnsafeBufferPointer { px in
        mean.withUnsafeBufferPointer { pm in
          scale.withUnsafeBufferPointer { ps in
            Linalg.standardize(px.baseAddress!, rows: index, cols: x.cols, mean: pm.baseAddress!, scale: ps.baseAddress!, into: buffer.baseAddress!, ld: x.cols)
          }
        }
      }
      count = rows.count * x.cols
    }
    return DataMatrix(rows: rows.count, cols: x.cols, values: out)
  }

  public func transform(_ x: DataMatrix) -> DataMatrix {
    guard x.rows > 0, x.cols > 0 else { return x }
    precondition(x.cols == mean.count, "scaler of \(mean.count) columns, data \(x.cols)")
    let out = [Double](unsafeUninitializedCapacity: x.values.count) { buffer, count in
      _ = x.values.withUnsafeBufferPointer { px in
        mean.withUnsafeBufferPointer { pm in
          scale.withUnsafeBufferPointer { ps in
            Linalg.standardize(px.baseAddress!, rows: x.rows, cols: x.cols, mean: pm.baseAddress!, scale: ps.baseAddress!, into: buffer.baseAddress!)
          }
        }
      }
      count = x.values.count
    }
    return DataMatrix(rows: x.rows, cols: x.cols, values: out)
  }
}

/// `speakerZScore` of the matrix whose row i is row `sourceRows[i]` of `source` (row-major,
/// `cols` wide), without forming that matrix first: each speaker's standardiser is fitted on its
/// rows where they lie in `source` and applied straight into the result — the same numbers —
/// speakers in parallel on every core.
public func speakerZScore(gathering sourceRows: [Int], from source: UnsafeBufferPointer<Double>, cols d: Int, speakers: [String]) -> DataMatrix {
  precondition(speakers.count == sourceRows.count)
  let n = sourceRows.count
  guard n > 0, d > 0 else { return DataMatrix(rows: n, cols: d, values: [Double](repeating: 0, count: n * d)) }
  precondition(sourceRows.allSatisfy { $0 >= 0 && ($0 + 1) * d <= source.count }, "source row out of range")
  var rowsOf: [String: [Int]] = [:]
  for (i, s) in speakers.enumerated() { rowsOf[s, default: []].append(i) }
  let groups = Array(rowsOf.values)
  let values = [Double](unsafeUninitializedCapacity: n * d) { out, count in
    let base = out.baseAddress!
    Parallel.forEach(groups.count) { g in
      let rows = groups[g]
      var mean = [Double](repeating: 0, count: d), scale = [Double](repeating: 1, count: d)
      mean.withUnsafeMutableBufferPointer { pm in
        scale.withUnsafeMutableBufferPointer { ps in
          Linalg.columnMeansAndScales(source.baseAddress!, rows: rows.map { Int32(sourceRows[$0]) }, cols: d, mean: pm.baseAddress!, scale: ps.baseAddress!)
          for i in rows {
            Linalg.standardize(source.baseAddress! + sourceRows[i] * d, rows: 1, cols: d, mean: pm.baseAddress!, scale: ps.baseAddress!, into: base + i * d)
          }
        }
      }
    }
    count = n * d  // every row belongs to exactly one speaker, so every row was written
  }
  return DataMatrix(rows: n, cols: d, values: values)
}

/// Per-speaker z-scoring: every column standardised over all rows of the same speaker
/// (population SD; zero variance → scale 1, so the column becomes 0 for that speaker).
public func speakerZScore(_ x: DataMatrix, speakers: [String]) -> DataMatrix {
  precondition(speakers.count == x.rows)
  var out = x.values
  var rowsOf: [String: [Int]] = [:]
  for (i, s) in speakers.enumerated() { rowsOf[s, default: []].append(i) }
  let d = x.cols
  out.withUnsafeMutableBufferPointer { po in
    for (_, rows) in rowsOf {
      let scaler = StandardScaler(fit: x.rows(rows))
      scaler.mean.withUnsafeBufferPointer { pm in
        scaler.scale.withUnsafeBufferPointer { ps in
          for i in rows {
            let row = po.baseAddress! + i * d
            Linalg.standardize(row, rows: 1, cols: d, mean: pm.baseAddress!, scale: ps.baseAddress!, into: row)
          }
        }
      }
    }
  }
  return DataMatrix(rows: x.rows, cols: x.cols, values: out)
}

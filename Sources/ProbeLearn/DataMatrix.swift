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
    var out = [Double](repeating: 0, count: rows * idx.count)
    for r in 0..<rows {
      let base = r * cols
      for (j, c) in idx.enumerated() { out[r * idx.count + j] = values[base + c] }
    }
    return DataMatrix(rows: rows, cols: idx.count, values: out)
  }
}

/// Column standardisation with scikit-learn `StandardScaler` semantics: mean and population
/// standard deviation of the fitted rows; a zero-variance column gets scale 1.
public struct StandardScaler: Sendable, Equatable {
  public var mean: [Double]
  public var scale: [Double]

  public init(fit x: DataMatrix) {
    let n = Double(x.rows)
    var mean = [Double](repeating: 0, count: x.cols)
    var scale = [Double](repeating: 0, count: x.cols)
    // Two passes (mean, then squared deviations) as NumPy does, for the same rounding.
    for r in 0..<x.rows { for c in 0..<x.cols { mean[c] += x.values[r * x.cols + c] } }
    for c in 0..<x.cols { mean[c] /= n }
    for r in 0..<x.rows {
      for c in 0..<x.cols {
        let d = x.values[r * x.cols + c] - mean[c]
        scale[c] += d * d
      }
    }
    for c in 0..<x.cols {
      let sd = (scale[c] / n).squareRoot()
      scale[c] = sd == 0 || !sd.isFinite ? 1 : sd
    }
    self.mean = mean
    self.scale = scale
  }

  public func transform(_ x: DataMatrix) -> DataMatrix {
    var out = x.values
    for r in 0..<x.rows {
      for c in 0..<x.cols { out[r * x.cols + c] = (out[r * x.cols + c] - mean[c]) / scale[c] }
    }
    return DataMatrix(rows: x.rows, cols: x.cols, values: out)
  }
}

/// Per-speaker z-scoring: every column standardised over all rows of the same speaker
/// (population SD; zero variance → scale 1, so the column becomes 0 for that speaker).
public func speakerZScore(_ x: DataMatrix, speakers: [String]) -> DataMatrix {
  precondition(speakers.count == x.rows)
  var out = x.values
  var rowsOf: [String: [Int]] = [:]
  for (i, s) in speakers.enumerated() { rowsOf[s, default: []].append(i) }
  for (_, rows) in rowsOf {
    let scaler = StandardScaler(fit: x.rows(rows))
    for i in rows {
      for c in 0..<x.cols { out[i * x.cols + c] = (x.values[i * x.cols + c] - scaler.mean[c]) / scaler.scale[c] }
    }
  }
  return DataMatrix(rows: x.rows, cols: x.cols, values: out)
}

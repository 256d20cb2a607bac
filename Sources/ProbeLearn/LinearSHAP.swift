/// Exact SHAP values of a linear model with an independent (interventional) background:
/// `φᵢⱼ = wⱼ · (zᵢⱼ − z̄ⱼ)`, z̄ the background mean — what `shap.LinearExplainer` computes with an
/// `Independent` masker. Importance of a column is the mean |φ| over the explained rows.
public enum LinearSHAP {
  /// SHAP values (rows × columns) of `explained` against the mean of `background`.
  public static func values(weights: [Double], explained: DataMatrix, background: DataMatrix) -> DataMatrix {
    let mean = StandardScaler(fit: background).mean
    var out = explained.values
    for r in 0..<explained.rows {
      for c in 0..<explained.cols { out[r * explained.cols + c] = weights[c] * (explained.values[r * explained.cols + c] - mean[c]) }
    }
    return DataMatrix(rows: explained.rows, cols: explained.cols, values: out)
  }

  /// The background's column means, as `StandardScaler(fit:)` computes them (each column summed
  /// in row order, then divided), without its second pass for the deviations.
  static func columnMeans(_ x: DataMatrix) -> [Double] {
    let d = x.cols
    var mean = [Double](repeating: 0, count: d)
    guard x.rows > 0 else { return mean }
    x.values.withUnsafeBufferPointer { px in
      mean.withUnsafeMutableBufferPointer { pm in
        for r in 0..<x.rows {
          let row = px.baseAddress! + r * d
          for c in 0..<d { pm[c] += row[c] }
        }
        for c in 0..<d { pm[c] /= Double(x.rows) }
      }
    }
    return mean
  }

  /// Mean |φ| per column: the sums of `values`' magnitudes, row by row, without forming them.
  public static func meanAbsolute(weights: [Double], explained: DataMatrix, background: DataMatrix) -> [Double] {
    let mean = columnMeans(background)
    let d = explained.cols
    var imp = [Double](repeating: 0, count: d)
    explained.values.withUnsafeBufferPointer { px in
      weights.withUnsafeBufferPointer { pw in
        mean.withUnsafeBufferPointer { pm in
          imp.withUnsafeMutableBufferPointer { pi in
            for r in 0..<explained.rows {
              let row = px.baseAddress! + r * d
              for c in 0..<d { pi[c] += abs(pw[c] * (row[c] - pm[c])) }
            }
          }
        }
      }
    }
    return imp.map { $0 / Double(explained.rows) }
  }

  /// Column indices by decreasing importance; ties keep the lower index first (stable), NaN last.
  public static func ranking(_ importance: [Double]) -> [Int] {
    importance.indices.sorted { a, b in
      let x = importance[a], y = importance[b]
      if x.isNaN != y.isNaN { return y.isNaN }
      if x != y && !x.isNaN { return x > y }
      return a < b
    }
  }
}

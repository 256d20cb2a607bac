/// Classification and regression metrics, computed as scikit-learn does (same formulas, same
/// order of floating-point operations where it matters for exact equality).
public enum Metrics {
  /// Binary F1 of class 1: `2·tp / (true₁ + pred₁)`; 0 when both are 0 (zero_division = 0).
  public static func binaryF1(_ truth: [Int], _ pred: [Int], positive: Int = 1) -> Double {
    var tp = 0, t = 0, p = 0
    for (a, b) in zip(truth, pred) {
      if a == positive { t += 1 }
      if b == positive { p += 1 }
      if a == positive && b == positive { tp += 1 }
    }
    let denom = Double(t) + Double(p)
    return denom == 0 ? 0 : 2 * Double(tp) / denom
  }

  public static func accuracy(_ truth: [Int], _ pred: [Int]) -> Double {
    guard !truth.isEmpty else { return 0 }
    return Double(zip(truth, pred).filter { $0 == $1 }.count) / Double(truth.count)
  }

  /// Unweighted mean of the per-class F1 over the classes present in truth or prediction.
  public static func macroF1(_ truth: [Int], _ pred: [Int]) -> Double {
    let classes = Set(truth).union(pred).sorted()
    guard !classes.isEmpty else { return 0 }
    return classes.map { binaryF1(truth, pred, positive: $0) }.reduce(0, +) / Double(classes.count)
  }

  /// Balanced accuracy (unweighted average recall, UAR) over the classes present in truth.
  public static func balancedAccuracy(_ truth: [Int], _ pred: [Int]) -> Double {
    let classes = Set(truth).sorted()
    guard !classes.isEmpty else { return 0 }
    var sum = 0.0
    for c in classes {
      let rows = truth.indices.filter { truth[$0] == c }
      sum += Double(rows.filter { pred[$0] == c }.count) / Double(rows.count)
    }
    return sum / Double(classes.count)
  }

  public static func rmse(_ truth: [Double], _ pred: [Double]) -> Double {
    guard !truth.isEmpty else { return .nan }
    var s = 0.0
    for (a, b) in zip(truth, pred) { s += (a - b) * (a - b) }
    return (s / Double(truth.count)).squareRoot()
  }

  /// Coefficient of determination `1 − SS_res / SS_tot` (−∞/NaN when the truth is constant).
  public static func r2(_ truth: [Double], _ pred: [Double]) -> Double {
    let mean = truth.reduce(0, +) / Double(truth.count)
    var res = 0.0, tot = 0.0
    for (a, b) in zip(truth, pred) {
      res += (a - b) * (a - b)
      tot += (a - mean) * (a - mean)
    }
    return 1 - res / tot
  }

  public static func pearson(_ a: [Double], _ b: [Double]) -> Double {
    let n = Double(a.count)
    let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for (x, y) in zip(a, b) {
      sab += (x - ma) * (y - mb)
      saa += (x - ma) * (x - ma)
      sbb += (y - mb) * (y - mb)
    }
    return sab / (saa * sbb).squareRoot()
  }

  /// Mean as NumPy computes a short 1-D mean: sequential sum, then one division.
  public static func mean(_ v: [Double]) -> Double {
    var s = 0.0
    for x in v { s += x }
    return s / Double(v.count)
  }
}

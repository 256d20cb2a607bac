import Foundation

/// Smoothing and functionals of eGeMAPSv02 (`../shared/docs/egemaps-spec.md` §2.10, §3).
public enum Functionals {
  /// `sma3`: 3-frame moving average, the missing neighbour at either end replaced by the end value.
  public static func sma3(_ x: [Double]) -> [Double] {
    guard !x.isEmpty else { return [] }
    let n = x.count
    return (0..<n).map { (t: Int) -> Double in
      let left: Double = x[max(t - 1, 0)], right: Double = x[min(t + 1, n - 1)]
      return (left + x[t] + right) / 3
    }
  }

  /// `sma3nz`: zeros stay zero; otherwise the mean of the non-zero values among the frame and its
  /// two neighbours (edge values replicated).
  public static func sma3nz(_ x: [Double]) -> [Double] {
    guard !x.isEmpty else { return [] }
    let n = x.count
    return (0..<n).map { t in
      if x[t] == 0 { return 0 }
      let v = [x[max(t - 1, 0)], x[t], x[min(t + 1, n - 1)]].filter { $0 != 0 }
      return v.reduce(0, +) / Double(v.count)
    }
  }

  public static func mean(_ c: [Double]) -> Double { c.isEmpty ? 0 : c.reduce(0, +) / Double(c.count) }

  /// σ/μ with the population σ and the signed mean; 0 when the variance is 0; σ when μ is 0.
  public static func stddevNorm(_ c: [Double]) -> Double {
    guard !c.isEmpty else { return 0 }
    let m = mean(c)
    let v = c.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(c.count)
    if v == 0 { return 0 }
    let s = v.squareRoot()
    return m == 0 ? s : s / m
  }

  /// Linear-interpolation percentile (NumPy's default), p in 0…1.
  public static func percentile(_ c: [Double], _ p: Double) -> Double {
    guard !c.isEmpty else { return 0 }
    let s = c.sorted()
    let idx = p * Double(s.count - 1)
    let lo = Int(idx.rounded(.down)), hi = Int(idx.rounded(.up))
    return s[lo] + (s[hi] - s[lo]) * (idx - Double(lo))
  }

  /// openSMILE's "Peaks2" on a contour: number of peaks and rising/falling slope statistics
  /// (mean and standard deviation), with frame period `period` seconds.
  public struct PeakStatistics: Equatable {
    public var peaks = 0
    public var meanRising = 0.0, sdRising = 0.0, meanFalling = 0.0, sdFalling = 0.0
  }

  public static func peaks(_ c: [Double], period: Double = 0.01) -> PeakStatistics {
    var out = PeakStatistics()
    let n = c.count
    guard n > 0 else { return out }
    let theta = 0.1 * ((c.max() ?? 0) - (c.min() ?? 0))
    func small(_ d: Double) -> Bool { d < theta }
    enum Kind { case max, min }
    struct E {
      var kind: Kind
      var value: Double
      var position: Int
      var deleted = false
    }
    // 1. Candidates.
    var list: [E] = []
    if n >= 5 {
      for i in 2...(n - 3) {
        if c[i] > c[i - 1] && c[i] > c[i + 1] { list.append(E(kind: .max, value: c[i], position: i)) }
        else if c[i] < c[i - 1] && c[i] < c[i + 1] { list.append(E(kind: .min, value: c[i], position: i)) }
      }
    }
    // 2. Pass 1.
    var prev = c[0], lastMin = c[0], lastMax = c[0]
    var afterMin = false
    var keptMax: Int?
    for i in list.indices {
      let v = list[i].value
      switch list[i].kind {
      case .max:
        if small(abs(v - prev)) {
          if small(v - lastMin) {
            list[i].deleted = true
          } else {
            if v > 1.05 * lastMax {
              if let k = keptMax { list[k].deleted = true }
              lastMax = v
              keptMax = i
            } else if afterMin {
              lastMax = v
              keptMax = i
            } else {
              list[i].deleted = true
            }
            afterMin = false
          }
        } else {
          afterMin = false
          lastMax = v
          keptMax = i
        }
      case .min:
        if !small(abs(v - prev)) {
          afterMin = true
          lastMin = v
        }
      }
      prev = v
    }
    list.removeAll(where: \.deleted)
    // 3. Pass 2.
    lastMax = c[0]
    for i in list.indices {
      switch list[i].kind {
      case .min: if small(lastMax - list[i].value) { list[i].deleted = true }
      case .max: lastMax = list[i].value
      }
    }
    list.removeAll(where: \.deleted)
    // 4. Pass 3: alternation.
    var initial = true, inMin = false
    var acceptedMin: Int?, acceptedMax: Int?
    lastMin = 0
    lastMax = 0
    for i in list.indices {
      let v = list[i].value
      switch list[i].kind {
      case .min:
        if !inMin || initial {
          lastMin = v
          acceptedMin = i
          inMin = true
          initial = false
        } else if v >= lastMin {
          list[i].deleted = true
        } else {
          if let a = acceptedMin { list[a].deleted = true }
          lastMin = v
          acceptedMin = i
        }
      case .max:
        if inMin || initial {
          lastMax = v
          acceptedMax = i
          inMin = false
          initial = false
        } else if v <= lastMax {
          list[i].deleted = true
        } else {
          if let a = acceptedMax { list[a].deleted = true }
          lastMax = v
          acceptedMax = i
        }
      }
    }
    list.removeAll(where: \.deleted)
    out.peaks = list.filter { $0.kind == .max }.count
    // 6. Slopes.
    var rising: [Double] = [], falling: [Double] = []
    var lMax = c[0], lMin = c[0]
    var posMax = 0, posMin = 0
    var lastType: Kind?
    for e in list {
      switch e.kind {
      case .min:
        lMin = e.value
        posMin = e.position
        if e.position > posMax { falling.append((lMax - lMin) / (Double(e.position - posMax) * period)) }
        lastType = .min
      case .max:
        lMax = e.value
        posMax = e.position
        if e.position > posMin { rising.append((lMax - lMin) / (Double(e.position - posMin) * period)) }
        lastType = .max
      }
    }
    let walkRising = rising, walkFalling = falling
    if lastType == .max && n - 1 > posMax {
      falling.append((c[n - 1] - lMax) / (Double(n - 1 - posMax) * period))
    } else if lastType == .min && n - 1 > posMin {
      rising.append((c[n - 1] - lMin) / (Double(n - 1 - posMin) * period))
    } else if list.isEmpty {
      let s = (c[n - 1] - c[0]) / Double(n)
      if s > 0 { rising.append(s) } else if s < 0 { falling.append(s) }
    }
    func stats(_ all: [Double], _ walk: [Double]) -> (Double, Double) {
      guard !all.isEmpty else { return (0, 0) }
      let m = all.reduce(0, +) / Double(all.count)
      let ss = walk.reduce(0) { $0 + ($1 - m) * ($1 - m) }
      let v = all.count > 1 ? ss / Double(all.count) : ss
      return (m, v > 0 ? v.squareRoot() : 0)
    }
    (out.meanRising, out.sdRising) = stats(rising, walkRising)
    (out.meanFalling, out.sdFalling) = stats(falling, walkFalling)
    return out
  }
}

import Foundation

/// Harmonic features of one 60-ms frame (spec §2.8): HNR from the ACF of the power spectrum,
/// harmonic levels relative to the F0 peak, H1−H2, H1−A3 and the formant amplitudes.
struct HarmonicFeatures {
  /// cos(2π·j/N) for j = 0…N−1 (the ACF's cos(2π·b·m/N) = table[(b·m) mod N]), cached per N.
  nonisolated(unsafe) static var cosineCache: [Int: [Double]] = [:]
  static let cacheLock = NSLock()
  static func cosines(_ n: Int) -> [Double] {
    cacheLock.lock()
    defer { cacheLock.unlock() }
    if let t = cosineCache[n] { return t }
    let t = (0..<n).map { cos(2 * Double.pi * Double($0) / Double(n)) }
    cosineCache[n] = t
    return t
  }

  var hnr = 0.0
  var h1h2 = 0.0
  var h1a3 = 0.0
  var amplitudes = [-201.0, -201.0, -201.0]

  /// `magnitude`: |X| bins 0…N/2 of the Gaussian-windowed frame; `binHz`: bin spacing;
  /// `f0`: gated F0 (0 = unvoiced); `formants`: F1…F5 of the paired 20-ms frame (ungated).
  static func compute(magnitude: [Double], fftSize n: Int, binHz: Double, f0: Double, formants: [Double]) -> HarmonicFeatures {
    var out = HarmonicFeatures()
    guard f0 > 0 else { return out }
    let nB = magnitude.count
    let freq = { (b: Int) in Double(b) * binHz }
    // HNR: autocorrelation from the power spectrum.
    let p = magnitude.map { $0 * $0 }
    let cosTable = HarmonicFeatures.cosines(n)
    func acf(_ m: Int) -> Double {
      var s = (p[0] + (m % 2 == 0 ? 1 : -1) * p[n / 2]) / 2
      var idx = 0
      for b in 1..<(n / 2) {
        idx += m
        if idx >= n { idx %= n }
        s += p[b] * cosTable[idx]
      }
      return abs(s) / Double(nB)
    }
    let lag0 = Int((2 * freq(nB - 1) / f0).rounded(.down))
    var r = [Double?](repeating: nil, count: nB)
    func R(_ m: Int) -> Double {
      if let v = r[m] { return v }
      let v = acf(m)
      r[m] = v
      return v
    }
    func isPeak(_ m: Int) -> Bool { m > 0 && m < nB - 1 && R(m) > R(m - 1) && R(m) > R(m + 1) }
    var lag = -1
    if lag0 > 0 && lag0 < nB - 1 && isPeak(lag0) { lag = lag0 } else {
      var o = 1
      while lag < 0 && (lag0 - o > 0 || lag0 + o < nB - 1) {
        if lag0 - o > 0 && isPeak(lag0 - o) { lag = lag0 - o } else if lag0 + o < nB - 1 && isPeak(lag0 + o) { lag = lag0 + o }
        o += 1
      }
      if lag < 0 { lag = R(0) >= R(nB - 1) ? 0 : nB - 1 }
    }
    if lag > 0 {
      let den = R(0) - R(lag)
      var h = den == 0 ? 10e10 : R(lag) / den
      h = min(max(h, 1e-9), 1e11)
      out.hnr = 10 * log10(h)
    }
    // Harmonic peaks.
    func nearest(_ f: Double, from: Int) -> Int {
      // The first bin from `from` upward with a frequency above f (computed, then corrected
      // against rounding).
      var b = max(from, 0, f >= 0 ? Int((f / binHz).rounded(.down)) + 1 : 0)
      while b > max(from, 0) && freq(b - 1) > f { b -= 1 }
      while b < nB && freq(b) <= f { b += 1 }
      if b >= nB || b == 0 { return 0 }
      return freq(b) - f > f - freq(b - 1) ? b - 1 : b
    }
    func peak(_ b: Int) -> Bool {
      if b == 0 { return nB > 1 && magnitude[0] > magnitude[1] }
      if b == nB - 1 { return magnitude[b] > magnitude[b - 1] }
      return magnitude[b] > magnitude[b - 1] && magnitude[b] > magnitude[b + 1]
    }
    var last = nearest(0.5 * f0, from: 1)
    let first = nearest(0.5 * f0, from: last)
    var mag = [Double](repeating: 0, count: 100), mi = mag, fi = mag
    var bins = [Int](repeating: -1, count: 100)
    var sameBin = [Bool](repeating: false, count: 100)
    var lrel = [Double](repeating: -201, count: 100)
    for i in 0..<100 {
      let c = nearest(Double(i + 1) * f0, from: last)
      var found = -1
      if c < nB {
        if peak(c) { found = c } else {
          let right = nearest((Double(i) + 1.5) * f0, from: c), left = nearest((Double(i) + 0.5) * f0, from: last)
          var o = 1
          while found < 0 && (c + o <= right || c - o >= left) {
            if c + o <= right && c + o < nB && peak(c + o) { found = c + o } else if c - o >= left && c - o >= 0 && peak(c - o) { found = c - o }
            o += 1
          }
        }
      }
      if found >= first && found < nB - 1 && found > 0 {
        mag[i] = magnitude[found]
        // Parabola through the three bins.
        let x0 = freq(found - 1), x1 = freq(found), x2 = freq(found + 1)
        let y0 = magnitude[found - 1], y1 = magnitude[found], y2 = magnitude[found + 1]
        let den = (x0 - x1) * (x0 - x2) * (x1 - x2)
        let A = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den
        let B = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / den
        let C = (x1 * x2 * (x1 - x2) * y0 + x2 * x0 * (x2 - x0) * y1 + x0 * x1 * (x0 - x1) * y2) / den
        if A != 0 {
          fi[i] = -B / (2 * A)
          mi[i] = C - B * B / (4 * A)
        } else {
          fi[i] = x1
          mi[i] = y1
        }
        bins[i] = found
      } else {
        bins[i] = c
      }
      if i > 0 && bins[i] == bins[i - 1] {
        sameBin[i] = true
        mag[i] = 0
        mi[i] = 0
        fi[i] = 0
      }
      last = c
    }
    for i in 0..<100 {
      if i == 0 { lrel[0] = 0; continue }
      if mag[0] == 0 { lrel[i] = -201; continue }
      if sameBin[i] { lrel[i] = -201; continue }
      lrel[i] = mi[i] <= 0 ? -200 : max(20 * (log10(mi[i]) - log10(mag[0])), -200)
    }
    func index(_ fn: Double) -> Int? {
      var best: Int?
      for i in 0..<100 where fi[i] >= 0.8 * fn && fi[i] <= 1.2 * fn && mag[i] > 0 {
        if best == nil || mag[i] > mag[best!] { best = i }
      }
      return best
    }
    out.h1h2 = min(max(lrel[1] - lrel[2], -201), 201)
    let i3 = index(formants[2])
    out.h1a3 = min(max(i3.map { lrel[1] - lrel[$0] } ?? lrel[1] - 201, -201), 201)
    for n in 0..<3 { out.amplitudes[n] = index(formants[n]).map { lrel[$0] } ?? 0 }
    return out
  }
}

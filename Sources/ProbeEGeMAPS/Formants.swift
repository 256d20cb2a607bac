import Foundation
import ProbeNumerics

/// Formants of one 20-ms frame by LPC (spec §2.7): the complex spectrum resampled to a nominal
/// 11 kHz (only the first 109 harmonics, DC not halved), Float32 autocorrelation and
/// Levinson–Durbin of order 11, roots of the sign-flipped predictor polynomial.
enum Formants {
  static let order = 11
  static let nominalRate = 11000.0

  /// F1…F5 and B1…B5 (0 where absent), from the frame's FFT (bins 0…N/2).
  static func analyze(re: [Float], im: [Float], fftSize n: Int, frameLength: Int, sampleRate: Int) -> (f: [Double], b: [Double]) {
    let ratio = nominalRate / Double(sampleRate)
    let nOut = Int((Double(frameLength) * nominalRate / Double(sampleRate)).rounded())
    let d = Double(n) * ratio
    var kmax = min(n, nOut)
    kmax -= kmax % 2
    var y = [Float](repeating: 0, count: nOut)
    for i in 0..<nOut {
      var s = Double(re[0])
      for k in 1..<(kmax / 2) {
        let th = 2 * Double.pi * Double(k) * Double(i) / d
        s += Double(re[k]) * cos(th) - Double(im[k]) * sin(th)
      }
      y[i] = Float(2 / Double(n) * s)
    }
    // Autocorrelation in Float32, sequential in n.
    var r = [Float](repeating: 0, count: order + 1)
    for l in 0...order {
      var acc: Float = 0
      if l < nOut { for i in l..<nOut { acc += y[i] * y[i - l] } }
      r[l] = acc
    }
    // Levinson–Durbin in Float32.
    var a = [Float](repeating: 0, count: order + 1)
    if r[0] != 0 {
      var e = r[0]
      for m in 1...order {
        var acc = r[m]
        for i in 1..<m { acc += a[i] * r[m - i] }
        let k = -acc / e
        if m / 2 >= 1 {
          for i in 1...(m / 2) {
            if i == m - i {
              a[i] += k * a[i]
            } else {
              let t = a[i]
              a[i] += k * a[m - i]
              a[m - i] += k * t
            }
          }
        }
        a[m] = k
        e *= (1 - k * k)
        if e == 0 { break }
      }
    }
    var fs = [Double](repeating: 0, count: 5), bs = [Double](repeating: 0, count: 5)
    guard a.dropFirst().contains(where: { $0 != 0 }) else { return (fs, bs) }
    // Roots of z^11 − a1 z^10 − … − a11 (openSMILE's sign quirk): companion matrix of the monic
    // polynomial z^11 + c1 z^10 + … + c11 with c_i = −a_i.
    var comp = [Double](repeating: 0, count: order * order)
    for j in 0..<order { comp[j] = Double(a[j + 1]) }  // first row: −c_i = a_i
    for i in 1..<order { comp[i * order + i - 1] = 1 }
    guard let roots = try? Linalg.eigenvalues(comp, n: order) else { return (fs, bs) }
    var kept: [(Double, Double)] = []
    for var z in roots {
      let mag2 = z.re * z.re + z.im * z.im
      if mag2 > 1 { z = (z.re / mag2, z.im / mag2) }  // 1/conj(z)
      guard z.im >= 0 else { continue }
      let f = abs(atan2(z.im, z.re)) * nominalRate / (2 * Double.pi)
      guard f >= 50 && f <= 5450 else { continue }
      let bw = -log((z.re * z.re + z.im * z.im).squareRoot()) * nominalRate / Double.pi
      kept.append((f, bw))
      if kept.count == 5 { break }
    }
    kept.sort { $0.0 < $1.0 }
    for (i, p) in kept.enumerated() {
      fs[i] = p.0
      bs[i] = p.1
    }
    return (fs, bs)
  }
}

import Foundation
import ProbeNumerics

/// Formants of one 20-ms frame by LPC (spec §2.7): the complex spectrum resampled to a nominal
/// 11 kHz (only the first 109 harmonics, DC not halved), Float32 autocorrelation and
/// Levinson–Durbin of order 11, roots of the sign-flipped predictor polynomial.
struct Formants {
  static let order = 11
  static let nominalRate = 11000.0
  let nOut: Int
  let harmonics: Int
  let fftSize: Int
  /// cos and sin of 2π·k·i/D for output sample i and harmonic k (1…harmonics), row-major nOut × harmonics.
  let cosTable: [Double]
  let sinTable: [Double]

  init(fftSize n: Int, frameLength: Int, sampleRate: Int) {
    let ratio = Formants.nominalRate / Double(sampleRate)
    nOut = Int((Double(frameLength) * Formants.nominalRate / Double(sampleRate)).rounded())
    let d = Double(n) * ratio
    var kmax = min(n, nOut)
    kmax -= kmax % 2
    harmonics = max(kmax / 2 - 1, 0)
    fftSize = n
    var c = [Double](repeating: 0, count: nOut * harmonics), s = c
    for i in 0..<nOut {
      for k in 1...max(harmonics, 1) where k <= harmonics {
        let th = 2 * Double.pi * Double(k) * Double(i) / d
        c[i * harmonics + k - 1] = cos(th)
        s[i * harmonics + k - 1] = sin(th)
      }
    }
    cosTable = c
    sinTable = s
  }

  /// F1…F5 and B1…B5 (0 where absent), from the frame's FFT (bins 0…N/2).
  func analyze(re: [Float], im: [Float]) -> (f: [Double], b: [Double]) {
    let order = Formants.order, nominalRate = Formants.nominalRate
    let n = fftSize
    // Resampling to the nominal 11 kHz from harmonics 1…K (DC not halved): y = (2/N)(X0 + C·Re − S·Im).
    let xr = (1...max(harmonics, 1)).map { $0 <= harmonics ? Double(re[$0]) : 0 }
    let xi = (1...max(harmonics, 1)).map { $0 <= harmonics ? Double(im[$0]) : 0 }
    var acc = [Double](repeating: Double(re[0]), count: nOut)
    if harmonics > 0 {
      cosTable.withUnsafeBufferPointer { pc in Linalg.gemv(pc.baseAddress!, xr, &acc, m: nOut, n: harmonics, beta: 1) }
      sinTable.withUnsafeBufferPointer { ps in Linalg.gemv(ps.baseAddress!, xi, &acc, m: nOut, n: harmonics, alpha: -1, beta: 1) }
    }
    let y = acc.map { Float(2 / Double(n) * $0) }
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
    // The companion matrix is already upper Hessenberg: a small QR iteration on it directly
    // (LAPACK's dgeev on 11×11 matrices spent most of its time in overhead), LAPACK if it fails.
    guard let roots = Linalg.hessenbergEigenvaluesQR(comp, n: order) ?? (try? Linalg.eigenvalues(comp, n: order)) else { return (fs, bs) }
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

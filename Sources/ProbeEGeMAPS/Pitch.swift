import Foundation
import ProbeAudio

/// F0 of the 60-ms branch: sub-harmonic summation candidates and Viterbi smoothing
/// (`../shared/docs/egemaps-spec.md` §2.5, steps A–I).
public struct PitchTrack: Sendable {
  /// Gated F0 per 60-ms frame in Hz (0 = unvoiced).
  public var f0: [Double]
  /// F0 in semitones re 27.5 Hz (0 = unvoiced).
  public var semitones: [Double]
  /// Frames decided by the Viterbi before end of input (the functionals use frames 0..K−1).
  public var decided: Int
  /// Gaussian-windowed magnitude spectra per 60-ms frame (for the harmonic features), kept in
  /// Float32 — the FFT's own precision — so a 10-minute file needs ~120 MB, not twice that.
  public var magnitudes: [[Float]]
  public var frames: Int { f0.count }
}

struct Candidate {
  var f0: Double = 0
  var voicing: Double = 0
  var score: Double = 0
}

public struct PitchAnalyzer {
  public let geometry: FrameGeometry
  let window: [Float]
  let nB: Int
  let sourceX: [Double]  // log2 abscissae of the source bins
  let targetX: [Double]
  let weights: [Double]
  let shifts: [Int]
  let M: Int
  let splineFactors: SplineFactors

  public init(sampleRate: Int) {
    let g = FrameGeometry(sampleRate: sampleRate)
    geometry = g
    let l = g.length60
    let sigma = 0.4 * Double(l - 1) / 2
    window = (0..<l).map { n in Float(exp(-0.5 * pow((Double(n) - Double(l - 1) / 2) / sigma, 2))) }
    let bins = g.fft60 / 2 + 1
    nB = bins
    let T = Double(Float(0.06 * Double(g.fft60) / Double(l)))
    let df = 1 / T
    var u = [Double](repeating: 0, count: bins)
    for k in 1..<bins { u[k] = log2(Double(k) * df) }
    u[0] = 2 * u[1] - u[2]
    sourceX = u
    splineFactors = SplineFactors(u)
    let m = g.fft60 / 2 + 1
    M = m
    let fmax = df * Double(m - 1), fmin = 25.0
    targetX = (0..<m).map { log2(fmin) + Double($0) * (log2(fmax) - log2(fmin)) / Double(m - 1) }
    let ppo = Double(m) / log2(fmax / fmin)
    let s = ppo * log2(65.0 / 50.0) - 1
    weights = (0..<m).map { 0.5 + atan(3 * (Double($0 + 1) - s) / ppo) / Double.pi }
    shifts = (2...15).map { Int((ppo * log2(Double($0))).rounded(.down)) }
  }

  /// The abscissa-only part of the natural cubic spline's tridiagonal solve (Numerical Recipes
  /// `spline`): the source abscissae never change, so `sig`, the pivots and the decomposition
  /// factors are computed once.
  struct SplineFactors {
    var sig: [Double], inversePivot: [Double], factor: [Double]
    /// 1/(x[i+1] − x[i]) and 6/(x[i+1] − x[i−1]).
    var inverseStep: [Double], sixOverSpan: [Double]
    init(_ x: [Double]) {
      let n = x.count
      sig = [Double](repeating: 0, count: n)
      inversePivot = sig
      factor = sig
      sixOverSpan = sig
      inverseStep = (0..<n).map { $0 < n - 1 ? 1 / (x[$0 + 1] - x[$0]) : 0 }
      for i in 1..<(n - 1) {
        sig[i] = (x[i] - x[i - 1]) / (x[i + 1] - x[i - 1])
        let pivot = sig[i] * factor[i - 1] + 2
        inversePivot[i] = 1 / pivot
        factor[i] = (sig[i] - 1) / pivot
        sixOverSpan[i] = 6 / (x[i + 1] - x[i - 1])
      }
    }
  }

  /// Natural cubic spline second derivatives (Numerical Recipes `spline` with natural ends).
  static func splineSecondDerivatives(_ x: [Double], _ y: [Double], _ f: SplineFactors) -> [Double] {
    let n = x.count
    var y2 = f.factor, u = [Double](repeating: 0, count: n)
    for i in 1..<(n - 1) {
      let d = (y[i + 1] - y[i]) * f.inverseStep[i] - (y[i] - y[i - 1]) * f.inverseStep[i - 1]
      u[i] = (d * f.sixOverSpan[i] - f.sig[i] * u[i - 1]) * f.inversePivot[i]
    }
    y2[0] = 0
    y2[n - 1] = 0
    for k in stride(from: n - 2, through: 0, by: -1) { y2[k] = y2[k] * y2[k + 1] + u[k] }
    return y2
  }

  static func splineValue(_ x: [Double], _ y: [Double], _ y2: [Double], at v: Double, hint: inout Int) -> Double {
    let n = x.count
    var lo = min(max(hint, 0), n - 2)
    while lo > 0 && x[lo] > v { lo -= 1 }
    while lo < n - 2 && x[lo + 1] < v { lo += 1 }
    hint = lo
    let hi = lo + 1
    let h = x[hi] - x[lo]
    let a = (x[hi] - v) / h, b = (v - x[lo]) / h
    return a * y[lo] + b * y[hi] + ((a * a * a - a) * y2[lo] + (b * b * b - b) * y2[hi]) * (h * h) / 6
  }

  /// Candidates of one frame from its magnitude spectrum (steps A–F).
  func candidates(_ magnitude: [Double]) -> (slots: [Candidate], vClip: Double) {
    // A: peak enhancement.
    var a = magnitude
    var peaks: [Int] = []
    if a[0] > a[1] { peaks.append(0) }
    for i in 1..<(nB - 1) where a[i] > a[i - 1] && a[i] >= a[i + 1] { peaks.append(i) }
    if a[nB - 1] > a[nB - 2] { peaks.append(nB - 1) }
    if peaks.count == 1 {
      for j in 3..<nB { a[j] = 0 }
    } else if peaks.count > 1 {
      for (p, q) in zip(peaks, peaks.dropFirst()) where p + 3 <= q - 3 { for j in (p + 3)...(q - 3) { a[j] = 0 } }
    }
    // B: smoothing with the original neighbours.
    var b = a
    for i in 0..<(nB - 1) { b[i] = ((i > 0 ? a[i - 1] : 0) + 2 * a[i] + a[i + 1]) / 4 }
    // C: log-frequency resampling with a natural cubic spline, auditory weighting.
    let y2 = Self.splineSecondDerivatives(sourceX, b, splineFactors)
    var z = [Double](repeating: 0, count: M)
    var hint = 0
    for i in 0..<M {
      let v = Self.splineValue(sourceX, b, y2, at: targetX[i], hint: &hint)
      z[i] = v > 0 ? v * weights[i] : 0
    }
    // D: sub-harmonic summation.
    // Shift by shift over all j (vectorises); per j the terms are added in the same order as a
    // per-j loop over the shifts, so the sums are bit-identical to it.
    var ss = z
    var factor = 1.0
    ss.withUnsafeMutableBufferPointer { sp in
      z.withUnsafeBufferPointer { zp in
        for s in shifts {
          factor *= 0.85
          guard s < M else { continue }
          let f = factor
          for j in 0..<(M - s) { sp[j] += f * zp[j + s] }
        }
      }
      for j in 0..<M { sp[j] = max(sp[j] / 15, 0) }
    }
    // E: up to 6 candidates, score-sorted on insertion.
    var list: [(j: Int, score: Double)] = []
    for j in 1..<(M - 1) where ss[j - 1] < ss[j] && ss[j] > ss[j + 1] {
      if let at = list.firstIndex(where: { $0.score < ss[j] }) { list.insert((j, ss[j]), at: at) } else { list.append((j, ss[j])) }
      if list.count > 6 { list.removeLast() }
    }
    let mean = ss.reduce(0, +) / Double(M)
    var slots: [Candidate] = list.map { c in
      let j = c.j
      let x0 = targetX[j - 1], x1 = targetX[j], x2 = targetX[j + 1]
      let y0 = ss[j - 1], y1 = ss[j], y2v = ss[j + 1]
      // Parabola through the three points.
      let den = (x0 - x1) * (x0 - x2) * (x1 - x2)
      let A = (x2 * (y1 - y0) + x1 * (y0 - y2v) + x0 * (y2v - y1)) / den
      let B = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2v - y0) + x0 * x0 * (y1 - y2v)) / den
      let C = (x1 * x2 * (x1 - x2) * y0 + x2 * x0 * (x2 - x0) * y1 + x0 * x1 * (x0 - x1) * y2v) / den
      var xv: Double, yv: Double
      if A != 0 && den != 0 && A.isFinite {
        xv = -B / (2 * A)
        yv = C - B * B / (4 * A)
      } else {
        let best = [(x0, y0), (x1, y1), (x2, y2v)].max { $0.1 < $1.1 }!
        (xv, yv) = best
      }
      let voicing = yv > 0 && yv > mean ? 1 - mean / yv : 0
      return Candidate(f0: pow(2, xv), voicing: voicing, score: yv)
    }
    while slots.count < 6 { slots.append(Candidate()) }
    // F: range check (55–1000 Hz), best score first.
    var kept = slots.filter { $0.f0 >= 55 && $0.f0 <= 1000 }
    while kept.count < 6 { kept.append(Candidate()) }
    // The largest score into slot 0 (the first one on ties).
    let top = kept.map(\.score).max()!
    kept.swapAt(0, kept.firstIndex { $0.score == top }!)
    let vClip = kept[0].voicing > 0.7 ? kept[0].voicing : 0
    return (kept, vClip)
  }

  static func rangeCost(_ f: Double) -> Double {
    if f <= 0 { return 2 }
    if f < 100 { return 1 - f / 100 }
    if f < 350 { return 0 }
    if f < 600 { return (f - 350) / 250 }
    return 1.2
  }

  /// Analyse the samples (openSMILE's reading of 16-bit PCM).
  public func analyze(_ x: [Float]) -> PitchTrack {
    let g = geometry
    let n60 = g.frameCount(samples: x.count, length: g.length60)
    var track = PitchTrack(f0: [], semitones: [], decided: 0, magnitudes: [])
    guard n60 > 0 else { return track }
    let fft = RealFFT(size: g.fft60)
    let pad = (g.fft60 - g.length60) / 2
    var buffer = [Float](repeating: 0, count: g.fft60)
    var frames: [(slots: [Candidate], vClip: Double, rms: Double)] = []
    for t in 0..<n60 {
      let start = t * g.hop
      var e = 0.0
      for i in 0..<g.length60 {
        let v = x[start + i] * window[i]
        buffer[pad + i] = v
        e += Double(v) * Double(v)
      }
      let (re, im) = fft.forward(buffer)
      let mag = (0..<nB).map { (Double(re[$0]) * Double(re[$0]) + Double(im[$0]) * Double(im[$0])).squareRoot() }
      track.magnitudes.append(mag.map { Float($0) })
      let c = candidates(mag)
      frames.append((c.slots, c.vClip, (e / Double(g.length60)).squareRoot()))
    }
    // G: Viterbi over 7 states (6 candidate slots + unvoiced).
    let states = 7
    var acc = [Double](repeating: 0, count: states)
    var back: [[Int]] = []
    var c = 1.0  // the global "last change"
    var decisions = [Int?](repeating: nil, count: n60)
    var firstUndecided = 0
    var decidedBeforeEnd = 0
    func local(_ t: Int, _ i: Int) -> Double {
      let f = frames[t]
      if i == 6 { return (f.slots.contains { $0.voicing >= 0.7 } || f.vClip >= 0.7) ? 8 : 0 }
      let p = min(max(f.slots[i].voicing, 0.01), 1)
      return (-log(p) + (p < 0.7 ? 4 : 0)) * 2 + Self.rangeCost(f.slots[i].f0)
    }
    func stateAt(_ end: Int, from s: Int, frame u: Int) -> Int {
      var st = s
      var t = end
      while t > u {
        st = back[t][st]
        t -= 1
      }
      return st
    }
    for t in 0..<n60 {
      if t == 0 {
        acc = (0..<states).map { local(0, $0) }
        back.append(Array(repeating: 0, count: states))
      } else {
        var next = [Double](repeating: 0, count: states)
        var bp = [Int](repeating: 0, count: states)
        for i in 0..<states {
          var best = Double.infinity
          var arg = 0
          for j in 0..<states {
            var trans: Double
            if i < 6 && j < 6 {
              let fi = frames[t].slots[i].f0, fj = frames[t - 1].slots[j].f0
              if fi == 0 || fj == 0 { trans = 999 } else {
                let r = log(fi / fj)
                trans = 10 * abs(r) + 10 * abs(r - c)
                c = r
              }
            } else if i == 6 && j == 6 {
              trans = 1
            } else {
              trans = 10
              c = 0
            }
            let v = trans + acc[j]
            if v < best {
              best = v
              arg = j
            }
          }
          next[i] = best + local(t, i)
          bp[i] = arg
        }
        acc = next
        back.append(bp)
      }
      // Decide frames on which every state's path agrees.
      while firstUndecided <= t {
        let s0 = stateAt(t, from: 0, frame: firstUndecided)
        if (1..<states).allSatisfy({ stateAt(t, from: $0, frame: firstUndecided) == s0 }) {
          decisions[firstUndecided] = s0
          firstUndecided += 1
        } else { break }
      }
      if t - firstUndecided + 1 > 40 {
        let cheapest = acc.firstIndex(of: acc.min()!)!
        decisions[firstUndecided] = stateAt(t, from: cheapest, frame: firstUndecided)
        firstUndecided += 1
      }
      decidedBeforeEnd = firstUndecided
    }
    let cheapest = acc.firstIndex(of: acc.min()!)!
    for u in firstUndecided..<n60 { decisions[u] = stateAt(n60 - 1, from: cheapest, frame: u) }
    track.decided = decidedBeforeEnd
    // Output, energy gate (H), semitones (I).
    for t in 0..<n60 {
      let s = decisions[t]!
      var f = s < 6 ? frames[t].slots[s].f0 : 0
      if frames[t].rms <= 0.001 { f = 0 }
      track.f0.append(f)
      track.semitones.append(f > 29.136 ? 12 * log2(f / 27.5) : (f > 0 ? 1 : 0))
    }
    return track
  }
}

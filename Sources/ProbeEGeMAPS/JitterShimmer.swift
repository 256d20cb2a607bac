import Foundation

/// Jitter and shimmer by waveform period matching (spec §2.6): a sequential state machine over
/// all 60-ms frames, periods rounded to Float32 as openSMILE stores them.
enum JitterShimmer {
  static func compute(_ x: [Float], f0: [Double], geometry g: FrameGeometry) -> (jitter: [Double], shimmer: [Double]) {
    let fs = Double(g.sampleRate)
    let T = 1 / fs
    var pos = 0, carry = 0
    var prevPeriod: Float = 0, lastJ: Double = 0, lastS: Double = 0
    var jitter: [Double] = [], shimmer: [Double] = []
    for k in 0..<f0.count {
      let f = f0[k]
      let step = Int((0.01 / T).rounded(.up))
      let need0 = step + carry
      var need = need0
      var tMin = 0, tMax = 0, t0 = 0
      if f > 0 {
        let tf = fs / f
        t0 = Int(tf.rounded())
        tMin = Int((0.9 * tf).rounded(.down))
        tMax = Int((1.1 * tf).rounded(.up))
        need = max(need, 2 * tMax + 2)
      }
      let maxRead = carry + g.length60
      need = min(need, maxRead)
      if k * g.hop - carry != pos {
        pos = k * g.hop
        need = min(need, g.length60)
      }
      let end = min(pos + need, x.count)
      let seg = pos < end ? Array(x[pos..<end]) : []
      var keep = 0
      var sumP: Float = 0, sumD: Float = 0
      var nP = 0, nD = 0
      var sumA = 0.0, sumAD = 0.0
      if f > 0 {
        var start = 0
        while start < seg.count - 2 * tMax - 1 {
          var cc = [Double](repeating: 0, count: tMax - tMin + 1)
          for pc in tMin...tMax {
            cc[pc - tMin] = correlation(seg, start, pc)
          }
          var best = -1
          if tMax - tMin - 2 >= 1 {
            for i in 1...(tMax - tMin - 2) where cc[i - 1] < cc[i] && cc[i] > cc[i + 1] {
              if best < 0 || cc[i] > cc[best] { best = i }
            }
          }
          if best < 0 {
            start += t0
          } else {
            let p = tMin + best
            let o = start
            start += p
            let a0 = amplitude(seg, o, p), a1 = amplitude(seg, start, p)
            let ad = abs(a0 - a1)
            // Parabolic interpolation of cc around best.
            let y0 = cc[best - 1], y1 = cc[best], y2 = cc[best + 1]
            let den = y0 - 2 * y1 + y2
            let xi = den != 0 ? Double(best) + 0.5 * (y0 - y2) / den : Double(best)
            let ci = den != 0 ? y1 - 0.25 * (y0 - y2) * (xi - Double(best)) : y1
            let period = Float(abs(Double(tMin) + xi) * T)
            if ci > 0.5 {
              sumP += period
              nP += 1
              if prevPeriod > 0 {
                let d = Float(abs(prevPeriod - period))
                sumD += d
                nD += 1
              }
              prevPeriod = period
              sumA += (a0 + a1) / 2
              sumAD += ad
            }
          }
          if start < need0 - 1 { keep = start }
        }
        carry = need0 - keep
      } else {
        keep = need0
        carry = 0
        prevPeriod = 0
        lastJ = 0
        lastS = 0
      }
      pos += keep
      if f > 0 && nP > 0 && nD > 0 {
        lastJ = min(Double((sumD / Float(nD)) / (sumP / Float(nP))), 1)
        jitter.append(lastJ)
      } else if f > 0 && nP == 0 {
        jitter.append(min(lastJ, 1))
      } else {
        jitter.append(0)
      }
      if f > 0 && nP > 0 { lastS = sumA == 0 ? 0 : sumAD / sumA }
      shimmer.append(f > 0 ? 20 * log10(1 + min(lastS, 1)) : 0)
    }
    return (jitter, shimmer)
  }

  /// Pearson correlation of seg[start..<start+p] and seg[start+p..<start+2p].
  static func correlation(_ seg: [Float], _ start: Int, _ p: Int) -> Double {
    var ma = 0.0, mb = 0.0
    for i in 0..<p {
      ma += Double(seg[start + i])
      mb += Double(seg[start + p + i])
    }
    ma /= Double(p)
    mb /= Double(p)
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for i in 0..<p {
      let a = Double(seg[start + i]) - ma, b = Double(seg[start + p + i]) - mb
      sab += a * b
      saa += a * a
      sbb += b * b
    }
    let d = (saa * sbb).squareRoot()
    return d > 0 ? sab / d : 0
  }

  /// max − min over the inner samples (1…p−2) of seg[o..<o+p].
  static func amplitude(_ seg: [Float], _ o: Int, _ p: Int) -> Double {
    guard p > 2, o + p <= seg.count else { return 0 }
    var lo = Double.infinity, hi = -Double.infinity
    for i in (o + 1)..<(o + p - 1) {
      lo = min(lo, Double(seg[i]))
      hi = max(hi, Double(seg[i]))
    }
    return hi - lo
  }
}

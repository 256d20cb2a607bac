import Foundation

extension Linalg {
  /// Eigenvalues of a small upper Hessenberg matrix (row-major n×n, entries below the first
  /// subdiagonal ignored) by the Francis double-shift QR iteration with deflation (the EISPACK
  /// `hqr` scheme, written here from its description): no balancing, no Hessenberg reduction and
  /// no LAPACK call overhead, which for the 11×11 companion matrices of the formant tracker cost
  /// more than the iteration itself. Returns nil if an eigenvalue needs more than 30 iterations.
  public static func hessenbergEigenvaluesQR(_ h: [Double], n: Int) -> [(re: Double, im: Double)]? {
    guard n > 0 else { return [] }
    var a = h
    var wr = [Double](repeating: 0, count: n), wi = [Double](repeating: 0, count: n)
    let ok = a.withUnsafeMutableBufferPointer { buf -> Bool in
      let a = buf.baseAddress!
      @inline(__always) func at(_ i: Int, _ j: Int) -> UnsafeMutablePointer<Double> { a + i * n + j }
      var anorm = 0.0
      for i in 0..<n { for j in max(i - 1, 0)..<n { anorm += abs(at(i, j).pointee) } }
      var nn = n - 1
      var shift = 0.0
      while nn >= 0 {
        var its = 0
        var l = 0
        repeat {
          // Deflation: a negligible subdiagonal element splits the matrix at l.
          l = nn
          while l >= 1 {
            var s = abs(at(l - 1, l - 1).pointee) + abs(at(l, l).pointee)
            if s == 0 { s = anorm }
            if abs(at(l, l - 1).pointee) + s == s { at(l, l - 1).pointee = 0; break }
            l -= 1
          }
          var x = at(nn, nn).pointee
          if l == nn {  // one real eigenvalue
            wr[nn] = x + shift; wi[nn] = 0
            nn -= 1
            break
          }
          var y = at(nn - 1, nn - 1).pointee
          var w = at(nn, nn - 1).pointee * at(nn - 1, nn).pointee
          if l == nn - 1 {  // a 2×2 block: two real eigenvalues or a conjugate pair
            let p = 0.5 * (y - x)
            let q = p * p + w
            var z = abs(q).squareRoot()
            x += shift
            if q >= 0 {
              z = p + (p >= 0 ? z : -z)
              wr[nn - 1] = x + z; wr[nn] = x + z
              if z != 0 { wr[nn] = x - w / z }
              wi[nn - 1] = 0; wi[nn] = 0
            } else {
              wr[nn - 1] = x + p; wr[nn] = x + p
              wi[nn - 1] = -z; wi[nn] = z
            }
            nn -= 2
            break
          }
          if its == 30 { return false }
          if its == 10 || its == 20 {  // exceptional shift
            shift += x
            for i in 0...nn { at(i, i).pointee -= x }
            let s = abs(at(nn, nn - 1).pointee) + abs(at(nn - 1, nn - 2).pointee)
            x = 0.75 * s; y = x; w = -0.4375 * s * s
          }
          its += 1
          // Double-shift start: look for two consecutive small subdiagonal elements.
          var m = nn - 2
          var p = 0.0, q = 0.0, r = 0.0
          while m >= l {
            let z = at(m, m).pointee
            let rr = x - z, ss = y - z
            p = (rr * ss - w) / at(m + 1, m).pointee + at(m, m + 1).pointee
            q = at(m + 1, m + 1).pointee - z - rr - ss
            r = at(m + 2, m + 1).pointee
            let s = abs(p) + abs(q) + abs(r)
            p /= s; q /= s; r /= s
            if m == l { break }
            let u = abs(at(m, m - 1).pointee) * (abs(q) + abs(r))
            let v = abs(p) * (abs(at(m - 1, m - 1).pointee) + abs(z) + abs(at(m + 1, m + 1).pointee))
            if u + v == v { break }
            m -= 1
          }
          if m + 2 <= nn {
            for i in (m + 2)...nn {
              at(i, i - 2).pointee = 0
              if i != m + 2 { at(i, i - 3).pointee = 0 }
            }
          }
          // Double QR step on rows l…nn and columns m…nn (Householder reflections of size 3).
          var k = m
          while k <= nn - 1 {
            if k != m {
              p = at(k, k - 1).pointee
              q = at(k + 1, k - 1).pointee
              r = k != nn - 1 ? at(k + 2, k - 1).pointee : 0
              x = abs(p) + abs(q) + abs(r)
              if x != 0 { p /= x; q /= x; r /= x }
            }
            let norm = (p * p + q * q + r * r).squareRoot()
            let s = p >= 0 ? norm : -norm
            if s != 0 {
              if k == m {
                if l != m { at(k, k - 1).pointee = -at(k, k - 1).pointee }
              } else {
                at(k, k - 1).pointee = -s * x
              }
              p += s
              x = p / s; y = q / s
              let z = r / s
              q /= p; r /= p
              for j in k...nn {
                var t = at(k, j).pointee + q * at(k + 1, j).pointee
                if k != nn - 1 {
                  t += r * at(k + 2, j).pointee
                  at(k + 2, j).pointee -= t * z
                }
                at(k + 1, j).pointee -= t * y
                at(k, j).pointee -= t * x
              }
              for i in l...min(nn, k + 3) {
                var t = x * at(i, k).pointee + y * at(i, k + 1).pointee
                if k != nn - 1 {
                  t += z * at(i, k + 2).pointee
                  at(i, k + 2).pointee -= t * r
                }
                at(i, k + 1).pointee -= t * q
                at(i, k).pointee -= t
              }
            }
            k += 1
          }
        } while l < nn - 1
      }
      return true
    }
    guard ok else { return nil }
    return zip(wr, wi).map { ($0, $1) }
  }
}

/// Voiced/unvoiced segment statistics of eGeMAPSv02 (features 83–87, spec §3): a state machine
/// with at least 3 frames per segment and pauses of at least 2 frames; recorded lengths are one
/// frame shorter than the run (quirk).
enum Segments {
  static func lengths(_ c: [Double], voiced: Bool) -> [Int] {
    var out: [Int] = []
    enum State { case idle, candidate, inSegment }
    var state = State.idle
    var a = 0, b = 0, start = 0
    for (t, v) in c.enumerated() {
      let isIn = voiced ? v != 0 : v == 0
      if isIn {
        switch state {
        case .candidate:
          b = 0
          a += 1
          if a >= 3 {
            state = .inSegment
            a = 0
          }
        case .idle:
          a += 1
          start = t
          state = .candidate
        case .inSegment:
          b = 0
        }
      } else {
        switch state {
        case .inSegment:
          a = 0
          b += 1
          if b >= 2 {
            if out.count < 1000 { out.append((t - b) - start) }
            state = .idle
            b = 0
          }
        case .candidate:
          b += 1
          if b >= 2 {
            state = .idle
            a = 0
            b = 0
          }
        case .idle: break
        }
      }
    }
    if state == .inSegment {
      b += 1
      if out.count < 1000 { out.append((c.count - b) - start) }
    }
    return out
  }

  static func stats(_ lengths: [Int]) -> (count: Int, mean: Double, sd: Double) {
    guard !lengths.isEmpty else { return (0, 0, 0) }
    let v = lengths.map { Double($0) * 0.01 }
    let m = v.reduce(0, +) / Double(v.count)
    let sd = v.count < 2 ? 0 : (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)).squareRoot()
    return (v.count, m, sd)
  }
}

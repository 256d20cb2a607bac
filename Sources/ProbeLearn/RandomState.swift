/// A Mersenne Twister (MT19937) stream that reproduces NumPy's legacy `RandomState` for the
/// calls ProbeDB needs, so default samples and splits equal scikit-learn's for the same seed.
///
/// - `init(seed:)` is `RandomState(seed)` (Matsumoto–Nishimura `init_genrand`).
/// - `interval(_:)` is NumPy's legacy `random_interval`: a uniform integer in `0...max` by
///   masked rejection sampling on 32-bit draws.
/// - `shuffle(_:)` / `permutation(_:)` are `RandomState.shuffle` / `.permutation` (Fisher–Yates
///   from the last element down, `j = interval(i)`).
/// - `choiceWithoutReplacement(_:_:)` is `RandomState.choice(n, m, replace=False)`, i.e. the first
///   `m` entries of `permutation(n)`.
/// ref: numpy/random/mtrand.pyx, numpy/random/src/legacy and distributions.c (behaviour only).
public struct RandomState {
  private var mt = [UInt32](repeating: 0, count: 624)
  private var index = 624

  public init(seed: UInt32) {
    mt[0] = seed
    for i in 1..<624 {
      mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i)
    }
    index = 624
  }

  private mutating func twist() {
    for i in 0..<624 {
      let y = (mt[i] & 0x8000_0000) | (mt[(i + 1) % 624] & 0x7FFF_FFFF)
      var v = mt[(i + 397) % 624] ^ (y >> 1)
      if y & 1 != 0 { v ^= 0x9908_B0DF }
      mt[i] = v
    }
    index = 0
  }

  public mutating func nextUInt32() -> UInt32 {
    if index >= 624 { twist() }
    var y = mt[index]
    index += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C_5680
    y ^= (y << 15) & 0xEFC6_0000
    y ^= y >> 18
    return y
  }

  /// A uniform integer in `0...max` (NumPy legacy `random_interval`).
  public mutating func interval(_ max: Int) -> Int {
    if max <= 0 { return 0 }
    precondition(max <= Int(UInt32.max), "interval above 2^32 is not needed here")
    var mask = UInt32(max)
    mask |= mask >> 1
    mask |= mask >> 2
    mask |= mask >> 4
    mask |= mask >> 8
    mask |= mask >> 16
    while true {
      let v = nextUInt32() & mask
      if v <= UInt32(max) { return Int(v) }
    }
  }

  /// Shuffle in place exactly as `RandomState.shuffle` does for a 1-D array.
  public mutating func shuffle<T>(_ a: inout [T]) {
    guard a.count > 1 else { return }
    for i in stride(from: a.count - 1, through: 1, by: -1) {
      let j = interval(i)
      a.swapAt(i, j)
    }
  }

  /// `RandomState.permutation(n)`.
  public mutating func permutation(_ n: Int) -> [Int] {
    var a = Array(0..<n)
    shuffle(&a)
    return a
  }

  /// `RandomState.choice(n, m, replace=False)`.
  public mutating func choiceWithoutReplacement(_ n: Int, _ m: Int) -> [Int] {
    precondition(m <= n, "cannot choose \(m) of \(n) without replacement")
    return Array(permutation(n).prefix(m))
  }
}

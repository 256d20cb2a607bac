/// "Did you mean" support: the candidate closest to `name` by case-insensitive Levenshtein
/// distance, if it is close enough to be a plausible typo (at most a third of the length, min 2),
/// or if one is a prefix of the other.
public func closestMatch<S: Sequence>(to name: String, in candidates: S) -> String? where S.Element == String {
  let target = Array(name.lowercased())
  var best: (String, Int)?
  for c in candidates {
    let lc = Array(c.lowercased())
    if lc == target { return c }
    let d = levenshtein(target, lc)
    if best == nil || d < best!.1 { best = (c, d) }
  }
  guard let (c, d) = best else { return nil }
  let limit = max(2, target.count / 3)
  if d <= limit { return c }
  let lc = c.lowercased()
  if target.count >= 3, lc.hasPrefix(name.lowercased()) || name.lowercased().hasPrefix(lc) { return c }
  return nil
}

/// Levenshtein distance between two character arrays.
public func levenshtein(_ a: [Character], _ b: [Character]) -> Int {
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var prev = Array(0...b.count)
  var cur = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    cur[0] = i
    for j in 1...b.count {
      cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    swap(&prev, &cur)
  }
  return prev[b.count]
}

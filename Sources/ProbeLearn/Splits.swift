/// One train/test split of rows (positions into the data the splitter was given, ascending).
public struct Split: Sendable, Equatable {
  public var train: [Int]
  public var test: [Int]
  public init(train: [Int], test: [Int]) {
    self.train = train
    self.test = test
  }
}

/// An outer split and the inner splits made inside its training rows (inner positions index
/// into `outer.train`).
public struct NestedSplit: Sendable, Equatable {
  public var outer: Split
  public var inner: [Split]
  public init(outer: Split, inner: [Split]) {
    self.outer = outer
    self.inner = inner
  }

  /// The same split over other row numbers, row i becoming `rows[i]`: a task's splits over the
  /// matrix its rows are taken from, which the learners then read in place (the outer fold's
  /// inner splits keep counting into its training rows).
  public func mapped(_ rows: [Int]) -> NestedSplit {
    NestedSplit(outer: Split(train: outer.train.map { rows[$0] }, test: outer.test.map { rows[$0] }), inner: inner)
  }
}

/// Why a split cannot be made.
public struct SplitError: Error, Equatable, CustomStringConvertible {
  public let message: String
  public var description: String { message }
}

/// Speaker-grouped splitters. Rows of one group (speaker) never straddle train and test.
public enum GroupSplitter {
  /// Distinct groups sorted by Unicode code points (NumPy's `np.unique` order for strings) and,
  /// for every row, the index of its group.
  public static func unique(_ groups: [String]) -> (classes: [String], inverse: [Int]) {
    let classes = Array(Set(groups)).sorted(by: codePointLess)
    var index: [String: Int] = [:]
    for (i, c) in classes.enumerated() { index[c] = i }
    return (classes, groups.map { index[$0]! })
  }

  /// String order by Unicode scalar values, as NumPy sorts `<U` arrays.
  public static func codePointLess(_ a: String, _ b: String) -> Bool {
    var ia = a.unicodeScalars.makeIterator()
    var ib = b.unicodeScalars.makeIterator()
    while true {
      switch (ia.next(), ib.next()) {
      case (nil, nil): return false
      case (nil, _): return true
      case (_, nil): return false
      case (let x?, let y?): if x != y { return x.value < y.value }
      }
    }
  }

  /// Rows whose group index is in `chosen`, ascending.
  static func rows(_ inverse: [Int], in chosen: Set<Int>) -> [Int] {
    inverse.indices.filter { chosen.contains(inverse[$0]) }
  }

  /// scikit-learn's `GroupShuffleSplit(n_splits, train_size, random_state=seed)`: one
  /// `RandomState(seed)`; for each split a permutation of the groups, the first
  /// `ceil((1 − train_size)·G)` are test groups and the next `floor(train_size·G)` train groups.
  public static func shuffleSplit(groups: [String], splits: Int, trainSize: Double, seed: UInt32) throws -> [Split] {
    let (classes, inverse) = unique(groups)
    let g = classes.count
    let testSize = 1.0 - trainSize
    let nTest = Int((testSize * Double(g)).rounded(.up))
    let nTrain = Int((trainSize * Double(g)).rounded(.down))
    guard trainSize > 0, trainSize < 1 else { throw SplitError(message: "train_size must be between 0 and 1, not \(trainSize)") }
    guard nTrain >= 1, nTest >= 1, nTrain + nTest <= g else {
      throw SplitError(message: "\(g) speaker\(g == 1 ? "" : "s") cannot be split \(Int(trainSize * 100))/\(Int((testSize * 100).rounded()))% into train and test speakers")
    }
    var rng = RandomState(seed: seed)
    var out: [Split] = []
    for _ in 0..<splits {
      let perm = rng.permutation(g)
      let test = Set(perm[0..<nTest])
      let train = Set(perm[nTest..<(nTest + nTrain)])
      out.append(Split(train: rows(inverse, in: train), test: rows(inverse, in: test)))
    }
    return out
  }

  /// Leave-one-speaker-out: one split per group, in sorted group order.
  public static func leaveOneOut(groups: [String]) throws -> [Split] {
    let (classes, inverse) = unique(groups)
    guard classes.count >= 2 else { throw SplitError(message: "leave-one-speaker-out needs at least 2 speakers, found \(classes.count)") }
    return classes.indices.map { g in
      Split(train: inverse.indices.filter { inverse[$0] != g }, test: inverse.indices.filter { inverse[$0] == g })
    }
  }

  /// Group k-fold: groups sorted by decreasing row count (ties by group order) are dealt to the
  /// fold with the fewest rows so far (ties to the lowest fold), as scikit-learn's GroupKFold does.
  public static func kFold(groups: [String], folds k: Int) throws -> [Split] {
    let (classes, inverse) = unique(groups)
    guard k >= 2 else { throw SplitError(message: "group k-fold needs at least 2 folds") }
    guard classes.count >= k else {
      throw SplitError(message: "\(classes.count) speakers cannot fill \(k) speaker-grouped folds; use fewer folds or leave-one-speaker-out")
    }
    var counts = [Int](repeating: 0, count: classes.count)
    for g in inverse { counts[g] += 1 }
    let order = classes.indices.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
    var foldOf = [Int](repeating: 0, count: classes.count)
    var load = [Int](repeating: 0, count: k)
    for g in order {
      let f = load.indices.min { load[$0] != load[$1] ? load[$0] < load[$1] : $0 < $1 }!
      foldOf[g] = f
      load[f] += counts[g]
    }
    return (0..<k).map { f in
      Split(train: inverse.indices.filter { foldOf[inverse[$0]] != f }, test: inverse.indices.filter { foldOf[inverse[$0]] == f })
    }
  }

  /// Splits given as speaker sets (a splits file): rows of the test speakers and of the train
  /// speakers, each ascending. Speakers not in `groups` are an error naming them.
  public static func predefined(groups: [String], train: Set<String>, test: Set<String>) throws -> Split {
    try predefined(GroupIndex(groups), train: train, test: test)
  }

  /// Rows' groups as small integers, built once for the many predefined splits of one row set
  /// (each split then costs a pass over integers, not a string hash per row).
  public struct GroupIndex {
    public let codes: [Int]
    let lookup: [String: Int]

    public init(_ groups: [String]) {
      var lookup: [String: Int] = [:]
      codes = groups.map { g in
        if let c = lookup[g] { return c }
        lookup[g] = lookup.count
        return lookup.count - 1
      }
      self.lookup = lookup
    }
  }

  public static func predefined(_ index: GroupIndex, train: Set<String>, test: Set<String>) throws -> Split {
    let unknown = train.union(test).filter { index.lookup[$0] == nil }.sorted()
    if !unknown.isEmpty { throw SplitError(message: "unknown speaker\(unknown.count == 1 ? "" : "s") \(unknown.map { "'\($0)'" }.joined(separator: ", "))") }
    let both = train.intersection(test).sorted()
    if !both.isEmpty { throw SplitError(message: "speaker\(both.count == 1 ? "" : "s") \(both.map { "'\($0)'" }.joined(separator: ", ")) in both train and test") }
    var role = [UInt8](repeating: 0, count: index.lookup.count)  // 1 train, 2 test
    for g in train { role[index.lookup[g]!] = 1 }
    for g in test { role[index.lookup[g]!] = 2 }
    var tr: [Int] = [], te: [Int] = []
    for (i, c) in index.codes.enumerated() {
      if role[c] == 1 { tr.append(i) } else if role[c] == 2 { te.append(i) }
    }
    return Split(train: tr, test: te)
  }

  /// The reference protocol's nested splits: `shuffleSplit` over all rows, then the same
  /// splitter (same seed) over the groups of each outer-train set.
  public static func nestedShuffleSplit(groups: [String], outer: Int, inner: Int, trainSize: Double, seed: UInt32) throws -> [NestedSplit] {
    try shuffleSplit(groups: groups, splits: outer, trainSize: trainSize, seed: seed).map { o in
      let innerGroups = o.train.map { groups[$0] }
      return NestedSplit(outer: o, inner: try shuffleSplit(groups: innerGroups, splits: inner, trainSize: trainSize, seed: seed))
    }
  }
}

/// Unshuffled k-fold over `n` rows in order (scikit-learn `KFold(k)`): contiguous blocks, the
/// first `n % k` blocks one row longer.
public func contiguousKFold(n: Int, k: Int) -> [Split] {
  var out: [Split] = []
  var start = 0
  for f in 0..<k {
    let size = n / k + (f < n % k ? 1 : 0)
    let test = Array(start..<(start + size))
    out.append(Split(train: Array(0..<start) + Array((start + size)..<n), test: test))
    start += size
  }
  return out
}

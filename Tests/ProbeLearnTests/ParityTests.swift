import Foundation
@testable import ProbeLearn
import ProbeTestSupport
import XCTest

/// ProbeLearn against scikit-learn 1.9 / shap 0.51 / NumPy 2.4 reference values
/// (`scripts/gen_learn_fixtures.py`, fixture `Fixtures/learn/reference.json`).
final class ParityTests: XCTestCase {
  static let ref: [String: JSON] = try! JSON.parse(file: TestSupport.fixture("learn/reference.json")).object

  func ints(_ v: JSON?) -> [Int] { v!.ints }
  func doubles(_ v: JSON?) -> [Double] { v!.doubles }
  func matrix(_ v: JSON?) -> DataMatrix {
    let rows = v!.array.map(\.doubles)
    return DataMatrix(rows: rows.count, cols: rows.first?.count ?? 0, values: rows.flatMap { $0 })
  }
  func dict(_ v: JSON?) -> [String: JSON] { v!.object }
  func num(_ v: JSON?) -> Double { v!.double }

  /// |a − b| ≤ rel·|b| + abs, elementwise.
  func assertClose(_ a: [Double], _ b: [Double], rel: Double, abs absTol: Double = 0, _ what: String, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, what, line: line)
    var worst = 0.0
    for (x, y) in zip(a, b) { worst = max(worst, abs(x - y) / (rel * abs(y) + absTol)) }
    XCTAssertLessThanOrEqual(worst, 1, "\(what): worst error is \(worst)× the tolerance", line: line)
  }

  func testNumPyRandomState() {
    let r = dict(Self.ref["random_state"])
    var a = RandomState(seed: 42)
    XCTAssertEqual(a.permutation(10), ints(r["permutation_42_10"]))
    var b = RandomState(seed: 0)
    XCTAssertEqual(Array(b.permutation(1000).prefix(20)), ints(r["permutation_0_1000_head"]))
    var c = RandomState(seed: 42)
    XCTAssertEqual(c.choiceWithoutReplacement(30, 7), ints(r["choice_42_30_7"]))
    var d = RandomState(seed: 7)
    XCTAssertEqual(d.choiceWithoutReplacement(200, 50), ints(r["choice_7_200_50"]))
  }

  func testGroupShuffleSplitAndKFold() throws {
    let g = dict(Self.ref["group_shuffle_split"])
    let groups = g["groups"]!.strings
    let splits = try GroupSplitter.shuffleSplit(groups: groups, splits: 5, trainSize: 0.8, seed: 42)
    let want = g["splits"]!.array.map { $0.object }
    XCTAssertEqual(splits.map(\.train), want.map { ints($0["train"]) })
    XCTAssertEqual(splits.map(\.test), want.map { ints($0["test"]) })
    XCTAssertEqual(contiguousKFold(n: 17, k: 5).map(\.test), g["kfold_17_5"]!.array.map(\.ints))
  }

  /// Coefficients within 1e-6 relative of newton-cg at tol 1e-8 (its own stopping error is of
  /// that order); decisions likewise, so predicted classes agree.
  func testLogisticRegressionMatchesNewtonCG() throws {
    for (k, case_) in Self.ref["logistic"]!.array.map { $0.object }.enumerated() {
      let x = matrix(case_["X"])
      let y = ints(case_["y"])
      let scaler = StandardScaler(fit: x)
      assertClose(scaler.mean, doubles(case_["mean"]), rel: 1e-12, abs: 1e-14, "case \(k) mean")
      assertClose(scaler.scale, doubles(case_["scale"]), rel: 1e-12, "case \(k) scale")
      let z = scaler.transform(x)
      let problem = LogisticProblem(z: z, y: y)
      for fit in case_["fits"]!.array.map { $0.object } {
        let c = num(fit["C"])
        let m = try problem.fit(c: c)
        // Against newton-cg run to machine precision (the exact optimum): 1e-8 of the largest
        // coefficient.
        let tight = doubles(fit["coef_tight"])
        let tscale = tight.map(abs).max()!
        assertClose(m.weights, tight, rel: 1e-8, abs: 1e-8 * tscale, "case \(k) C=\(c) coef vs exact optimum")
        XCTAssertEqual(m.intercept, num(fit["intercept_tight"]), accuracy: 1e-8 * max(1, tscale))
        // Against newton-cg at tol 1e-8: within 1e-6 of the largest coefficient, except where that
        // solver's own stopping error (up to tol·C·n over the smallest curvature) is larger — the
        // separable n < d problem at C = 100, where it stops 3e-6 away from the optimum.
        let coef = doubles(fit["coef"])
        let scale = coef.map(abs).max()!
        let refError = zip(coef, tight).map { abs($0 - $1) }.max()! / tscale
        assertClose(m.weights, coef, rel: 1e-6, abs: max(1e-6, 2 * refError) * scale, "case \(k) C=\(c) coef")
        XCTAssertEqual(m.intercept, num(fit["intercept"]), accuracy: max(1e-6, 2 * refError) * max(1, scale), "case \(k) C=\(c) intercept")
        let dec = doubles(fit["decision"])
        assertClose(m.decision(z), dec, rel: 1e-6, abs: max(1e-6, 4 * refError) * dec.map(abs).max()!, "case \(k) C=\(c) decision")
        XCTAssertEqual(m.predict(z), dec.map { $0 > 0 ? 1 : 0 }, "case \(k) C=\(c) predictions")
        // Warm starts reach the same optimum.
        let warm = try problem.fit(c: c, start: try problem.fit(c: c / 10))
        assertClose(warm.weights, m.weights, rel: 1e-9, abs: 1e-9 * tscale, "case \(k) C=\(c) warm start")
      }
      // The regularisation path (each fit started from the previous one moved along the path's
      // tangent) reaches every optimum too.
      let fits = case_["fits"]!.array.map { $0.object }
      let path = try problem.fitPath(fits.map { num($0["C"]) })
      for (fit, m) in zip(fits, path) {
        let tight = doubles(fit["coef_tight"])
        let tscale = tight.map(abs).max()!
        assertClose(m.weights, tight, rel: 1e-8, abs: 1e-8 * tscale, "case \(k) C=\(num(fit["C"])) path")
        XCTAssertEqual(m.intercept, num(fit["intercept_tight"]), accuracy: 1e-8 * max(1, tscale))
      }
    }
  }

  func testRidgeMatchesScikitLearn() throws {
    let r = dict(Self.ref["ridge"])
    let x = matrix(r["X"]), y = matrix(r["Y"])
    let solver = try RidgeSolver(x: x, y: y)
    for fit in r["fits"]!.array.map { $0.object } {
      let alpha = num(fit["alpha"])
      let (w, b) = solver.coefficients(alpha: alpha)
      let want = matrix(fit["coef"])
      assertClose(w, want.values, rel: 1e-9, abs: 1e-12, "alpha \(alpha) coef")
      assertClose(b, doubles(fit["intercept"]), rel: 1e-9, "alpha \(alpha) intercept")
    }
    // The kernel form (X·Xᵀ) predicts what scikit-learn's coefficients predict, every α at once.
    let fits = r["fits"]!.array.map { $0.object }
    let kernel = try KernelRidge(x: x, y: y).predict(x, alphas: fits.map { num($0["alpha"]) })
    for (fit, p) in zip(fits, kernel) {
      let w = matrix(fit["coef"]), b = doubles(fit["intercept"])  // coef: features × targets, as stored
      var want = [Double]()
      for i in 0..<x.rows {
        for j in 0..<y.cols {
          var v = b[j]
          for c in 0..<x.cols { v += x[i, c] * w[c, j] }
          want.append(v)
        }
      }
      let scale = want.map(abs).max()!
      assertClose(p.values, want, rel: 1e-9, abs: 1e-9 * scale, "alpha \(num(fit["alpha"])) kernel predictions")
    }
    // Wide data (more columns than rows, the all-dimensions probe's shape): both forms agree.
    var g: UInt64 = 1
    func rnd() -> Double {
      g = g &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(g >> 11) / Double(1 << 53) - 0.5
    }
    let wx = DataMatrix(rows: 40, cols: 120, values: (0..<4800).map { _ in rnd() })
    let wy = DataMatrix(rows: 40, cols: 3, values: (0..<120).map { _ in rnd() })
    let vx = DataMatrix(rows: 7, cols: 120, values: (0..<840).map { _ in rnd() })
    let svd = try RidgeSolver(x: wx, y: wy)
    for (alpha, p) in zip([0.001, 1, 100], try KernelRidge(x: wx, y: wy).predict(vx, alphas: [0.001, 1, 100])) {
      let want = svd.predict(vx, alpha: alpha).values
      assertClose(p.values, want, rel: 1e-9, abs: 1e-10 * want.map(abs).max()!, "wide, alpha \(alpha)")
    }
  }

  /// Starts close to the optimum (where the kernel form's n-vector gradient norm cancels) still
  /// converge to it, and unscaled large-valued data (whose gradient has a rounding floor above the
  /// tolerance) stops well before the iteration limit.
  func testNearOptimalStartsAndRoundingFloors() throws {
    for case_ in Self.ref["logistic"]!.array.map({ $0.object }) {
      let x = matrix(case_["X"]), y = ints(case_["y"])
      let z = StandardScaler(fit: x).transform(x)
      let problem = LogisticProblem(z: z, y: y)
      for c in [0.1, 10.0] {
        let m = try problem.fit(c: c)
        let scale = m.weights.map(abs).max()!
        var near = m
        for j in near.weights.indices { near.weights[j] *= 1 + 1e-9 * Double(j % 3 - 1) }
        let again = try problem.fit(c: c, start: near)
        assertClose(again.weights, m.weights, rel: 0, abs: 1e-10 * max(1, scale), "C=\(c) from a start 1e-9 away")
      }
      let raw = DataMatrix(rows: x.rows, cols: x.cols, values: x.values.map { 1e3 * $0 + 5e3 })
      let r = try LogisticProblem(z: raw, y: y).fit(c: 100)
      XCTAssertTrue(r.weights.allSatisfy(\.isFinite))
      // Far below the limit of 200 (the exact count depends on the factorisation's rounding in
      // this condition-1e16 Hessian: 39 with LAPACK's dpotrf, 70 with the project's kernel).
      XCTAssertLessThan(r.iterations, 100, "unscaled data: \(r.iterations) steps")
    }
  }

  /// The reference pipeline's nested CV on its own splits: per-fold F1 and chosen C identical,
  /// inner mean scores identical, last model within 1e-6, SHAP importance within 1e-6 relative and
  /// the ranking identical.
  func testNestedCVAndSHAPMatchReferencePipeline() throws {
    let nc = dict(Self.ref["nested_cv"])
    let y = ints(nc["y"])
    let splits = referenceSplits(nc)
    // Our splitter reproduces the reference's splits from the seed alone.
    let groups = nc["groups"]!.strings
    XCTAssertEqual(try GroupSplitter.nestedShuffleSplit(groups: groups, outer: 5, inner: 5, trainSize: 0.8, seed: 42), splits)
    for (name, v) in dict(nc["cases"]).sorted(by: { $0.key < $1.key }) {
      let c = dict(v)
      let x = matrix(c["X"])
      let result = try NestedCV.run(x, y, splits: splits, config: NestedCVConfig())
      XCTAssertEqual(result.folds.map(\.f1), doubles(c["fold_f1"]), name)
      XCTAssertEqual(result.folds.map(\.c), doubles(c["fold_C"]), name)
      XCTAssertEqual(result.meanF1, num(c["f1_mean"]), name)
      XCTAssertEqual(result.folds.map(\.innerMeanScores), c["inner_mean_scores"]!.array.map(\.doubles), name)
      let coef = doubles(c["last_coef"])
      assertClose(result.lastModel.model.weights, coef, rel: 1e-6, abs: 1e-6 * coef.map(abs).max()!, "\(name) last model")
      let z = result.lastModel.transform(x)
      let imp = LinearSHAP.meanAbsolute(weights: result.lastModel.model.weights, explained: z, background: z)
      assertClose(imp, doubles(c["mean_abs_shap"]), rel: 1e-6, "\(name) mean |SHAP|")
      XCTAssertEqual(LinearSHAP.ranking(imp), ints(c["ranking"]), name)
    }
  }

  /// The reference's nested splits (outer train/test with their inner splits).
  func referenceSplits(_ nc: [String: JSON]) -> [NestedSplit] {
    nc["splits"]!.array.map { $0.object }.map { s in
      NestedSplit(outer: Split(train: ints(s["train"]), test: ints(s["test"])),
                  inner: s["inner"]!.array.map { $0.object }.map { Split(train: ints($0["train"]), test: ints($0["test"])) })
    }
  }

  /// A task's outer folds read in place from a larger matrix (its rows scattered among others,
  /// the splits mapped with `NestedSplit.mapped`, the labels put at those rows) give exactly the
  /// folds and last model of the gathered rows; the scaler's indexed transform is the gathered one.
  func testOuterFoldsReadInPlaceMatchGatheredRows() throws {
    let nc = dict(Self.ref["nested_cv"])
    let y = ints(nc["y"])
    let splits = referenceSplits(nc)
    let x = matrix(dict(nc["cases"]).sorted(by: { $0.key < $1.key }).last!.value.object["X"])
    // Row i of the task is row 3·(n − 1 − i) + 1 of the big matrix; the other rows are noise.
    let n = x.rows, d = x.cols
    let rows = (0..<n).map { 3 * (n - 1 - $0) + 1 }
    var big = DataMatrix(rows: 3 * n, cols: d, values: (0..<(3 * n * d)).map { Double(($0 * 7919) % 1009) / 97 - 5 })
    var yBig = [Int](repeating: 0, count: 3 * n)
    for (i, r) in rows.enumerated() {
      for j in 0..<d { big.values[r * d + j] = x[i, j] }
      yBig[r] = y[i]
    }
    for (k, s) in splits.enumerated() {
      let keep = k == splits.count - 1
      let (want, wantModel) = try NestedCV.outerFold(x, y, s, config: NestedCVConfig(), model: keep)
      let (got, gotModel) = try NestedCV.outerFold(big, yBig, s.mapped(rows), config: NestedCVConfig(), model: keep)
      XCTAssertEqual(got, want, "fold \(k + 1)")
      XCTAssertEqual(gotModel?.model.weights, wantModel?.model.weights, "fold \(k + 1)")
      if let m = gotModel, let scaler = m.scaler {
        XCTAssertEqual(scaler.transform(big, rows: rows), scaler.transform(big.rows(rows)))
      }
    }
  }

  /// SHAP's background means are `StandardScaler`'s means bit for bit (the same sums in the same
  /// order, without the deviations' pass), and the importance is the mean |φ| of `values`.
  func testSHAPBackgroundMeansAreTheScalersExactly() {
    var rng: UInt64 = 11
    let (rows, cols) = (37, 19)
    let values = (0..<(rows * cols)).map { _ -> Double in
      rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(Int64(bitPattern: rng >> 11) % 100_000) / 777.0
    }
    let x = DataMatrix(rows: rows, cols: cols, values: values)
    XCTAssertEqual(LinearSHAP.columnMeans(x).map(\.bitPattern), StandardScaler(fit: x).mean.map(\.bitPattern))
    let w = (0..<cols).map { Double($0) - 9.5 }
    let phi = LinearSHAP.values(weights: w, explained: x, background: x)
    let importance = LinearSHAP.meanAbsolute(weights: w, explained: x, background: x)
    for c in 0..<cols {
      let expected = (0..<rows).map { abs(phi[$0, c]) }.reduce(0, +) / Double(rows)
      XCTAssertEqual(importance[c], expected, accuracy: 1e-12 * max(1, expected))
    }
  }

  func testSpeakerZScoreAndTaskSampling() {
    let nc = dict(Self.ref["nested_cv"])
    let labels = nc["labels"]!.strings
    // build_task: RandomState(42): choose the emotion rows, then the neutral rows.
    let emo = labels.indices.filter { labels[$0] == "angry" }
    let neu = labels.indices.filter { labels[$0] == "neutral" }
    let m = min(emo.count, neu.count)
    var rs = RandomState(seed: 42)
    let pickE = rs.choiceWithoutReplacement(emo.count, m).map { emo[$0] }
    let pickN = rs.choiceWithoutReplacement(neu.count, m).map { neu[$0] }
    XCTAssertEqual(pickE + pickN, ints(nc["task_rows"]))
  }
}

final class MetricsTests: XCTestCase {
  func testMetrics() {
    let t = [1, 1, 1, 0, 0, 0, 0], p = [1, 0, 1, 1, 0, 0, 0]
    XCTAssertEqual(Metrics.binaryF1(t, p), 2.0 * 2 / (3 + 3))
    XCTAssertEqual(Metrics.binaryF1([0, 0], [0, 0]), 0, "zero_division = 0")
    XCTAssertEqual(Metrics.accuracy(t, p), 5.0 / 7)
    let recalls: Double = 2.0 / 3 + 3.0 / 4
    XCTAssertEqual(Metrics.balancedAccuracy(t, p), recalls / 2, accuracy: 1e-15)
    let f1Negative: Double = 6.0 / 8
    let f1Positive: Double = 2.0 / 3
    XCTAssertEqual(Metrics.macroF1(t, p), (f1Positive + f1Negative) / 2, accuracy: 1e-15)
    XCTAssertEqual(Metrics.rmse([1, 2, 3], [1, 2, 5]), (4.0 / 3).squareRoot())
    XCTAssertEqual(Metrics.r2([1, 2, 3], [1, 2, 3]), 1)
    // 4.5 / √(2 · 10.1666…)
    XCTAssertEqual(Metrics.pearson([1, 2, 3], [2, 4, 6.5]), 4.5 / (2 * 61.0 / 6).squareRoot(), accuracy: 1e-14)
  }

  func testSeparableAndDegenerateDataStayFinite() throws {
    // Perfectly separable: L2 keeps the solution finite; Newton converges.
    let x = DataMatrix(rows: 6, cols: 2, values: [0, 1, 1, 0, 2, 1, 10, 9, 11, 10, 12, 11])
    let y = [0, 0, 0, 1, 1, 1]
    let m = try ScaledLogistic.fit(x, y, c: 100)
    XCTAssertTrue(m.model.weights.allSatisfy(\.isFinite))
    XCTAssertEqual(m.predict(x), y)
    // Constant and duplicated columns (rank deficient).
    let x2 = DataMatrix(rows: 4, cols: 3, values: [1, 5, 5, 1, 6, 6, 1, 7, 7, 1, 8, 8])
    let m2 = try ScaledLogistic.fit(x2, [0, 0, 1, 1], c: 1)
    XCTAssertEqual(m2.model.weights[0], 0)
    XCTAssertEqual(m2.model.weights[1], m2.model.weights[2], accuracy: 1e-12)
  }

  func testSplitterErrors() {
    XCTAssertThrowsError(try GroupSplitter.kFold(groups: ["DC", "JE", "JK", "KL"], folds: 5)) { e in
      XCTAssertTrue("\(e)".contains("4 speakers cannot fill 5"), "\(e)")
    }
    XCTAssertThrowsError(try GroupSplitter.predefined(groups: ["a", "b"], train: ["a"], test: ["zz"])) { e in
      XCTAssertTrue("\(e)".contains("unknown speaker 'zz'"), "\(e)")
    }
    XCTAssertEqual(try GroupSplitter.leaveOneOut(groups: ["b", "a", "b"]).map(\.test), [[1], [0, 2]])
    XCTAssertThrowsError(try GroupSplitter.shuffleSplit(groups: ["a"], splits: 1, trainSize: 0.8, seed: 1))
  }
}

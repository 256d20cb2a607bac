import Foundation
import XCTest
import ProbeNumerics

@testable import ProbeLearn

/// Fits that stop once the classes of given rows are certain (`predicting:`) against the same fits
/// solved to the tolerance: identical predictions on those rows, including rows placed next to the
/// decision boundary, in both solver forms and from sweep-like warm starts; and the top-k sweep
/// equal to a separate nested CV of every k.
final class EarlyStopTests: XCTestCase {
  var state: UInt64 = 0xC0FFEE
  func gaussian() -> Double {
    state = state &* 6364136223846793005 &+ 1442695040888963407
    let u1 = max(Double(state >> 11) / Double(1 << 53), 1e-300)
    state = state &* 6364136223846793005 &+ 1442695040888963407
    let u2 = Double(state >> 11) / Double(1 << 53)
    return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
  }

  /// n rows, d columns; the class is a noisy linear function of the first 15 columns.
  func data(_ n: Int, _ d: Int) -> (DataMatrix, [Int]) {
    var x = [Double](), y = [Int]()
    for _ in 0..<n {
      let row = (0..<d).map { _ in gaussian() }
      var t = 0.0
      for j in 0..<min(d, 15) { t += row[j] * (j % 2 == 0 ? 0.4 : -0.3) }
      x += row
      y.append(t + gaussian() > 0 ? 1 : 0)
    }
    return (DataMatrix(rows: n, cols: d, values: x), y)
  }

  func testPredictionsEqualTheOptimumsInBothFormsFromSweepStarts() throws {
    var iterationsExact = 0, iterationsEarly = 0
    for (n, d) in [(90, 240), (90, 30)] {
      let (x, y) = data(n, d)
      let (xv, _) = data(40, d)
      for c in [0.01, 0.1, 1, 10, 100] {
        // The previous "k" (20 fewer columns), solved exactly and padded: the sweep's warm start.
        let kPrev = d - 20
        let prev = try LogisticProblem(z: x.columns(Array(0..<kPrev)), y: y).fit(c: c)
        var start = prev
        start.weights += [Double](repeating: 0, count: 20)
        let problem = LogisticProblem(z: x, y: y)
        XCTAssertEqual(problem.primal, d < n, "n \(n), d \(d): the intended solver form")
        let exact = try problem.fit(c: c, start: start)
        // Validation rows, plus rows moved to margins of ±1e-3 and ±1e-6 at the optimum.
        var rowsValues = xv.values
        let norm2 = exact.weights.reduce(0) { $0 + $1 * $1 }
        for (i, target) in [1e-3, -1e-3, 1e-6, -1e-6].enumerated() {
          var r = Array(xv.values[(i * d)..<((i + 1) * d)])
          let m = zip(r, exact.weights).reduce(exact.intercept) { $0 + $1.0 * $1.1 }
          for j in 0..<d { r[j] += (target - m) * exact.weights[j] / norm2 }
          rowsValues += r
        }
        let zv = DataMatrix(rows: 44, cols: d, values: rowsValues)
        let rows = PredictionRows(zv, for: problem)
        let early = try problem.fit(c: c, start: start, predicting: rows)
        XCTAssertEqual(early.predict(zv), exact.predict(zv), "n \(n), d \(d), C \(c)")
        iterationsExact += exact.iterations
        iterationsEarly += early.iterations
        // Without the boundary rows most fits end after the first step from the warm start.
        let easy = PredictionRows(xv, for: problem)
        let quick = try problem.fit(c: c, start: start, predicting: easy)
        XCTAssertEqual(quick.predict(xv), exact.predict(xv), "n \(n), d \(d), C \(c), validation rows")
        XCTAssertLessThanOrEqual(quick.iterations, exact.iterations)
      }
    }
    XCTAssertLessThan(iterationsEarly, iterationsExact, "the early stop never stopped early")
  }

  /// A warm start given by its margins (no products with Z to begin) reaches the same solution as
  /// the same start given by its weights, and the returned margins are Z·w and zᵥ·w of the
  /// solution; padded with zero weights for new columns, as the sweep's starts are, in both solver
  /// forms and for a problem given only its Gram matrix (which never forms weights).
  func testStartMarginsEqualTheFormedOnes() throws {
    for (n, d) in [(80, 200), (80, 25)] {
      let (x, y) = data(n, d)
      let (xv, _) = data(30, d)
      let kPrev = d - 10
      let prevProblem = LogisticProblem(z: x.columns(Array(0..<kPrev)), y: y)
      let problem = LogisticProblem(z: x, y: y)
      let rows = PredictionRows(xv, for: problem)
      let prevRows = PredictionRows(xv.columns(Array(0..<kPrev)), for: prevProblem)
      for c in [0.1, 10] {
        let prev = try prevProblem.fitMargins(c: c, start: nil, predicting: prevRows)
        // The returned margins are the solution's (to rounding).
        let w = try XCTUnwrap(prev.weights)
        let zw = LogisticModel(weights: w, intercept: 0, iterations: 0)
        for (i, v) in zw.decision(prevProblem.z).enumerated() { XCTAssertEqual(prev.margins.train[i], v, accuracy: 1e-9 * (1 + abs(v)), "row \(i)") }
        for (i, v) in zw.decision(prevRows.z).enumerated() { XCTAssertEqual(prev.margins.predicted[i], v, accuracy: 1e-9 * (1 + abs(v)), "row \(i)") }
        XCTAssertEqual(prev.margins.weightNorm2, w.reduce(0) { $0 + $1 * $1 }, accuracy: 1e-9 * prev.margins.weightNorm2)
        XCTAssertEqual(prev.predictions, LogisticModel(weights: w, intercept: prev.intercept, iterations: 0).predict(prevRows.z))
        // To the tolerance: from the margins, from the weights, and (kernel form) from the Gram matrix alone.
        var start = prev.padded(to: d)
        start.margins.predicted = []
        let given = try problem.fitMargins(c: c, start: start, predicting: nil)
        let formed = try problem.fit(c: c, start: LogisticModel(weights: start.weights!, intercept: start.intercept, iterations: 0), predicting: nil)
        XCTAssertEqual(given.intercept, formed.intercept, accuracy: 1e-9 * (1 + abs(formed.intercept)), "n \(n), d \(d), C \(c)")
        for j in 0..<d { XCTAssertEqual(given.weights![j], formed.weights[j], accuracy: 1e-9 * (1 + abs(formed.weights[j])), "weight \(j)") }
        let decision = LogisticModel(weights: formed.weights, intercept: 0, iterations: 0).decision(x)
        if !problem.primal {
          let gramOnly = LogisticProblem(gram: Linalg.gram(x.values, rows: n, cols: d), y: y)
          let fromGram = try gramOnly.fitMargins(c: c, start: start, predicting: nil)
          XCTAssertNil(fromGram.weights)
          XCTAssertEqual(fromGram.intercept, formed.intercept, accuracy: 1e-8 * (1 + abs(formed.intercept)), "C \(c)")
          for i in 0..<n { XCTAssertEqual(fromGram.margins.train[i], decision[i], accuracy: 1e-8 * (1 + abs(decision[i])), "row \(i)") }
          // With prediction rows known only by their products: the optimum's classes.
          let crossOnly = PredictionRows(count: rows.z.rows, cross: rows.cross, norms: rows.norms)
          let early = try gramOnly.fitMargins(c: c, start: prev.padded(to: d), predicting: crossOnly)
          XCTAssertEqual(early.predictions, formed.predict(xv), "C \(c), Gram only")
        }
        let early = try problem.fitMargins(c: c, start: prev.padded(to: d), predicting: rows)
        XCTAssertEqual(early.predictions, formed.predict(xv), "n \(n), d \(d), C \(c)")
      }
    }
  }

  /// Rows so far from the boundary that their curvature σ′ underflows — to exactly 0 in the
  /// libm path of the last rows (n = 43 is not a multiple of any vector width) — take the
  /// kernel-form step's product form instead of the division by √D: the fit still reaches the
  /// optimum (gradient at rounding level), from no start and from a warm start.
  /// The regularisation path in margins from the Gram matrix alone (`fitPathMargins`, as the C
  /// search runs it) against `fitPath` with rows and weights: the same optima — intercepts and
  /// prediction-row margins — and, stopping once the classes are certain, the same predictions as
  /// the optima (also with a row placed next to the boundary of one of them).
  func testPathInMarginsFromTheGramMatrixAloneEqualsThePathWithWeights() throws {
    let cs = [0.01, 0.1, 1, 10, 100]
    let (z, y) = data(70, 200)
    let (zv0, _) = data(25, 200)
    var moved = zv0.values
    var withRows = LogisticProblem(z: z, y: y, form: .kernel)
    withRows.tolerance = 1e-12
    let reference = try withRows.fitPath(cs)
    // Row 0 of the prediction rows moved to a margin of 1e-6 at C = 1: its class is certain only
    // near the optimum.
    let w1 = reference[2].weights
    let t = (zip(moved[0..<200], w1).map { $0 * $1 }.reduce(0, +) + reference[2].intercept - 1e-6) / w1.map { $0 * $0 }.reduce(0, +)
    for j in 0..<200 { moved[j] -= t * w1[j] }
    let zv = DataMatrix(rows: 25, cols: 200, values: moved)
    let products = Linalg.rowProducts(z.values + zv.values, rows: 95, first: 70, cols: 200)
    let norms = (0..<25).map { v in (1 + (0..<200).map { zv[v, $0] * zv[v, $0] }.reduce(0, +)).squareRoot() }
    var gramOnly = LogisticProblem(gram: Array(products[0..<(70 * 70)]), y: y)
    gramOnly.tolerance = 1e-12
    let rows = PredictionRows(count: 25, cross: Array(products[(70 * 70)...]), norms: norms)
    let exact = try gramOnly.fitPathMargins(cs, predicting: rows, certify: false)
    let early = try gramOnly.fitPathMargins(cs, predicting: rows, certify: true)
    for (a, c) in cs.enumerated() {
      let want = reference[a].decision(zv)
      XCTAssertNil(exact[a].weights)
      XCTAssertEqual(exact[a].intercept, reference[a].intercept, accuracy: 1e-7 * max(1, abs(reference[a].intercept)), "C = \(c)")
      for v in 0..<25 {
        XCTAssertEqual(exact[a].margins.predicted[v] + exact[a].intercept, want[v], accuracy: 1e-7 * max(1, abs(want[v])), "C = \(c) row \(v)")
      }
      XCTAssertEqual(early[a].predictions, reference[a].predict(zv), "C = \(c)")
      XCTAssertLessThanOrEqual(early[a].iterations, exact[a].iterations, "C = \(c)")
    }
  }

  func testKernelFormWithUnderflowingCurvature() throws {
    let n = 43, d = 80
    var (x, y) = data(n, d)
    let c = 10.0
    let plain = try LogisticProblem(z: x, y: y).fit(c: c)
    // The three rows classified most surely, moved to the end and scaled so their margins
    // become huge.
    let margins0 = plain.decision(x)
    let sureness = (0..<n).map { y[$0] == 1 ? margins0[$0] : -margins0[$0] }
    let order = (0..<n).sorted { sureness[$0] < sureness[$1] }
    x = x.rows(order)
    y = order.map { y[$0] }
    let far = Array((n - 3)..<n)
    for i in far {
      for j in 0..<d { x.values[i * d + j] *= 4000 / sureness[order[i]] }
    }
    let problem = LogisticProblem(z: x, y: y)
    XCTAssertFalse(problem.primal)
    for start in [nil, plain] {
      let model = try problem.fit(c: c, start: start)
      let margins = model.decision(x)
      XCTAssertGreaterThan(far.map { abs(margins[$0]) }.min()!, 800, "the far rows' curvature must underflow to 0 for this test")
      // The gradient w + C·Zᵀq and C·Σq, q = −s·σ(−s·m), at rounding level.
      var g = model.weights, gb = 0.0
      for i in 0..<n {
        let s = y[i] == 1 ? 1.0 : -1.0
        let q = -s / (1 + exp(s * margins[i]))
        gb += c * q
        for j in 0..<d { g[j] += c * q * x[i, j] }
      }
      let scale = c * Double(n)
      XCTAssertLessThan(max(g.map(abs).max()!, abs(gb)), 1e-9 * scale, "start \(start == nil ? "none" : "plain")")
      XCTAssertTrue(model.weights.allSatisfy(\.isFinite))
    }
  }

  /// Per-speaker z-scores: against the definition (population SD, constant column → 0), and the
  /// gathering form (rows picked from a larger stored matrix) bit for bit equal to z-scoring the
  /// gathered matrix.
  func testSpeakerZScoreAndItsGatheringForm() {
    let (stored, _) = data(30, 7)
    var source = stored
    for r in 0..<30 { source.values[r * 7 + 3] = 4.25 }  // a constant column
    let sourceRows = (0..<20).map { ($0 * 7) % 30 }  // a permuted subset
    let speakers = (0..<20).map { ["a", "b", "c"][$0 % 3] }
    let gathered = source.rows(sourceRows)
    let want = speakerZScore(gathered, speakers: speakers)
    for s in ["a", "b", "c"] {
      let rows = speakers.indices.filter { speakers[$0] == s }
      for c in 0..<7 {
        let v = rows.map { gathered[$0, c] }
        let mean = v.reduce(0, +) / Double(v.count)
        let sd = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)).squareRoot()
        for (k, r) in rows.enumerated() {
          XCTAssertEqual(want[r, c], c == 3 ? 0 : (v[k] - mean) / sd, accuracy: 1e-12, "speaker \(s) row \(r) column \(c)")
        }
      }
    }
    let got = source.values.withUnsafeBufferPointer { speakerZScore(gathering: sourceRows, from: $0, cols: 7, speakers: speakers) }
    XCTAssertEqual(got.rows, 20)
    XCTAssertEqual(got.values.map(\.bitPattern), want.values.map(\.bitPattern))
  }

  /// The exact dual norm of the early stop, from the kernel form's pieces, against zᵀH⁻¹z with the
  /// (d+1)² primal Hessian formed and factored directly.
  func testKernelDualNormEqualsPrimalSolve() throws {
    let n = 30, d = 45, c = 2.5
    let (z, _) = data(n, d)
    let (rowsZ, _) = data(3, d)
    let w = (0..<n).map { i in 0.05 + 0.2 * Double((i * 7) % 11) / 11 }
    let sq = w.map { $0.squareRoot() }
    // Kernel form: A = I + C·S·K·S factored, t₁ = A⁻¹·S1, s_b = C·(S1)ᵀt₁.
    let k = Linalg.gram(z.values, rows: n, cols: d)
    var a = [Double](repeating: 0, count: n * n)
    a.withUnsafeMutableBufferPointer { pa in Linalg.scaledGramShift(pa.baseAddress!, k, sq, c: c, n: n) }
    try a.withUnsafeMutableBufferPointer { try Linalg.choleskyInPlace($0.baseAddress!, n: n) }
    var t1 = sq
    a.withUnsafeBufferPointer { pa in t1.withUnsafeMutableBufferPointer { Linalg.choleskySolveInPlace(pa.baseAddress!, n: n, $0.baseAddress!, nrhs: 1) } }
    var schurB = 0.0
    for i in 0..<n { schurB += c * sq[i] * t1[i] }
    // The factor's block inverses where the solves use them (AVX-512), as the solver passes them.
    var blocks = [Double](repeating: .nan, count: Linalg.choleskyInverseCount(n))
    let hasInverses = a.withUnsafeBufferPointer { pa in blocks.withUnsafeMutableBufferPointer { Linalg.choleskyBlockInverses(pa.baseAddress!, n: n, into: $0.baseAddress!) } }
    let inverses: [Double]? = hasInverses ? blocks : nil
    // Primal: H = P + C·Z̃ᵀDZ̃ factored directly.
    let p = d + 1
    var h = [Double](repeating: 0, count: p * p)
    h.withUnsafeMutableBufferPointer { ph in Linalg.weightedGramShiftBLAS(z.values, rows: n, cols: d, weights: w, c: c, into: ph.baseAddress!) }
    try h.withUnsafeMutableBufferPointer { try Linalg.choleskyInPlace($0.baseAddress!, n: p) }
    for v in 0..<rowsZ.rows {
      let zv = Array(rowsZ.values[(v * d)..<((v + 1) * d)])
      var cross = [Double](repeating: 0, count: n)
      for i in 0..<n { for j in 0..<d { cross[i] += z[i, j] * zv[j] } }
      var scratch = [Double](repeating: 0, count: n)
      let kernel = LogisticProblem.kernelDualNorm2(
        cross: cross, zNorm2: zv.reduce(0) { $0 + $1 * $1 }, sqrtD: sq, factor: a, inverses: inverses, t1: t1, schurB: schurB, c: c, n: n, scratch: &scratch)
      var x = zv + [1]
      let zt = x
      h.withUnsafeBufferPointer { ph in x.withUnsafeMutableBufferPointer { Linalg.choleskySolveInPlace(ph.baseAddress!, n: p, $0.baseAddress!, nrhs: 1) } }
      let direct = zip(zt, x).reduce(0) { $0 + $1.0 * $1.1 }
      XCTAssertEqual(kernel, direct, accuracy: 1e-9 * direct, "row \(v)")
    }
  }

  func testSweepEqualsNestedCVOfEveryK() throws {
    let (x, y) = data(96, 120)
    let groups = (0..<96).map { "s\($0 % 12)" }
    let splits = try GroupSplitter.nestedShuffleSplit(groups: groups, outer: 2, inner: 3, trainSize: 0.8, seed: 7)
    let ranking = Array((0..<120).reversed())
    let ks = [10, 20, 40, 60, 80, 100]
    let config = NestedCVConfig()
    for s in splits {
      let swept = try NestedCV.sweepFold(x, y, s, ranking: ranking, ks: ks, config: config)
      for (k, result) in zip(ks, swept) {
        let (alone, _) = try NestedCV.outerFold(x.columns(Array(ranking.prefix(k))), y, s, config: config)
        XCTAssertEqual(result, alone, "k = \(k)")
      }
    }
  }
}

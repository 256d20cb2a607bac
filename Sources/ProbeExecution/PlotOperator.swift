import Foundation
import ProbeCore
import ProbePlanner
import ProbePlot
import ProbeStorage

/// `PLOT <EVALUATE | RANK | PROBE …> TO 'file.svg'`: runs the statement (stored cross-validations
/// are reused, so plotting after analysing costs little) and draws its stored results:
///
/// | statement | figure |
/// |---|---|
/// | `PROBE … BY CATEGORY` (or with `TOP n`) | information increase per feature as box plots per category and emotion |
/// | `PROBE … LAYER ALL …` | median information increase per category against the layer, best layer circled |
/// | `PROBE …` (with the sweep) | the top-k sweep: mean F1 against k per emotion, k* marked |
/// | `RANK egemaps …` (named features) | SHAP importance, min-max normalised within each emotion, as box plots per category and emotion |
/// | `RANK emb …` (embedding dimensions) | bars of the top-n (default 20) dimensions' mean |SHAP| |
/// | `EVALUATE …` | bars of the mean F1 per emotion and representation |
struct PlotOperator {
  let subject: BoundStatement
  let path: String

  func run(_ context: ExecutionContext, executor: Executor) throws -> ResultTable {
    guard case .analysis(let a) = subject else {
      throw ExecutionError(.input, "PLOT draws EVALUATE, RANK or PROBE results")
    }
    let c = context.connection
    let before = try c.scalar("SELECT coalesce(max(run_id), 0) FROM runs")?.intValue ?? 0
    _ = try executor.execute(subject)
    guard var run = try c.scalar("SELECT max(run_id) FROM runs")?.intValue else { throw ExecutionError(.internal, "no run to plot") }
    if a.kind == .probe, a.options["stability_seeds"] != nil, a.sets.first?.layer != .all,
       let main = try c.scalar("SELECT min(run_id) FROM probe_summary WHERE run_id > ?", [.integer(before)])?.intValue {
      run = main  // the statement's own seed; the other seeds' runs follow it
    }
    let figures = Figures(connection: c)
    let (svg, kind): (String, String)
    if a.kind == .probe, a.sets.first?.layer == .all {
      // LAYER ALL made one run per layer (each followed by its stability seeds' runs, if any):
      // draw the layers' own runs together.
      let runs = try c.query(
        "SELECT DISTINCT run_id FROM probe_summary WHERE run_id > ? AND run_id NOT IN (SELECT seed_run_id FROM probe_stability) ORDER BY run_id",
        [.integer(before)]).rows.compactMap { $0[0].intValue }
      (svg, kind) = (try figures.layers(runs: runs), "information increase by layer")
      run = runs.last ?? run
    } else {
      (svg, kind) = try figures.figure(for: a, run: run)
    }
    try write(svg)
    return ResultTable(columns: [Column("file", .text), Column("figure", .text), Column("run_id", .integer)],
                       rows: [[.text(path), .text(kind), .integer(run)]])
  }

  func write(_ svg: String) throws {
    do { try svg.write(toFile: path, atomically: true, encoding: .utf8) } catch {
      throw ExecutionError(.io, "cannot write '\(path)': \(error.localizedDescription)")
    }
  }
}

/// Builds figures from stored results (shared by PLOT and REPORT).
struct Figures {
  let connection: Connection

  static let categoryNames = ["energy": "Energy", "frequency": "Frequency", "spectral": "Spectral", "temporal": "Temporal"]

  func figure(for a: BoundAnalysis, run: Int64) throws -> (svg: String, kind: String) {
    switch a.kind {
    case .probe:
      let hasSweep = (try connection.scalar("SELECT count(*) FROM topk_sweep WHERE run_id = ?", [.integer(run)])?.intValue ?? 0) > 0
      if a.byCategory || !hasSweep { return (try informationIncrease(run: run), "information increase by category") }
      return (try sweep(run: run), "top-k sweep")
    case .rank:
      let named = (try connection.scalar("SELECT count(*) FROM shap_importance WHERE run_id = ? AND feature IS NOT NULL", [.integer(run)])?.intValue ?? 0) > 0
      if named { return (try shapByCategory(run: run), "SHAP importance by category") }
      return (try shapBars(run: run, top: a.top ?? 20), "SHAP importance of the top dimensions")
    case .evaluate:
      return (try f1Bars(run: run), "mean F1 per emotion")
    }
  }

  func informationIncrease(run: Int64) throws -> String {
    let rows = try connection.query("SELECT emotion, category, information_increase, representation, k FROM probe_results WHERE run_id = ? ORDER BY emotion", [.integer(run)]).rows
    guard !rows.isEmpty else { throw ExecutionError(.input, "run \(run) has no probe results") }
    var values: [String: [String: [Double]]] = [:]
    var emotions: [String] = []
    for r in rows {
      let e = r[0].stringValue!, cat = Self.categoryNames[r[1].stringValue!] ?? r[1].stringValue!
      if !emotions.contains(e) { emotions.append(e) }
      if let v = r[2].doubleValue { values[cat, default: [:]][e, default: []].append(v) }
    }
    let groups = ["Energy", "Frequency", "Spectral", "Temporal"].filter { values[$0] != nil }
    return BoxPlotChart(title: "Information increase of the top-k dimensions of '\(rows[0][3].stringValue!)'", yLabel: "II = RMSE_all / RMSE_top²",
                        groups: groups, series: emotions, values: values, referenceLine: 1).render()
  }

  /// The runs of one `PROBE … LAYER ALL` (one per layer): per category, the median II of the
  /// emotion (the mean of the per-emotion medians for several), against the layer; the best layer
  /// of each category circled.
  func layers(runs: [Int64]) throws -> String {
    guard !runs.isEmpty else { throw ExecutionError(.input, "no probe results to draw by layer") }
    let list = runs.map(String.init).joined(separator: ",")
    let rows = try connection.query(
      "SELECT layer, category, avg(median), count(DISTINCT emotion), group_concat(DISTINCT emotion), min(representation) FROM probe_summary WHERE run_id IN (\(list)) GROUP BY layer, category ORDER BY category, layer").rows
    var series: [(name: String, points: [(Double, Double)], marked: Double?)] = []
    for r in rows {
      let cat = Self.categoryNames[r[1].stringValue!] ?? r[1].stringValue!
      if series.last?.name != cat { series.append((cat, [], nil)) }
      if let layer = r[0].doubleValue, let v = r[2].doubleValue { series[series.count - 1].points.append((layer, v)) }
    }
    for i in series.indices { series[i].marked = series[i].points.max { $0.1 < $1.1 }?.0 }
    let emotions = rows.first.map { ($0[4].stringValue ?? "").split(separator: ",").sorted() } ?? []
    let named = emotions.count <= 3 ? emotions.joined(separator: ", ") : "\(emotions.count) emotions"
    return LineChart(title: "Information increase by layer of '\(rows.first?[5].stringValue ?? "")' (\(named))", xLabel: "layer",
                     yLabel: emotions.count > 1 ? "median II per category, mean over emotions" : "median II per category",
                     series: series, markLabel: "best layer", referenceLine: 1, integerX: true).render()
  }

  func sweep(run: Int64) throws -> String {
    let rows = try connection.query("SELECT emotion, k, f1, representation FROM topk_sweep WHERE run_id = ? ORDER BY emotion, k", [.integer(run)]).rows
    var series: [(name: String, points: [(Double, Double)], marked: Double?)] = []
    for r in rows {
      let e = r[0].stringValue!
      if series.last?.name != e {
        let k = try connection.scalar("SELECT k FROM probe_results WHERE run_id = ? AND emotion = ? LIMIT 1", [.integer(run), .text(e)])?.doubleValue
        series.append((e, [], k))
      }
      series[series.count - 1].points.append((r[1].doubleValue!, r[2].doubleValue!))
    }
    return LineChart(title: "Top-k sweep on '\(rows.first?[3].stringValue ?? "")'", xLabel: "k (top SHAP dimensions)", yLabel: "mean F1 over outer folds", series: series).render()
  }

  func shapByCategory(run: Int64) throws -> String {
    let rows = try connection.query("SELECT emotion, feature, mean_abs_shap FROM shap_importance WHERE run_id = ? ORDER BY emotion", [.integer(run)]).rows
    var byEmotion: [String: [(String, Double)]] = [:]
    var emotions: [String] = []
    for r in rows {
      let e = r[0].stringValue!
      if !emotions.contains(e) { emotions.append(e) }
      byEmotion[e, default: []].append((r[1].stringValue!, r[2].doubleValue!))
    }
    let category = Dictionary(uniqueKeysWithValues: EGeMAPS.features.map { ($0.name, Self.categoryNames[$0.category]!) })
    var values: [String: [String: [Double]]] = [:]
    for (e, list) in byEmotion {
      // Min-max normalised within the emotion, as in the paper's figure.
      let lo = list.map(\.1).min()!, hi = list.map(\.1).max()!
      for (f, v) in list {
        let cat = category[f] ?? "Other"
        values[cat, default: [:]][e, default: []].append(hi > lo ? (v - lo) / (hi - lo) : 0)
      }
    }
    let groups = ["Energy", "Frequency", "Spectral", "Temporal", "Other"].filter { values[$0] != nil }
    return BoxPlotChart(title: "eGeMAPS SHAP importance by category", yLabel: "mean |SHAP|, min-max normalised per emotion",
                        groups: groups, series: emotions, values: values).render()
  }

  func shapBars(run: Int64, top: Int) throws -> String {
    let rows = try connection.query(
      "SELECT emotion, dim, mean_abs_shap, representation FROM shap_importance WHERE run_id = ? AND rank <= ? ORDER BY emotion, rank", [.integer(run), .integer(Int64(top))]).rows
    let multi = Set(rows.map { $0[0].stringValue! }).count > 1
    let bars = rows.map { r in ((multi ? "\(r[0].stringValue!) · " : "") + "dim \(r[1].intValue ?? -1)", r[2].doubleValue!) }
    let e = rows.first?[0].stringValue ?? ""
    return BarChart(title: "Top \(top) dimensions of '\(rows.first?[3].stringValue ?? "")' by SHAP" + (multi ? "" : " (\(e))"), xLabel: "mean |SHAP|",
                    bars: bars, color: Palette.color(e, index: 0)).render()
  }

  func f1Bars(run: Int64) throws -> String {
    let rows = try connection.query(
      "SELECT emotion, representation, avg(f1) FROM evaluations WHERE run_id = ? GROUP BY emotion, representation ORDER BY emotion, representation", [.integer(run)]).rows
    return BarChart(title: "Nested-CV F1 (emotion vs neutral)", xLabel: "mean binary F1 over outer folds",
                    bars: rows.map { ("\($0[0].stringValue!) · \($0[1].stringValue!)", $0[2].doubleValue!) }).render()
  }
}

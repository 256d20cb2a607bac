import Foundation
import ProbeCore
import ProbeStorage

/// `REPORT TO 'report.md'`: a Markdown report of the latest EVALUATE, RANK and PROBE runs — tables
/// of their stored results, the figures (SVG files written next to the report and linked), and
/// the provenance of every run it cites. Nothing is recomputed.
struct ReportOperator {
  let path: String

  func run(_ context: ExecutionContext) throws -> ResultTable {
    let c = context.connection
    let figures = Figures(connection: c)
    let url = URL(fileURLWithPath: path)
    let stem = url.deletingPathExtension().lastPathComponent
    let dir = url.deletingLastPathComponent()
    var md = "# ProbeDB report\n\nGenerated \(Timestamp.now()) by ProbeDB \(ProbeVersion.string) from `\(c.path)`.\n\n"
    var cited: [Int64] = []
    var files: [String] = []

    func table(_ header: [String], _ rows: [[String]]) -> String {
      var s = "| " + header.joined(separator: " | ") + " |\n|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
      for r in rows { s += "| " + r.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n" }
      return s + "\n"
    }
    func fmt(_ v: Value, _ digits: Int = 4) -> String {
      if case .real(let d) = v { return String(format: "%.\(digits)f", d) }
      return v.isNull ? "" : v.description
    }
    func figure(_ name: String, _ svg: String, _ caption: String) throws {
      let file = "\(stem)-\(name).svg"
      do { try svg.write(to: dir.appendingPathComponent(file), atomically: true, encoding: .utf8) } catch {
        throw ExecutionError(.io, "cannot write '\(dir.appendingPathComponent(file).path)': \(error.localizedDescription)")
      }
      files.append(file)
      md += "![\(caption)](\(file))\n\n*\(caption)*\n\n"
    }
    func latest(_ prefix: String, having table: String) throws -> Int64? {
      try c.scalar(
        "SELECT max(r.run_id) FROM runs r WHERE (r.statement LIKE ? OR r.statement LIKE ?) AND r.status = 'ok' AND EXISTS (SELECT 1 FROM \(table) t WHERE t.run_id = r.run_id)",
        [.text(prefix + "%"), .text("PLOT " + prefix + "%")])?.intValue
    }
    func statement(_ run: Int64) throws -> String {
      try c.scalar("SELECT statement FROM runs WHERE run_id = ?", [.integer(run)])?.stringValue ?? ""
    }

    // Corpora.
    let corpora = try c.query(
      "SELECT c.name, c.format, c.utterances, (SELECT count(DISTINCT speaker) FROM utterances u WHERE u.corpus = c.name), (SELECT group_concat(e, ', ') FROM (SELECT DISTINCT emotion AS e FROM utterances u WHERE u.corpus = c.name AND emotion IS NOT NULL ORDER BY e)) FROM corpora c ORDER BY c.name").rows
    md += "## Corpora\n\n" + table(["corpus", "format", "utterances", "speakers", "emotions"], corpora.map { $0.map { fmt($0) } })

    if let run = try latest("EVALUATE", having: "evaluations") {
      cited.append(run)
      md += "## Classification\n\nRun \(run): `\(try statement(run))`. Nested speaker-grouped cross-validation of an L2 logistic regression; binary F1 of the emotion on each outer test split.\n\n"
      let rows = try c.query(
        "SELECT emotion, representation, avg(f1), group_concat(printf('%.3f', f1), ' '), group_concat(c, ' ') FROM (SELECT * FROM evaluations WHERE run_id = ? ORDER BY fold) GROUP BY emotion, representation ORDER BY emotion, representation",
        [.integer(run)]).rows
      md += table(["emotion", "representation", "mean F1", "F1 per fold", "C per fold"], rows.map { $0.map { fmt($0) } })
      try figure("f1", figures.f1Bars(run: run), "Mean nested-CV F1 per emotion and representation (run \(run))")
    }
    for (kind, condition) in [("named features", "feature IS NOT NULL"), ("embedding dimensions", "dim IS NOT NULL")] {
      guard let run = try c.scalar("SELECT max(run_id) FROM shap_importance WHERE \(condition) AND run_id IN (SELECT run_id FROM runs WHERE statement LIKE 'RANK%' OR statement LIKE 'PLOT RANK%')")?.intValue else { continue }
      cited.append(run)
      md += "## SHAP importance of \(kind)\n\nRun \(run): `\(try statement(run))`. Mean |SHAP| of the last outer fold's model over the task's rows; top 10 per emotion.\n\n"
      let rows = try c.query(
        "SELECT emotion, rank, coalesce(feature, 'dim ' || dim), mean_abs_shap FROM shap_importance WHERE run_id = ? AND rank <= 10 ORDER BY emotion, rank", [.integer(run)]).rows
      md += table(["emotion", "rank", kind == "named features" ? "feature" : "dimension", "mean abs SHAP"], rows.map { $0.map { fmt($0, 5) } })
      if kind == "named features" {
        try figure("shap-categories", figures.shapByCategory(run: run), "eGeMAPS SHAP importance, min-max normalised within each emotion, by category (run \(run))")
      } else {
        try figure("shap-dims", figures.shapBars(run: run, top: 20), "Top 20 embedding dimensions by SHAP (run \(run))")
      }
    }
    if var run = try latest("PROBE", having: "probe_results") {
      // With stability_seeds the other seeds' runs follow the statement's own: report that one.
      if let main = try c.scalar("SELECT max(run_id) FROM probe_stability WHERE seed_run_id = ?", [.integer(run)])?.intValue { run = main }
      cited.append(run)
      md += "## Probing\n\nRun \(run): `\(try statement(run))`. Ridge regressions predict each eGeMAPS feature from the top-k SHAP dimensions and from all dimensions; information increase II = RMSE_all / RMSE_top² (II > 1: the emotion's dimensions carry that information).\n\n"
      let ks = try c.query("SELECT emotion, k, count(*) FROM probe_results WHERE run_id = ? GROUP BY emotion ORDER BY emotion", [.integer(run)]).rows
      md += table(["emotion", "k", "features"], ks.map { $0.map { fmt($0) } })
      let summary = try c.query(
        "SELECT emotion, category, n, median, mean, share_above_1 FROM probe_summary WHERE run_id = ? ORDER BY emotion, median DESC", [.integer(run)]).rows
      md += table(["emotion", "category", "features", "median II", "mean II", "share II > 1"], summary.map { $0.map { fmt($0) } })
      let means = try c.query("SELECT category, avg(median) FROM probe_summary WHERE run_id = ? GROUP BY category ORDER BY avg(median) DESC", [.integer(run)]).rows
      md += "Mean over emotions of the median II per category: " + means.map { "\($0[0].stringValue!) \(fmt($0[1], 3))" }.joined(separator: ", ") + ".\n\n"
      try figure("ii", figures.informationIncrease(run: run), "Information increase per feature, by category and emotion (run \(run))")
      if (try c.scalar("SELECT count(*) FROM topk_sweep WHERE run_id = ?", [.integer(run)])?.intValue ?? 0) > 0 {
        try figure("sweep", figures.sweep(run: run), "Top-k sweep: mean F1 of the top-k SHAP dimensions, k* circled (run \(run))")
      }
      let stability = try c.query(
        "SELECT emotion, seed, seed_run_id, k, f1, top_overlap FROM probe_stability WHERE run_id = ? ORDER BY emotion, seed", [.integer(run)]).rows
      if !stability.isEmpty {
        let own = try c.query("SELECT emotion, min(k) FROM probe_results WHERE run_id = ? GROUP BY emotion", [.integer(run)]).rows
        md += "### Stability across seeds\n\nThe same probe with other seeds (other rows and splits): k\\* of each seed's run and the Jaccard overlap of its top-k\\* dimensions with this run's (k\\* here: "
          + own.map { "\($0[0].stringValue!) \(fmt($0[1]))" }.joined(separator: ", ") + ").\n\n"
        md += table(["emotion", "seed", "run", "k*", "F1 at k*", "top-k* overlap"], stability.map { $0.map { fmt($0, 3) } })
        cited += stability.compactMap { $0[2].intValue }.filter { !cited.contains($0) }
      }
      // A `LAYER ALL` probe made one run per layer, in a row, with the same statement, each
      // followed by its stability seeds' runs when it has any: walk back over the statement's
      // runs, skipping seed runs, while the layers go down.
      let text = try statement(run)
      var layerRuns: [Int64] = []
      var seen = Set<Int64>()
      var below = Int64.max
      for r in try c.query(
        "SELECT run_id, statement, run_id IN (SELECT seed_run_id FROM probe_stability) FROM runs WHERE run_id <= ? ORDER BY run_id DESC", [.integer(run)]).rows {
        guard r[1].stringValue == text, let id = r[0].intValue else { break }
        if r[2].intValue == 1 { continue }
        guard let layer = try c.scalar("SELECT min(layer) FROM probe_summary WHERE run_id = ?", [.integer(id)])?.intValue, layer < below else { break }
        below = layer
        seen.insert(layer)
        layerRuns.insert(id, at: 0)
      }
      if layerRuns.count > 1 {
        cited += layerRuns.filter { $0 != run }
        let list = layerRuns.map(String.init).joined(separator: ",")
        md += "### By layer\n\nRuns \(layerRuns.first!)–\(layerRuns.last!), one per layer (the tables above are layer \(seen.max()!)'s). Mean over emotions of the median II per category:\n\n"
        let byLayer = try c.query("SELECT layer, category, avg(median) FROM probe_summary WHERE run_id IN (\(list)) GROUP BY layer, category ORDER BY layer, category").rows
        let cats = Array(Set(byLayer.compactMap { $0[1].stringValue })).sorted()
        var grid: [Int64: [String: Value]] = [:]
        for r in byLayer { grid[r[0].intValue!, default: [:]][r[1].stringValue!] = r[2] }
        md += table(["layer"] + cats, grid.keys.sorted().map { l in ["\(l)"] + cats.map { fmt(grid[l]?[$0] ?? .null, 3) } })
        try figure("layers", figures.layers(runs: layerRuns), "Median information increase per category by layer, best layer circled (runs \(layerRuns.first!)–\(layerRuns.last!))")
      }
    }
    if cited.isEmpty { md += "No analysis has been run yet: EVALUATE, RANK or PROBE first.\n\n" }
    md += "## Provenance\n\n"
    let runs = try c.query(
      "SELECT run_id, statement, options, inputs, started_at, finished_at, engine_version FROM runs WHERE run_id IN (\(cited.map(String.init).joined(separator: ",")))  ORDER BY run_id").rows
    for r in runs {
      md += "- **Run \(fmt(r[0]))** `\(r[1].stringValue ?? "")` — started \(fmt(r[4])), finished \(fmt(r[5])), ProbeDB \(fmt(r[6])); options `\(fmt(r[2]))`; inputs `\(fmt(r[3]))`\n"
    }
    do { try md.write(to: url, atomically: true, encoding: .utf8) } catch {
      throw ExecutionError(.io, "cannot write '\(path)': \(error.localizedDescription)")
    }
    return ResultTable(columns: [Column("file", .text), Column("figures", .integer), Column("runs", .text)],
                       rows: [[.text(path), .integer(Int64(files.count)), .text(cited.map(String.init).joined(separator: " "))]])
  }
}

import Foundation
import ProbeCore
import ProbeLearn
import ProbePlanner
import ProbeStorage

/// For EXPLAIN: which cross-validations and sweep points of an analysis are already stored (and
/// would be reused) and which would be computed.
struct CacheReport {
  let bound: BoundAnalysis

  func lines(_ context: ExecutionContext) throws -> [String] {
    // PROBE uses the rows that also have eGeMAPS targets: load the same sets it loads.
    var sets = bound.sets
    if bound.kind == .probe { sets = [bound.sets[0], BoundSet(name: "egemaps", layer: .last)] }
    let op = AnalysisOperator(bound: { var b = bound; b.sets = sets; return b }())
    var data = try op.load(context)
    if bound.kind == .probe { data.matrices = Array(data.matrices.prefix(1)) }
    let tasks = try op.tasks(data, cache: context.cache)
    let config = op.cvConfig
    var out = ["cache:"]
    for t in tasks {
      for m in data.matrices {
        let key = op.protocolKey(t, m.info, m.layer)
        let name = "\(t.emotion) × \(m.info.name)"
        if let stored = try op.storedCV(context.connection, key: key, folds: t.splits.count, grid: config.cGrid) {
          out.append("  NestedCV \(name): cached (run \(stored.run))")
        } else {
          out.append("  NestedCV \(name): to compute (\(t.splits.count) outer × \(t.splits.first?.inner.count ?? 0) inner splits × \(config.cGrid.count) C)")
        }
        if bound.kind == .probe && bound.top == nil {
          // Sweep points are keyed by their exact column sets, which follow from the SHAP ranking
          // of the (cached) last outer fold's model: refit that one model to know them.
          guard let stored = try op.storedCV(context.connection, key: key, folds: t.splits.count, grid: config.cGrid) else {
            out.append("  TopKSweep \(name): to compute")
            continue
          }
          let x = m.x.rows(t.rows)
          let last = t.splits[t.splits.count - 1].outer
          let model = try ScaledLogistic.fit(x.rows(last.train), last.train.map { t.y[$0] }, c: stored.folds[stored.folds.count - 1].c)
          let ranking = LinearSHAP.ranking(op.shap(model, x))
          let ks = Array(stride(from: 10, to: m.x.cols / 2, by: 10))
          let probe = ProbeOperator(bound: bound)
          let cached = try ks.filter { try probe.storedSweep(context.connection, key: op.protocolKey(t, m.info, m.layer, columns: Array(ranking.prefix($0)))) != nil }
          out.append(cached.count == ks.count ? "  TopKSweep \(name): cached (\(ks.count) points)" : "  TopKSweep \(name): to compute (\(ks.count - cached.count) of \(ks.count) points)")
        }
      }
    }
    return out
  }
}

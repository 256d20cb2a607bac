/// A node of the logical plan: an operator name, its key parameters and its inputs. Plans are
/// values: printed by `EXPLAIN`, compared in tests, turned into physical operators by the
/// executor.
public struct LogicalPlan: Sendable, Equatable {
  public var op: String
  public var details: [String]
  public var children: [LogicalPlan]
  /// False for operators a later release brings; the executor refuses them with a clear message.
  public var available: Bool

  public init(_ op: String, _ details: [String] = [], children: [LogicalPlan] = [], available: Bool = true) {
    self.op = op
    self.details = details
    self.children = children
    self.available = available
  }

  /// The indented tree, root first:
  ///
  ///     InsertCorpus name=r
  ///       ReadHeaders fingerprint=sha256
  ///         ParseNames format=detect
  ///           ScanFolder path='/data/r'
  public func render() -> String {
    var out: [String] = []
    func walk(_ p: LogicalPlan, _ depth: Int) {
      let d = p.details.isEmpty ? "" : " " + p.details.joined(separator: " ")
      out.append(String(repeating: "  ", count: depth) + p.op + d + (p.available ? "" : "  [not available yet]"))
      for c in p.children { walk(c, depth + 1) }
    }
    walk(self, 0)
    return out.joined(separator: "\n")
  }

  /// Every operator in the tree that is not available yet, root first.
  public var unavailable: [LogicalPlan] {
    (available ? [] : [self]) + children.flatMap(\.unavailable)
  }
}

/// Turns a bound statement into its logical plan.
public enum Planner {
  public static func plan(_ s: BoundStatement) -> LogicalPlan {
    switch s {
    case .importCorpus(let b):
      let manifest = b.format == .csv || (b.format == nil && b.path.lowercased().hasSuffix(".csv"))
      let scan = LogicalPlan(manifest ? "ReadManifest" : "ScanFolder", ["path='\(b.path)'"])
      let parse = LogicalPlan("ParseLabels", ["format=\(b.format?.rawValue ?? (manifest ? "csv" : "detect"))"], children: [scan])
      let fp = b.options["fingerprint"] != .boolean(false)
      let headers = LogicalPlan("ReadHeaders", fp ? ["fingerprint=sha256"] : [], children: [parse])
      return LogicalPlan("InsertCorpus", ["name=\(b.name)"], children: [headers])
    case .transfer(let t):
      switch t.direction {
      case .export:
        if t.lld {
          let decode = LogicalPlan("DecodeAudio", ["rate=16000", "mono"], children: [LogicalPlan("ScanUtterances", ["corpus=\(t.corpus)"])])
          return LogicalPlan("WriteCSV", ["path='\(t.path)'"], children: [LogicalPlan("EGeMAPSContours", ["columns=25"], children: [decode])])
        }
        return LogicalPlan("WriteCSV", ["path='\(t.path)'"], children: [LogicalPlan("ScanSet", ["set=\(t.set)", "corpus=\(t.corpus)"])])
      case .importEmbeddings:
        let keys = LogicalPlan("ReadKeys", ["path='\(t.keys ?? "")'"])
        return LogicalPlan("InsertSet", ["set=\(t.set)", "corpus=\(t.corpus)", "kind=embeddings"], children: [LogicalPlan("ReadMatrix", ["path='\(t.path)'"]), keys])
      case .importFeatures:
        return LogicalPlan("InsertSet", ["set=\(t.set)", "corpus=\(t.corpus)", "kind=features"], children: [LogicalPlan("ReadFeatureTable", ["path='\(t.path)'"])])
      }
    case .extract(let e):
      let scan = LogicalPlan("ScanUtterances", ["corpus=\(e.corpus)"])
      let decode = LogicalPlan("DecodeAudio", ["rate=16000", "mono"], children: [scan])
      let op = e.set == "wavlm" ? "EmbedWavLM" : e.set == "fbank" ? "ExtractFbank" : "ExtractEGeMAPS"
      let ex = LogicalPlan(op, e.model.map { ["model='\($0)'"] } ?? [], children: [decode])
      return LogicalPlan("StoreSet", ["set=\(e.set)", "resumable"], children: [ex])
    case .show(let k): return LogicalPlan("Show", [k.rawValue])
    case .describeCorpus(let c): return LogicalPlan("DescribeCorpus", [c])
    case .describeTable(let t): return LogicalPlan("DescribeTable", [t])
    case .use(let c): return LogicalPlan("Use", [c])
    case .dropCorpus(let c, let requested): return LogicalPlan("DropCorpus", [c ?? requested] + (c == nil ? ["(absent)"] : []))
    case .analysis(let a):
      let sets = a.sets.map { s -> String in
        switch s.layer {
        case .last: return s.name
        case .all: return "\(s.name) LAYER ALL"
        case .index(let i): return "\(s.name) LAYER \(i)"
        }
      }
      let scan = LogicalPlan("ScanRepresentations", ["corpus=\(a.corpus)", "sets=\(sets.joined(separator: ","))", "emotions=\(a.emotions.joined(separator: ","))+\(a.baseline)"])
      let cv = LogicalPlan("NestedCV", ["model=logistic-l2", "options=\(a.options.json)"], children: [scan])
      switch a.kind {
      case .evaluate: return LogicalPlan("StoreEvaluations", children: [cv])
      case .rank:
        return LogicalPlan("StoreShapImportance", a.top.map { ["top=\($0)"] } ?? [], children: [LogicalPlan("LinearSHAP", children: [cv])])
      case .probe:
        let sweep = LogicalPlan("TopKSweep", a.top.map { ["k=\($0)"] } ?? ["k=auto"], children: [LogicalPlan("LinearSHAP", children: [cv])])
        let targets = LogicalPlan("ScanRepresentations", ["corpus=\(a.corpus)", "sets=egemaps", "targets=\(a.features.count)"])
        let ridge = LogicalPlan("RidgeProbe", ["features=\(a.features.count)"] + (a.byCategory ? ["by-category"] : []), children: [sweep, targets])
        return LogicalPlan("StoreProbeResults", children: [ridge])
      }
    case .explain(let inner): return plan(inner)
    case .plot(let inner, let path): return LogicalPlan("PlotSVG", ["path='\(path)'"], children: [plan(inner)])
    case .report(let path): return LogicalPlan("WriteReport", ["path='\(path)'"], children: [LogicalPlan("ScanLatestRuns")])
    case .sql(let sql): return LogicalPlan("SQLite", [sql.count > 60 ? String(sql.prefix(57)) + "..." : sql])
    }
  }
}

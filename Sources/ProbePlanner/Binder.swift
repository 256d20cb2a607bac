import Foundation
import ProbeCore
import ProbeCorpus
import ProbeSyntax

/// Resolves the names in a parsed statement against a `Catalog`: corpora, feature and embedding
/// sets, emotions, feature names and options. Unknown names get "did you mean" notes; every
/// diagnostic points at the name's range in the statement.
public struct Binder {
  public let catalog: Catalog
  public let source: SourceFile
  /// Directory relative paths are resolved against.
  public let workingDirectory: String

  /// Extractors `EXTRACT` knows, and the statement that makes each.
  public static let extractors = ["egemaps", "wavlm", "fbank"]

  public init(catalog: Catalog, source: SourceFile, workingDirectory: String = FileManager.default.currentDirectoryPath) {
    self.catalog = catalog
    self.source = source
    self.workingDirectory = workingDirectory
  }

  func fail(_ id: String, _ message: String, _ range: SourceRange, notes: [String] = []) -> Diagnostic {
    Diagnostic("bind.\(id)", message, range: range, source: source, notes: notes)
  }

  func didYouMean(_ name: String, _ candidates: [String]) -> [String] {
    closestMatch(to: name, in: candidates).map { ["did you mean '\($0)'?"] } ?? []
  }

  public func bind(_ statement: Statement) throws(Diagnostic) -> BoundStatement {
    switch statement {
    case .importCorpus(let s): return .importCorpus(try bindImportCorpus(s))
    case .importEmbeddings(let s):
      let corpus = try corpus(s.corpus)
      try checkNewSetName(s.name)
      _ = try options(s.options, for: "IMPORT EMBEDDINGS")
      return .transfer(BoundTransfer(direction: .importEmbeddings, set: s.name.text, corpus: corpus, path: resolve(s.path.value), keys: resolve(s.keys.value), layer: .last, lld: false))
    case .importFeatures(let s):
      let corpus = try corpus(s.corpus)
      if s.name.text.lowercased() != "egemaps" { try checkNewSetName(s.name) }
      _ = try options(s.options, for: "IMPORT FEATURES")
      return .transfer(BoundTransfer(direction: .importFeatures, set: s.name.text, corpus: corpus, path: resolve(s.path.value), keys: nil, layer: .last, lld: false))
    case .extract(let s): return .extract(try bindExtract(s))
    case .export(let s):
      let corpus = try corpus(s.corpus)
      // LLD contours are computed from the audio; only the functionals need extracting first.
      let set = s.lld && s.set.text.lowercased() == "egemaps" ? "egemaps" : try storedSet(s.set, in: corpus)
      _ = try options(s.options, for: "EXPORT")
      return .transfer(BoundTransfer(direction: .export, set: set, corpus: corpus, path: resolve(s.path.value), keys: nil, layer: layer(s.layer), lld: s.lld))
    case .show(let s): return .show(BoundStatement.ShowKind(rawValue: s.what.rawValue)!)
    case .describe(let s):
      if let c = catalog.corpusNames.first(where: { $0.lowercased() == s.name.text.lowercased() }) { return .describeCorpus(c) }
      if let t = catalog.tableNames.first(where: { $0.lowercased() == s.name.text.lowercased() }) { return .describeTable(t) }
      throw fail("unknown-name", "no corpus or table named '\(s.name.text)'", s.name.range, notes: didYouMean(s.name.text, catalog.corpusNames + catalog.tableNames))
    case .use(let s): return .use(try corpus(s.name))
    case .dropCorpus(let s):
      if let c = catalog.corpusNames.first(where: { $0.lowercased() == s.name.text.lowercased() }) { return .dropCorpus(c, requested: s.name.text) }
      if s.ifExists { return .dropCorpus(nil, requested: s.name.text) }
      _ = try corpus(s.name)
      return .dropCorpus(nil, requested: s.name.text)
    case .evaluate(let s):
      let corpus = try corpusOrDefault(s.corpus, at: s.sets[0].range)
      let emotions = try targetEmotions(s.target, in: corpus)
      let baseline = try emotion(s.baseline, in: corpus)
      var sets: [BoundSet] = []
      for r in s.sets {
        let b = BoundSet(name: try storedSet(r.name, in: corpus), layer: layer(r.layer))
        if sets.contains(b) { throw fail("duplicate-set", "'\(r.name.text)' is named twice", r.range) }
        sets.append(b)
      }
      var a = BoundAnalysis(kind: .evaluate, emotions: emotions.filter { $0 != baseline }, baseline: baseline, sets: sets, corpus: corpus, top: nil, features: [], byCategory: false, options: try options(s.options, for: "EVALUATE"))
      if case .star = s.target { a.allEmotions = true }
      return .analysis(a)
    case .rank(let s):
      let corpus = try corpusOrDefault(s.corpus, at: s.set.range)
      let emotions = try targetEmotions(s.target, in: corpus)
      let set = BoundSet(name: try storedSet(s.set.name, in: corpus), layer: layer(s.set.layer))
      try checkTop(s.top)
      var a = BoundAnalysis(kind: .rank, emotions: emotions.filter { $0 != "neutral" }, baseline: "neutral", sets: [set], corpus: corpus, top: s.top?.value, features: [], byCategory: false, options: try options(s.options, for: "RANK"))
      if case .star = s.target { a.allEmotions = true }
      return .analysis(a)
    case .probe(let s):
      var features: [String] = []
      if s.allFeatures { features = EGeMAPS.names } else {
        for f in s.features {
          guard let names = EGeMAPS.expand(f.text) else {
            throw fail("unknown-feature", "unknown eGeMAPS feature, family or category '\(f.text)'", f.range, notes: didYouMean(f.text, EGeMAPS.allSpellings))
          }
          for n in names where !features.contains(n) { features.append(n) }
        }
      }
      let corpus = try corpusOrDefault(s.corpus, at: s.set.range)
      let emotions = try targetEmotions(s.target, in: corpus)
      let set = BoundSet(name: try storedSet(s.set.name, in: corpus), layer: layer(s.set.layer))
      try checkTop(s.top)
      var a = BoundAnalysis(kind: .probe, emotions: emotions.filter { $0 != "neutral" }, baseline: "neutral", sets: [set], corpus: corpus, top: s.top?.value, features: features, byCategory: s.byCategory, options: try options(s.options, for: "PROBE"))
      if case .star = s.target { a.allEmotions = true }
      return .analysis(a)
    case .explain(let inner): return .explain(try bind(inner))
    case .plot(let p): return .plot(try bind(p.subject), path: resolve(p.path.value))
    case .report(let r): return .report(path: resolve(r.path.value))
    case .sql(let s): return .sql(s.sql)
    }
  }

  // MARK: - Pieces

  func resolve(_ path: String) -> String {
    let expanded = (path as NSString).expandingTildeInPath
    if expanded.hasPrefix("/") { return expanded }
    return URL(fileURLWithPath: workingDirectory).appendingPathComponent(expanded).standardized.path
  }

  func bindImportCorpus(_ s: ImportCorpusStatement) throws(Diagnostic) -> BoundImportCorpus {
    if let existing = catalog.corpusNames.first(where: { $0.lowercased() == s.name.text.lowercased() }) {
      throw fail("corpus-exists", "a corpus named '\(existing)' exists already", s.name.range, notes: ["DROP CORPUS \(existing) first, or import under another name"])
    }
    var format: CorpusFormat?
    if let f = s.format {
      guard let cf = CorpusFormat(name: f.text) else {
        throw fail("unknown-format", "unknown corpus format '\(f.text)'", f.range, notes: didYouMean(f.text, CorpusFormat.allCases.map(\.rawValue)) + ["formats: " + CorpusFormat.allCases.map(\.rawValue).joined(separator: ", ")])
      }
      format = cf
    }
    return BoundImportCorpus(name: s.name.text, path: resolve(s.path.value), format: format, options: try options(s.options, for: "IMPORT CORPUS"), pathRange: s.path.range)
  }

  func bindExtract(_ s: ExtractStatement) throws(Diagnostic) -> BoundExtract {
    let corpus = try corpus(s.corpus)
    guard let set = Binder.extractors.first(where: { $0 == s.set.text.lowercased() }) else {
      throw fail("unknown-extractor", "unknown extractor '\(s.set.text)'", s.set.range, notes: didYouMean(s.set.text, Binder.extractors) + ["extractors: " + Binder.extractors.joined(separator: ", ")])
    }
    if set == "wavlm" && s.model == nil {
      throw fail("missing-model", "EXTRACT wavlm needs a model folder", s.set.range, notes: ["write EXTRACT wavlm FROM \(corpus) USING MODEL 'path/to/wavlm-base-plus' (a Hugging Face checkpoint folder with config.json and model.safetensors or pytorch_model.bin)"])
    }
    if set != "wavlm", let m = s.model {
      throw fail("unexpected-model", "EXTRACT \(set) takes no model", m.range)
    }
    return BoundExtract(set: set, corpus: corpus, model: s.model.map { resolve($0.value) }, modelText: s.model?.value, modelRange: s.model?.range,
                        options: try options(s.options, for: "EXTRACT"))
  }

  func corpus(_ name: Name) throws(Diagnostic) -> String {
    if let c = catalog.corpusNames.first(where: { $0.lowercased() == name.text.lowercased() }) { return c }
    var notes = didYouMean(name.text, catalog.corpusNames)
    if catalog.corpusNames.isEmpty { notes.append("no corpus is imported yet: IMPORT CORPUS \(name.text) FROM 'folder'") }
    throw fail("unknown-corpus", "unknown corpus '\(name.text)'", name.range, notes: notes)
  }

  func corpusOrDefault(_ name: Name?, at range: SourceRange) throws(Diagnostic) -> String {
    if let name { return try corpus(name) }
    if let d = catalog.defaultCorpus { return d }
    if catalog.corpusNames.count == 1 { return catalog.corpusNames[0] }
    throw fail("no-corpus", "which corpus? none is named and no USE is in effect", range, notes: ["add FROM <corpus> (IN <corpus> for PROBE) or run USE <corpus> first"])
  }

  func emotion(_ name: Name, in corpus: String) throws(Diagnostic) -> String {
    guard let e = Emotion.normalise(name.text) else {
      throw fail("unknown-emotion", "unknown emotion '\(name.text)'", name.range, notes: didYouMean(name.text, Emotion.allSpellings) + ["emotions: " + Emotion.labels.joined(separator: ", ")])
    }
    let present = catalog.emotions(in: corpus)
    guard present.contains(e) else {
      throw fail("emotion-absent", "corpus '\(corpus)' has no '\(e)' utterances", name.range, notes: ["it has: " + present.joined(separator: ", ")])
    }
    return e
  }

  func targetEmotions(_ t: NameOrStar, in corpus: String) throws(Diagnostic) -> [String] {
    switch t {
    case .star: return catalog.emotions(in: corpus)
    case .name(let n): return [try emotion(n, in: corpus)]
    }
  }

  func storedSet(_ name: Name, in corpus: String) throws(Diagnostic) -> String {
    let stored = catalog.representations(in: corpus)
    if let s = stored.first(where: { $0.lowercased() == name.text.lowercased() }) { return s }
    let l = name.text.lowercased()
    if Binder.extractors.contains(l) {
      let how = l == "wavlm" ? "EXTRACT wavlm FROM \(corpus) USING MODEL 'path/to/model'" : "EXTRACT \(l) FROM \(corpus)"
      throw fail("not-extracted", "'\(l)' has not been extracted for corpus '\(corpus)'", name.range, notes: ["run \(how) first"])
    }
    throw fail("unknown-set", "unknown feature or embedding set '\(name.text)' for corpus '\(corpus)'", name.range, notes: didYouMean(name.text, stored + Binder.extractors))
  }

  func checkNewSetName(_ name: Name) throws(Diagnostic) {
    if Binder.extractors.contains(name.text.lowercased()) {
      throw fail("reserved-set-name", "'\(name.text)' is the name of a built-in extractor; import under another name (e.g. '\(name.text)_imported')", name.range)
    }
  }

  func checkTop(_ top: IntegerLiteral?) throws(Diagnostic) {
    if let top, top.value < 1 { throw fail("invalid-top", "TOP must be at least 1", top.range) }
  }

  func layer(_ l: LayerSpec?) -> BoundSet.Layer {
    switch l {
    case nil: return .last
    case .all?: return .all
    case .index(let i)?: return .index(i.value)
    }
  }

  func options(_ options: [Option], for statement: String) throws(Diagnostic) -> BoundOptions {
    var bound = BoundOptions()
    let allowed = OptionRegistry.names(for: statement)
    for o in options {
      let name = o.name.text.lowercased()
      guard let spec = OptionRegistry.spec(name), spec.statements.contains(statement) else {
        var notes = didYouMean(o.name.text, allowed)
        notes.append(allowed.isEmpty ? "\(statement) takes no options" : "\(statement) options: " + allowed.joined(separator: ", "))
        throw fail("unknown-option", "unknown option '\(o.name.text)' for \(statement)", o.name.range, notes: notes)
      }
      bound.entries.append((name, try value(o.value, spec)))
    }
    // Every run records the options it used: the defaults of those not given.
    for spec in OptionRegistry.options where spec.statements.contains(statement) && bound[spec.name] == nil {
      if let d = spec.defaultValue { bound.entries.append((spec.name, d)) }
    }
    return bound
  }

  func value(_ v: OptionValue, _ spec: OptionSpec) throws(Diagnostic) -> BoundOptionValue {
    func bad(_ expected: String) -> Diagnostic {
      fail("invalid-option-value", "option '\(spec.name)' takes \(expected)", v.range)
    }
    switch spec.kind {
    case .integer(let range):
      guard case .number(let d, _, _) = v, d == d.rounded(), let i = Int(exactly: d) else { throw bad("a whole number") }
      guard range.contains(i) else { throw bad("a whole number in \(range.lowerBound)…\(range.upperBound)") }
      return .integer(i)
    case .number:
      guard case .number(let d, _, _) = v else { throw bad("a number") }
      return .number(d)
    case .numberList:
      if case .number(let d, _, _) = v {
        let ok = spec.name == "stability_seeds" ? (d >= 0 && d == d.rounded() && d <= Double(UInt32.max)) : (d > 0 && d.isFinite)
        guard ok else { throw fail("invalid-option-value", "option '\(spec.name)' takes \(spec.name == "stability_seeds" ? "whole numbers ≥ 0" : "positive numbers"), not \(Value.format(d))", v.range) }
        return .numbers([d])
      }
      guard case .list(let items, _) = v, !items.isEmpty else { throw bad("a list of numbers such as (0.01, 0.1, 1)") }
      var out: [Double] = []
      for item in items {
        guard case .number(let d, _, _) = item else { throw bad("a list of numbers such as (0.01, 0.1, 1)") }
        if spec.name == "stability_seeds" {
          guard d >= 0, d == d.rounded(), d <= Double(UInt32.max) else { throw fail("invalid-option-value", "option 'stability_seeds' takes whole numbers ≥ 0, not \(Value.format(d))", item.range) }
        } else {
          guard d > 0, d.isFinite else { throw fail("invalid-option-value", "option '\(spec.name)' takes positive numbers, not \(Value.format(d))", item.range) }
        }
        if out.contains(d) { throw fail("invalid-option-value", "option '\(spec.name)' lists \(Value.format(d)) twice", item.range) }
        out.append(d)
      }
      return .numbers(out)
    case .string:
      guard case .string(let s) = v else { throw bad("a 'quoted string'") }
      // File options are paths: resolved like the statement's own paths.
      return .string(["sample", "splits", "probe_split"].contains(spec.name) ? resolve(s.value) : s.value)
    case .choice(let words):
      let text: String
      switch v {
      case .string(let s): text = s.value
      case .name(let n): text = n.text
      default: throw bad("one of " + words.joined(separator: ", "))
      }
      guard let w = words.first(where: { $0 == text.lowercased() }) else {
        throw fail("invalid-option-value", "option '\(spec.name)' takes one of \(words.joined(separator: ", ")), not '\(text)'", v.range, notes: didYouMean(text, words))
      }
      return .string(w)
    case .boolean:
      if case .name(let n) = v, ["true", "false"].contains(n.text.lowercased()) { return .boolean(n.text.lowercased() == "true") }
      if case .number(let d, _, _) = v, d == 0 || d == 1 { return .boolean(d == 1) }
      throw bad("true or false")
    }
  }
}

import ProbeCore

/// A stable, indented text form of the AST: what the parser golden files hold.
public enum ASTDumper {
  public static func dump(_ script: Script) -> String {
    var out = ""
    for s in script.statements {
      let loc = script.source.location(of: s.range.start)
      out += "[\(loc)] "
      dump(s.statement, indent: 0, into: &out)
    }
    for d in script.diagnostics { out += DiagnosticRenderer().render(d) + "\n" }
    return out
  }

  static func line(_ text: String, _ indent: Int, _ out: inout String) {
    out += String(repeating: "  ", count: indent) + text + "\n"
  }

  static func name(_ n: Name) -> String { n.quoted ? "\"\(n.text)\"" : n.text }
  static func str(_ s: StringLiteral) -> String { "'\(s.value)'" }
  static func target(_ t: NameOrStar) -> String {
    switch t {
    case .star: return "*"
    case .name(let n): return name(n)
    }
  }
  static func layer(_ l: LayerSpec?) -> String {
    switch l {
    case nil: return ""
    case .all?: return " layer=ALL"
    case .index(let i)?: return " layer=\(i.value)"
    }
  }
  static func setRef(_ s: SetRef) -> String { name(s.name) + layer(s.layer) }

  static func value(_ v: OptionValue) -> String {
    switch v {
    case .number(_, let text, _): return text
    case .string(let s): return str(s)
    case .name(let n): return name(n)
    case .list(let vs, _): return "(" + vs.map(value).joined(separator: ", ") + ")"
    }
  }

  static func options(_ os: [Option], _ indent: Int, _ out: inout String) {
    for o in os { line("option \(name(o.name)) = \(value(o.value))", indent + 1, &out) }
  }

  static func dump(_ s: Statement, indent: Int, into out: inout String) {
    switch s {
    case .importCorpus(let x):
      line("ImportCorpus name=\(name(x.name)) from=\(str(x.path))" + (x.format.map { " format=\(name($0))" } ?? ""), indent, &out)
      options(x.options, indent, &out)
    case .importEmbeddings(let x):
      line("ImportEmbeddings name=\(name(x.name)) from=\(str(x.path)) for=\(name(x.corpus)) keys=\(str(x.keys))", indent, &out)
      options(x.options, indent, &out)
    case .importFeatures(let x):
      line("ImportFeatures name=\(name(x.name)) from=\(str(x.path)) for=\(name(x.corpus))", indent, &out)
      options(x.options, indent, &out)
    case .extract(let x):
      line("Extract set=\(name(x.set)) from=\(name(x.corpus))" + (x.model.map { " model=\(str($0))" } ?? ""), indent, &out)
      options(x.options, indent, &out)
    case .export(let x):
      line("Export set=\(name(x.set))\(x.lld ? " lld" : "")\(layer(x.layer)) from=\(name(x.corpus)) to=\(str(x.path))", indent, &out)
      options(x.options, indent, &out)
    case .show(let x): line("Show \(x.what.rawValue)", indent, &out)
    case .describe(let x): line("Describe \(name(x.name))", indent, &out)
    case .use(let x): line("Use \(name(x.name))", indent, &out)
    case .dropCorpus(let x): line("DropCorpus \(name(x.name))\(x.ifExists ? " if-exists" : "")", indent, &out)
    case .evaluate(let x):
      line(
        "Evaluate target=\(target(x.target)) vs=\(name(x.baseline)) using=[\(x.sets.map(setRef).joined(separator: ", "))]"
          + (x.corpus.map { " from=\(name($0))" } ?? ""), indent, &out)
      options(x.options, indent, &out)
    case .rank(let x):
      line(
        "Rank set=\(setRef(x.set)) for=\(target(x.target))" + (x.corpus.map { " from=\(name($0))" } ?? "")
          + (x.top.map { " top=\($0.value)" } ?? ""), indent, &out)
      options(x.options, indent, &out)
    case .probe(let x):
      let feats = x.allFeatures ? "*" : "[" + x.features.map(name).joined(separator: ", ") + "]"
      line(
        "Probe features=\(feats) from=\(setRef(x.set))" + (x.top.map { " top=\($0.value)" } ?? "") + " for=\(target(x.target))"
          + (x.corpus.map { " in=\(name($0))" } ?? "") + (x.byCategory ? " by-category" : ""), indent, &out)
      options(x.options, indent, &out)
    case .explain(let inner):
      line("Explain", indent, &out)
      dump(inner, indent: indent + 1, into: &out)
    case .plot(let x):
      line("Plot to=\(str(x.path))", indent, &out)
      dump(x.subject, indent: indent + 1, into: &out)
    case .report(let x): line("Report to=\(str(x.path))", indent, &out)
    case .sql(let x): line("SQL \(x.sql)", indent, &out)
    }
  }
}

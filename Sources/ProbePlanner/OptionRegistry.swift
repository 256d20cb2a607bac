/// Every `WITH (…)` option, the statements it applies to, the kind of value it takes and its
/// default: one table that drives binding, `.help` and `docs/query-language.md`.
public struct OptionSpec: Sendable {
  public enum Kind: Sendable, Equatable {
    case integer(ClosedRange<Int>)
    case number
    case numberList
    case string
    /// One of the listed words (given bare or quoted).
    case choice([String])
    case boolean
  }
  public let name: String
  public let statements: Set<String>
  public let kind: Kind
  /// Recorded in a run's options when the user gives none; nil = no default (e.g. `sample`).
  public let defaultValue: BoundOptionValue?
  public let help: String
}

public enum OptionRegistry {
  static let analysis: Set<String> = ["EVALUATE", "RANK", "PROBE"]

  public static let options: [OptionSpec] = [
    OptionSpec(name: "seed", statements: analysis, kind: .integer(0...Int(Int32.max)), defaultValue: .integer(42), help: "seed of every random choice (splits, sampling)"),
    OptionSpec(name: "outer_folds", statements: analysis, kind: .integer(2...1000), defaultValue: .integer(5), help: "outer speaker-grouped splits"),
    OptionSpec(name: "inner_folds", statements: analysis, kind: .integer(2...1000), defaultValue: .integer(5), help: "inner splits for choosing C"),
    OptionSpec(name: "splitter", statements: analysis, kind: .choice(["shuffle", "group_kfold", "loso"]), defaultValue: .string("shuffle"), help: "speaker-grouped splits: Monte-Carlo group shuffle split (the paper's), group k-fold, or leave-one-speaker-out"),
    OptionSpec(name: "train_size", statements: analysis, kind: .number, defaultValue: .number(0.8), help: "share of speakers in each training split"),
    OptionSpec(name: "c", statements: analysis, kind: .numberList, defaultValue: .numbers([0.01, 0.1, 1, 10, 100]), help: "grid of inverse L2 strengths"),
    OptionSpec(name: "alpha", statements: analysis, kind: .numberList, defaultValue: .numbers([0.001, 0.01, 0.1, 1, 10, 100]), help: "ridge penalty grid"),
    OptionSpec(name: "normalize", statements: analysis, kind: .choice(["speaker", "none"]), defaultValue: .string("speaker"), help: "per-speaker z-scoring of every column"),
    OptionSpec(name: "protocol", statements: analysis, kind: .choice(["clean", "authors"]), defaultValue: .string("clean"), help: "'authors' reproduces the authors' notebook"),
    OptionSpec(name: "inner_metric", statements: analysis, kind: .choice(["accuracy", "f1"]), defaultValue: .string("accuracy"), help: "metric that picks C in the inner loop (GridSearchCV's default: accuracy)"),
    OptionSpec(name: "sample", statements: analysis, kind: .string, defaultValue: nil, help: "CSV (emotion, path): the rows of each emotion task"),
    OptionSpec(name: "splits", statements: analysis, kind: .string, defaultValue: nil, help: "CSV (outer, inner, speaker, role): explicit splits"),
    OptionSpec(name: "test_size", statements: ["PROBE"], kind: .number, defaultValue: .number(0.2), help: "share of the task's rows held out to score the ridge probes"),
    OptionSpec(name: "ridge_folds", statements: ["PROBE"], kind: .integer(2...100), defaultValue: .integer(5), help: "unshuffled folds over the training rows that choose each ridge alpha"),
    OptionSpec(name: "stability_seeds", statements: ["PROBE"], kind: .numberList, defaultValue: nil, help: "rerun the sampling, splits, SHAP ranking and sweep with these seeds and report how stable k* and the top-k dimensions are"),
    OptionSpec(name: "random_subsets", statements: ["PROBE"], kind: .integer(0...100_000), defaultValue: .integer(0), help: "random k-dimension subsets probed as a control; gives each feature's II under random dimensions and a p-value"),
    OptionSpec(name: "probe_split", statements: ["PROBE"], kind: .string, defaultValue: nil, help: "CSV (emotion, path, role): ridge hold-out rows"),
    OptionSpec(name: "fingerprint", statements: ["IMPORT CORPUS"], kind: .boolean, defaultValue: .boolean(true), help: "hash every file's bytes (SHA-256) as its content fingerprint"),
  ]

  public static func spec(_ name: String) -> OptionSpec? { options.first { $0.name == name.lowercased() } }
  public static func names(for statement: String) -> [String] { options.filter { $0.statements.contains(statement) }.map(\.name) }
}

/// The engine's version, recorded in every run's provenance.
public enum ProbeVersion {
  public static let string = "0.1.0"
}

/// Reports progress of long work (imports, extraction) to whoever runs the statement. The shell
/// draws a line with a percentage and an ETA on a terminal; library users may log it.
public protocol ProgressReporter: AnyObject {
  /// `done` of `total` units of `task` are finished.
  func update(task: String, done: Int, total: Int)
  /// The task is over (successfully or not); clear any progress display.
  func finish(task: String)
}

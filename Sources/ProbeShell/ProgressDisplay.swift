import Foundation
import ProbeDB

/// Draws `task: done/total (pct) ETA` on one terminal line, at most ten times a second, and
/// clears it when the task ends.
final class ProgressDisplay: ProgressReporter {
  let sink: TextSink
  var started: [String: Double] = [:]
  var lastDraw = 0.0
  var drawn = false

  init(sink: TextSink) { self.sink = sink }

  static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

  func update(task: String, done: Int, total: Int) {
    let t = Self.now()
    if started[task] == nil { started[task] = t }
    guard t - lastDraw >= 0.1, t - started[task]! >= 0.5, total > 0 else { return }
    lastDraw = t
    let elapsed = t - started[task]!
    let pct = Double(done) / Double(total)
    var line = "\r\(task): \(done)/\(total) (\(Int(pct * 100))%)"
    if done > 0 {
      let eta = elapsed / Double(done) * Double(total - done)
      line += String(format: " ETA %.0fs", eta)
    }
    sink.write(line + "\u{1B}[K")
    drawn = true
  }

  func finish(task: String) {
    started[task] = nil
    if drawn { sink.write("\r\u{1B}[K") }
    drawn = false
  }
}

import CProbeReadline
import Foundation
import ProbeDB

// Readline calls back through C function pointers that cannot capture context, so the REPL's
// state for those callbacks lives in these globals (one REPL per process).
nonisolated(unsafe) private var completedLine: String?
nonisolated(unsafe) private var sawEndOfInput = false
nonisolated(unsafe) private var interruptFlag: UnsafeMutablePointer<Int32> = {
  let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
  p.initialize(to: 0)
  return p
}()
nonisolated(unsafe) private var activeToken: CancellationToken?
nonisolated(unsafe) private var completionWords: [String] = []
nonisolated(unsafe) private var completionMatches: [String] = []

private func onSigint(_: Int32) {
  interruptFlag.pointee = 1
  activeToken?.cancel()
}

/// The interactive shell: readline editing, persistent history (`~/.probedb_history`), tab
/// completion of keywords, dot-commands and names, multi-line statements until `;`, and Ctrl-C
/// that cancels the running statement or the line being typed, never the shell.
public final class REPL {
  let shell: Shell
  let historyPath: String

  public init(shell: Shell) {
    self.shell = shell
    self.historyPath = (ProcessInfo.processInfo.environment["PROBEDB_HISTORY"]
      ?? (NSHomeDirectory() as NSString).appendingPathComponent(".probedb_history"))
  }

  public func run(banner: String) {
    shell.interactive = true
    FileSink.stdout.write(banner)
    activeToken = shell.database.cancellation
    var action = sigaction()
    action.__sigaction_handler.sa_handler = onSigint
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)

    rl_catch_signals = 0
    rl_readline_name = UnsafePointer(strdup("probedb"))
    rl_attempted_completion_function = { text, _, _ in
      guard let text else { return nil }
      let prefix = String(cString: text)
      completionMatches = completionWords.filter { $0.lowercased().hasPrefix(prefix.lowercased()) }.map { w in
        // Keep the case the user started typing keywords in.
        prefix.first.map { $0.isLowercase } == true && w == w.uppercased() ? w.lowercased() : w
      }
      return rl_completion_matches(text) { _, state in
        let i = Int(state)
        return i < completionMatches.count ? strdup(completionMatches[i]) : nil
      }
    }
    using_history()
    read_history(historyPath)
    stifle_history(5000)

    var splitter = InputSplitter()
    var lineNumber = 0
    while !shell.quitRequested {
      refreshCompletions()
      guard let line = readLine(prompt: splitter.isPending ? "   ...> " : "probedb> ") else {
        FileSink.stdout.write("\n")
        break
      }
      if line == "\u{3}" {  // Ctrl-C at the prompt: drop the pending statement
        splitter.reset()
        continue
      }
      lineNumber += 1
      let chunks = splitter.feed(line, lineNumber: 1)
      // History holds whole statements: a finished multi-line statement is stored once.
      for chunk in chunks {
        switch chunk {
        case .dotCommand(let text, _): add_history(text)
        case .statements(let text, _): add_history(text.replacingOccurrences(of: "\n", with: " "))
        }
        write_history(historyPath)  // kept even if the session is killed
        interruptFlag.pointee = 0
        shell.database.cancellation.reset()
        _ = shell.runChunk(chunk, name: "")
        interruptFlag.pointee = 0
      }
    }
    write_history(historyPath)
  }

  func refreshCompletions() {
    var words = Database.keywords + Shell.dotCommands.map { "." + $0.name } + shell.database.completionNames()
    words += ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised", "egemaps", "wavlm", "fbank"]
    words += EGeMAPS.families + EGeMAPS.categories + EGeMAPS.names
    completionWords = Array(Set(words)).sorted()
  }

  /// Read one line with readline's callback interface, so a SIGINT while typing clears the line
  /// instead of killing the shell. Returns nil at end of input, "\u{3}" after Ctrl-C.
  func readLine(prompt: String) -> String? {
    completedLine = nil
    sawEndOfInput = false
    interruptFlag.pointee = 0
    rl_callback_handler_install(prompt) { line in
      if let line {
        completedLine = String(cString: line)
        free(line)
      } else {
        sawEndOfInput = true
      }
      rl_callback_handler_remove()
    }
    while completedLine == nil && !sawEndOfInput {
      var fds = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
      let r = poll(&fds, 1, 200)
      if interruptFlag.pointee != 0 {
        interruptFlag.pointee = 0
        rl_free_line_state()
        rl_callback_sigcleanup()
        rl_cleanup_after_signal()
        rl_callback_handler_remove()
        // The terminal has echoed ^C after the text; end that line and start afresh.
        FileSink.stdout.write("\n")
        return "\u{3}"
      }
      if r > 0 { rl_callback_read_char() }
    }
    return completedLine
  }
}

import Foundation
import ProbeDB

/// The interactive and scripted front end: runs ProbeQL and dot-commands against a `Database`,
/// renders results, reports errors with positions, shows progress and timing.
public final class Shell {
  public let database: Database
  public var format: OutputFormat
  public var timer = false
  /// `.profile on`: print where each statement's time went.
  public var profile = false
  let out: TextSink
  let err: TextSink
  /// True in the REPL: errors do not stop the session and long tables are elided.
  public var interactive = false
  /// Set by `.quit`.
  public private(set) var quitRequested = false
  let progressDisplay: ProgressDisplay?

  public init(database: Database, format: OutputFormat, out: TextSink = FileSink.stdout, err: TextSink = FileSink.stderr, showProgress: Bool = false) {
    self.database = database
    self.format = format
    self.out = out
    self.err = err
    self.progressDisplay = showProgress ? ProgressDisplay(sink: err) : nil
    database.progress = progressDisplay
  }

  // MARK: - Running text

  /// Run ProbeQL text as one unit: nothing runs if it has a syntax error. Returns false on the
  /// first error. (Scripts, `-c` and standard input go through `runScript`, which calls this for
  /// each complete statement group.)
  @discardableResult
  public func runStatements(_ text: String, name: String) -> Bool {
    do {
      try database.run(text, name: name) { show($0) }
      return true
    } catch {
      report(error)
      return false
    }
  }

  /// Run a script (the `-f` form and standard input): statements and dot-commands in order,
  /// stopping at the first error unless interactive. Line numbers in errors are the script's.
  @discardableResult
  public func runScript(_ text: String, name: String) -> Bool {
    var splitter = InputSplitter()
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for (i, line) in lines.enumerated() {
      for chunk in splitter.feed(line, lineNumber: i + 1) {
        if !runChunk(chunk, name: name) && !interactive { return false }
        if quitRequested { return true }
      }
    }
    if let rest = splitter.flush() {
      if !runChunk(rest, name: name) && !interactive { return false }
    }
    return true
  }

  /// One unit from the splitter: a dot-command or complete statements.
  func runChunk(_ chunk: InputSplitter.Chunk, name: String) -> Bool {
    switch chunk {
    case .dotCommand(let line, _): return runDotCommand(line)
    case .statements(let text, let firstLine):
      // Pad with newlines so positions in errors are the script's line numbers.
      return runStatements(String(repeating: "\n", count: firstLine - 1) + text, name: name)
    }
  }

  func show(_ r: QueryResult) {
    for n in r.table.notices { err.write(n + "\n") }
    var renderer = Renderer(format: format, truncate: interactive)
    renderer.maxRows = 40
    out.write(renderer.render(r.table))
    if timer { out.write(String(format: "Run Time: %.3f s\n", r.elapsed)) }
    if profile, !r.phases.isEmpty {
      let accounted = r.phases.reduce(0) { $0 + $1.seconds }
      let parts = r.phases.map { String(format: "%@ %.3f", $0.name, $0.seconds) } + [String(format: "other %.3f", max(0, r.elapsed - accounted))]
      out.write("Profile: " + parts.joined(separator: ", ") + " s\n")
    }
  }

  func report(_ error: Error) {
    if let e = error as? EngineError { err.write(e.description + "\n") } else { err.write("error: \(error)\n") }
  }

  // MARK: - Dot-commands

  struct DotCommand {
    let name: String
    let usage: String
    let help: String
    let run: (Shell, [String]) -> Bool
  }

  static let dotCommands: [DotCommand] = [
    DotCommand(name: "help", usage: ".help", help: "show this help") { shell, _ in
      shell.out.write(Shell.helpText())
      return true
    },
    DotCommand(name: "tables", usage: ".tables", help: "list the tables and views") { shell, _ in
      shell.out.write(shell.database.tableNames().joined(separator: "  ") + "\n")
      return true
    },
    DotCommand(name: "mode", usage: ".mode table|csv|json", help: "set the output format") { shell, args in
      guard args.count == 1, let f = OutputFormat(rawValue: args[0].lowercased()) else {
        shell.err.write("error: usage: .mode table|csv|json (now \(shell.format.rawValue))\n")
        return false
      }
      shell.format = f
      return true
    },
    DotCommand(name: "timer", usage: ".timer on|off", help: "print each statement's run time") { shell, args in
      guard args.count == 1, ["on", "off"].contains(args[0].lowercased()) else {
        shell.err.write("error: usage: .timer on|off\n")
        return false
      }
      shell.timer = args[0].lowercased() == "on"
      return true
    },
    DotCommand(name: "profile", usage: ".profile on|off", help: "print where each statement's time went") { shell, args in
      guard args.count == 1, ["on", "off"].contains(args[0].lowercased()) else {
        shell.err.write("error: usage: .profile on|off\n")
        return false
      }
      shell.profile = args[0].lowercased() == "on"
      return true
    },
    DotCommand(name: "read", usage: ".read FILE", help: "run a script file") { shell, args in
      guard args.count == 1 else {
        shell.err.write("error: usage: .read FILE\n")
        return false
      }
      guard let text = try? String(contentsOfFile: args[0], encoding: .utf8) else {
        shell.err.write("error: cannot read '\(args[0])'\n")
        return false
      }
      return shell.runScript(text, name: args[0])
    },
    DotCommand(name: "quit", usage: ".quit", help: "leave the shell") { shell, _ in
      shell.quitRequested = true
      return true
    },
    DotCommand(name: "exit", usage: ".exit", help: "leave the shell") { shell, _ in
      shell.quitRequested = true
      return true
    },
  ]

  static func helpText() -> String {
    var s = "Statements end with ';'. ProbeQL: IMPORT CORPUS, SHOW CORPORA|TABLES|RUNS, DESCRIBE, USE, DROP CORPUS,\n"
    s += "EXTRACT, EXPORT, EVALUATE, RANK, PROBE, EXPLAIN, PLOT, REPORT; SQL: SELECT, WITH, PRAGMA, EXPLAIN QUERY PLAN.\n"
    s += "Ctrl-C cancels the running statement; Ctrl-D or .quit leaves.\n\n"
    let w = dotCommands.map(\.usage.count).max() ?? 0
    for c in dotCommands { s += c.usage + String(repeating: " ", count: w - c.usage.count + 2) + c.help + "\n" }
    return s
  }

  func runDotCommand(_ line: String) -> Bool {
    let parts = line.trimmingCharacters(in: .whitespaces).dropFirst().split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    guard let name = parts.first?.lowercased() else { return true }
    guard let cmd = Shell.dotCommands.first(where: { $0.name == name }) else {
      var msg = "error: unknown command '.\(name)'"
      if let s = closestMatch(to: name, in: Shell.dotCommands.map(\.name)) { msg += "; did you mean '.\(s)'?" }
      err.write(msg + " (.help lists them)\n")
      return false
    }
    return cmd.run(self, Array(parts.dropFirst()))
  }
}

/// Splits line-by-line input into complete units: a dot-command (a line starting with '.' when
/// no statement is pending) or text that ends a statement with ';' outside strings and comments.
public struct InputSplitter {
  public enum Chunk: Equatable {
    case dotCommand(String, line: Int)
    case statements(String, firstLine: Int)
  }

  var buffer: [String] = []
  var firstLine = 1
  public init() {}

  /// True when a statement is pending (the REPL shows the continuation prompt).
  public var isPending: Bool { !buffer.isEmpty }

  public mutating func feed(_ line: String, lineNumber: Int) -> [Chunk] {
    if buffer.isEmpty {
      let t = line.trimmingCharacters(in: .whitespaces)
      if t.hasPrefix(".") { return [.dotCommand(t, line: lineNumber)] }
      if t.isEmpty { return [] }
      firstLine = lineNumber
    }
    buffer.append(line)
    let text = buffer.joined(separator: "\n")
    if Database.endsStatement(text) {
      buffer = []
      return [.statements(text, firstLine: firstLine)]
    }
    return []
  }

  /// Whatever is left at end of input (a last statement without ';').
  public mutating func flush() -> Chunk? {
    defer { buffer = [] }
    let text = buffer.joined(separator: "\n")
    if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return nil }
    return .statements(text, firstLine: firstLine)
  }

  public mutating func reset() { buffer = [] }
}

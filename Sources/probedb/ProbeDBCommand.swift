import ArgumentParser
import Foundation
import CProbeKernels
import ProbeDB
import ProbeNumerics
import ProbeShell

/// Entry point: parse the arguments and run; every failure (usage included) exits with 1 and a
/// message on standard error; `--help` and `--version` exit 0.
@main
enum Main {
  static func main() {
    // Analyses allocate and free many matrices of a few MB: keep them in the heap instead of
    // mapping and unmapping (and page-faulting) each one.
    _ = probe_malloc_keep_large_blocks()
    // OpenBLAS starts its worker threads when the library loads, and each spins (sched_yield)
    // for ~0.1 s before sleeping, taking a core from the first statement. Set one thread and stop
    // them: any later thread-count change (the WavLM forward pass asks for threads) starts them
    // again, and `Linalg.setBLASThreads` skips unchanged counts, so nothing else does.
    Linalg.setBLASThreads(1)
    Linalg.stopBLASThreadPool()
    do {
      var command = try ProbeDBCommand.parseAsRoot()
      try command.run()
    } catch let code as ExitCode {
      exit(code.rawValue)
    } catch {
      let message = ProbeDBCommand.fullMessage(for: error)
      if ProbeDBCommand.exitCode(for: error) == .success {
        FileSink.stdout.write(message + "\n")
        exit(0)
      }
      FileSink.stderr.write(message + "\n")
      exit(1)
    }
  }
}


/// `probedb [DB] [-c STATEMENTS | -f FILE] [--format table|csv|json]`
struct ProbeDBCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "probedb",
    abstract: "ProbeDB: explain speech-emotion embeddings with ProbeQL.",
    discussion: """
      With no -c or -f, reads statements from standard input when it is not a terminal, otherwise
      starts the interactive shell. Without DB the database is in memory and is lost on exit.
      """,
    version: ProbeVersion.string)

  @Argument(help: "Database file (created if missing). Omit for an in-memory database.")
  var database: String?

  @Option(name: .short, help: "Run these statements and exit.")
  var command: String?

  @Option(name: .short, help: "Run this script file and exit.")
  var file: String?

  @Option(name: .long, help: "Output format: table, csv or json (default: table on a terminal, csv otherwise).")
  var format: String?

  func validate() throws {
    if command != nil && file != nil { throw ValidationError("give -c or -f, not both") }
    if let format, OutputFormat(rawValue: format.lowercased()) == nil {
      throw ValidationError("--format must be table, csv or json, not '\(format)'")
    }
  }

  func run() throws {
    let stdoutIsTerminal = isatty(1) == 1
    let chosen = format.flatMap { OutputFormat(rawValue: $0.lowercased()) } ?? (stdoutIsTerminal ? .table : .csv)
    let db: Database
    do { db = try Database(path: database) } catch {
      FileSink.stderr.write("\(error)\n")
      throw ExitCode(1)
    }
    let shell = Shell(database: db, format: chosen, showProgress: isatty(2) == 1)
    let ok: Bool
    if let command {
      ok = shell.runScript(command, name: "")
    } else if let file {
      guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
        FileSink.stderr.write("error: cannot read script '\(file)'\(FileManager.default.fileExists(atPath: file) ? " (not UTF-8 text)" : ": no such file")\n")
        throw ExitCode(1)
      }
      ok = shell.runScript(text, name: file)
    } else if isatty(0) != 1 {
      let data = FileHandle.standardInput.readDataToEndOfFile()
      guard let text = String(data: data, encoding: .utf8) else {
        FileSink.stderr.write("error: standard input is not UTF-8 text\n")
        throw ExitCode(1)
      }
      ok = shell.runScript(text, name: "")
    } else {
      let banner = "ProbeDB \(ProbeVersion.string) — " + (database.map { "database '\($0)'" } ?? "in-memory database (nothing is saved; give a file name to keep your work)")
        + "\nEnter \".help\" for usage hints; statements end with ';'.\n"
      REPL(shell: Shell(database: db, format: format.flatMap { OutputFormat(rawValue: $0.lowercased()) } ?? .table, showProgress: true)).run(banner: banner)
      ok = true
    }
    if !ok { throw ExitCode(1) }
  }
}

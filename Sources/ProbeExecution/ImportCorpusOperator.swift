import Foundation
import ProbeAudio
import ProbeCore
import ProbeCorpus
import ProbePlanner
import ProbeStorage

/// `IMPORT CORPUS name FROM 'dir' [FORMAT f]`: scan a folder (or read a CSV manifest), label
/// every file from its name, read its header with libsndfile, fingerprint its bytes, and insert
/// the corpus and its utterances in one transaction.
///
/// Files that cannot be imported (unreadable, truncated, badly named) are skipped and listed
/// with the reason; if none can be imported the statement fails and nothing is stored.
struct ImportCorpusOperator {
  let bound: BoundImportCorpus

  struct Skip {
    let path: String
    let reason: String
  }

  /// How many skipped files the notices list by name before summarising.
  static let listedSkips = 20

  func run(_ context: ExecutionContext) throws -> ResultTable {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: bound.path, isDirectory: &isDir) else {
      throw ExecutionError(.io, "'\(bound.path)' does not exist", range: bound.pathRange)
    }
    var format = bound.format
    if !isDir.boolValue {
      if format == nil && bound.path.lowercased().hasSuffix(".csv") { format = .csv }
      guard format == .csv else {
        throw ExecutionError(.io, "'\(bound.path)' is a file, not a folder", range: bound.pathRange,
                             notes: ["a CSV manifest is imported with FORMAT csv; a corpus folder is given as its directory"])
      }
    } else if format == .csv {
      throw ExecutionError(.io, "FORMAT csv needs a manifest file, and '\(bound.path)' is a folder", range: bound.pathRange)
    }
    let fingerprint = bound.options["fingerprint"] != .boolean(false)
    if format == .csv { return try importManifest(context, fingerprint: fingerprint) }
    return try importFolder(context, format: format, fingerprint: fingerprint)
  }

  // MARK: - Folder layouts

  func importFolder(_ context: ExecutionContext, format requested: CorpusFormat?, fingerprint: Bool) throws -> ResultTable {
    let root = bound.path
    let (audio, other) = try listFiles(root)
    if audio.isEmpty {
      let what = other.isEmpty ? "is empty" : "holds no audio files (\(other.count) other file\(other.count == 1 ? "" : "s"), e.g. '\(other[0])')"
      throw ExecutionError(.io, "folder '\(root)' \(what)", range: bound.pathRange,
                           notes: ["audio files are recognised by extension: " + CorpusLayout.audioExtensions.sorted().joined(separator: ", ")])
    }
    let format = requested ?? CorpusLayout.detect(audio).format
    var records: [UtteranceRecord] = []
    var skips: [Skip] = []
    for (i, rel) in audio.enumerated() {
      try context.checkCancelled()
      context.progress?.update(task: "importing \(bound.name)", done: i, total: audio.count)
      guard let labels = CorpusLayout.parse(rel, as: format) else {
        skips.append(Skip(path: rel, reason: "file name does not follow the \(format.rawValue) naming (\(Self.pattern(format)))"))
        continue
      }
      do {
        records.append(try record(root: root, relative: rel, labels: labels, fingerprint: fingerprint))
      } catch let e as AudioError {
        skips.append(Skip(path: rel, reason: e.kind.rawValue + (e.detail.isEmpty ? "" : ": \(e.detail)")))
      }
    }
    context.progress?.finish(task: "importing \(bound.name)")
    var notices: [String] = []
    if requested == nil { notices.append("layout detected: \(format.rawValue)") }
    if !other.isEmpty {
      notices.append("ignored \(other.count) file\(other.count == 1 ? "" : "s") without an audio extension (\(other.prefix(3).joined(separator: ", "))\(other.count > 3 ? ", …" : ""))")
    }
    return try store(context, format: format, root: root, records: records, skips: skips, absent: 0, notices: notices)
  }

  static func pattern(_ f: CorpusFormat) -> String {
    switch f {
    case .ravdess: return "MM-CC-EE-II-SS-RR-AA.wav"
    case .savee: return "DC_a01.wav or DC/a01.wav"
    case .crema_d: return "1001_DFA_ANG_XX.wav"
    case .tess: return "OAF_back_angry.wav"
    case .emodb: return "03a01Fa.wav"
    case .files, .csv: return "any name"
    }
  }

  /// Audio files (by extension) and other files under `root`, relative, sorted; hidden files and
  /// folders are skipped.
  func listFiles(_ root: String) throws -> (audio: [String], other: [String]) {
    let url = URL(fileURLWithPath: root).standardizedFileURL
    guard let e = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else {
      throw ExecutionError(.io, "cannot list folder '\(root)'", range: bound.pathRange)
    }
    let base = url.path.hasSuffix("/") ? url.path : url.path + "/"
    var audio: [String] = []
    var other: [String] = []
    for case let f as URL in e {
      guard (try? f.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
      let p = f.standardizedFileURL.path
      let rel = p.hasPrefix(base) ? String(p.dropFirst(base.count)) : f.lastPathComponent
      if CorpusLayout.audioExtensions.contains(f.pathExtension.lowercased()) { audio.append(rel) } else { other.append(rel) }
    }
    return (audio.sorted(), other.sorted())
  }

  /// Read the header (and, when asked, the bytes for a SHA-256 fingerprint) of one file.
  func record(root: String, relative: String, labels: UtteranceLabels, fingerprint: Bool) throws -> UtteranceRecord {
    let full = URL(fileURLWithPath: root).appendingPathComponent(relative).path
    let file = try AudioFile(path: full)
    let info = file.info
    if info.frames <= 0 { throw AudioError(.empty, path: full, detail: "the header declares 0 frames") }
    if let problem = file.integrityProblem { throw AudioError(.unreadable, path: full, detail: problem) }
    var r = UtteranceRecord(path: relative)
    r.speaker = labels.speaker
    r.emotion = labels.emotion
    r.label = labels.label
    r.intensity = labels.intensity
    r.statement = labels.statement
    r.repetition = labels.repetition
    r.gender = labels.gender
    r.extra = labels.extra
    r.duration = info.duration
    r.sampleRate = info.sampleRate
    r.channels = info.channels
    r.frames = info.frames
    r.audioFormat = info.format
    if fingerprint {
      guard let data = FileManager.default.contents(atPath: full) else { throw AudioError(.unreadable, path: full, detail: "cannot read the bytes") }
      r.fingerprint = "sha256:" + SHA256.hex(data)
    }
    return r
  }

  // MARK: - CSV manifests

  func importManifest(_ context: ExecutionContext, fingerprint: Bool) throws -> ResultTable {
    let manifest: Manifest
    do { manifest = try ManifestReader.read(path: bound.path) } catch let e as ManifestError {
      throw ExecutionError(.input, "manifest \(e.description)", range: bound.pathRange)
    }
    if manifest.rows.isEmpty { throw ExecutionError(.input, "manifest '\(bound.path)' lists no utterances", range: bound.pathRange) }
    let root = URL(fileURLWithPath: bound.path).deletingLastPathComponent().path
    var records: [UtteranceRecord] = []
    var skips: [Skip] = []
    var absent = 0
    var firstAbsent: String?
    let rootPrefix = root.hasSuffix("/") ? root : root + "/"
    for (i, original) in manifest.rows.enumerated() {
      try context.checkCancelled()
      context.progress?.update(task: "importing \(bound.name)", done: i, total: manifest.rows.count)
      var row = original
      // Paths are stored relative to the corpus root (the manifest's folder) when they lie under it.
      if row.path.hasPrefix(rootPrefix) { row.path = String(row.path.dropFirst(rootPrefix.count)) }
      let full = row.path.hasPrefix("/") ? row.path : URL(fileURLWithPath: root).appendingPathComponent(row.path).path
      if !FileManager.default.fileExists(atPath: full) {
        var r = UtteranceRecord(path: row.path)
        r.speaker = row.labels.speaker
        r.emotion = row.labels.emotion
        r.label = row.labels.label
        r.intensity = row.labels.intensity
        r.statement = row.labels.statement
        r.repetition = row.labels.repetition
        r.gender = row.labels.gender
        r.extra = row.labels.extra
        r.present = false
        records.append(r)
        absent += 1
        if firstAbsent == nil { firstAbsent = row.path }
        continue
      }
      do {
        records.append(try record(root: root, relative: row.path, labels: row.labels, fingerprint: fingerprint))
      } catch let e as AudioError {
        skips.append(Skip(path: "\(row.path) (line \(row.line))", reason: e.kind.rawValue + (e.detail.isEmpty ? "" : ": \(e.detail)")))
      }
    }
    context.progress?.finish(task: "importing \(bound.name)")
    var notices: [String] = []
    if absent > 0 {
      notices.append("warning: \(absent) manifest row\(absent == 1 ? " names" : "s name") audio that is not on disk (first: '\(firstAbsent!)'); recorded with present = 0, usable with imported features and embeddings only")
    }
    if !manifest.unknownLabels.isEmpty {
      notices.append("warning: emotion label\(manifest.unknownLabels.count == 1 ? "" : "s") \(manifest.unknownLabels.map { "'\($0)'" }.joined(separator: ", ")) not among the normalised emotions; kept lower-cased")
    }
    return try store(context, format: .csv, root: root, records: records, skips: skips, absent: absent, notices: notices)
  }

  // MARK: - Store

  func store(_ context: ExecutionContext, format: CorpusFormat, root: String, records: [UtteranceRecord], skips: [Skip], absent: Int, notices: [String]) throws -> ResultTable {
    var notices = notices
    for s in skips.prefix(Self.listedSkips) { notices.append("skipped '\(s.path)': \(s.reason)") }
    if skips.count > Self.listedSkips { notices.append("… and \(skips.count - Self.listedSkips) more skipped files") }
    if records.isEmpty {
      throw ExecutionError(.input, "nothing imported from '\(bound.path)': all \(skips.count) audio files were skipped; the database is unchanged",
                           range: bound.pathRange, notes: Array(notices.suffix(from: max(0, notices.count - min(skips.count, Self.listedSkips)))))
    }
    let c = context.connection
    let corpus = CorpusRecord(name: bound.name, root: root, format: format.rawValue, utterances: records.count, skipped: skips.count, absent: absent)
    var options = bound.options
    options.entries.insert(("format", .string(format.rawValue)), at: 0)
    let inputs = "{\"source\": \(jsonString(bound.path)), \"files\": \(records.count + skips.count)}"
    do {
      try c.transaction {
        let run = try RunStore(c).begin(statement: context.statementText, options: options.json, engineVersion: ProbeVersion.string, inputs: inputs)
        try CorpusStore(c).insert(corpus, utterances: records, runID: run)
        try RunStore(c).finish(run)
      }
    } catch let e as SQLiteError {
      throw ExecutionError(.storage, "storing corpus '\(bound.name)' failed; nothing was stored: \(e.message)")
    }
    let speakers = Set(records.compactMap(\.speaker)).count
    let duration = records.compactMap(\.duration).reduce(0, +)
    return ResultTable(
      columns: [Column("corpus", .text), Column("format", .text), Column("imported", .integer), Column("skipped", .integer),
                Column("absent", .integer), Column("speakers", .integer), Column("duration_s", .real)],
      rows: [[.text(bound.name), .text(format.rawValue), .integer(Int64(records.count)), .integer(Int64(skips.count)),
              .integer(Int64(absent)), .integer(Int64(speakers)), .real((duration * 100).rounded() / 100)]],
      notices: notices)
  }
}

import Foundation
import ProbeCore

/// One utterance row as stored in `utterances`.
public struct UtteranceRecord: Sendable, Equatable {
  public var path: String
  public var speaker: String?
  public var emotion: String?
  public var label: String?
  public var intensity: String?
  public var statement: String?
  public var repetition: String?
  public var gender: String?
  /// The corpus's other fields as a JSON object (e.g. RAVDESS modality, CSV extra columns).
  public var extra: [String: String]
  public var duration: Double?
  public var sampleRate: Int?
  public var channels: Int?
  public var frames: Int64?
  public var audioFormat: String?
  public var fingerprint: String?
  /// False when a CSV manifest names audio that is not on disk (imported features/embeddings only).
  public var present: Bool

  public init(path: String) {
    self.path = path
    self.extra = [:]
    self.present = true
  }
}

/// One row of `corpora`.
public struct CorpusRecord: Sendable, Equatable {
  public var name: String
  public var root: String
  public var format: String
  public var utterances: Int
  public var skipped: Int
  public var absent: Int
  public init(name: String, root: String, format: String, utterances: Int, skipped: Int, absent: Int) {
    self.name = name
    self.root = root
    self.format = format
    self.utterances = utterances
    self.skipped = skipped
    self.absent = absent
  }
}

/// Reads and writes corpora and utterances.
public struct CorpusStore {
  public let connection: Connection
  public init(_ connection: Connection) { self.connection = connection }

  public func corpus(named name: String) throws -> CorpusRecord? {
    let t = try connection.query(
      "SELECT name, root, format, utterances, skipped, absent FROM corpora WHERE name = ?", [.text(name)])
    return t.rows.first.map(Self.record)
  }

  public func allCorpora() throws -> [CorpusRecord] {
    try connection.query("SELECT name, root, format, utterances, skipped, absent FROM corpora ORDER BY name").rows
      .map(Self.record)
  }

  static func record(_ r: [Value]) -> CorpusRecord {
    CorpusRecord(
      name: r[0].stringValue ?? "", root: r[1].stringValue ?? "", format: r[2].stringValue ?? "",
      utterances: Int(r[3].intValue ?? 0), skipped: Int(r[4].intValue ?? 0), absent: Int(r[5].intValue ?? 0))
  }

  /// Insert a corpus and all its utterances in one transaction: it lands whole or not at all.
  public func insert(_ corpus: CorpusRecord, utterances: [UtteranceRecord], runID: Int64?) throws {
    try connection.transaction {
      try connection.run(
        "INSERT INTO corpora(name, root, format, utterances, skipped, absent, imported_at, run_id) VALUES (?,?,?,?,?,?,?,?)",
        [
          .text(corpus.name), .text(corpus.root), .text(corpus.format), .integer(Int64(corpus.utterances)),
          .integer(Int64(corpus.skipped)), .integer(Int64(corpus.absent)), .text(Timestamp.now()),
          runID.map { .integer($0) } ?? .null,
        ])
      let stmt = try connection.prepare(
        """
        INSERT INTO utterances(corpus, path, speaker, emotion, label, intensity, statement, repetition, gender,
          extra, duration, sample_rate, channels, frames, audio_format, fingerprint, present)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
        """)
      for u in utterances {
        func t(_ s: String?) -> Value { s.map { .text($0) } ?? .null }
        let extra: Value
        if u.extra.isEmpty { extra = .null } else {
          let data = try JSONSerialization.data(withJSONObject: u.extra, options: [.sortedKeys])
          extra = .text(String(decoding: data, as: UTF8.self))
        }
        try stmt.bind([
          .text(corpus.name), .text(u.path), t(u.speaker), t(u.emotion), t(u.label), t(u.intensity), t(u.statement),
          t(u.repetition), t(u.gender), extra, u.duration.map { .real($0) } ?? .null,
          u.sampleRate.map { .integer(Int64($0)) } ?? .null, u.channels.map { .integer(Int64($0)) } ?? .null,
          u.frames.map { .integer($0) } ?? .null, t(u.audioFormat), t(u.fingerprint), .integer(u.present ? 1 : 0),
        ])
        while try stmt.step() {}
      }
    }
  }

  /// Delete a corpus and (by cascade) its utterances.
  public func delete(named name: String) throws {
    try connection.transaction { try connection.run("DELETE FROM corpora WHERE name = ?", [.text(name)]) }
  }
}

/// ISO-8601 UTC timestamps with milliseconds, as stored in every `*_at` column.
public enum Timestamp {
  /// The current time in UTC as ISO 8601 with milliseconds ("2026-11-26T09:53:20.123Z", what
  /// `ISO8601DateFormatter` writes with internet date-time and fractional seconds), formatted
  /// here: a formatter costs a few tenths of a millisecond to make, twice per statement.
  public static func now() -> String { format(Date()) }

  public static func format(_ date: Date) -> String {
    let t = date.timeIntervalSince1970
    var seconds = time_t(t.rounded(.down))
    var millis = Int(((t - Double(seconds)) * 1000).rounded(.toNearestOrAwayFromZero))  // as the formatter rounds
    if millis > 999 {
      millis = 0
      seconds += 1
    }
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func pad(_ v: Int32, _ width: Int) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
  }
}

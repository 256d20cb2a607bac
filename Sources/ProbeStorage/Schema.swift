import Foundation
import ProbeCore

/// The versioned schema of a ProbeDB database file.
///
/// `PRAGMA user_version` holds the schema version and `PRAGMA application_id` marks the file as
/// ProbeDB's, so an unrelated SQLite file is refused instead of being written into. Migrations
/// run in order, each in its own transaction; a file from a newer ProbeDB is refused.
public enum Schema {
  /// 'PRDB' as a big-endian 32-bit integer.
  public static let applicationID: Int64 = 0x5052_4442

  /// Migration `i` brings the schema from version `i` to `i + 1`.
  static let migrations: [String] = [
    // v1: the catalog of corpora and utterances, and the provenance of every run.
    """
    CREATE TABLE meta(
      key TEXT PRIMARY KEY,
      value TEXT
    );
    CREATE TABLE corpora(
      name TEXT PRIMARY KEY COLLATE NOCASE,
      root TEXT NOT NULL,
      format TEXT NOT NULL,
      utterances INTEGER NOT NULL,
      skipped INTEGER NOT NULL DEFAULT 0,
      absent INTEGER NOT NULL DEFAULT 0,
      imported_at TEXT NOT NULL,
      run_id INTEGER REFERENCES runs(run_id)
    );
    CREATE TABLE utterances(
      utterance_id INTEGER PRIMARY KEY,
      corpus TEXT NOT NULL COLLATE NOCASE REFERENCES corpora(name) ON DELETE CASCADE,
      path TEXT NOT NULL,
      speaker TEXT,
      emotion TEXT,
      label TEXT,
      intensity TEXT,
      statement TEXT,
      repetition TEXT,
      gender TEXT,
      extra TEXT,
      duration REAL,
      sample_rate INTEGER,
      channels INTEGER,
      frames INTEGER,
      audio_format TEXT,
      fingerprint TEXT,
      present INTEGER NOT NULL DEFAULT 1,
      UNIQUE(corpus, path)
    );
    CREATE INDEX utterances_by_emotion ON utterances(corpus, emotion);
    CREATE INDEX utterances_by_speaker ON utterances(corpus, speaker);
    CREATE TABLE runs(
      run_id INTEGER PRIMARY KEY AUTOINCREMENT,
      statement TEXT NOT NULL,
      options TEXT NOT NULL DEFAULT '{}',
      seed INTEGER,
      engine_version TEXT NOT NULL,
      inputs TEXT NOT NULL DEFAULT '{}',
      started_at TEXT NOT NULL,
      finished_at TEXT,
      status TEXT NOT NULL DEFAULT 'running'
    );
    """
  ]

  public static var latestVersion: Int { migrations.count }

  /// Bring `connection` to the latest schema, or throw if the file is not ProbeDB's or is newer.
  public static func migrate(_ connection: Connection) throws {
    let appID = try connection.scalar("PRAGMA application_id")?.intValue ?? 0
    var version = Int(try connection.scalar("PRAGMA user_version")?.intValue ?? 0)
    let tables = try connection.scalar("SELECT count(*) FROM sqlite_schema")?.intValue ?? 0
    if appID != applicationID && (tables > 0 || version > 0) {
      throw SQLiteError(code: 26, message: "'\(connection.path)' is an SQLite database but not a ProbeDB one; refusing to change it")
    }
    if version > latestVersion {
      throw SQLiteError(
        code: 1,
        message: "'\(connection.path)' has schema version \(version), newer than this ProbeDB (\(latestVersion)); upgrade ProbeDB")
    }
    while version < latestVersion {
      try connection.transaction {
        try connection.execute(migrations[version])
        try connection.execute("PRAGMA application_id = \(applicationID)")
        try connection.execute("PRAGMA user_version = \(version + 1)")
      }
      version += 1
    }
  }
}

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
    """,
    // v2: feature and embedding sets, and the results of EVALUATE / RANK with their protocol
    // (task rows and speaker splits), all keyed by run.
    """
    CREATE TABLE representations(
      name TEXT NOT NULL COLLATE NOCASE,
      corpus TEXT NOT NULL COLLATE NOCASE REFERENCES corpora(name) ON DELETE CASCADE,
      kind TEXT NOT NULL CHECK (kind IN ('features', 'embeddings')),
      dims INTEGER NOT NULL,
      layers INTEGER NOT NULL DEFAULT 1,
      dtype TEXT NOT NULL,
      feature_names TEXT,
      source TEXT,
      fingerprint TEXT NOT NULL,
      rows INTEGER NOT NULL,
      run_id INTEGER REFERENCES runs(run_id),
      PRIMARY KEY (name, corpus)
    );
    CREATE TABLE embeddings(
      representation TEXT NOT NULL COLLATE NOCASE,
      corpus TEXT NOT NULL COLLATE NOCASE,
      utterance_id INTEGER NOT NULL REFERENCES utterances(utterance_id) ON DELETE CASCADE,
      layer INTEGER NOT NULL DEFAULT 0,
      vector BLOB NOT NULL,
      PRIMARY KEY (representation, corpus, utterance_id, layer),
      FOREIGN KEY (representation, corpus) REFERENCES representations(name, corpus) ON DELETE CASCADE
    );
    CREATE TABLE samples(
      run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
      emotion TEXT NOT NULL,
      position INTEGER NOT NULL,
      utterance_id INTEGER NOT NULL,
      path TEXT NOT NULL,
      y INTEGER NOT NULL,
      PRIMARY KEY (run_id, emotion, position)
    );
    CREATE TABLE folds(
      run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
      emotion TEXT NOT NULL,
      outer INTEGER NOT NULL,
      inner INTEGER NOT NULL,
      speaker TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('train', 'test')),
      PRIMARY KEY (run_id, emotion, outer, inner, speaker)
    );
    CREATE TABLE evaluations(
      run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
      emotion TEXT NOT NULL,
      representation TEXT NOT NULL,
      layer INTEGER,
      fold INTEGER NOT NULL,
      c REAL NOT NULL,
      f1 REAL NOT NULL,
      train_rows INTEGER NOT NULL,
      test_rows INTEGER NOT NULL,
      protocol_key TEXT NOT NULL,
      PRIMARY KEY (run_id, emotion, representation, layer, fold)
    );
    CREATE INDEX evaluations_by_protocol ON evaluations(protocol_key, run_id);
    CREATE TABLE inner_scores(
      run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
      emotion TEXT NOT NULL,
      representation TEXT NOT NULL,
      layer INTEGER,
      fold INTEGER NOT NULL,
      c REAL NOT NULL,
      mean_score REAL NOT NULL,
      PRIMARY KEY (run_id, emotion, representation, layer, fold, c)
    );
    CREATE TABLE topk_sweep(
      run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
      emotion TEXT NOT NULL,
      representation TEXT NOT NULL,
      layer INTEGER,
      k INTEGER NOT NULL,
      f1 REAL NOT NULL,
      f1_folds TEXT NOT NULL,
      c_folds TEXT NOT NULL,
      protocol_key TEXT NOT NULL,
      PRIMARY KEY (run_id, emotion, representation, layer, k)
    );
    CREATE INDEX topk_sweep_by_protocol ON topk_sweep(protocol_key, run_id);
    CREATE TABLE probe_results(
      run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
      emotion TEXT NOT NULL,
      representation TEXT NOT NULL,
      layer INTEGER,
      feature TEXT NOT NULL,
      category TEXT NOT NULL,
      k INTEGER NOT NULL,
      rmse_top REAL,
      rmse_all REAL,
      r2_top REAL,
      r2_all REAL,
      alpha_top REAL,
      alpha_all REAL,
      information_increase REAL,
      ii_random_mean REAL,
      p_value REAL,
      random_subsets INTEGER,
      PRIMARY KEY (run_id, emotion, representation, layer, feature)
    );
    CREATE TABLE probe_summary(
      run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
      emotion TEXT NOT NULL,
      representation TEXT NOT NULL,
      layer INTEGER,
      category TEXT NOT NULL,
      n INTEGER NOT NULL,
      mean REAL, median REAL, q1 REAL, q3 REAL, min REAL, max REAL,
      share_above_1 REAL,
      PRIMARY KEY (run_id, emotion, representation, layer, category)
    );
    CREATE TABLE extraction_notes(
      representation TEXT NOT NULL COLLATE NOCASE,
      corpus TEXT NOT NULL COLLATE NOCASE,
      utterance_id INTEGER NOT NULL REFERENCES utterances(utterance_id) ON DELETE CASCADE,
      note TEXT NOT NULL,
      PRIMARY KEY (representation, corpus, utterance_id)
    );
    CREATE TABLE probe_stability(
      run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
      emotion TEXT NOT NULL,
      seed INTEGER NOT NULL,
      seed_run_id INTEGER NOT NULL,
      k INTEGER NOT NULL,
      f1 REAL,
      top_overlap REAL NOT NULL,
      PRIMARY KEY (run_id, emotion, seed)
    );
    CREATE TABLE probe_splits(
      run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
      emotion TEXT NOT NULL,
      position INTEGER NOT NULL,
      path TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('train', 'test')),
      PRIMARY KEY (run_id, emotion, role, position)
    );
    CREATE TABLE shap_importance(
      run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
      emotion TEXT NOT NULL,
      representation TEXT NOT NULL,
      layer INTEGER,
      dim INTEGER,
      feature TEXT,
      mean_abs_shap REAL NOT NULL,
      rank INTEGER NOT NULL,
      PRIMARY KEY (run_id, emotion, representation, layer, rank)
    );
    """,
    // v3: a task's rows and splits stored once, under a digest of their contents, and linked to
    // every run that used them (a RANK or PROBE reusing an EVALUATE's cross-validation, a run
    // repeated): `samples` and `folds` become views with the same columns. Rows stored by v2
    // move under a digest named after their run; a task's rows are forgotten with its last run.
    """
    CREATE TABLE tasks(
      task_id INTEGER PRIMARY KEY,
      digest TEXT NOT NULL UNIQUE
    );
    CREATE TABLE task_samples(
      task_id INTEGER NOT NULL,
      position INTEGER NOT NULL,
      utterance_id INTEGER NOT NULL,
      path TEXT NOT NULL,
      y INTEGER NOT NULL,
      PRIMARY KEY (task_id, position)
    ) WITHOUT ROWID;
    CREATE TABLE task_folds(
      task_id INTEGER NOT NULL,
      outer INTEGER NOT NULL,
      inner INTEGER NOT NULL,
      speaker TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('train', 'test')),
      PRIMARY KEY (task_id, outer, inner, speaker)
    ) WITHOUT ROWID;
    CREATE TABLE run_tasks(
      run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
      emotion TEXT NOT NULL,
      task_id INTEGER NOT NULL REFERENCES tasks(task_id),
      PRIMARY KEY (run_id, emotion)
    );
    CREATE INDEX run_tasks_by_task ON run_tasks(task_id);
    INSERT INTO tasks(digest)
      SELECT 'run ' || run_id || ' ' || emotion FROM samples UNION SELECT 'run ' || run_id || ' ' || emotion FROM folds;
    INSERT INTO run_tasks(run_id, emotion, task_id)
      SELECT CAST(substr(digest, 5, instr(substr(digest, 5), ' ') - 1) AS INTEGER), substr(digest, 5 + instr(substr(digest, 5), ' ')), task_id FROM tasks;
    INSERT INTO task_samples(task_id, position, utterance_id, path, y)
      SELECT t.task_id, s.position, s.utterance_id, s.path, s.y FROM samples s JOIN tasks t ON t.digest = 'run ' || s.run_id || ' ' || s.emotion;
    INSERT INTO task_folds(task_id, outer, inner, speaker, role)
      SELECT t.task_id, f.outer, f.inner, f.speaker, f.role FROM folds f JOIN tasks t ON t.digest = 'run ' || f.run_id || ' ' || f.emotion;
    DROP TABLE samples;
    DROP TABLE folds;
    CREATE VIEW samples AS
      SELECT r.run_id, r.emotion, s.position, s.utterance_id, s.path, s.y FROM run_tasks r JOIN task_samples s ON s.task_id = r.task_id;
    CREATE VIEW folds AS
      SELECT r.run_id, r.emotion, f.outer, f.inner, f.speaker, f.role FROM run_tasks r JOIN task_folds f ON f.task_id = r.task_id;
    CREATE TRIGGER run_tasks_forget AFTER DELETE ON run_tasks WHEN NOT EXISTS (SELECT 1 FROM run_tasks WHERE task_id = OLD.task_id)
    BEGIN
      DELETE FROM task_samples WHERE task_id = OLD.task_id;
      DELETE FROM task_folds WHERE task_id = OLD.task_id;
      DELETE FROM tasks WHERE task_id = OLD.task_id;
    END;
    """,
    // v4: a task's splits stored as one row per (outer, inner, role) listing its speakers (a JSON
    // array, sorted) instead of one row per speaker — a task of 24 speakers and 5 × 5 splits
    // writes 300 rows instead of 3,600. The `folds` view expands them to the same columns and rows.
    """
    DROP VIEW folds;
    DROP TRIGGER run_tasks_forget;
    ALTER TABLE task_folds RENAME TO task_folds_v3;
    CREATE TABLE task_folds(
      task_id INTEGER NOT NULL,
      outer INTEGER NOT NULL,
      inner INTEGER NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('train', 'test')),
      speakers TEXT NOT NULL,
      PRIMARY KEY (task_id, outer, inner, role)
    ) WITHOUT ROWID;
    INSERT INTO task_folds(task_id, outer, inner, role, speakers)
      SELECT task_id, outer, inner, role, json_group_array(speaker)
      FROM (SELECT * FROM task_folds_v3 ORDER BY task_id, outer, inner, role, speaker) GROUP BY task_id, outer, inner, role;
    DROP TABLE task_folds_v3;
    CREATE VIEW folds AS
      SELECT r.run_id, r.emotion, f.outer, f.inner, s.value AS speaker, f.role FROM run_tasks r JOIN task_folds f ON f.task_id = r.task_id JOIN json_each(f.speakers) s;
    CREATE TRIGGER run_tasks_forget AFTER DELETE ON run_tasks WHEN NOT EXISTS (SELECT 1 FROM run_tasks WHERE task_id = OLD.task_id)
    BEGIN
      DELETE FROM task_samples WHERE task_id = OLD.task_id;
      DELETE FROM task_folds WHERE task_id = OLD.task_id;
      DELETE FROM tasks WHERE task_id = OLD.task_id;
    END;
    """,
  ]

  /// Tables ProbeDB owns; a feature set may not take one of these names.
  public static let systemTables: Set<String> = [
    "meta", "corpora", "utterances", "runs", "representations", "embeddings", "samples", "folds", "tasks", "task_samples", "task_folds", "run_tasks", "evaluations",
    "inner_scores", "shap_importance", "topk_sweep", "probe_results", "probe_summary", "probe_splits", "probe_stability", "extraction_notes",
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
    try addMissingObjects(connection)
  }

  /// Tables and indexes of the current version that the file lacks, created (nothing else is
  /// touched). A database made by a development build from before a table joined version 2
  /// (e.g. `extraction_notes`) is completed instead of failing at the first statement that needs it.
  static func addMissingObjects(_ connection: Connection) throws {
    var present = Set<String>()
    // (Views count: a table a later version turned into a view, as `samples`, is not missing.)
    for r in try connection.query("SELECT lower(name) FROM sqlite_schema WHERE type IN ('table', 'index', 'view')").rows {
      if let n = r[0].stringValue { present.insert(n) }
    }
    var missing: [String] = []
    for migration in migrations {
      for statement in migration.split(separator: ";") {
        let words = statement.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "(" }).prefix(3).map { $0.uppercased() }
        guard words.count == 3, words[0] == "CREATE", words[1] == "TABLE" || words[1] == "INDEX" else { continue }
        let name = String(statement.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "(" })[2]).lowercased()
        if !present.contains(name) { missing.append(String(statement)) }
      }
    }
    guard !missing.isEmpty else { return }
    try connection.transaction { for sql in missing { try connection.execute(sql) } }
  }
}

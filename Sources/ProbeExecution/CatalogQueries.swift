import ProbePlanner
import ProbeCore
import ProbeStorage

/// SHOW and DESCRIBE: plain queries over the catalog tables.
enum CatalogQueries {
  static func show(_ what: BoundShowKind, _ c: Connection) throws -> ResultTable {
    switch what {
    case .corpora:
      return try c.query(
        """
        SELECT c.name AS corpus, c.format, c.utterances,
          (SELECT count(DISTINCT speaker) FROM utterances u WHERE u.corpus = c.name) AS speakers,
          (SELECT group_concat(emotion, ',') FROM (SELECT DISTINCT emotion FROM utterances u WHERE u.corpus = c.name AND emotion IS NOT NULL ORDER BY emotion)) AS emotions,
          (SELECT round(sum(duration), 1) FROM utterances u WHERE u.corpus = c.name) AS duration_s,
          c.skipped, c.absent, c.root, c.imported_at
        FROM corpora c ORDER BY c.name
        """)
    case .tables:
      let names = try c.query("SELECT name, type FROM sqlite_schema WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name")
      var rows: [[Value]] = []
      for r in names.rows {
        let name = r[0].stringValue ?? ""
        let n = try c.scalar("SELECT count(*) FROM \(Connection.quoteIdentifier(name))") ?? .null
        rows.append([r[0], r[1], n])
      }
      return ResultTable(columns: [Column("name", .text), Column("type", .text), Column("rows", .integer)], rows: rows)
    case .runs:
      return try c.query("SELECT run_id, statement, status, started_at, finished_at, engine_version FROM runs ORDER BY run_id")
    }
  }

  static func describeCorpus(_ name: String, _ c: Connection) throws -> ResultTable {
    var t = try c.query(
      """
      SELECT coalesce(emotion, '(unlabelled)') AS emotion, count(*) AS utterances, count(DISTINCT speaker) AS speakers,
        round(sum(duration), 2) AS duration_s, round(avg(duration), 3) AS mean_duration_s,
        sum(present = 0) AS absent
      FROM utterances WHERE corpus = ? GROUP BY emotion ORDER BY emotion
      """, [.text(name)])
    if let info = try c.query(
      "SELECT format, root, utterances, (SELECT count(DISTINCT speaker) FROM utterances WHERE corpus = ?1), (SELECT group_concat(DISTINCT sample_rate) FROM utterances WHERE corpus = ?1) FROM corpora WHERE name = ?1",
      [.text(name)]
    ).rows.first {
      t.notices.append("corpus '\(name)': \(info[2]) utterances, \(info[3]) speakers, format \(info[0]), root '\(info[1])', sample rates \(info[4].stringValue ?? "-") Hz")
    }
    return t
  }

  static func describeTable(_ name: String, _ c: Connection) throws -> ResultTable {
    try c.query(
      "SELECT name AS column_name, type AS column_type, CASE WHEN \"notnull\" = 1 OR pk > 0 THEN 'NO' ELSE 'YES' END AS nullable, CASE WHEN pk > 0 THEN 'PRI' ELSE '' END AS key FROM pragma_table_info(?) ORDER BY cid",
      [.text(name)])
  }
}

typealias BoundShowKind = BoundStatement.ShowKind

import Foundation
import ProbeCore
@testable import ProbeStorage
import ProbeTestSupport
import XCTest

final class StorageTests: XCTestCase {
  func tempPath() -> String {
    TestSupport.temporaryDirectory("storage") + "/t.db"
  }

  /// Version 3 moves the rows and splits a version-2 file stored per run under content keys, and
  /// version 4 lists each split's speakers in one row: the `samples` and `folds` views show
  /// exactly the rows the tables held, and a task's rows go with its last run.
  func testVersionThreeKeepsStoredSamplesAndFoldsBehindViews() throws {
    let c = try Connection(path: tempPath())
    for version in 0..<2 {
      try c.execute(Schema.migrations[version])
      try c.execute("PRAGMA application_id = \(Schema.applicationID); PRAGMA user_version = \(version + 1)")
    }
    try c.execute("""
      INSERT INTO runs(run_id, statement, engine_version, started_at) VALUES (1, 'EVALUATE …', 'old', 't'), (2, 'RANK …', 'old', 't');
      INSERT INTO corpora(name, root, format, utterances, imported_at) VALUES ('c', '/', 'ravdess', 2, 't');
      INSERT INTO utterances(utterance_id, corpus, path) VALUES (10, 'c', 'a.wav'), (11, 'c', 'b.wav');
      INSERT INTO samples VALUES (1, 'angry', 0, 10, 'a.wav', 1), (1, 'angry', 1, 11, 'b.wav', 0), (2, 'angry', 0, 10, 'a.wav', 1);
      INSERT INTO folds VALUES (1, 'angry', 1, 0, 's1', 'train'), (1, 'angry', 1, 0, 's2', 'test'), (1, 'angry', 1, 0, 's0', 'train'), (2, 'sad', 1, 0, 's1', 'test');
      """)
    let samples = try c.query("SELECT * FROM samples ORDER BY run_id, emotion, position").rows
    let folds = try c.query("SELECT * FROM folds ORDER BY run_id, emotion, outer, inner, speaker").rows
    try Schema.migrate(c)
    XCTAssertEqual(try c.scalar("PRAGMA user_version")?.intValue, Int64(Schema.latestVersion))
    XCTAssertEqual(try c.scalar("SELECT type FROM sqlite_schema WHERE name = 'samples'")?.stringValue, "view")
    XCTAssertEqual(try c.query("SELECT * FROM samples ORDER BY run_id, emotion, position").rows, samples)
    XCTAssertEqual(try c.query("SELECT * FROM folds ORDER BY run_id, emotion, outer, inner, speaker").rows, folds)
    // Version 4: one row per (outer, inner, role), its speakers sorted.
    XCTAssertEqual(try c.query("SELECT f.role, f.speakers FROM task_folds f JOIN tasks t USING (task_id) WHERE t.digest = 'run 1 angry' ORDER BY f.role").rows,
                   [[.text("test"), .text("[\"s2\"]")], [.text("train"), .text("[\"s0\",\"s1\"]")]])
    try c.execute("DELETE FROM runs WHERE run_id = 1")
    XCTAssertEqual(try c.query("SELECT DISTINCT run_id FROM samples").rows, [[.integer(2)]])
    XCTAssertEqual(try c.query("SELECT digest FROM tasks ORDER BY digest").rows, [[.text("run 2 angry")], [.text("run 2 sad")]])
    XCTAssertEqual(try c.scalar("SELECT count(*) FROM task_folds")?.intValue, 1)
  }

  /// `BatchInsert` lands every row, in order, through full batches and the remainder, and a bad
  /// row fails its batch with SQLite's error inside the caller's transaction.
  func testBatchInsertLandsEveryRow() throws {
    let c = try Connection(path: ":memory:")
    try c.execute("CREATE TABLE t(i INTEGER PRIMARY KEY, label TEXT NOT NULL, x REAL)")
    let batch = BatchInsert(c, table: "t", columns: ["i", "label", "x"], rowsPerStatement: 16)
    for i in 0..<150 { try batch.add([.integer(Int64(i)), .text("row \(i)"), i % 7 == 0 ? .null : .real(Double(i) / 4)]) }
    try batch.finish()
    try batch.finish()  // nothing left: no statement
    let rows = try c.query("SELECT i, label, x FROM t ORDER BY i").rows
    XCTAssertEqual(rows.count, 150)
    XCTAssertEqual(rows[149], [.integer(149), .text("row 149"), .real(37.25)])
    XCTAssertEqual(rows[140], [.integer(140), .text("row 140"), .null])
    XCTAssertThrowsError(try c.transaction {
      let bad = BatchInsert(c, table: "t", columns: ["i", "label", "x"])
      try bad.add([.integer(1000), .text("new"), .null])
      try bad.add([.integer(3), .text("duplicate key"), .null])
      try bad.finish()
    }) { XCTAssertTrue("\($0)".lowercased().contains("constraint"), "\($0)") }
    XCTAssertEqual(try c.scalar("SELECT count(*) FROM t")?.intValue, 150, "the failed transaction left nothing")
  }

  /// `query`, `run`, `scalar` and batch inserts reuse the statements they prepared: one per SQL
  /// text, recompiled by SQLite when the schema changes, reset and unbound between uses (also
  /// after an error), never blocking a DROP, at most `maxIdleStatements` kept.
  func testReusedStatementsBehaveAsFreshOnes() throws {
    let c = try Connection(path: tempPath())
    try c.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)")
    let opening = c.idleStatements  // the PRAGMAs of opening the file
    try c.run("INSERT INTO t VALUES (?, ?)", [.integer(1), .text("x")])
    XCTAssertEqual(c.idleStatements, opening + 1)
    // A failed use (a duplicate key) leaves it reusable; parameters not given are NULL.
    XCTAssertThrowsError(try c.run("INSERT INTO t VALUES (?, ?)", [.integer(1), .text("y")]))
    try c.run("INSERT INTO t VALUES (?, ?)", [.integer(2)])
    XCTAssertEqual(c.idleStatements, opening + 1)
    XCTAssertEqual(try c.query("SELECT a, b FROM t ORDER BY a").rows, [[.integer(1), .text("x")], [.integer(2), .null]])
    // The schema changes under a kept statement: it sees the new column.
    try c.execute("ALTER TABLE t ADD COLUMN d REAL")
    XCTAssertEqual(try c.query("SELECT * FROM t ORDER BY a").columns.map(\.name), ["a", "b", "d"])
    // A scalar read half-way is reset: the next use starts over, and the table can be dropped.
    XCTAssertEqual(try c.scalar("SELECT a FROM t ORDER BY a"), .integer(1))
    XCTAssertEqual(try c.scalar("SELECT a FROM t ORDER BY a"), .integer(1))
    try c.execute("DROP TABLE t")
    XCTAssertThrowsError(try c.query("SELECT * FROM t ORDER BY a")) { e in XCTAssertTrue("\(e)".contains("no such table"), "\(e)") }
    for i in 0..<(Connection.maxIdleStatements + 10) { _ = try c.scalar("SELECT \(i)") }
    XCTAssertLessThanOrEqual(c.idleStatements, Connection.maxIdleStatements)
    // Batch inserts hand theirs back too, and land the same rows the second time.
    try c.execute("CREATE TABLE u(i INTEGER, v REAL)")
    for round in 0..<2 {
      let batch = BatchInsert(c, table: "u", columns: ["i", "v"], rowsPerStatement: 4)
      for i in 0..<10 { try batch.add([.integer(Int64(i)), .real(Double(round))]) }
      try batch.finish()
    }
    XCTAssertEqual(try c.scalar("SELECT count(*) || ',' || sum(i) || ',' || sum(v) FROM u"), .text("20,90,10.0"))
  }

  /// `ColumnInsert` lands exactly the arrays' values (doubles to the bit, text with quotes and
  /// non-ASCII characters, NULLs), the shared values in every row; a failing insert leaves no
  /// row of it; `probe_rows` gives nothing to SQL that has no pointer bound to it.
  func testColumnInsertLandsTheArraysExactly() throws {
    let c = try Connection(path: tempPath())
    try c.execute("CREATE TABLE t(run INTEGER, tag TEXT, layer INTEGER, i INTEGER PRIMARY KEY, x REAL, s TEXT, z)")
    let x = [0.1 + 0.2, -1e-300, 5e-324, 1.0 / 3.0, -0.0, 123456789.123456789, .pi]
    let strings: [String?] = ["a", nil, "it's \"quoted\"", "späte Ähre ∑", "", "x,y", nil]
    try ColumnInsert.insert(
      c, table: "t", shared: [("run", .integer(7)), ("tag", .text("an'gry")), ("layer", .null)],
      columns: [("i", .integers((0..<7).map { Int64($0) * 10 })), ("x", .reals(x)), ("s", .texts(strings)), ("z", .nulls)], rows: 7)
    let rows = try c.query("SELECT run, tag, layer, i, x, s, z FROM t ORDER BY i").rows
    XCTAssertEqual(rows.count, 7)
    for (k, r) in rows.enumerated() {
      XCTAssertEqual(Array(r[0..<4]), [.integer(7), .text("an'gry"), .null, .integer(Int64(k) * 10)])
      XCTAssertEqual(r[4].doubleValue?.bitPattern, x[k] == 0 ? 0.0.bitPattern : x[k].bitPattern, "row \(k)")  // −0 is stored as the integer 0
      XCTAssertEqual(r[5], strings[k].map { .text($0) } ?? .null)
      XCTAssertEqual(r[6], .null)
    }
    // A duplicate key in the middle: the statement lands nothing.
    XCTAssertThrowsError(try ColumnInsert.insert(c, table: "t", shared: [], columns: [("i", .integers([100, 30, 200]))], rows: 3))
    XCTAssertEqual(try c.scalar("SELECT count(*) FROM t"), .integer(7))
    // Zero rows: nothing to do.
    try ColumnInsert.insert(c, table: "t", shared: [], columns: [("i", .integers([]))], rows: 0)
    // SQL cannot make up a source.
    XCTAssertEqual(try c.query("SELECT * FROM probe_rows(1)").rows.count, 0)
    XCTAssertEqual(try c.query("SELECT * FROM probe_rows").rows.count, 0)
  }

  func testMigrationCreatesSchemaInWALMode() throws {
    let path = tempPath()
    let c = try Connection(path: path)
    try Schema.migrate(c)
    XCTAssertEqual(try c.scalar("PRAGMA user_version")?.intValue, Int64(Schema.latestVersion))
    XCTAssertEqual(try c.scalar("PRAGMA application_id")?.intValue, Schema.applicationID)
    XCTAssertEqual(try c.scalar("PRAGMA journal_mode")?.stringValue, "wal")
    let tables = try c.query("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").rows.compactMap { $0[0].stringValue }
    for t in ["corpora", "meta", "runs", "utterances"] { XCTAssertTrue(tables.contains(t), t) }
    // Migrating again is a no-op.
    try Schema.migrate(c)
    XCTAssertEqual(try c.scalar("PRAGMA user_version")?.intValue, Int64(Schema.latestVersion))
    // A file of the latest version that lacks a table or an index (a development build's) is
    // completed when opened; what it holds stays.
    try c.execute("INSERT INTO meta(key, value) VALUES ('kept', 'yes'); DROP TABLE extraction_notes; DROP INDEX utterances_by_speaker;")
    try Schema.migrate(c)
    let names = try c.query("SELECT name FROM sqlite_schema").rows.compactMap { $0[0].stringValue }
    XCTAssertTrue(names.contains("extraction_notes"))
    XCTAssertTrue(names.contains("utterances_by_speaker"))
    XCTAssertEqual(try c.scalar("SELECT value FROM meta WHERE key = 'kept'")?.stringValue, "yes")
  }

  func testRefusesForeignSQLiteFile() throws {
    let path = tempPath()
    let c = try Connection(path: path)
    try c.execute("CREATE TABLE mine(x)")
    XCTAssertThrowsError(try Schema.migrate(c)) { e in
      XCTAssertTrue("\(e)".contains("not a ProbeDB one"), "\(e)")
    }
    // Untouched.
    XCTAssertEqual(try c.scalar("PRAGMA user_version")?.intValue, 0)
  }

  func testRefusesNewerSchema() throws {
    let path = tempPath()
    let c = try Connection(path: path)
    try Schema.migrate(c)
    try c.execute("PRAGMA user_version = \(Schema.latestVersion + 1)")
    XCTAssertThrowsError(try Schema.migrate(c)) { e in XCTAssertTrue("\(e)".contains("newer"), "\(e)") }
  }

  func testRefusesNonDatabaseFile() throws {
    let path = tempPath()
    try "this is not a database, just some text that is long enough to have a header".write(toFile: path, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try Connection(path: path)) { e in XCTAssertTrue("\(e)".contains("not a database"), "\(e)") }
  }

  /// The read-only second connection sees what the first committed, cannot write, is the same
  /// one each time, and is refused where it would read something else: an in-memory database,
  /// or while the first connection holds uncommitted writes.
  func testConcurrentReaderSeesCommittedDataOnly() throws {
    XCTAssertNil(try Connection(path: ":memory:").concurrentReader())
    let c = try Connection(path: tempPath())
    try c.execute("CREATE TABLE t(i INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2)")
    let reader = try XCTUnwrap(c.concurrentReader())
    XCTAssertTrue(reader === c.concurrentReader())
    XCTAssertEqual(try reader.scalar("SELECT count(*) FROM t")?.intValue, 2)
    XCTAssertThrowsError(try reader.execute("INSERT INTO t VALUES (3)")) { XCTAssertTrue("\($0)".lowercased().contains("readonly"), "\($0)") }
    try c.transaction {
      try c.execute("INSERT INTO t VALUES (3)")
      XCTAssertNil(c.concurrentReader(), "uncommitted rows would be invisible to it")
    }
    XCTAssertEqual(try reader.scalar("SELECT count(*) FROM t")?.intValue, 3)
  }

  /// A matrix read in two halves over two connections (`loadHalves`, as `EVALUATE` reads) equals
  /// the whole read: rows missing in either half, NULL features, two layers; and it declines
  /// (nil) when a half holds more rows than the corpus has utterances there.
  func testMatrixReadInHalvesEqualsWholeRead() throws {
    let c = try Connection(path: tempPath())
    try Schema.migrate(c)
    let corpora = CorpusStore(c)
    try corpora.insert(CorpusRecord(name: "a", root: "/", format: "files", utterances: 11, skipped: 0, absent: 0),
                       utterances: (0..<11).map { UtteranceRecord(path: "a\($0).wav") }, runID: nil)
    try corpora.insert(CorpusRecord(name: "b", root: "/", format: "files", utterances: 2, skipped: 0, absent: 0),
                       utterances: (0..<2).map { UtteranceRecord(path: "b\($0).wav") }, runID: nil)
    let ids = try c.query("SELECT utterance_id FROM utterances WHERE corpus = 'a' ORDER BY utterance_id").rows.map { $0[0].intValue! }
    let store = RepresentationStore(c)
    let emb = RepresentationInfo(name: "e", corpus: "a", kind: .embeddings, dims: 5, layers: 2, dtype: "float64", featureNames: nil, source: nil, fingerprint: "x", rows: 8)
    let stored = ids.enumerated().filter { ![1, 2, 9].contains($0.offset) }
    try c.transaction {
      try store.insertEmbeddings(emb, vectors: stored.flatMap { (k, id) in (0..<2).map { l in (id, l, (0..<5).map { Double(k * 10 + l) + Double($0) / 8 }) } }, runID: nil)
    }
    let feat = RepresentationInfo(name: "f", corpus: "a", kind: .features, dims: 3, layers: 1, dtype: "float64", featureNames: ["x", "y", "z"], source: nil, fingerprint: "y", rows: 10)
    try c.transaction {
      try store.insertFeatures(feat, rows: ids.dropFirst().map { id in (id, [Double(id), id % 3 == 0 ? nil : -Double(id), 0.5]) }, runID: nil)
    }
    let reader = try XCTUnwrap(c.concurrentReader())
    let middle = try XCTUnwrap(try store.middleUtterance(corpus: "a"))
    XCTAssertEqual(middle.total, 11)
    XCTAssertEqual(middle.id, ids[5])
    let rows = [middle.total / 2, middle.total - middle.total / 2]
    for (info, layer) in [(emb, 0), (emb, 1), (feat, 0)] {
      let whole = try store.load(info, layer: layer)
      let halves = try XCTUnwrap(try RepresentationStore.loadHalves(info, layer: layer, middle: middle.id, rows: rows, stores: [store, RepresentationStore(reader)]))
      XCTAssertEqual(halves.utteranceIDs, whole.utteranceIDs, "\(info.name) layer \(layer)")
      XCTAssertEqual(halves.values.map(\.bitPattern), whole.values.map(\.bitPattern), "\(info.name) layer \(layer)")
      XCTAssertEqual(whole.values.count, whole.utteranceIDs.count * info.dims)
    }
    XCTAssertEqual(try store.load(emb).utteranceIDs, stored.map(\.element))
    XCTAssertTrue(try store.load(feat).values.contains { $0.isNaN })
    // Vectors stored under corpus a for utterances of corpus b: read like the others while the
    // second half has room for them, else declined (then read whole).
    let foreign = try c.query("SELECT utterance_id FROM utterances WHERE corpus = 'b' ORDER BY utterance_id").rows.map { $0[0].intValue! }
    for (k, id) in foreign.enumerated() {
      try c.run("INSERT INTO embeddings(representation, corpus, utterance_id, layer, vector) VALUES ('e', 'a', ?, 0, ?)",
                [.integer(id), .blob(RepresentationStore.encode([1, 2, 3, 4, 5], dtype: "float64"))])
      let halves = try RepresentationStore.loadHalves(emb, layer: 0, middle: middle.id, rows: rows, stores: [store, RepresentationStore(reader)])
      XCTAssertEqual(try store.load(emb).utteranceIDs.suffix(k + 1), foreign.prefix(k + 1))
      if k == 0 {
        XCTAssertEqual(halves?.utteranceIDs, try store.load(emb).utteranceIDs)
      } else {
        XCTAssertNil(halves, "7 rows for the second half's 6 utterances")
      }
    }
    // A vector of the wrong length is an error naming it.
    try c.run("UPDATE embeddings SET vector = ? WHERE utterance_id = ? AND layer = 1", [.blob([0, 0, 0, 0]), .integer(ids[0])])
    XCTAssertThrowsError(try store.load(emb, layer: 1)) { XCTAssertTrue("\($0)".contains("utterance \(ids[0]) (layer 1) has 4 bytes, not 5 float64 values"), "\($0)") }
  }

  /// Run timestamps are written as `ISO8601DateFormatter` writes them (internet date-time with
  /// fractional seconds, UTC).
  func testTimestampsMatchISO8601DateFormatter() {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    for t in [0, 951_782_400.5, 1_700_000_000.125, 1_795_000_000.999, 1_795_000_000.0625, 1_795_000_059.9996, 4_102_444_799.25] {
      let date = Date(timeIntervalSince1970: t)
      XCTAssertEqual(Timestamp.format(date), f.string(from: date), "\(t)")
    }
    XCTAssertEqual(Timestamp.now().count, "2026-11-26T09:53:20.123Z".count)
  }

  func testTransactionRollsBackOnError() throws {
    let c = try Connection(path: ":memory:")
    try Schema.migrate(c)
    struct Boom: Error {}
    XCTAssertThrowsError(
      try c.transaction {
        try CorpusStore(c).insert(CorpusRecord(name: "a", root: "/", format: "files", utterances: 1, skipped: 0, absent: 0), utterances: [UtteranceRecord(path: "x.wav")], runID: nil)
        throw Boom()
      })
    XCTAssertEqual(try c.scalar("SELECT count(*) FROM corpora")?.intValue, 0)
    XCTAssertEqual(try c.scalar("SELECT count(*) FROM utterances")?.intValue, 0)
  }

  func testDuplicatePathIsRejectedWhole() throws {
    let c = try Connection(path: ":memory:")
    try Schema.migrate(c)
    let rec = CorpusRecord(name: "a", root: "/", format: "files", utterances: 2, skipped: 0, absent: 0)
    XCTAssertThrowsError(try CorpusStore(c).insert(rec, utterances: [UtteranceRecord(path: "x.wav"), UtteranceRecord(path: "x.wav")], runID: nil))
    XCTAssertEqual(try c.scalar("SELECT count(*) FROM corpora")?.intValue, 0)
  }

  func testDeleteCascadesToUtterances() throws {
    let c = try Connection(path: ":memory:")
    try Schema.migrate(c)
    var u = UtteranceRecord(path: "x.wav")
    u.extra = ["modality": "audio-only"]
    try CorpusStore(c).insert(CorpusRecord(name: "Mine", root: "/", format: "files", utterances: 1, skipped: 0, absent: 0), utterances: [u], runID: nil)
    XCTAssertEqual(try c.scalar("SELECT extra FROM utterances")?.stringValue, "{\"modality\":\"audio-only\"}")
    try CorpusStore(c).delete(named: "mine")
    XCTAssertEqual(try c.scalar("SELECT count(*) FROM utterances")?.intValue, 0)
  }

  func testParametersAndQuotingKeepTextOutOfSQL() throws {
    let c = try Connection(path: ":memory:")
    let evil = "x'); DROP TABLE t; --"
    try c.execute("CREATE TABLE t(v TEXT)")
    try c.run("INSERT INTO t VALUES (?)", [.text(evil)])
    XCTAssertEqual(try c.scalar("SELECT v FROM t")?.stringValue, evil)
    XCTAssertEqual(Connection.quoteIdentifier("we\"ird"), "\"we\"\"ird\"")
    try c.execute("CREATE TABLE \(Connection.quoteIdentifier("we\"ird"))(a)")
    XCTAssertEqual(try c.scalar("SELECT count(*) FROM \(Connection.quoteIdentifier("we\"ird"))")?.intValue, 0)
  }

  func testSQLiteErrorsCarryMessageAndOffset() throws {
    let c = try Connection(path: ":memory:")
    XCTAssertThrowsError(try c.prepare("SELECT nosuchcol FROM sqlite_schema")) { e in
      let err = e as! SQLiteError
      XCTAssertTrue(err.message.contains("no such column: nosuchcol"), err.message)
      XCTAssertEqual(err.offset, 7)
    }
    XCTAssertThrowsError(try c.prepare("SELECT 1; SELECT 2")) { e in XCTAssertTrue("\(e)".contains("one SQL statement"), "\(e)") }
  }

  func testCancellationInterruptsLongQuery() throws {
    let c = try Connection(path: ":memory:")
    var calls = 0
    c.setCancellationCheck {
      calls += 1
      return calls > 3
    }
    XCTAssertThrowsError(try c.query("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r")) { e in
      XCTAssertTrue((e as! SQLiteError).isInterrupt, "\(e)")
    }
  }
}

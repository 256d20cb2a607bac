import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import ProbeDB
@testable import ProbeExecution
import ProbeStorage
import ProbeTestSupport
import XCTest

/// EVALUATE and RANK against the paper reference pipeline (scikit-learn + shap) on its own small
/// synthetic corpus: `Fixtures/pipeline`, made by `scripts/gen_pipeline_fixture.py`.
final class AnalysisTests: XCTestCase {
  static let dir = TestSupport.fixture("pipeline")
  static let expected: JSON = try! JSON.parse(file: dir + "/expected.json")

  func openImported() throws -> Database { try Self.open() }

  /// The fixture imported into a new database: in memory, or a file at `path`.
  static func open(path: String? = nil) throws -> Database {
    let db = try Database(path: path)
    let d = Self.dir
    try db.execute("""
      IMPORT CORPUS synth FROM '\(d)/manifest.csv';
      IMPORT EMBEDDINGS emb FROM '\(d)/embeddings.npy' FOR synth KEYS '\(d)/keys.csv';
      IMPORT FEATURES egemaps FROM '\(d)/egemaps.csv' FOR synth;
      USE synth;
      """)
    return db
  }

  var emotions: [String] { Self.expected["emotions"].object.keys.sorted() }

  /// A fixture CSV's lines (header first) and its records for angry.
  func angryRecords(_ file: String) throws -> (lines: [String], angry: [String]) {
    let lines = try String(contentsOfFile: Self.dir + "/" + file, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
    let angry = lines.dropFirst().filter { $0.hasPrefix("angry,") }
    XCTAssertGreaterThan(angry.count, 20)
    return (lines, angry)
  }

  /// The fixture's vectors (360 × 128 float64, row-major).
  static func fixtureVectors() throws -> [Double] {
    let src = try Data(contentsOf: URL(fileURLWithPath: dir + "/embeddings.npy"))
    let headerLen = Int(src[8]) | Int(src[9]) << 8
    return src.subdata(in: (10 + headerLen)..<src.count).withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
  }

  /// Write `values` (row-major, little-endian as this host) as a version-1 `.npy` file of dtype
  /// `descr` ('<f4', '<f8') and `shape`.
  static func writeNPY<T>(_ values: [T], descr: String, shape: [Int], to path: String) throws {
    let dims = shape.map(String.init).joined(separator: ", ")
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
    while (10 + header.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var npy = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xff), UInt8(header.count >> 8)])
    npy.append(Data(header.utf8))
    values.withUnsafeBytes { npy.append(contentsOf: $0) }
    try npy.write(to: URL(fileURLWithPath: path))
  }

  func folds(_ db: Database, _ e: String, _ rep: String) throws -> (f1: [Double], c: [Double]) {
    let t = try db.query("SELECT f1, c FROM evaluations WHERE run_id = (SELECT max(run_id) FROM evaluations WHERE emotion = '\(e)') AND emotion = '\(e)' AND representation = '\(rep)' ORDER BY fold")
    return (t.rows.map { $0[0].doubleValue! }, t.rows.map { $0[1].doubleValue! })
  }

  /// With the reference's rows and splits passed in: every fold's F1 and C identical.
  func testEvaluateWithReferenceRowsAndSplits() throws {
    let db = try openImported()
    // `*` with a sample file: the emotions the file lists (the reference ran the paper's five).
    let r = try db.execute("EVALUATE * VS neutral USING egemaps, emb WITH (sample = '\(Self.dir)/sample.csv', splits = '\(Self.dir)/splits.csv')")[0].table
    XCTAssertEqual(r.rows.count, 2 * emotions.count)
    for e in emotions {
      for rep in ["egemaps", "emb"] {
        let want = Self.expected["emotions"][e][rep]
        let got = try folds(db, e, rep)
        XCTAssertEqual(got.f1, want["fold_f1"].doubles, "\(e) \(rep)")
        XCTAssertEqual(got.c, want["fold_C"].doubles, "\(e) \(rep)")
        let row = r.rows.first { $0[0] == .text(e) && $0[1] == .text(rep) }!
        XCTAssertEqual(row[4].doubleValue, want["f1_mean"].double, "\(e) \(rep) mean")
      }
    }
  }

  /// Without sample or splits files the seeded protocol (NumPy RandomState + GroupShuffleSplit)
  /// draws the reference's rows and splits by itself: the same numbers.
  func testDefaultProtocolReproducesReferenceFromSeedAlone() throws {
    let db = try openImported()
    for e in emotions { try db.execute("EVALUATE \(e) VS neutral USING egemaps, emb") }
    for e in emotions {
      for rep in ["egemaps", "emb"] {
        let got = try folds(db, e, rep)
        XCTAssertEqual(got.f1, Self.expected["emotions"][e][rep]["fold_f1"].doubles, "\(e) \(rep)")
        XCTAssertEqual(got.c, Self.expected["emotions"][e][rep]["fold_C"].doubles, "\(e) \(rep)")
      }
    }
    // The drawn rows and splits are stored, in the sample/splits file formats.
    let sample = try db.query("SELECT path FROM samples WHERE emotion = 'angry' ORDER BY position").rows.map { $0[0].stringValue! }
    let file = try String(contentsOfFile: Self.dir + "/sample.csv", encoding: .utf8).split(whereSeparator: \.isNewline).dropFirst()
      .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { $0.hasPrefix("angry,") }.map { String($0.dropFirst(6)) }
    XCTAssertEqual(sample, file)
    XCTAssertEqual(try db.query("SELECT count(DISTINCT outer) FROM folds").rows, [[.integer(5)]])
  }

  /// RANK: SHAP importance within 1e-6 relative of shap's values (reference run to the exact
  /// optimum) and the whole ranking identical; top 20 also identical to the default-tolerance run.
  func testRankMatchesSHAP() throws {
    let db = try openImported()
    let opts = "WITH (sample = '\(Self.dir)/sample.csv', splits = '\(Self.dir)/splits.csv')"
    let printed = try db.execute("RANK emb FOR * TOP 20 \(opts); RANK egemaps FOR * \(opts);")
    XCTAssertEqual(printed[0].table.rows.count, 20 * emotions.count)
    for e in emotions {
      let want = Self.expected["emotions"][e]
      let emb = try Self.assertSHAPMatches(db, e, want)
      XCTAssertEqual(Array(emb.prefix(20)), want["emb_ranking_default_tol"].ints, e)
    }
  }

  /// The latest stored SHAP importance of `emb` and `egemaps` for emotion `e` against the
  /// reference's (`want`): full rankings identical, values within 1e-6 relative. Returns the
  /// embedding ranking.
  @discardableResult
  static func assertSHAPMatches(_ db: Database, _ e: String, _ want: JSON) throws -> [Int] {
    func latest(_ rep: String) -> String { "run_id = (SELECT max(run_id) FROM shap_importance WHERE representation = '\(rep)' AND emotion = '\(e)')" }
    let emb = try db.query("SELECT dim, mean_abs_shap FROM shap_importance WHERE \(latest("emb")) AND representation = 'emb' AND emotion = '\(e)' ORDER BY rank").rows
    XCTAssertEqual(emb.map { Int($0[0].intValue!) }, want["emb_ranking"].ints, e)
    let wantImp = want["emb_shap"].doubles
    for r in emb {
      let j = Int(r[0].intValue!)
      XCTAssertEqual(r[1].doubleValue!, wantImp[j], accuracy: 1e-6 * wantImp[j], "\(e) dim \(j)")
    }
    let names = expected["feature_names"].strings
    let feats = try db.query("SELECT feature, mean_abs_shap FROM shap_importance WHERE \(latest("egemaps")) AND representation = 'egemaps' AND emotion = '\(e)' ORDER BY rank").rows
    XCTAssertEqual(feats.map { $0[0].stringValue! }, want["egemaps_ranking"].strings, e)
    let fImp = want["egemaps_shap"].doubles
    for r in feats {
      let j = names.firstIndex(of: r[0].stringValue!)!
      XCTAssertEqual(r[1].doubleValue!, fImp[j], accuracy: 1e-6 * fImp[j], "\(e) \(names[j])")
    }
    return emb.map { Int($0[0].intValue!) }
  }

  /// The latest `PROBE`'s sweep and ridge probes for emotion `e` against the reference's
  /// (`want`): every k's mean F1 and k* identical; RMSEs, R² and II within 1e-6 relative, the
  /// chosen alphas identical.
  static func assertSweepAndProbesMatch(_ db: Database, _ e: String, _ want: JSON) throws {
    let run = "run_id = (SELECT max(run_id) FROM probe_results WHERE emotion = '\(e)')"
    let sweep = try db.query("SELECT k, f1 FROM topk_sweep WHERE \(run) AND emotion = '\(e)' ORDER BY k").rows
    XCTAssertEqual(sweep.map { Int($0[0].intValue!) }, want["sweep_k"].ints, e)
    XCTAssertEqual(sweep.map { $0[1].doubleValue! }, want["sweep_f1"].doubles, e)
    XCTAssertEqual(try db.query("SELECT DISTINCT k FROM probe_results WHERE \(run) AND emotion = '\(e)'").rows, [[.integer(Int64(want["k_star"].int))]], e)
    let got = try db.query("SELECT feature, rmse_top, rmse_all, r2_top, r2_all, information_increase, alpha_top, alpha_all FROM probe_results WHERE \(run) AND emotion = '\(e)'").rows
    let byName = Dictionary(uniqueKeysWithValues: got.map { ($0[0].stringValue!, $0) })
    XCTAssertEqual(got.count, 88)
    for pf in want["per_feature"].array {
      let g = byName[pf["feature"].string]!
      for (i, key) in ["rmse_top", "rmse_all", "r2_top", "r2_all", "information_increase"].enumerated() {
        let b = pf[key].double
        XCTAssertEqual(g[i + 1].doubleValue!, b, accuracy: 1e-6 * abs(b), "\(e) \(pf["feature"].string) \(key)")
      }
      XCTAssertEqual(g[6].doubleValue!, pf["alpha_top"].double, "\(e) \(pf["feature"].string) alpha_top")
      XCTAssertEqual(g[7].doubleValue!, pf["alpha_all"].double, "\(e) \(pf["feature"].string) alpha_all")
    }
  }

  /// `protocol = 'authors'` against the reference's `--authors-quirks` run (its rows and splits
  /// are the default run's; newton-cg to tol 1e-13, since lbfgs's early stop is not reproduced):
  /// `EVALUATE`'s folds identical (inner fits on unscaled rows), `RANK`'s SHAP of raw rows against
  /// the 100-row background within 1e-6 with identical rankings, and `PROBE` (its hold-outs drawn
  /// from the seed, the all-dimensions probe's from seed + 1): the sweep identical, the ridge
  /// probes within 1e-6 with the same alphas.
  func testAuthorsProtocolMatchesReference() throws {
    let expected = try JSON.parse(file: Self.dir + "/expected_authors.json")
    let db = try openImported()
    let opts = "WITH (sample = '\(Self.dir)/sample.csv', splits = '\(Self.dir)/splits.csv', protocol = 'authors')"
    try db.execute("EVALUATE * VS neutral USING egemaps, emb \(opts)")
    for e in emotions {
      for rep in ["egemaps", "emb"] {
        let got = try folds(db, e, rep)
        XCTAssertEqual(got.f1, expected["emotions"][e][rep]["fold_f1"].doubles, "\(e) \(rep)")
        XCTAssertEqual(got.c, expected["emotions"][e][rep]["fold_C"].doubles, "\(e) \(rep)")
      }
    }
    try db.execute("RANK emb FOR * \(opts); RANK egemaps FOR * \(opts); PROBE * FROM emb FOR * BY CATEGORY \(opts);")
    for e in emotions {
      let want = expected["emotions"][e]
      try Self.assertSHAPMatches(db, e, want)
      try Self.assertSweepAndProbesMatch(db, e, want)
    }
  }

  /// RANK after an EVALUATE with the same protocol reuses its cross-validation (only the last
  /// fold's model is refitted) and gives exactly what a RANK from scratch gives.
  func testRankReusesStoredCrossValidation() throws {
    let fresh = try openImported()
    let scratch = try fresh.query("RANK emb FOR angry TOP 10")
    let db = try openImported()
    try db.execute("EVALUATE angry VS neutral USING emb")
    let r = try db.execute("RANK emb FOR angry TOP 10")[0].table
    XCTAssertEqual(r.rows, scratch.rows)
    XCTAssertTrue(r.notices.contains { $0.contains("cross-validation reused from run 4") }, "\(r.notices)")
    // The reused run's rows and splits are the ones the RANK from scratch stored, kept once: the
    // RANK only links to the EVALUATE's.
    for (table, columns) in [("samples", "emotion, position, utterance_id, path, y"), ("folds", "emotion, outer, inner, speaker, role")] {
      let sql = "SELECT \(columns) FROM \(table) WHERE run_id = (SELECT max(run_id) FROM runs) ORDER BY \(columns)"
      let mine = try db.query(sql).rows, theirs = try fresh.query(sql).rows
      XCTAssertFalse(mine.isEmpty, table)
      XCTAssertEqual(mine, theirs, table)
    }
    XCTAssertEqual(try db.query("SELECT count(DISTINCT task_id), count(*) FROM run_tasks WHERE emotion = 'angry'").rows, [[.integer(1), .integer(2)]])
    XCTAssertEqual(try db.query("SELECT count(*) FROM task_samples").rows, try db.query("SELECT count(*) FROM samples WHERE run_id = 4").rows)
    // A different protocol (another C grid) is not reused.
    let other = try db.execute("RANK emb FOR angry TOP 10 WITH (c = (0.1, 1))")[0].table
    XCTAssertFalse(other.notices.contains { $0.contains("reused") })
    XCTAssertEqual(try db.query("SELECT count(DISTINCT protocol_key) FROM evaluations").rows, [[.integer(2)]])
    // Deleting a run (with SQLite's own tools: ProbeQL does not write) keeps the rows another run
    // still uses; deleting every run that used them forgets them.
    try db.connection.execute("DELETE FROM runs WHERE run_id = 4")
    XCTAssertEqual(try db.query("SELECT count(*) FROM samples WHERE run_id = 5").rows, try fresh.query("SELECT count(*) FROM samples WHERE run_id = 4").rows)
    try db.connection.execute("DELETE FROM runs WHERE run_id >= 4")
    XCTAssertEqual(try db.query("SELECT (SELECT count(*) FROM task_samples) + (SELECT count(*) FROM task_folds) + (SELECT count(*) FROM tasks)").rows, [[.integer(0)]])
  }

  /// The matrices an EVALUATE loads are kept for the session's next statements (the same
  /// results as a fresh session), and forgotten when stored inputs may have changed: after a
  /// statement of the session that writes inputs, and after another connection's commit.
  func testSessionCacheReusesLoadedInputsAndForgetsThem() throws {
    let path = TestSupport.temporaryDirectory("cache") + "/cache.db"
    let d = Self.dir
    let db = try Database(path: path)
    try db.execute("""
      IMPORT CORPUS synth FROM '\(d)/manifest.csv';
      IMPORT EMBEDDINGS emb FROM '\(d)/embeddings.npy' FOR synth KEYS '\(d)/keys.csv';
      USE synth;
      """)
    // The import handed the matrix it stored over: EVALUATE does not read it back.
    let handedOver = db.inputCache.keptBytes
    XCTAssertEqual(handedOver, 8 * 360 * (128 + 1))
    let before = db.inputCache.misses
    try db.execute("EVALUATE angry VS neutral USING emb")
    XCTAssertGreaterThan(db.inputCache.hits, 0)
    let (hits, misses) = (db.inputCache.hits, db.inputCache.misses)
    XCTAssertEqual(misses - before, 5, "decoded matrix kept: only its complete rows, the utterances, the normalised rows, the tasks and the model computed")
    XCTAssertGreaterThan(db.inputCache.keptBytes, 0)
    let ranked = try db.execute("RANK emb FOR angry TOP 10")[0].table
    XCTAssertGreaterThan(db.inputCache.hits, hits, "RANK decodes again what EVALUATE loaded")
    XCTAssertEqual(db.inputCache.misses, misses)
    // A fresh session on the same file (nothing kept) ranks identically.
    let other = try Database(path: path)
    try other.execute("USE synth")
    XCTAssertEqual(try other.execute("RANK emb FOR angry TOP 10")[0].table.rows, ranked.rows)
    // Importing another set keeps what was loaded (every entry names its sets) and adds the new
    // set's matrix. (The other session's RANK committed: this one loads again first.)
    try db.execute("RANK emb FOR angry TOP 10")
    let (kept, reloaded) = (db.inputCache.keptBytes, db.inputCache.misses)
    XCTAssertGreaterThan(reloaded, misses)
    try db.execute("IMPORT FEATURES egemaps FROM '\(d)/egemaps.csv' FOR synth")
    XCTAssertEqual(db.inputCache.keptBytes, kept + 8 * 360 * (88 + 1))
    try db.execute("RANK emb FOR angry TOP 10")
    XCTAssertEqual(db.inputCache.misses, reloaded)
    // This session writes a corpus: everything is forgotten, the next statement loads again.
    try db.execute("IMPORT CORPUS synth2 FROM '\(d)/manifest.csv'")
    XCTAssertEqual(db.inputCache.keptBytes, 0)
    try db.execute("RANK emb FOR angry TOP 10")
    XCTAssertGreaterThan(db.inputCache.misses, reloaded)
    // Read-only SQL keeps it; a PRAGMA (which may write) does not.
    try db.execute("SELECT count(*) FROM runs")
    XCTAssertGreaterThan(db.inputCache.keptBytes, 0)
    try db.execute("PRAGMA user_version")
    XCTAssertEqual(db.inputCache.keptBytes, 0)
    try db.execute("RANK emb FOR angry TOP 10")
    // Another connection commits (a write of any kind): forgotten before the next statement.
    let unchanged = db.inputCache.misses
    try db.execute("RANK emb FOR angry TOP 10")
    XCTAssertEqual(db.inputCache.misses, unchanged, "nothing changed: all hits")
    try other.execute("EVALUATE happy VS neutral USING emb")
    try db.execute("RANK emb FOR angry TOP 10")
    XCTAssertGreaterThan(db.inputCache.misses, unchanged, "another connection committed")
  }

  /// An IMPORT hands each matrix it stored over to the session cache, exactly as a read gives it
  /// back: float64 and float32 vectors (rows in another order than the utterance ids), every
  /// layer of a stacked set, features with an empty value (NaN) and a −0 (read back as 0). A
  /// failed import hands nothing over.
  func testImportHandsOverWhatAReadGives() throws {
    let db = try Self.open()
    let tmp = TestSupport.temporaryDirectory("handover")
    // Two float32 layers of the fixture's vectors (the second scaled by 1.1: float32 rounding
    // shows), rows and keys in reverse order.
    let vectors = try Self.fixtureVectors()
    var reversed: [Float] = []
    for scale in [1.0, 1.1] { for r in (0..<360).reversed() { reversed += (0..<128).map { Float(scale * vectors[r * 128 + $0]) } } }
    try Self.writeNPY(reversed, descr: "<f4", shape: [2, 360, 128], to: tmp + "/e32.npy")
    let keys = try String(contentsOfFile: Self.dir + "/keys.csv", encoding: .utf8).split(whereSeparator: \.isNewline)
    try TestSupport.writeText(tmp, "keys.csv", ([keys[0]] + keys.dropFirst().reversed()).joined(separator: "\n") + "\n")
    // Features with an empty value and a −0.
    var lines = try String(contentsOfFile: Self.dir + "/egemaps.csv", encoding: .utf8).split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    lines[3][5] = ""
    lines[7][2] = "-0.0"
    try TestSupport.writeText(tmp, "feats.csv", lines.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n")
    try db.execute("IMPORT EMBEDDINGS e32 FROM '\(tmp)/e32.npy' FOR synth KEYS '\(tmp)/keys.csv'; IMPORT FEATURES feats FROM '\(tmp)/feats.csv' FOR synth")
    let store = RepresentationStore(db.connection)
    for (name, layers) in [("emb", 1), ("egemaps", 1), ("e32", 2), ("feats", 1)] {
      let info = try XCTUnwrap(store.info(name: name, corpus: "synth"))
      for l in 0..<layers {
        let kept = try XCTUnwrap(db.inputCache.peek(AnalysisOperator.matrixKey(info, layer: l), as: LoadedMatrix.self), "\(name) layer \(l) handed over")
        let read = try store.load(info, layer: l)
        XCTAssertEqual(kept.utteranceIDs, read.utteranceIDs, name)
        XCTAssertEqual(kept.cols, read.cols, name)
        XCTAssertEqual(kept.values.map(\.bitPattern), read.values.map(\.bitPattern), "\(name) layer \(l)")
      }
    }
    let feats = try XCTUnwrap(db.inputCache.peek(AnalysisOperator.matrixKey(XCTUnwrap(store.info(name: "feats", corpus: "synth")), layer: 0), as: LoadedMatrix.self))
    XCTAssertEqual(feats.values.filter(\.isNaN).count, 1)
    XCTAssertFalse(feats.values.contains { $0 == 0 && $0.sign == .minus })
    // A failed import (a key that is no utterance) hands nothing over and keeps what was kept.
    let kept = db.inputCache.keptBytes
    try TestSupport.writeText(tmp, "bad.csv", "path,a\nspk01/00000.wav,1\nnot/there.wav,2\n")
    XCTAssertThrowsError(try db.execute("IMPORT FEATURES bad FROM '\(tmp)/bad.csv' FOR synth"))
    XCTAssertEqual(db.inputCache.keptBytes, kept)
  }

  /// The tasks made from the `sample` and `splits` files are kept for the session's next
  /// statements with the same options, and follow the files' contents: a file rewritten in place
  /// between two statements gives the new rows (as a fresh session does), not the kept ones.
  func testKeptTasksFollowTheSampleFile() throws {
    let db = try openImported()
    let tmp = TestSupport.temporaryDirectory("tasks")
    let (lines, angry) = try angryRecords("sample.csv")
    let sample = tmp + "/sample.csv"
    let statement = "EVALUATE angry VS neutral USING emb WITH (sample = '\(sample)', splits = '\(Self.dir)/splits.csv')"
    try ([lines[0]] + angry).joined(separator: "\n").write(toFile: sample, atomically: true, encoding: .utf8)
    let all = try db.execute(statement)[0].table
    XCTAssertEqual(all.values("rows"), [.integer(Int64(angry.count))])
    let misses = db.inputCache.misses
    XCTAssertEqual(try db.execute(statement)[0].table.rows, all.rows)
    XCTAssertEqual(db.inputCache.misses, misses, "the same statement again: loaded inputs and tasks kept")
    // The file rewritten without its last 8 rows (4 speakers' worth of pairs keep every split
    // possible): the next statement uses the new rows.
    try ([lines[0]] + angry.dropLast(8)).joined(separator: "\n").write(toFile: sample, atomically: true, encoding: .utf8)
    let fewer = try db.execute(statement)[0].table
    XCTAssertEqual(fewer.values("rows"), [.integer(Int64(angry.count - 8))])
    let fresh = try Self.open()
    XCTAssertEqual(try fresh.execute(statement)[0].table.rows, fewer.rows)
  }

  /// A file database reads each set in two halves on two connections (an in-memory one cannot):
  /// the same results as in memory. Rows with a missing value in any set of the statement (a NULL
  /// feature, a NaN in a vector) are left out of it.
  func testFileDatabaseReadsInHalvesAndLeavesOutIncompleteRows() throws {
    let dir = TestSupport.temporaryDirectory("halves")
    let path = dir + "/p.db"
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    let d = Self.dir
    _ = try Self.open(path: path)
    // A new session reads the sets from the file (the importing one kept what it stored).
    let file = try Database(path: path)
    try file.execute("USE synth")
    let statement = "EVALUATE * VS neutral USING egemaps, emb WITH (sample = '\(d)/sample.csv', splits = '\(d)/splits.csv')"
    XCTAssertEqual(try file.execute(statement)[0].table.rows, try Self.open().execute(statement)[0].table.rows)
    // One angry utterance loses a feature, another gets a NaN as its vector's last value.
    let angry = try file.query("SELECT utterance_id, path FROM utterances WHERE emotion = 'angry' ORDER BY utterance_id LIMIT 2").rows
    try file.connection.execute("UPDATE egemaps SET loudness_sma3_amean = NULL WHERE utterance_id = \(angry[0][0])")
    var vector = [Double](repeating: 0.5, count: 128)
    vector[127] = .nan
    let hex = vector.withUnsafeBytes { $0.map { String(format: "%02X", $0) }.joined() }
    try file.connection.execute("UPDATE embeddings SET vector = X'\(hex)' WHERE utterance_id = \(angry[1][0])")
    let fresh = try Database(path: path)
    try fresh.execute("USE synth")
    func sampleError(_ row: [Value], _ sets: String) -> String {
      try? TestSupport.writeText(dir, "sample.csv", "emotion,path\nangry,\(row[1].stringValue!)\n")
      do {
        try fresh.execute("EVALUATE angry VS neutral USING \(sets) WITH (sample = '\(dir)/sample.csv')")
        return ""
      } catch { return "\(error)" }
    }
    let notAnUtterance = "is not an utterance of 'synth' with every representation of the statement"
    XCTAssertTrue(sampleError(angry[0], "egemaps").contains(notAnUtterance))
    XCTAssertTrue(sampleError(angry[0], "egemaps, emb").contains(notAnUtterance))
    XCTAssertFalse(sampleError(angry[0], "emb").contains(notAnUtterance))
    XCTAssertTrue(sampleError(angry[1], "emb").contains(notAnUtterance))
    XCTAssertFalse(sampleError(angry[1], "egemaps").contains(notAnUtterance))
  }

  /// A `splits` file's records with an empty `emotion` apply to every emotion, interleaved with
  /// records of one emotion; records of an unknown label are ignored: the folds equal those of
  /// the emotion's own records.
  func testSplitsRecordsForEveryEmotion() throws {
    let db = try openImported()
    let tmp = TestSupport.temporaryDirectory("splits-all")
    let (lines, angry) = try angryRecords("splits.csv")
    // Half of angry's records unlabelled (every emotion's), the rest labelled, and a stray label.
    let mixed = angry.enumerated().map { $0.offset % 2 == 0 ? String($0.element.dropFirst("angry".count)) : $0.element } + ["zebra,1,0,spk99,test"]
    try ([lines[0]] + mixed).joined(separator: "\n").write(toFile: tmp + "/splits.csv", atomically: true, encoding: .utf8)
    let sample = "sample = '\(Self.dir)/sample.csv'"
    let own = try db.execute("EVALUATE angry VS neutral USING emb WITH (\(sample), splits = '\(Self.dir)/splits.csv')")[0].table
    let shared = try db.execute("EVALUATE angry VS neutral USING emb WITH (\(sample), splits = '\(tmp)/splits.csv')")[0].table
    XCTAssertEqual(shared.rows, own.rows)
    let folds = "SELECT outer, inner, role, speakers FROM task_folds WHERE task_id = (SELECT task_id FROM run_tasks WHERE run_id = %@) ORDER BY 1, 2, 3"
    let runs = try db.query("SELECT run_id FROM runs ORDER BY run_id DESC LIMIT 2").rows.map { $0[0].description }
    XCTAssertEqual(try db.query(String(format: folds, runs[0])).rows, try db.query(String(format: folds, runs[1])).rows)
  }

  func testProvenanceAndExport() throws {
    let db = try openImported()
    try db.execute("EVALUATE angry VS neutral USING emb WITH (seed = 42, c = (0.1, 1))")
    let run = try db.query("SELECT options, seed, inputs, status FROM runs ORDER BY run_id DESC LIMIT 1").rows[0]
    XCTAssertTrue(run[0].stringValue!.hasPrefix("{\"seed\": 42, \"c\": [0.1, 1.0], \"outer_folds\": 5"), run[0].description)
    XCTAssertEqual(run[1], .integer(42))
    XCTAssertTrue(run[2].stringValue!.contains("\"emb\": \"sha256:"), run[2].description)
    XCTAssertEqual(run[3], .text("ok"))
    // Export round trip: the embeddings come back as written.
    let out = TestSupport.temporaryDirectory("export") + "/emb.csv"
    try db.execute("EXPORT emb FROM synth TO '\(out)'")
    let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(lines.count, 361)
    XCTAssertTrue(lines[0].hasPrefix("path,d0,d1,"))
    let db2 = try Database()
    try db2.execute("IMPORT CORPUS synth FROM '\(Self.dir)/manifest.csv'; IMPORT EMBEDDINGS again FROM '\(out)' FOR synth KEYS '\(out)';")
    XCTAssertEqual(try db2.query("SELECT fingerprint FROM representations").rows, try db.query("SELECT fingerprint FROM representations WHERE name = 'emb'").rows)
  }

  func testBadInput() throws {
    let db = try openImported()
    let tmp = TestSupport.temporaryDirectory("bad")
    try TestSupport.writeText(tmp, "splits.csv", "outer,inner,speaker,role\n1,0,spk99,test\n1,1,spk01,test\n")
    func fails(_ stmt: String, _ message: String, line: UInt = #line) {
      XCTAssertThrowsError(try db.execute(stmt), line: line) { e in XCTAssertTrue("\(e)".contains(message), "\(e)", line: line) }
    }
    let before = try db.query("SELECT count(*) + 1 FROM runs").rows  // + the IMPORT CORPUS other below
    fails("EVALUATE angry VS neutral USING emb WITH (splits = '\(tmp)/splits.csv')", "unknown speaker 'spk99'")
    fails("EVALUATE angry VS neutral USING emb WITH (splitter = 'group_kfold', outer_folds = 7)", "6 speakers cannot fill 7 speaker-grouped folds")
    fails("EVALUATE angry VS neutral USING emb WITH (splitter = 'group_kfold', outer_folds = 7)", "leave-one-speaker-out")
    try TestSupport.writeText(tmp, "sample.csv", "emotion,path\nangry,nowhere.wav\n")
    fails("EVALUATE angry VS neutral USING emb WITH (sample = '\(tmp)/sample.csv')", "line 2: 'nowhere.wav' is not an utterance")
    // Files are read while the matrices load: a missing one is still named, and a set that is not
    // stored is still the first error.
    fails("RANK emb FOR angry WITH (sample = '\(tmp)/absent.csv')", "'\(tmp)/absent.csv': cannot read the file")
    fails("RANK emb FOR angry WITH (splits = '\(tmp)/absent.csv', sample = '\(tmp)/sample.csv')", "'\(tmp)/absent.csv': cannot read the file")
    fails("RANK nothing FOR angry WITH (sample = '\(tmp)/absent.csv')", "unknown feature or embedding set 'nothing'")
    fails("EVALUATE angry VS neutral USING emb WITH (train_size = 1.5)", "train_size must be between 0 and 1")
    fails("RANK emb FOR boredom", "corpus 'synth' has no 'boredom' utterances")
    fails("IMPORT EMBEDDINGS emb FROM '\(Self.dir)/embeddings.npy' FOR synth KEYS '\(Self.dir)/keys.csv'", "'emb' exists already")
    try Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 10, 0]).write(to: URL(fileURLWithPath: tmp + "/cut.npy"))
    fails("IMPORT EMBEDDINGS e2 FROM '\(tmp)/cut.npy' FOR synth KEYS '\(Self.dir)/keys.csv'", "truncated header")
    try TestSupport.writeText(tmp, "f.csv", "path,x\nspk01/00000.wav,nan\n")
    fails("IMPORT FEATURES f FROM '\(tmp)/f.csv' FOR synth", "line 2, column 'x': nan is not a finite number")
    fails("IMPORT FEATURES runs FROM '\(tmp)/f.csv' FOR synth", "one of ProbeDB's tables")
    try TestSupport.writeText(tmp, "eg.csv", "path,F0semitoneFrom27.5Hz_sma3nz_amen\nspk01/00000.wav,1\n")
    try db.execute("IMPORT CORPUS other FROM '\(Self.dir)/manifest.csv'")
    fails("IMPORT FEATURES egemaps FROM '\(tmp)/eg.csv' FOR other", "did you mean 'F0semitoneFrom27.5Hz_sma3nz_amean'")
    XCTAssertEqual(try db.query("SELECT count(*) FROM runs").rows, before, "failed statements leave no run behind")
    // A bad splits record fails the tasks it applies to (naming its line), not the others.
    let splits = try String(contentsOfFile: Self.dir + "/splits.csv", encoding: .utf8)
    let lines = splits.split(whereSeparator: \.isNewline).count
    for (record, message) in [("sad,x,0,spk01,test", "outer and inner must be whole numbers"), ("sad,1,0,spk01,valid", "role must be train or test, not 'valid'")] {
      try TestSupport.writeText(tmp, "bad_splits.csv", splits + record + "\n")
      fails("EVALUATE sad VS neutral USING emb WITH (splits = '\(tmp)/bad_splits.csv')", "bad_splits.csv' line \(lines + 1): \(message)")
      XCTAssertNoThrow(try db.execute("EVALUATE angry VS neutral USING emb WITH (splits = '\(tmp)/bad_splits.csv')"))
    }
    try TestSupport.writeText(tmp, "no_role.csv", "outer,inner,speaker\n1,0,spk01\n")
    fails("EVALUATE angry VS neutral USING emb WITH (splits = '\(tmp)/no_role.csv')", "needs the columns outer, inner, speaker, role")
  }

  func testLeaveOneSpeakerOut() throws {
    let db = try openImported()
    let r = try db.query("EVALUATE sad VS neutral USING egemaps WITH (splitter = 'loso')")
    XCTAssertEqual(r.values("f1_folds")?.first?.stringValue?.split(separator: " ").count, 6)
  }
}

/// PROBE against the reference pipeline's top-k sweep, ridge probes and category summaries, with
/// its rows, splits and ridge hold-outs passed in.
final class ProbeTests: XCTestCase {
  static let dir = AnalysisTests.dir
  static let expected = AnalysisTests.expected

  func testProbeMatchesReference() throws {
    let db = try AnalysisTests.open()
    let d = Self.dir
    let r = try db.execute("PROBE * FROM emb FOR * BY CATEGORY WITH (sample = '\(d)/sample.csv', splits = '\(d)/splits.csv', probe_split = '\(d)/probe_split.csv')")[0].table
    let emotions = Self.expected["emotions"].object.keys.sorted()
    XCTAssertEqual(Set(r.rows.map { $0[0].stringValue! }), Set(emotions))
    // Provenance: the protocol files' hashes and the speaker splits used.
    let inputs = try db.query("SELECT inputs FROM runs ORDER BY run_id DESC LIMIT 1").rows[0][0].stringValue!
    for key in ["\"sample\": \"sha256:", "\"splits\": \"sha256:", "\"probe_split\": \"sha256:"] { XCTAssertTrue(inputs.contains(key), inputs) }
    XCTAssertGreaterThan(try db.query("SELECT count(*) FROM folds WHERE run_id = (SELECT max(run_id) FROM runs)").rows[0][0].intValue!, 0)
    for e in emotions {
      let want = Self.expected["emotions"][e]
      try AnalysisTests.assertSweepAndProbesMatch(db, e, want)
      // Category summaries: counts and shares identical, medians and means within 1e-6.
      let summary = try db.query("SELECT category, n, median, mean, share_above_1, q1, q3 FROM probe_summary WHERE emotion = '\(e)' ORDER BY median DESC").rows
      XCTAssertEqual(summary.map { $0[0].stringValue! }, want["category_order"].strings.map { $0.lowercased() }, e)
      for s in summary {
        let w = want["categories"][s[0].stringValue!.capitalized]
        XCTAssertEqual(Int(s[1].intValue!), w["n"].int)
        XCTAssertEqual(s[4].doubleValue!, w["frac_gt_1"].double)
        for (i, key) in [(2, "median"), (3, "mean"), (5, "q1"), (6, "q3")] {
          XCTAssertEqual(s[i].doubleValue!, w[key].double, accuracy: 1e-6 * abs(w[key].double), "\(e) \(s[0]) \(key)")
        }
      }
    }
  }

  /// PROBE's stage 1 reused from an EVALUATE (the last fold's model refitted for SHAP) and from a
  /// RANK (its stored SHAP values read back) gives what a PROBE from scratch gives.
  func testProbeReusesStageOneExactly() throws {
    let sql = "PROBE f0 FROM emb TOP 20 FOR angry"
    let shapSQL = "SELECT dim, mean_abs_shap, rank FROM shap_importance WHERE run_id = (SELECT max(run_id) FROM runs) ORDER BY rank"
    let resultSQL = "SELECT feature, rmse_top, rmse_all, information_increase FROM probe_results WHERE run_id = (SELECT max(run_id) FROM runs) ORDER BY feature"
    let scratch = try AnalysisTests.open()
    try scratch.execute(sql)
    let wantShap = try scratch.query(shapSQL).rows, wantResult = try scratch.query(resultSQL).rows
    XCTAssertEqual(wantShap.count, 128)
    for first in ["EVALUATE angry VS neutral USING emb", "RANK emb FOR angry"] {
      let db = try AnalysisTests.open()
      try db.execute(first)
      let probe = try db.execute(sql)[0].table
      XCTAssertTrue(probe.notices.contains { $0.contains("cross-validation of all dimensions reused") }, "\(first): \(probe.notices)")
      XCTAssertEqual(try db.query(shapSQL).rows, wantShap, first)
      XCTAssertEqual(try db.query(resultSQL).rows, wantResult, first)
    }
  }

  /// Stacked layers (a 3-D .npy: layers × utterances × dims) import as one multi-layer set;
  /// LAYER ALL probes every layer. Layer 1 here is layer 0 times 3, which per-speaker
  /// normalisation undoes: both layers must give the same numbers.
  func testMultiLayerImportAndLayerAll() throws {
    let db = try AnalysisTests.open()
    let values = try AnalysisTests.fixtureVectors()
    let path = TestSupport.temporaryDirectory("layers") + "/stacked.npy"
    try AnalysisTests.writeNPY(values + values.map { 3 * $0 }, descr: "<f8", shape: [2, 360, 128], to: path)
    let imported = try db.query("IMPORT EMBEDDINGS stacked FROM '\(path)' FOR synth KEYS '\(Self.dir)/keys.csv'")
    XCTAssertEqual(imported.values("layers"), [.integer(2)])
    XCTAssertEqual(imported.values("rows"), [.integer(360)])
    let r = try db.query("PROBE f0 FROM stacked LAYER ALL TOP 20 FOR angry")
    XCTAssertEqual(r.columnNames.prefix(3), ["emotion", "layer", "feature"])
    let ii = r.values("information_increase")!.map { $0.doubleValue! }
    XCTAssertEqual(ii.count, 20)
    for j in 0..<10 { XCTAssertEqual(ii[j], ii[10 + j], accuracy: 1e-9 * abs(ii[j])) }
    let e = try db.query("EVALUATE angry VS neutral USING stacked LAYER 1, stacked LAYER 0")
    XCTAssertEqual(e.values("f1_mean")?[0], e.values("f1_mean")?[1])
    XCTAssertThrowsError(try db.execute("EVALUATE angry VS neutral USING stacked LAYER 2")) { e in XCTAssertTrue("\(e)".contains("has layers 0…1, not 2"), "\(e)") }
    // One layer in two spellings is refused before anything is computed or stored.
    let runs = try db.query("SELECT count(*) FROM runs").rows
    XCTAssertThrowsError(try db.execute("EVALUATE angry VS neutral USING stacked, stacked LAYER 1")) { e in
      XCTAssertTrue("\(e)".contains("'stacked' layer 1 is named twice in USING (its last layer is 1)"), "\(e)")
    }
    XCTAssertThrowsError(try db.execute("EVALUATE angry VS neutral USING emb, emb LAYER 0")) { e in
      XCTAssertTrue("\(e)".contains("'emb' layer 0 is named twice in USING (it has only layer 0)"), "\(e)")
    }
    XCTAssertThrowsError(try db.execute("EVALUATE angry VS neutral USING stacked LAYER ALL, stacked LAYER 0")) { e in
      XCTAssertTrue("\(e)".contains("named twice"), "\(e)")
    }
    XCTAssertEqual(try db.query("SELECT count(*) FROM runs").rows, runs)
  }

  /// Stability across seeds: each seed's k* and top-k* overlap are stored and reported.
  func testStabilityAcrossSeeds() throws {
    let db = try AnalysisTests.open()
    let r = try db.execute("PROBE * FROM emb FOR sad BY CATEGORY WITH (stability_seeds = (1, 2))")[0].table
    XCTAssertTrue(r.notices.contains { $0.hasPrefix("sad stability vs seed 42: seed 1: k* = ") }, "\(r.notices)")
    let rows = try db.query("SELECT seed, k, top_overlap FROM probe_stability ORDER BY seed").rows
    XCTAssertEqual(rows.map { $0[0] }, [.integer(1), .integer(2)])
    for row in rows {
      XCTAssertTrue([10, 20, 30, 40, 50, 60].contains(Int(row[1].intValue!)))
      XCTAssertTrue((0...1).contains(row[2].doubleValue!))
    }
    let runs = try db.query("SELECT count(*) FROM runs").rows
    XCTAssertThrowsError(try db.execute("PROBE * FROM emb FOR sad WITH (stability_seeds = (0), sample = '\(Self.dir)/sample.csv')")) { e in
      XCTAssertTrue("\(e)".contains("cannot be combined with sample or splits"), "\(e)")
    }
    XCTAssertEqual(try db.query("SELECT count(*) FROM runs").rows, runs, "refused before anything ran")
    // REPORT cites the statement's own run (not the last seed's) and its stability table.
    let main = try db.query("SELECT DISTINCT run_id FROM probe_stability").rows
    XCTAssertEqual(main.count, 1)
    let out = TestSupport.temporaryDirectory("stability")
    try db.execute("REPORT TO '\(out)/r.md'")
    let report = try String(contentsOfFile: out + "/r.md", encoding: .utf8)
    XCTAssertTrue(report.contains("### Stability across seeds"), report)
    XCTAssertTrue(report.contains("Run \(main[0][0].intValue!): `PROBE"), report)
    XCTAssertTrue(report.contains("| sad | 1 |"), report)
  }

  /// EXPLAIN marks what is stored and would be reused.
  func testExplainMarksCachedWork() throws {
    let db = try AnalysisTests.open()
    func cache() throws -> [String] {
      try db.query("EXPLAIN PROBE * FROM emb FOR angry").rows.map { $0[0].stringValue! }.filter { $0.hasPrefix("  NestedCV") || $0.hasPrefix("  TopKSweep") }
    }
    XCTAssertEqual(try cache(), ["  NestedCV angry × emb: to compute (5 outer × 5 inner splits × 5 C)", "  TopKSweep angry × emb: to compute"])
    try db.execute("EVALUATE angry VS neutral USING emb")
    XCTAssertEqual(try cache(), ["  NestedCV angry × emb: cached (run 4)", "  TopKSweep angry × emb: to compute (6 of 6 points)"])
    try db.execute("PROBE f0 FROM emb FOR angry")
    XCTAssertEqual(try cache(), ["  NestedCV angry × emb: cached (run 5)", "  TopKSweep angry × emb: cached (6 points)"])
  }

  /// The random-k control: p-values in (0, 1], seeded (the same statement gives the same values),
  /// and the top-k II of the angry task's planted energy features beats random subsets.
  func testRandomSubsetControl() throws {
    let db = try AnalysisTests.open()
    let sql = "PROBE energy FROM emb TOP 20 FOR angry WITH (random_subsets = 40)"
    let a = try db.query(sql)
    let b = try db.query(sql)
    XCTAssertEqual(a.rows, b.rows)
    let p = a.values("p_value")!.map { $0.doubleValue! }
    XCTAssertEqual(p.count, 15)
    XCTAssertTrue(p.allSatisfy { $0 > 0 && $0 <= 1 })
    XCTAssertTrue(p.allSatisfy { ($0 * 41).rounded() == $0 * 41 }, "p = (1 + count) / (1 + R)")
    XCTAssertEqual(try db.query("SELECT DISTINCT random_subsets FROM probe_results").rows, [[.integer(40)]])
    let ii = a.values("information_increase")!.map { $0.doubleValue! }, random = a.values("ii_random_mean")!.map { $0.doubleValue! }
    XCTAssertGreaterThan(ii.reduce(0, +), random.reduce(0, +), "planted energy dimensions beat random ones on average")
  }

  /// Without any protocol files the seeded defaults draw the reference's rows, splits and ridge
  /// hold-out by themselves; PROBE with TOP n skips the sweep; feature families expand.
  func testDefaultsTopAndFamilies() throws {
    let db = try AnalysisTests.open()
    let want = Self.expected["emotions"]["sad"]
    let k = want["k_star"].int
    let r = try db.execute("PROBE f0, loudness FROM emb TOP \(k) FOR sadness")[0].table
    XCTAssertEqual(r.rows.count, 20)
    XCTAssertEqual(try db.query("SELECT count(*) FROM topk_sweep").rows, [[.integer(0)]], "TOP n: no sweep")
    let byName = Dictionary(uniqueKeysWithValues: want["per_feature"].array.map { ($0["feature"].string, $0) })
    for row in r.rows {
      let f = row[1].stringValue!
      XCTAssertTrue(f.hasPrefix("F0semitone") || f.hasPrefix("loudness_sma3"), f)
      XCTAssertEqual(row[8].doubleValue!, byName[f]!["information_increase"].double, accuracy: 1e-6 * byName[f]!["information_increase"].double, f)
    }
    // EXPLAIN shows the plan; errors name what is missing.
    XCTAssertTrue(try db.query("EXPLAIN PROBE * FROM emb FOR angry").rows.map { $0[0].stringValue! }.joined().contains("TopKSweep k=auto"))
    XCTAssertThrowsError(try db.execute("PROBE f0 FROM emb TOP 500 FOR angry")) { e in XCTAssertTrue("\(e)".contains("TOP 500 is more than the 128 dimensions"), "\(e)") }
    XCTAssertThrowsError(try db.execute("PROBE f9 FROM emb FOR angry")) { e in XCTAssertTrue("\(e)".contains("did you mean 'f0'?"), "\(e)") }
    let plain = try Database()
    try plain.execute("IMPORT CORPUS synth FROM '\(Self.dir)/manifest.csv'; IMPORT EMBEDDINGS emb FROM '\(Self.dir)/embeddings.npy' FOR synth KEYS '\(Self.dir)/keys.csv';")
    XCTAssertThrowsError(try plain.execute("PROBE f0 FROM emb FOR angry")) { e in XCTAssertTrue("\(e)".contains("IMPORT FEATURES egemaps"), "\(e)") }
  }
}

/// The whole method on real audio with known answers: the bundled mini-corpus (espeak-ng speech
/// whose emotions differ from neutral by documented, planted changes — level ±5 dB for angry and
/// sad, +2.5 dB for happy, F0 shifts largest for happy and sad, brightness, rate; see
/// `examples/mini-corpus/README.md`). With openSMILE's eGeMAPS of those files and ProbeDB's own
/// log-mel filterbank embedding, the analysis must find them: SHAP ranks the loudness features of
/// angry and sad and the F0 features of happy among the top, and the filterbank dimensions that
/// classify each emotion carry the energy category's information most (the largest median II).
final class PlantedCueTests: XCTestCase {
  func testTheAnalysisFindsThePlantedCues() throws {
    let db = try Database()
    let root = TestSupport.packageRoot.path
    try db.execute("""
      IMPORT CORPUS mini FROM '\(root)/examples/mini-corpus';
      IMPORT FEATURES egemaps FROM '\(root)/examples/mini-corpus-egemaps.csv' FOR mini;
      EXTRACT fbank FROM mini;
      USE mini;
      """)
    let energy = Set(EGeMAPS.features.filter { $0.category == "energy" }.map(\.name))
    func top(_ emotion: String, _ n: Int) throws -> [String] {
      try db.query("RANK egemaps FOR \(emotion) TOP \(n)").rows.map { $0[4].stringValue! }
    }
    // angry (+5 dB) and sad (−5 dB): mostly level features at the top; happy (+12 pitch units,
    // the largest F0 change): F0 at the top.
    for emotion in ["angry", "sad"] {
      let t = try top(emotion, 5)
      XCTAssertGreaterThanOrEqual(t.filter(energy.contains).count, 3, "\(emotion): \(t)")
    }
    let happy = try top("happy", 3)
    XCTAssertTrue(happy.contains { $0.hasPrefix("F0semitone") }, "happy: \(happy)")
    // PROBE: the energy category has the largest median information increase for every emotion.
    try db.execute("PROBE * FROM fbank FOR * BY CATEGORY")
    let rows = try db.query("SELECT emotion, category, median FROM probe_summary WHERE run_id = (SELECT max(run_id) FROM probe_summary)").rows
    for emotion in ["angry", "happy", "sad"] {
      let medians = Dictionary(uniqueKeysWithValues: rows.filter { $0[0] == .text(emotion) }.map { ($0[1].stringValue!, $0[2].doubleValue!) })
      XCTAssertEqual(medians.count, 4, emotion)
      XCTAssertEqual(medians.max { $0.value < $1.value }?.key, "energy", "\(emotion): \(medians)")
      XCTAssertGreaterThan(medians["energy"]!, 1, "\(emotion): the top-k dimensions predict energy better than all dimensions")
    }
  }
}

/// PLOT and REPORT: well-formed SVG with the expected marks, and a report that cites its runs.
final class PlotReportTests: XCTestCase {
  func elements(_ svg: String) throws -> [String: Int] {
    final class Counter: NSObject, XMLParserDelegate {
      var counts: [String: Int] = [:]
      func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
      }
    }
    let parser = XMLParser(data: Data(svg.utf8))
    let counter = Counter()
    parser.delegate = counter
    XCTAssertTrue(parser.parse(), "SVG is not well-formed XML: \(String(describing: parser.parserError))")
    return counter.counts
  }

  func testPlotsAndReport() throws {
    let db = try AnalysisTests.open()
    let d = AnalysisTests.dir
    let out = TestSupport.temporaryDirectory("plots")
    let opts = "WITH (sample = '\(d)/sample.csv', splits = '\(d)/splits.csv', probe_split = '\(d)/probe_split.csv')"
    let r = try db.execute("""
      PLOT PROBE * FROM emb FOR * BY CATEGORY \(opts) TO '\(out)/ii.svg';
      PLOT PROBE * FROM emb FOR * \(opts) TO '\(out)/sweep.svg';
      PLOT RANK egemaps FOR * WITH (sample = '\(d)/sample.csv', splits = '\(d)/splits.csv') TO '\(out)/shap.svg';
      PLOT RANK emb FOR angry TOP 12 TO '\(out)/dims.svg';
      REPORT TO '\(out)/report.md';
      """)
    XCTAssertEqual(r.map { $0.table.rows[0][1].stringValue! }.prefix(4),
                   ["information increase by category", "top-k sweep", "SHAP importance by category", "SHAP importance of the top dimensions"])
    // 5 emotions × 4 categories boxes; the II = 1 reference line is dashed.
    let ii = try String(contentsOfFile: out + "/ii.svg", encoding: .utf8)
    XCTAssertEqual(try elements(ii)["rect"], 1 + 20 + 5, "background + boxes + legend swatches")
    XCTAssertTrue(ii.contains("stroke-dasharray"))
    XCTAssertEqual(try elements(try String(contentsOfFile: out + "/sweep.svg", encoding: .utf8))["polyline"], 5)
    XCTAssertEqual(try elements(try String(contentsOfFile: out + "/dims.svg", encoding: .utf8))["rect"], 1 + 12)
    let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
    for section in ["## Corpora", "## SHAP importance of named features", "## SHAP importance of embedding dimensions", "## Probing", "## Provenance"] {
      XCTAssertTrue(report.contains(section), section)
    }
    for fig in ["report-ii.svg", "report-sweep.svg", "report-shap-categories.svg", "report-shap-dims.svg"] {
      XCTAssertTrue(report.contains("](\(fig))"), fig)
      XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + fig), fig)
    }
    XCTAssertThrowsError(try db.execute("PLOT RANK emb FOR angry TO '/no/such/dir/x.svg'")) { e in XCTAssertTrue("\(e)".contains("cannot write '/no/such/dir/x.svg'"), "\(e)") }
  }

  /// `LAYER ALL` probes (one run per layer) are drawn and reported together, by layer.
  func testLayerAllPlotAndReport() throws {
    let db = try AnalysisTests.open()
    let out = TestSupport.temporaryDirectory("plots")
    var pairs: [Double] = []
    let values = try AnalysisTests.fixtureVectors()
    // Three layers: the stored embedding, a noisier copy, and a rescaled one.
    var rng: UInt64 = 7
    for l in 0..<3 {
      for v in values {
        rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let noise = Double(Int64(bitPattern: rng >> 11) % 1000) / 1000
        pairs.append(l == 1 ? v + 2 * noise : l == 2 ? 3 * v : v)
      }
    }
    try AnalysisTests.writeNPY(pairs, descr: "<f8", shape: [3, 360, 128], to: out + "/layers.npy")
    try db.execute("IMPORT EMBEDDINGS deep FROM '\(out)/layers.npy' FOR synth KEYS '\(AnalysisTests.dir)/keys.csv'")
    let r = try db.query("PLOT PROBE f0, loudness, mfcc1 FROM deep LAYER ALL TOP 20 FOR angry TO '\(out)/layers.svg'")
    XCTAssertEqual(r.rows[0][1].stringValue, "information increase by layer")
    let svg = try String(contentsOfFile: out + "/layers.svg", encoding: .utf8)
    // One line per category present (Frequency: f0; Energy: loudness; Spectral: mfcc1), each over 3 layers.
    XCTAssertEqual(try elements(svg)["polyline"], 3)
    XCTAssertTrue(svg.contains("best layer = "), svg)
    XCTAssertTrue(svg.contains("stroke-dasharray"), "II = 1 reference line")
    try db.execute("REPORT TO '\(out)/report.md'")
    let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
    XCTAssertTrue(report.contains("### By layer"), report)
    XCTAssertTrue(report.contains("| layer | energy | frequency | spectral |"), report)
    XCTAssertTrue(report.contains("](report-layers.svg)"))
    XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/report-layers.svg"))
    // With stability seeds too, each layer's run is followed by its seeds' runs: those are not layers.
    let s = try db.query("PLOT PROBE f0 FROM deep LAYER ALL TOP 20 FOR angry WITH (stability_seeds = (1)) TO '\(out)/seeds.svg'")
    let lastMain = try db.query("SELECT max(run_id) FROM probe_stability").rows[0][0]
    XCTAssertEqual(s.rows[0][2], lastMain, "the last layer's own run")
    let seeded = try String(contentsOfFile: out + "/seeds.svg", encoding: .utf8)
    XCTAssertEqual(try elements(seeded)["polyline"], 1)
    XCTAssertTrue(seeded.contains("best layer = "))
    try db.execute("REPORT TO '\(out)/seeds.md'")
    let seededReport = try String(contentsOfFile: out + "/seeds.md", encoding: .utf8)
    XCTAssertTrue(seededReport.contains("### Stability across seeds"), seededReport)
    for layer in 0..<3 { XCTAssertTrue(seededReport.contains("\n| \(layer) |"), "layer \(layer): \(seededReport)") }
  }
}

import ProbePlanner
import ProbeStorage

/// The SQLite-backed catalog the binder resolves names against.
struct LiveCatalog: Catalog {
  let connection: Connection
  let defaultCorpus: String?

  var corpusNames: [String] {
    (try? connection.query("SELECT name FROM corpora ORDER BY name").rows.compactMap { $0[0].stringValue }) ?? []
  }

  var tableNames: [String] {
    (try? connection.query("SELECT name FROM sqlite_schema WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name").rows.compactMap { $0[0].stringValue }) ?? []
  }

  func emotions(in corpus: String) -> [String] {
    (try? connection.query(
      // The distinct labels by seeking from one to the next in the (corpus, emotion) index: a
      // seek per label, where SELECT DISTINCT read every index entry of the corpus (0.066 →
      // 0.014 ms for 1,600 utterances, and growing with the corpus).
      """
      WITH RECURSIVE e(x) AS (
        SELECT min(emotion) FROM utterances WHERE corpus = ?1 AND emotion IS NOT NULL
        UNION ALL SELECT (SELECT min(emotion) FROM utterances WHERE corpus = ?1 AND emotion > e.x) FROM e WHERE e.x IS NOT NULL)
      SELECT x FROM e WHERE x IS NOT NULL
      """, [.text(corpus)]).rows.compactMap { $0[0].stringValue }) ?? []
  }

  func representations(in corpus: String) -> [String] {
    (try? connection.query("SELECT name FROM representations WHERE corpus = ? ORDER BY name", [.text(corpus)]).rows.compactMap { $0[0].stringValue }) ?? []
  }
}

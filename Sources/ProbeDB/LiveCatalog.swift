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
    (try? connection.query("SELECT DISTINCT emotion FROM utterances WHERE corpus = ? AND emotion IS NOT NULL ORDER BY emotion", [.text(corpus)]).rows.compactMap { $0[0].stringValue }) ?? []
  }

  func representations(in corpus: String) -> [String] {
    (try? connection.query("SELECT name FROM representations WHERE corpus = ? ORDER BY name", [.text(corpus)]).rows.compactMap { $0[0].stringValue }) ?? []
  }
}

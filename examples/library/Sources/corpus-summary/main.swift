import ProbeDB

// Open an in-memory database (pass a path to keep it), import a corpus folder given on the
// command line, and print how many utterances each emotion has, per speaker.
let folder = CommandLine.arguments.dropFirst().first ?? "../mini-corpus"
do {
  let db = try Database()
  let imported = try db.execute("IMPORT CORPUS c FROM '\(folder.replacingOccurrences(of: "'", with: "''"))'")
  for notice in imported[0].table.notices { print("note:", notice) }

  let table = try db.query(
    "SELECT speaker, emotion, count(*) AS n FROM utterances GROUP BY speaker, emotion ORDER BY speaker, emotion")
  // Typed access: columns by name, values as Int64 / Double / String.
  guard let speaker = table.columnIndex("speaker"), let emotion = table.columnIndex("emotion"), let n = table.columnIndex("n") else {
    fatalError("unexpected columns \(table.columnNames)")
  }
  for row in table.rows {
    print("\(row[speaker].stringValue ?? "?")\t\(row[emotion].stringValue ?? "?")\t\(row[n].intValue ?? 0)")
  }
} catch let error as EngineError {
  // Errors carry diagnostics with positions, rendered like the shell does.
  print(error)
}

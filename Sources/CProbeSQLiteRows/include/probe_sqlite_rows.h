// `probe_rows`: an eponymous virtual table (a table-valued function) over column arrays in the
// caller's memory, so a statement like
//     INSERT INTO t(a, b, x, y) SELECT ?1, ?2, c0, c1 FROM probe_rows(?3)
// inserts any number of rows with one statement and no per-row binding. The arrays are passed
// with sqlite3_bind_pointer under the type "probe_rows" (`probe_rows_bind`), so no SQL text can
// reach them.
#ifndef PROBE_SQLITE_ROWS_H
#define PROBE_SQLITE_ROWS_H

#include <sqlite3.h>
#include <stdint.h>

#define PROBE_ROWS_MAX_COLUMNS 8

/// What a column array holds: one value per row.
enum probe_rows_kind {
  PROBE_ROWS_NULL = 0,    // every value NULL (no array)
  PROBE_ROWS_INT64 = 1,   // const int64_t[count]
  PROBE_ROWS_DOUBLE = 2,  // const double[count]
  PROBE_ROWS_TEXT = 3     // const char *const [count], NUL-terminated UTF-8; a null pointer is NULL
};

/// Columns c0 … c(columns − 1) of `count` rows; columns past `columns` read as NULL.
typedef struct probe_rows {
  int64_t count;
  int columns;
  int kinds[PROBE_ROWS_MAX_COLUMNS];
  const void *data[PROBE_ROWS_MAX_COLUMNS];
} probe_rows;

/// Make `probe_rows` available on this connection.
int probe_rows_register(sqlite3 *db);

/// Bind `rows` to parameter `index` of `stmt` for `probe_rows(?)`; it must stay valid while the
/// statement runs.
int probe_rows_bind(sqlite3_stmt *stmt, int index, const probe_rows *rows);

#endif

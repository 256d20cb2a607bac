// The `probe_rows` virtual table: see probe_sqlite_rows.h.
#include "probe_sqlite_rows.h"
#include <string.h>

static const char *const pointer_type = "probe_rows";

typedef struct {
  sqlite3_vtab base;
} rows_vtab;

typedef struct {
  sqlite3_vtab_cursor base;
  const probe_rows *source;
  int64_t row;
} rows_cursor;

// The hidden column that takes the function's argument.
enum { SOURCE_COLUMN = PROBE_ROWS_MAX_COLUMNS };

static int rows_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **error) {
  (void)aux, (void)argc, (void)argv, (void)error;
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(c0, c1, c2, c3, c4, c5, c6, c7, source HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  rows_vtab *v = sqlite3_malloc(sizeof *v);
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof *v);
  *out = &v->base;
  return SQLITE_OK;
}

static int rows_disconnect(sqlite3_vtab *v) {
  sqlite3_free(v);
  return SQLITE_OK;
}

// Usable only with its argument: `probe_rows(?)`.
static int rows_best_index(sqlite3_vtab *v, sqlite3_index_info *info) {
  (void)v;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *k = &info->aConstraint[i];
    if (k->iColumn != SOURCE_COLUMN || k->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!k->usable) return SQLITE_CONSTRAINT;
    info->aConstraintUsage[i].argvIndex = 1;
    info->aConstraintUsage[i].omit = 1;
    info->estimatedCost = 1;
    info->estimatedRows = 1000;
    return SQLITE_OK;
  }
  info->estimatedCost = 1e300;  // no source: no rows
  return SQLITE_OK;
}

static int rows_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out) {
  (void)v;
  rows_cursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  *out = &c->base;
  return SQLITE_OK;
}

static int rows_close(sqlite3_vtab_cursor *c) {
  sqlite3_free(c);
  return SQLITE_OK;
}

static int rows_filter(sqlite3_vtab_cursor *cursor, int idx, const char *idx_str, int argc, sqlite3_value **argv) {
  (void)idx, (void)idx_str;
  rows_cursor *c = (rows_cursor *)cursor;
  c->source = argc > 0 ? sqlite3_value_pointer(argv[0], pointer_type) : NULL;
  c->row = 0;
  return SQLITE_OK;
}

static int rows_next(sqlite3_vtab_cursor *cursor) {
  ((rows_cursor *)cursor)->row++;
  return SQLITE_OK;
}

static int rows_eof(sqlite3_vtab_cursor *cursor) {
  const rows_cursor *c = (const rows_cursor *)cursor;
  return c->source == NULL || c->row >= c->source->count;
}

static int rows_column(sqlite3_vtab_cursor *cursor, sqlite3_context *ctx, int i) {
  const rows_cursor *c = (const rows_cursor *)cursor;
  const probe_rows *s = c->source;
  if (i < 0 || i >= s->columns || i >= PROBE_ROWS_MAX_COLUMNS || !s->data[i]) {
    sqlite3_result_null(ctx);
    return SQLITE_OK;
  }
  switch (s->kinds[i]) {
  case PROBE_ROWS_INT64: sqlite3_result_int64(ctx, ((const int64_t *)s->data[i])[c->row]); break;
  case PROBE_ROWS_DOUBLE: sqlite3_result_double(ctx, ((const double *)s->data[i])[c->row]); break;
  case PROBE_ROWS_TEXT: {
    const char *t = ((const char *const *)s->data[i])[c->row];
    if (t) sqlite3_result_text(ctx, t, -1, SQLITE_STATIC); else sqlite3_result_null(ctx);
    break;
  }
  default: sqlite3_result_null(ctx);
  }
  return SQLITE_OK;
}

static int rows_rowid(sqlite3_vtab_cursor *cursor, sqlite3_int64 *rowid) {
  *rowid = ((const rows_cursor *)cursor)->row;
  return SQLITE_OK;
}

static sqlite3_module rows_module = {
  .iVersion = 0,
  .xCreate = NULL,  // eponymous only: usable as probe_rows(?) without CREATE VIRTUAL TABLE
  .xConnect = rows_connect,
  .xBestIndex = rows_best_index,
  .xDisconnect = rows_disconnect,
  .xDestroy = NULL,
  .xOpen = rows_open,
  .xClose = rows_close,
  .xFilter = rows_filter,
  .xNext = rows_next,
  .xEof = rows_eof,
  .xColumn = rows_column,
  .xRowid = rows_rowid,
};

int probe_rows_register(sqlite3 *db) { return sqlite3_create_module(db, "probe_rows", &rows_module, NULL); }

int probe_rows_bind(sqlite3_stmt *stmt, int index, const probe_rows *rows) {
  return sqlite3_bind_pointer(stmt, index, (void *)rows, pointer_type, NULL);
}

/* pg.h — connections and single statements: the one place the project opens
 * a PostgreSQL connection or runs a statement outside the store's pipeline.
 *
 * db_t is libpq's connection seen from outside db/: callers hold it and pass
 * it back, never call libpq on it (the CI check holds every libpq call and
 * every statement inside db/). */
#ifndef ANTT_DB_PG_H
#define ANTT_DB_PG_H

#include <stddef.h>

typedef struct pg_conn db_t;

/* A connection for conninfo (a libpq conninfo or URI; "" or NULL: the PG*
 * variables), named `app` (application_name, unless the conninfo names
 * one), with a 5 s connect timeout, TCP keepalives (a dead server is noticed
 * in about 25 s) and warnings only (no NOTICE chatter on stderr). NULL with
 * err (libpq's message: the password never appears in it). */
db_t *db_connect(const char *conninfo, const char *app, char *err, size_t errlen);
/* The same, as a logical replication connection (replication=database):
 * SQL and the replication commands (CREATE_REPLICATION_SLOT) both run on it. */
db_t *db_connect_replication(const char *conninfo, const char *app, char *err, size_t errlen);
void db_close(db_t **c);

/* 1 while the connection is up. */
int db_ok(const db_t *c);

/* Run one statement whose rows, if any, are not wanted, with text
 * parameters (NULL entries are SQL NULL). 0, or -1 with err and, when given,
 * sqlstate (6 bytes) filled. *affected, when given: the rows it changed. */
int db_exec(db_t *c, const char *sql, int nparams, const char *const *params, long *affected,
            char *sqlstate, char *err, size_t errlen);

/* Run one query and hand each row to fn: its column names and text values
 * (NULL: SQL NULL), valid for the call. fn returns 0 to go on, non-zero to
 * stop (db_rows then returns that value). 0, or -1 with err. */
typedef int (*db_row_fn)(void *ctx, int ncols, const char *const *names, const char *const *values);
int db_rows(db_t *c, const char *sql, int nparams, const char *const *params, db_row_fn fn,
            void *ctx, char *err, size_t errlen);

/* Inside db/: the error of a result (r may be NULL: the connection's), as
 * text without its newline and, when sqlstate is given, its SQLSTATE. */
struct pg_result;
/* Asynchronous: send one statement (text parameters) and return at once;
 * 0, or -1 with err. Then wait for db_socket() to be readable and call
 * db_collect(): 1 while the answer is not all there, 0 once its rows went
 * to fn (as db_rows), -1 with err. One statement at a time per connection. */
int db_send(db_t *c, const char *sql, int nparams, const char *const *params, char *err,
            size_t errlen);
int db_socket(const db_t *c);
int db_collect(db_t *c, db_row_fn fn, void *ctx, char *err, size_t errlen);

void db_result_error(const struct pg_result *r, db_t *c, char *sqlstate, char *err, size_t errlen);

/* Drop trailing newlines and spaces (libpq's messages end with one). */
void db_chomp(char *s);

/* Make every transaction of the session read-only (the console's
 * connections, whatever their role may do). 0, or -1 with err. */
int db_set_read_only(db_t *c, char *err, size_t errlen);

/* A text[] literal of n values (NULL entries: NULL), each quoted, so that
 * no value can change the array's shape: one parameter for many rows on a
 * path that is not hot (the store's hot path sends binary arrays).
 * Allocated; NULL out of memory. */
char *db_text_array(int n, const char *const *v);

#endif

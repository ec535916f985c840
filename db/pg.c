/* pg.c — see pg.h. */
#include "db/pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void db_chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
}

static db_t *connect_with(const char *conninfo, const char *app, int replication, char *err,
                          size_t errlen)
{
    /* Our defaults first: the operator's conninfo, expanded from "dbname"
     * (expand_dbname=1), comes after them and overrides any of them; only
     * "replication", when asked for, comes last. */
    const char *keys[8] = {"connect_timeout",     "application_name", "keepalives_idle",
                           "keepalives_interval", "keepalives_count", "dbname"};
    const char *vals[8] = {"5", app, "10", "5", "3", conninfo && *conninfo ? conninfo : NULL};
    int n = vals[5] ? 6 : 5;
    if (replication) keys[n] = "replication", vals[n++] = "database";
    keys[n] = NULL;
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errlen, "%s", c ? PQerrorMessage(c) : "out of memory");
        db_chomp(err);
        PQfinish(c);
        return NULL;
    }
    /* A SET rather than the startup "options" packet, which poolers such as
     * pgbouncer refuse. No JIT: our statements are short, but a plan through
     * the scope functions is estimated at millions (a set-returning function
     * counts as 1,000 rows), so PostgreSQL compiled a 35 ms report query for
     * 3 s (measured on Lạng Sơn's ten years, web/bench/timings.sh). */
    PQclear(PQexec(c, "SET client_min_messages = warning; SET jit = off"));
    return c;
}

db_t *db_connect(const char *conninfo, const char *app, char *err, size_t errlen)
{
    return connect_with(conninfo, app, 0, err, errlen);
}

db_t *db_connect_replication(const char *conninfo, const char *app, char *err, size_t errlen)
{
    return connect_with(conninfo, app, 1, err, errlen);
}

void db_close(db_t **c)
{
    if (*c) PQfinish(*c);
    *c = NULL;
}

int db_ok(const db_t *c)
{
    return c && PQstatus(c) == CONNECTION_OK;
}

void db_result_error(const PGresult *r, db_t *c, char *sqlstate, char *err, size_t errlen)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (sqlstate) snprintf(sqlstate, 6, "%s", st ? st : "");
    const char *m = r ? PQresultErrorMessage(r) : "";
    snprintf(err, errlen, "%s", m && *m ? m : PQerrorMessage(c));
    db_chomp(err);
}

static PGresult *run(db_t *c, const char *sql, int nparams, const char *const *params)
{
    return nparams ? PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0) : PQexec(c, sql);
}

int db_exec(db_t *c, const char *sql, int nparams, const char *const *params, long *affected,
            char *sqlstate, char *err, size_t errlen)
{
    PGresult *r = run(c, sql, nparams, params);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        db_result_error(r, c, sqlstate, err, errlen);
    else if (affected)
        *affected = atol(PQcmdTuples(r));
    PQclear(r);
    return ok ? 0 : -1;
}

/* A result's rows to fn; the result is cleared. */
static int rows_of(db_t *c, PGresult *r, db_row_fn fn, void *ctx, char *err, size_t errlen)
{
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        db_result_error(r, c, NULL, err, errlen);
        PQclear(r);
        return -1;
    }
    const int ncols = PQnfields(r);
    const char *vals[64], *names[64];
    if (ncols > 64) {
        snprintf(err, errlen, "a query returned %d columns (at most 64)", ncols);
        PQclear(r);
        return -1;
    }
    for (int col = 0; col < ncols; col++)
        names[col] = PQfname(r, col);
    int rc = 0;
    for (int row = 0; row < PQntuples(r) && rc == 0; row++) {
        for (int col = 0; col < ncols; col++)
            vals[col] = PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
        rc = fn(ctx, ncols, names, vals);
    }
    PQclear(r);
    return rc;
}

int db_rows(db_t *c, const char *sql, int nparams, const char *const *params, db_row_fn fn,
            void *ctx, char *err, size_t errlen)
{
    return rows_of(c, run(c, sql, nparams, params), fn, ctx, err, errlen);
}

int db_send(db_t *c, const char *sql, int nparams, const char *const *params, char *err,
            size_t errlen)
{
    if (PQsendQueryParams(c, sql, nparams, NULL, params, NULL, NULL, 0)) return 0;
    snprintf(err, errlen, "%s", PQerrorMessage(c));
    db_chomp(err);
    return -1;
}

int db_socket(const db_t *c)
{
    return c ? PQsocket(c) : -1;
}

int db_collect(db_t *c, db_row_fn fn, void *ctx, char *err, size_t errlen)
{
    if (!PQconsumeInput(c)) {
        snprintf(err, errlen, "%s", PQerrorMessage(c));
        db_chomp(err);
        return -1;
    }
    if (PQisBusy(c)) return 1;
    int rc = 0, results = 0;
    PGresult *r;
    while ((r = PQgetResult(c))) { /* one statement: one result, then NULL */
        if (rc == 0 && !results++)
            rc = rows_of(c, r, fn, ctx, err, errlen) < 0 ? -1 : 0;
        else
            PQclear(r);
    }
    if (!results) {
        snprintf(err, errlen, "no statement was waiting for its answer");
        return -1;
    }
    return rc;
}

char *db_text_array(int n, const char *const *v)
{
    size_t cap = 3;
    for (int i = 0; i < n; i++)
        cap += v[i] ? 2 * strlen(v[i]) + 3 : 5;
    char *a = malloc(cap), *o = a;
    if (!a) return NULL;
    *o++ = '{';
    for (int i = 0; i < n; i++) {
        if (i) *o++ = ',';
        if (!v[i]) {
            memcpy(o, "NULL", 4), o += 4;
            continue;
        }
        *o++ = '"';
        for (const char *p = v[i]; *p; p++) {
            if (*p == '"' || *p == '\\') *o++ = '\\';
            *o++ = *p;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    return a;
}

int db_set_read_only(db_t *c, char *err, size_t errlen)
{
    return db_exec(c, "SET default_transaction_read_only = on", 0, NULL, NULL, NULL, err, errlen);
}

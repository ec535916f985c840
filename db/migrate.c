/* migrate.c — see migrate.h. */
#include "db/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCK_KEY "7720001" /* pg_advisory_xact_lock key: ANTT migrations */

int migrate_latest(void)
{
    int v = 0;
    for (int i = 0; i < MIGRATION_COUNT; i++)
        if (MIGRATIONS[i].version > v) v = MIGRATIONS[i].version;
    return v;
}

static int exec(PGconn *c, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) {
        snprintf(err, errlen, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
        size_t n = strlen(err);
        while (n && err[n - 1] == '\n')
            err[--n] = '\0';
    }
    PQclear(r);
    return ok ? 0 : -1;
}

int migrate_current(PGconn *c, int *version, char *err, size_t errlen)
{
    *version = 0;
    PGresult *r = PQexec(c, "SELECT to_regclass('antt.schema_migrations') IS NOT NULL");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    int exists = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!exists) return 0;
    r = PQexec(c, "SELECT coalesce(max(version), 0) FROM antt.schema_migrations");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    *version = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int migrate_apply(PGconn *c, int *applied, char *err, size_t errlen)
{
    *applied = 0;
    if (exec(c,
             "BEGIN; SELECT pg_advisory_xact_lock(" LOCK_KEY ");"
             "CREATE SCHEMA IF NOT EXISTS antt;"
             "CREATE TABLE IF NOT EXISTS antt.schema_migrations (version integer PRIMARY KEY,"
             " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()); COMMIT",
             err, errlen) < 0) {
        char ignore[8];
        exec(c, "ROLLBACK", ignore, sizeof ignore);
        return -1;
    }
    for (int i = 0; i < MIGRATION_COUNT; i++) {
        const migration_t *m = &MIGRATIONS[i];
        if (exec(c, "BEGIN; SELECT pg_advisory_xact_lock(" LOCK_KEY ")", err, errlen) < 0)
            return -1;
        int current;
        if (migrate_current(c, &current, err, errlen) < 0) goto fail;
        if (m->version <= current) {
            exec(c, "COMMIT", err, errlen);
            continue;
        }
        if (exec(c, m->sql, err, errlen) < 0) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s", err);
            snprintf(err, errlen, "%s: %s", m->name, sub);
            goto fail;
        }
        char v[16];
        snprintf(v, sizeof v, "%d", m->version);
        const char *params[2] = {v, m->name};
        PGresult *r =
            PQexecParams(c, "INSERT INTO antt.schema_migrations (version, name) VALUES ($1, $2)", 2,
                         NULL, params, NULL, NULL, 0);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) snprintf(err, errlen, "%s", PQresultErrorMessage(r));
        PQclear(r);
        if (!ok || exec(c, "COMMIT", err, errlen) < 0) goto fail;
        (*applied)++;
    }
    return 0;
fail : {
    char ignore[8];
    exec(c, "ROLLBACK", ignore, sizeof ignore);
}
    return -1;
}

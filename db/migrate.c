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

static int int_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    *(int *)ctx = v[0] ? atoi(v[0]) : 0;
    return 0;
}

int migrate_current(db_t *c, int *version, char *err, size_t errlen)
{
    int exists = 0;
    *version = 0;
    if (db_rows(c, "SELECT (to_regclass('antt.schema_migrations') IS NOT NULL)::int", 0, NULL,
                int_row, &exists, err, errlen) < 0)
        return -1;
    if (!exists) return 0;
    return db_rows(c, "SELECT coalesce(max(version), 0) FROM antt.schema_migrations", 0, NULL,
                   int_row, version, err, errlen);
}

int migrate_apply(db_t *c, int *applied, char *err, size_t errlen)
{
    *applied = 0;
    if (db_exec(c,
                "BEGIN; SELECT pg_advisory_xact_lock(" LOCK_KEY ");"
                "CREATE SCHEMA IF NOT EXISTS antt;"
                "CREATE TABLE IF NOT EXISTS antt.schema_migrations (version integer PRIMARY KEY,"
                " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()); COMMIT",
                0, NULL, NULL, NULL, err, errlen) < 0) {
        char ignore[8];
        db_exec(c, "ROLLBACK", 0, NULL, NULL, NULL, ignore, sizeof ignore);
        return -1;
    }
    for (int i = 0; i < MIGRATION_COUNT; i++) {
        const migration_t *m = &MIGRATIONS[i];
        if (db_exec(c, "BEGIN; SELECT pg_advisory_xact_lock(" LOCK_KEY ")", 0, NULL, NULL, NULL,
                    err, errlen) < 0)
            return -1;
        int current;
        if (migrate_current(c, &current, err, errlen) < 0) goto fail;
        if (m->version <= current) {
            db_exec(c, "COMMIT", 0, NULL, NULL, NULL, err, errlen);
            continue;
        }
        if (db_exec(c, m->sql, 0, NULL, NULL, NULL, err, errlen) < 0) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s", err);
            snprintf(err, errlen, "%s: %s", m->name, sub);
            goto fail;
        }
        char v[16];
        snprintf(v, sizeof v, "%d", m->version);
        const char *params[2] = {v, m->name};
        if (db_exec(c, "INSERT INTO antt.schema_migrations (version, name) VALUES ($1, $2)", 2,
                    params, NULL, NULL, err, errlen) < 0 ||
            db_exec(c, "COMMIT", 0, NULL, NULL, NULL, err, errlen) < 0)
            goto fail;
        (*applied)++;
    }
    return 0;
fail : {
    char ignore[8];
    db_exec(c, "ROLLBACK", 0, NULL, NULL, NULL, ignore, sizeof ignore);
}
    return -1;
}

/* migrate.c — see migrate.h. */
#include "db/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCK_KEY "7720001" /* pg_advisory_xact_lock key: ANTT migrations */

/* What the runner does after the repeatables, in this order, when asked
 * (`-- post-step: NAME` in a migration or a repeatable file): work on data
 * that needs the functions as they are now, which a numbered migration must
 * not call (a later version of the schema replaces them). */
static const struct {
    const char *name;
    const char *sql;
} POST_STEPS[] = {
    /* antt.unit_scope from the units and their successors */
    {"rebuild_scopes", "SELECT antt.rebuild_scopes()"},
    /* the month, year and before sums from the daily tallies */
    {"tallies_reroll", "SELECT antt.tallies_reroll()"},
    /* The console's read-only role may call every function (asked whenever
     * a repeatable was applied: a function dropped and made again has lost
     * its grants). Made by migration 010 when the migrating user could. */
    {"grants", "DO $$ BEGIN"
               " IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'antt_reader') THEN"
               " GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA antt TO antt_reader;"
               " END IF; END $$"},
};
#define NPOST_STEPS (sizeof POST_STEPS / sizeof POST_STEPS[0])

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

int migrate_needs(db_t *c, int *needs, char *err, size_t errlen)
{
    char latest[16];
    snprintf(latest, sizeof latest, "%d", migrate_latest());
    const char *params[1] = {latest};
    *needs = 0;
    /* a migration recorded without a mark (all before 021) allows only
     * binaries that carry it */
    return db_rows(c,
                   "SELECT coalesce(max(coalesce(oldest_binary, version)), 0)"
                   " FROM antt.schema_migrations WHERE version > $1::int",
                   1, params, int_row, needs, err, errlen);
}

static void rollback(db_t *c)
{
    char ignore[8];
    db_exec(c, "ROLLBACK", 0, NULL, NULL, NULL, ignore, sizeof ignore);
}

static int exec0(db_t *c, const char *sql, char *err, size_t errlen)
{
    return db_exec(c, sql, 0, NULL, NULL, NULL, err, errlen);
}

/* Whether sql holds only blanks and -- comments: a migration whose
 * functions all went to repeatable files keeps its number and runs nothing
 * (PostgreSQL answers an empty query with no command status). */
static int only_comments(const char *sql)
{
    const char *p = sql;
    for (;;) {
        p += strspn(p, " \t\r\n");
        if (strncmp(p, "--", 2) != 0) return *p == '\0';
        p += strcspn(p, "\n");
    }
}

/* err := "what: err". */
static void name_error(const char *what, char *err, size_t errlen)
{
    char sub[512];
    snprintf(sub, sizeof sub, "%s", err);
    snprintf(err, errlen, "%s: %s", what, sub);
}

/* Record that `by` asks for the post-steps of the space-separated list
 * post, in the open transaction. 0, or -1 with err. */
static int ask_post_steps(db_t *c, const char *post, const char *by, char *err, size_t errlen)
{
    for (const char *p = post; *p;) {
        size_t n = strcspn(p, " ");
        char name[64];
        if (n && n < sizeof name) {
            snprintf(name, sizeof name, "%.*s", (int)n, p);
            const char *params[2] = {name, by};
            if (db_exec(c,
                        "INSERT INTO antt.schema_post_steps (name, asked_by) VALUES ($1, $2)"
                        " ON CONFLICT (name) DO NOTHING",
                        2, params, NULL, NULL, err, errlen) < 0)
                return -1;
        }
        p += n;
        p += strspn(p, " ");
    }
    return 0;
}

/* The tables of the runner itself, in a transaction of their own. */
static int bootstrap(db_t *c, char *err, size_t errlen)
{
    if (exec0(c,
              "BEGIN; SELECT pg_advisory_xact_lock(" LOCK_KEY ");"
              "CREATE SCHEMA IF NOT EXISTS antt;"
              "CREATE TABLE IF NOT EXISTS antt.schema_migrations (version integer PRIMARY KEY,"
              " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
              "CREATE TABLE IF NOT EXISTS antt.schema_repeatables (name text PRIMARY KEY,"
              " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
              "CREATE TABLE IF NOT EXISTS antt.schema_post_steps (name text PRIMARY KEY,"
              " asked_by text NOT NULL, asked_at timestamptz NOT NULL DEFAULT now());"
              "COMMIT",
              err, errlen) < 0) {
        rollback(c);
        return -1;
    }
    return 0;
}

/* Migration m in a transaction of its own, unless applied already.
 * 1 applied, 0 not due, -1 with err (rolled back). */
static int apply_version(db_t *c, const migration_t *m, char *err, size_t errlen)
{
    if (exec0(c, "BEGIN; SELECT pg_advisory_xact_lock(" LOCK_KEY ")", err, errlen) < 0) return -1;
    int current;
    if (migrate_current(c, &current, err, errlen) < 0) goto fail;
    if (m->version <= current) return exec0(c, "COMMIT", err, errlen) < 0 ? -1 : 0;
    if (!only_comments(m->sql) && exec0(c, m->sql, err, errlen) < 0) {
        name_error(m->name, err, errlen);
        goto fail;
    }
    char v[16];
    snprintf(v, sizeof v, "%d", m->version);
    const char *params[2] = {v, m->name};
    char oldest[16];
    snprintf(oldest, sizeof oldest, "%d", m->oldest);
    const char *marks[2] = {oldest, v};
    if (db_exec(c, "INSERT INTO antt.schema_migrations (version, name) VALUES ($1, $2)", 2, params,
                NULL, NULL, err, errlen) < 0 ||
        /* which older binaries may still run (the column is 021's) */
        (m->oldest != m->version &&
         db_exec(c, "UPDATE antt.schema_migrations SET oldest_binary = $1 WHERE version = $2", 2,
                 marks, NULL, NULL, err, errlen) < 0) ||
        ask_post_steps(c, m->post, m->name, err, errlen) < 0 || exec0(c, "COMMIT", err, errlen) < 0)
        goto fail;
    return 1;
fail:
    rollback(c);
    return -1;
}

/* Which repeatables the database holds with this binary's checksum. */
typedef struct {
    unsigned char *current; /* [REPEATABLE_COUNT] */
} seen_t;

static int checksum_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    seen_t *s = ctx;
    for (int i = 0; i < REPEATABLE_COUNT; i++)
        if (v[0] && v[1] && !strcmp(REPEATABLES[i].name, v[0]) &&
            !strcmp(REPEATABLES[i].checksum, v[1]))
            s->current[i] = 1;
    return 0;
}

/* The post-steps asked for. */
typedef struct {
    unsigned char asked[NPOST_STEPS];
    char unknown[64];
} asked_t;

static int asked_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    asked_t *a = ctx;
    for (size_t i = 0; i < NPOST_STEPS; i++)
        if (v[0] && !strcmp(POST_STEPS[i].name, v[0])) {
            a->asked[i] = 1;
            return 0;
        }
    snprintf(a->unknown, sizeof a->unknown, "%s", v[0] ? v[0] : "");
    return 0;
}

/* The repeatables whose checksum changed, then the post-steps asked for,
 * in one transaction. 0, or -1 with err (rolled back). */
static int apply_repeatables(db_t *c, migrate_counts_t *n, char *err, size_t errlen)
{
    unsigned char *current = calloc((size_t)REPEATABLE_COUNT + 1, 1);
    if (!current) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    seen_t seen = {current};
    asked_t asked;
    memset(&asked, 0, sizeof asked);
    int rc = -1, version;
    if (exec0(c, "BEGIN; SELECT pg_advisory_xact_lock(" LOCK_KEY ")", err, errlen) < 0) goto out;
    if (migrate_current(c, &version, err, errlen) < 0) goto fail;
    if (version > migrate_latest()) { /* a newer binary's functions: not ours to replace */
        rc = exec0(c, "COMMIT", err, errlen);
        goto out;
    }
    if (db_rows(c, "SELECT name, checksum FROM antt.schema_repeatables", 0, NULL, checksum_row,
                &seen, err, errlen) < 0)
        goto fail;
    for (int i = 0; i < REPEATABLE_COUNT; i++) {
        const repeatable_t *r = &REPEATABLES[i];
        if (current[i]) continue;
        if (exec0(c, r->sql, err, errlen) < 0) {
            name_error(r->name, err, errlen);
            goto fail;
        }
        const char *params[2] = {r->name, r->checksum};
        if (db_exec(c,
                    "INSERT INTO antt.schema_repeatables (name, checksum) VALUES ($1, $2)"
                    " ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum,"
                    " applied_at = now()",
                    2, params, NULL, NULL, err, errlen) < 0 ||
            ask_post_steps(c, r->post, r->name, err, errlen) < 0 ||
            ask_post_steps(c, "grants", r->name, err, errlen) < 0)
            goto fail;
        n->repeatables++;
    }
    if (db_rows(c, "SELECT name FROM antt.schema_post_steps", 0, NULL, asked_row, &asked, err,
                errlen) < 0)
        goto fail;
    if (asked.unknown[0]) {
        snprintf(err, errlen, "post-step '%s' asked for is not one this binary knows",
                 asked.unknown);
        goto fail;
    }
    for (size_t i = 0; i < NPOST_STEPS; i++) {
        if (!asked.asked[i]) continue;
        if (exec0(c, POST_STEPS[i].sql, err, errlen) < 0) {
            name_error(POST_STEPS[i].name, err, errlen);
            goto fail;
        }
        n->post_steps++;
    }
    if (exec0(c, "DELETE FROM antt.schema_post_steps; COMMIT", err, errlen) < 0) goto fail;
    rc = 0;
    goto out;
fail:
    rollback(c);
out:
    free(current);
    return rc;
}

int migrate_apply(db_t *c, const migrate_hooks_t *hooks, migrate_counts_t *n, char *err,
                  size_t errlen)
{
    memset(n, 0, sizeof *n);
    if (bootstrap(c, err, errlen) < 0) return -1;
    for (int i = 0; i < MIGRATION_COUNT; i++) {
        int rc = apply_version(c, &MIGRATIONS[i], err, errlen);
        if (rc < 0) return -1;
        n->versions += rc;
    }
    if (apply_repeatables(c, n, err, errlen) < 0) return -1;
    int version;
    if (migrate_current(c, &version, err, errlen) < 0) return -1;
    if (hooks && hooks->deadlines && version == migrate_latest() &&
        hooks->deadlines(c, hooks->ctx, err, errlen) < 0) {
        name_error("deadlines", err, errlen);
        return -1;
    }
    return 0;
}

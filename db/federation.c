/* federation.c — see federation.h. */
#include "db/federation.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One resync or removal of a province at a time on a Ministry (two anttd,
 * or an operator and a daemon): lock 7720004, keyed by the province's code. */
#define FED_LOCK "7720004"

static int is_code(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int one_value(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)names;
    char *out = ctx;
    snprintf(out, 4096, "%s", ncols > 0 && v[0] ? v[0] : "");
    return 0;
}

/* The first column of a one-row query as text ("" for NULL or no row); out
 * holds 4096 bytes. */
static int value(db_t *c, const char *sql, int n, const char *const *p, char *out, char *err,
                 size_t errlen)
{
    out[0] = '\0';
    return db_rows(c, sql, n, p, one_value, out, err, errlen) < 0 ? -1 : 0;
}

/* Run a statement, or say which step failed. */
static int step(db_t *c, const char *what, const char *sql, int n, const char *const *p,
                long *affected, char *err, size_t errlen)
{
    char e[256];
    if (db_exec(c, sql, n, p, affected, NULL, e, sizeof e) == 0) return 0;
    snprintf(err, errlen, "%s: %s", what, e);
    return -1;
}

/* ---- the province's units, as a literal both sides take ---------------- */

/* The codes of the subtrees of a province's roots, on the Ministry, as a
 * text[] literal ('{..}'::text[]): each code is digits (antt.units' check,
 * and checked again here), so the literal needs no quoting and the same
 * text runs in a COPY on the province, which takes no parameters. */
static char *units_literal(db_t *m, const char *code, char *err, size_t errlen)
{
    const char *p[1] = {code};
    char e[256];
    PGresult *r = PQexecParams(m,
                               "SELECT DISTINCT s.c FROM antt.federation_provinces f,"
                               " unnest(f.roots) AS r(code), antt.subtree(r.code) AS s(c)"
                               " WHERE f.code = $1 ORDER BY 1",
                               1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        db_result_error(r, m, NULL, e, sizeof e);
        snprintf(err, errlen, "the province's units: %s", e);
        PQclear(r);
        return NULL;
    }
    const int rows = PQntuples(r);
    const size_t cap = (size_t)rows * 7 + 32;
    char *out = rows ? malloc(cap) : NULL;
    size_t n = out ? (size_t)snprintf(out, cap, "'{") : 0;
    for (int i = 0; out && i < rows; i++) {
        const char *u = PQgetvalue(r, i, 0);
        if (!is_code(u, 2, 5)) {
            snprintf(err, errlen, "province %s: unit code '%s' is not 2-5 digits", code, u);
            free(out);
            PQclear(r);
            return NULL;
        }
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "," : "", u);
    }
    PQclear(r);
    if (!out) {
        snprintf(err, errlen,
                 rows ? "out of memory" : "province %s has no units on the Ministry (its roots?)",
                 code);
        return NULL;
    }
    snprintf(out + n, cap - n, "}'::text[]");
    return out;
}

/* ---- a COPY from one server straight into another ---------------------- */

static int copy_between(db_t *from, const char *out_sql, db_t *to, const char *in_sql, long *rows,
                        char *err, size_t errlen)
{
    char e[256];
    PGresult *r = PQexec(from, out_sql);
    if (PQresultStatus(r) != PGRES_COPY_OUT) {
        db_result_error(r, from, NULL, e, sizeof e);
        snprintf(err, errlen, "reading the province: %s", e);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    r = PQexec(to, in_sql);
    int in = PQresultStatus(r) == PGRES_COPY_IN;
    if (!in) db_result_error(r, to, NULL, e, sizeof e);
    PQclear(r);
    char *buf;
    int n, bad = !in;
    while ((n = PQgetCopyData(from, &buf, 0)) > 0) {
        if (!bad && PQputCopyData(to, buf, n) != 1) {
            bad = 1;
            snprintf(e, sizeof e, "%s", PQerrorMessage(to));
        }
        PQfreemem(buf);
    }
    r = PQgetResult(from);
    const int out_ok = n == -1 && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!out_ok && !bad) db_result_error(r, from, NULL, e, sizeof e);
    PQclear(r);
    while ((r = PQgetResult(from)))
        PQclear(r);
    if (in) {
        PQputCopyEnd(to, bad || !out_ok ? "the province's side failed" : NULL);
        r = PQgetResult(to);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            if (!bad && out_ok) db_result_error(r, to, NULL, e, sizeof e);
            bad = 1;
        } else if (rows) {
            *rows = atol(PQcmdTuples(r));
        }
        PQclear(r);
        while ((r = PQgetResult(to)))
            PQclear(r);
    }
    if (bad || !out_ok) {
        db_chomp(e);
        snprintf(err, errlen, "copying from the province: %s", e);
        return -1;
    }
    return 0;
}

/* ---- the steps of a resync --------------------------------------------- */

typedef struct {
    char code[8], sub[32], conninfo[4096], subid[16];
    char family[40]; /* the slots of this subscription's: family and family_N */
    char slot[48];   /* the one this resync makes */
    char *units;     /* '{...}'::text[] */
    db_t *p;         /* the province's primary, inside the slot's snapshot */
    db_t *rep;       /* the replication connection that made the slot (kept open: the snapshot) */
} fed_t;

static void fed_free(fed_t *f)
{
    free(f->units);
    db_close(&f->p);
    db_close(&f->rep);
}

/* The province's figures, as the fold would leave them once it has folded
 * all that is committed in the snapshot: its tallies plus its fold input not
 * yet folded. The same text on both sides, for the province's units. */
static void truth_sql(char *out, size_t cap, const char *units, int copy)
{
    snprintf(out, cap,
             "%sSELECT unit, day, metric, grp, severity, sum(value)::int8 FROM ("
             " SELECT unit, day, metric, grp, severity, value FROM antt.tallies"
             "  WHERE unit = ANY (%s)"
             " UNION ALL"
             " SELECT t.unit, t.day, t.metric, t.grp, t.severity, t.value"
             "  FROM antt.fold_input f,"
             "   unnest(f.units, f.days, f.metrics, f.grps, f.severities, f.vals)"
             "    AS t(unit, day, metric, grp, severity, value)"
             "  WHERE f.txid >= (SELECT pos FROM antt.fold_state) AND t.unit = ANY (%s)) x"
             " GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0%s",
             copy ? "COPY (" : "", units, units, copy ? ") TO STDOUT" : "");
}

/* A digest of each day's events (the day in UTC): their count and the xor
 * of a 64-bit hash of each whole id (stations mint UUIDv7, whose first 64
 * bits are mostly their millisecond: a batch's ids would cancel out). */
static void digest_sql(char *out, size_t cap, const char *units)
{
    snprintf(out, cap,
             "SELECT (logged_at AT TIME ZONE 'UTC')::date::text, count(*)::text,"
             " bit_xor(hashtextextended(id::text, 7720))::text"
             " FROM antt.events WHERE unit = ANY (%s) GROUP BY 1 ORDER BY 1",
             units);
}

typedef struct {
    char (*day)[11];
    char (*sum)[48];
    int n, cap;
} digests_t;

static int digest_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)names;
    digests_t *d = ctx;
    if (ncols < 3 || !v[0] || strlen(v[0]) != 10) return 1;
    if (d->n == d->cap) {
        const int cap = d->cap ? 2 * d->cap : 256;
        char(*day)[11] = realloc(d->day, (size_t)cap * sizeof *day);
        if (day) d->day = day;
        char(*sum)[48] = realloc(d->sum, (size_t)cap * sizeof *sum);
        if (sum) d->sum = sum;
        if (!day || !sum) return 1;
        d->cap = cap;
    }
    memcpy(d->day[d->n], v[0], 11);
    snprintf(d->sum[d->n], sizeof d->sum[0], "%s/%s", v[1], v[2] ? v[2] : "");
    d->n++;
    return 0;
}

/* The days whose digests differ between the province (pd) and the Ministry
 * (md), both in day order, as a '{..}'::date[] literal; NULL when none. */
static char *days_differing(const digests_t *pd, const digests_t *md, long *ndiff)
{
    size_t cap = (size_t)(pd->n + md->n) * 12 + 32;
    char *out = malloc(cap);
    if (!out) {
        *ndiff = -1;
        return NULL;
    }
    size_t n = (size_t)snprintf(out, cap, "'{");
    int i = 0, j = 0;
    *ndiff = 0;
    while (i < pd->n || j < md->n) {
        int c = i == pd->n ? 1 : j == md->n ? -1 : strcmp(pd->day[i], md->day[j]);
        const char *day = c <= 0 ? pd->day[i] : md->day[j];
        int differ = c != 0 || strcmp(pd->sum[i], md->sum[j]) != 0;
        if (differ) n += (size_t)snprintf(out + n, cap - n, "%s%s", *ndiff ? "," : "", day);
        *ndiff += differ;
        if (c <= 0) i++;
        if (c >= 0) j++;
    }
    if (!*ndiff) {
        free(out);
        return NULL;
    }
    snprintf(out + n, cap - n, "}'::date[]");
    return out;
}

static void digests_free(digests_t *d)
{
    free(d->day);
    free(d->sum);
}

/* A table's columns on the Ministry, in order: the same list is read on the
 * province (one schema, one migration history). */
static int columns(db_t *m, const char *table, char *out, char *err, size_t errlen)
{
    const char *p[1] = {table};
    return value(m,
                 "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute"
                 " WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
                 1, p, out, err, errlen);
}

/* The events of the differing days made equal. */
static int resync_events(fed_t *f, db_t *m, fed_resync_t *r, char *err, size_t errlen)
{
    char sql[8192], e[256] = "";
    digests_t pd = {0}, md = {0};
    char *q = malloc(strlen(f->units) + 512);
    if (!q) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    digest_sql(q, strlen(f->units) + 512, f->units);
    int rc = -1;
    if (db_rows(f->p, q, 0, NULL, digest_row, &pd, e, sizeof e) != 0 ||
        db_rows(m, q, 0, NULL, digest_row, &md, e, sizeof e) != 0) {
        snprintf(err, errlen, "the events' digests: %s",
                 *e ? e : "a day that is not a date, or out of memory");
        goto out;
    }
    r->days = pd.n > md.n ? pd.n : md.n;
    char *days = days_differing(&pd, &md, &r->days_differing);
    if (!days) {
        rc = r->days_differing == 0 ? 0 : -1;
        if (rc) snprintf(err, errlen, "out of memory");
        goto out;
    }
    char cols[4096];
    if (columns(m, "antt.events", cols, e, sizeof e) < 0) {
        snprintf(err, errlen, "the events' columns: %s", e);
        free(days);
        goto out;
    }
    const size_t cap = strlen(f->units) + strlen(days) + 2 * strlen(cols) + 1024;
    char *big = malloc(cap);
    if (!big) {
        snprintf(err, errlen, "out of memory");
        free(days);
        goto out;
    }
    const char *where = "(logged_at AT TIME ZONE 'UTC')::date";
    if (step(m, "a table for the province's events",
             "CREATE TEMP TABLE fed_events (LIKE antt.events) ON COMMIT DROP", 0, NULL, NULL, err,
             errlen) < 0)
        goto out_big;
    snprintf(big, cap,
             "COPY (SELECT %s FROM antt.events WHERE unit = ANY (%s) AND %s = ANY (%s))"
             " TO STDOUT",
             cols, f->units, where, days);
    snprintf(sql, sizeof sql, "COPY fed_events (%s) FROM STDIN", cols);
    if (copy_between(f->p, big, m, sql, NULL, err, errlen) < 0) goto out_big;
    snprintf(big, cap,
             "DELETE FROM antt.events e WHERE unit = ANY (%s) AND %s = ANY (%s)"
             " AND NOT EXISTS (SELECT 1 FROM fed_events f WHERE f.id = e.id)",
             f->units, where, days);
    if (step(m, "the events the province does not have", big, 0, NULL, &r->events_removed, err,
             errlen) < 0)
        goto out_big;
    snprintf(big, cap,
             "INSERT INTO antt.events (%s) SELECT %s FROM fed_events f WHERE NOT EXISTS"
             " (SELECT 1 FROM antt.events e WHERE e.id = f.id AND e.unit = ANY (%s)"
             "  AND %s = ANY (%s))",
             cols, cols, f->units, where, days);
    if (step(m, "the events the Ministry lacked", big, 0, NULL, &r->events_added, err, errlen) < 0)
        goto out_big;
    rc = 0;
out_big:
    free(big);
    free(days);
out:
    free(q);
    digests_free(&pd);
    digests_free(&md);
    return rc;
}

/* The province's case rows replace the Ministry's. */
static int resync_cases(fed_t *f, db_t *m, fed_resync_t *r, char *err, size_t errlen)
{
    static const struct {
        const char *table, *unit;
    } t[] = {{"antt.incidents", "unit"}, {"antt.tipoffs", "unit"}, {"antt.wanted", "issuer"}};
    const size_t cap = strlen(f->units) + 8192;
    char *sql = malloc(cap), cols[4096], e[256], in[4400];
    if (!sql) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = -1;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (columns(m, t[i].table, cols, e, sizeof e) < 0) {
            snprintf(err, errlen, "%s's columns: %s", t[i].table, e);
            goto out;
        }
        snprintf(sql, cap, "DELETE FROM %s WHERE %s = ANY (%s)", t[i].table, t[i].unit, f->units);
        if (step(m, t[i].table, sql, 0, NULL, NULL, err, errlen) < 0) goto out;
        snprintf(sql, cap, "COPY (SELECT %s FROM %s WHERE %s = ANY (%s)) TO STDOUT", cols,
                 t[i].table, t[i].unit, f->units);
        snprintf(in, sizeof in, "COPY %s (%s) FROM STDIN", t[i].table, cols);
        long n = 0;
        if (copy_between(f->p, sql, m, in, &n, err, errlen) < 0) goto out;
        r->cases += n;
    }
    rc = 0;
out:
    free(sql);
    return rc;
}

/* The figures: one row of fold input with the difference. */
static int resync_figures(fed_t *f, db_t *m, fed_resync_t *r, char *err, size_t errlen)
{
    const size_t cap = 2 * strlen(f->units) + 2048;
    char *sql = malloc(cap), *mine = malloc(cap), count[4096];
    int rc = -1;
    if (!sql || !mine) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (step(m, "a table for the province's figures",
             "CREATE TEMP TABLE fed_truth (unit text COLLATE \"C\", day date,"
             " metric text COLLATE \"C\", grp text COLLATE \"C\", severity text COLLATE \"C\","
             " value int8) ON COMMIT DROP",
             0, NULL, NULL, err, errlen) < 0)
        goto out;
    truth_sql(sql, cap, f->units, 1);
    if (copy_between(f->p, sql, m, "COPY fed_truth FROM STDIN", NULL, err, errlen) < 0) goto out;
    truth_sql(mine, cap, f->units, 0);
    snprintf(sql, cap,
             "WITH d AS (SELECT coalesce(p.unit, q.unit) AS unit, coalesce(p.day, q.day) AS day,"
             "  coalesce(p.metric, q.metric) AS metric, coalesce(p.grp, q.grp) AS grp,"
             "  coalesce(p.severity, q.severity) AS severity,"
             "  coalesce(p.value, 0) - coalesce(q.value, 0) AS value"
             "  FROM fed_truth p FULL JOIN (%s) AS q(unit, day, metric, grp, severity, value)"
             "   ON p.unit = q.unit AND p.day = q.day AND p.metric = q.metric AND p.grp = q.grp"
             "   AND p.severity = q.severity),"
             " c AS (SELECT * FROM d WHERE value <> 0),"
             " i AS (INSERT INTO antt.fold_input (units, days, metrics, grps, severities, vals)"
             "  SELECT array_agg(unit), array_agg(day), array_agg(metric), array_agg(grp),"
             "   array_agg(severity), array_agg(value) FROM c HAVING count(*) > 0)"
             " SELECT count(*) FROM c",
             mine);
    char e[256];
    if (value(m, sql, 0, NULL, count, e, sizeof e) < 0) {
        snprintf(err, errlen, "the correction of the figures: %s", e);
        goto out;
    }
    r->keys = atol(count);
    rc = 0;
out:
    free(sql);
    free(mine);
    return rc;
}

/* Disable the subscription and wait (at most 30 s) until its worker is gone. */
static int stop_subscription(fed_t *f, db_t *m, char *err, size_t errlen)
{
    char sql[128], out[4096], e[256];
    snprintf(sql, sizeof sql, "ALTER SUBSCRIPTION %s DISABLE", f->sub);
    if (step(m, "disabling the subscription", sql, 0, NULL, NULL, err, errlen) < 0) return -1;
    const char *p[1] = {f->subid};
    for (int i = 0; i < 300; i++) {
        if (value(m,
                  "SELECT count(*) FROM pg_stat_subscription WHERE subid = $1::oid"
                  " AND pid IS NOT NULL",
                  1, p, out, e, sizeof e) < 0) {
            snprintf(err, errlen, "the subscription's workers: %s", e);
            return -1;
        }
        if (!strcmp(out, "0")) return 0;
        sleep_ms(100);
    }
    snprintf(err, errlen, "the subscription's worker still runs 30 s after DISABLE");
    return -1;
}

/* Every idle slot of this subscription's on the publisher (f->p) dropped:
 * the one it streamed from, older ones a failback brought back, one a
 * killed resync left. A walsender may still hold one for a moment after
 * the subscription's worker stopped: waited for, 10 s at most. */
static int drop_family(fed_t *f, char *err, size_t errlen)
{
    char e[256], out[4096];
    const char *p[1] = {f->family};
    for (int i = 0;; i++) {
        if (value(f->p,
                  "SELECT coalesce(string_agg(CASE WHEN active THEN 'active'"
                  " ELSE pg_drop_replication_slot(slot_name)::text END, ','), '')"
                  " FROM pg_replication_slots WHERE database = current_database()"
                  " AND (slot_name = $1 OR slot_name LIKE replace($1, '_', '\\_') || '\\_%')",
                  1, p, out, e, sizeof e) < 0) {
            snprintf(err, errlen, "the old slots: %s", e);
            return -1;
        }
        if (!strstr(out, "active")) return 0;
        if (i == 100) {
            snprintf(err, errlen,
                     "a slot of %s is in use on the publisher 10 s after the subscription stopped"
                     " (another server streams from it?)",
                     f->family);
            return -1;
        }
        sleep_ms(100);
    }
}

/* On the province: a new slot (the old one, if any and idle, dropped), and
 * a transaction in the snapshot it exported. */
static int new_slot(fed_t *f, const char *pubs, int npubs, const char *maker, char *lsn,
                    size_t lsncap, char *err, size_t errlen)
{
    char e[256], out[4096], sql[256];
    f->p = db_connect(f->conninfo, "antt-federation", e, sizeof e);
    if (!f->p) {
        snprintf(err, errlen, "the publisher's primary: %s", e);
        return -1;
    }
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_publication WHERE pubname IN (%s)", pubs);
    if (value(f->p, sql, 0, NULL, out, e, sizeof e) < 0 || atoi(out) != npubs) {
        snprintf(err, errlen, "the publisher has not published (%s)%s%s", maker, *out ? "" : ": ",
                 *out ? "" : e);
        return -1;
    }
    if (drop_family(f, err, errlen) < 0) return -1;
    f->rep = db_connect_replication(f->conninfo, "antt-federation", e, sizeof e);
    if (!f->rep) {
        snprintf(err, errlen, "a replication connection to the province: %s", e);
        return -1;
    }
    snprintf(sql, sizeof sql, "CREATE_REPLICATION_SLOT %s LOGICAL pgoutput (SNAPSHOT 'export')",
             f->slot);
    PGresult *r = PQexec(f->rep, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) < 3) {
        db_result_error(r, f->rep, NULL, e, sizeof e);
        snprintf(err, errlen, "the new slot: %s", e);
        PQclear(r);
        return -1;
    }
    snprintf(lsn, lsncap, "%s", PQgetvalue(r, 0, 1));
    char snap[128];
    snprintf(snap, sizeof snap, "%s", PQgetvalue(r, 0, 2));
    PQclear(r);
    /* SET TRANSACTION SNAPSHOT takes a literal, not a parameter, and must
     * be the transaction's first statement: the name (hex digits and dashes,
     * as PostgreSQL makes them) is checked, then written in */
    if (!*snap || strspn(snap, "0123456789ABCDEFabcdef-") != strlen(snap)) {
        snprintf(err, errlen, "the new slot's snapshot has an unexpected name '%s'", snap);
        return -1;
    }
    snprintf(sql, sizeof sql,
             "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '%s'",
             snap);
    return step(f->p, "the province's snapshot", sql, 0, NULL, NULL, err, errlen);
}

/* Inside the subscriber's transaction: the subscription on the new slot,
 * enabled (its worker starts once the transaction commits). */
static int point_at_slot(fed_t *f, db_t *c, char *err, size_t errlen)
{
    char sql[160];
    snprintf(sql, sizeof sql, "ALTER SUBSCRIPTION %s SET (slot_name = '%s')", f->sub, f->slot);
    if (step(c, "the subscription's slot", sql, 0, NULL, NULL, err, errlen) < 0) return -1;
    snprintf(sql, sizeof sql, "ALTER SUBSCRIPTION %s ENABLE", f->sub);
    return step(c, "enabling the subscription", sql, 0, NULL, NULL, err, errlen);
}

/* The subscription's origin at the new slot's consistent point: its stream
 * starts where the snapshot ended. Last before COMMIT, because an origin's
 * move is written at once and a ROLLBACK does not take it back (a failed
 * resync leaves the subscription disabled and pending, and the next one sets
 * the origin again). */
static int origin_at(fed_t *f, db_t *c, const char *lsn, char *err, size_t errlen)
{
    const char *o[2] = {f->subid, lsn};
    return step(c, "the subscription's origin",
                "SELECT pg_replication_origin_advance('pg_' || $1, $2::pg_lsn)", 2, o, NULL, err,
                errlen);
}

/* After a failed resync: the slot made for it would be taken for a good one
 * by the next check, so it is dropped (the connection that holds it closed
 * first). */
static void drop_new_slot(fed_t *f)
{
    if (!f->rep || !f->p) return;
    char e[256];
    db_close(&f->rep);
    const char *s[1] = {f->slot};
    db_exec(f->p, "ROLLBACK", 0, NULL, NULL, NULL, e, sizeof e);
    for (int i = 0;
         i < 30 &&
         db_exec(f->p, "SELECT pg_drop_replication_slot($1)", 1, s, NULL, NULL, e, sizeof e) < 0 &&
         db_ok(f->p);
         i++)
        sleep_ms(100); /* its walsender is still going */
}

static int load(fed_t *f, db_t *m, const char *code, char *err, size_t errlen)
{
    char e[256], out[4096];
    if (!is_code(code, 2, 2)) {
        snprintf(err, errlen, "a province's code is two digits, not '%s'", code);
        return -1;
    }
    snprintf(f->code, sizeof f->code, "%s", code);
    snprintf(f->sub, sizeof f->sub, "antt_from_%s", code);
    snprintf(f->family, sizeof f->family, "%s", f->sub);
    const char *p[1] = {code};
    char n[4096];
    if (value(m, "SELECT conninfo FROM antt.federation_provinces WHERE code = $1", 1, p, out, e,
              sizeof e) < 0 ||
        value(m, "SELECT resyncs + 1 FROM antt.federation_provinces WHERE code = $1", 1, p, n, e,
              sizeof e) < 0) {
        snprintf(err, errlen, "the Ministry's provinces: %s", e);
        return -1;
    }
    /* each resync its own slot: a slot a failback or a killed resync left
     * on a province is never streamed from */
    snprintf(f->slot, sizeof f->slot, "%s_%.8s", f->sub, n);
    if (!*out) {
        snprintf(err, errlen, "province %s is not one of the Ministry's (anttd --federation-add)",
                 code);
        return -1;
    }
    snprintf(f->conninfo, sizeof f->conninfo, "%s", out);
    const char *s[1] = {f->sub};
    if (value(m,
              "SELECT oid::text FROM pg_subscription WHERE subname = $1"
              " AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
              1, s, f->subid, e, sizeof e) < 0) {
        snprintf(err, errlen, "the subscription: %s", e);
        return -1;
    }
    if (!f->subid[0]) {
        snprintf(err, errlen, "subscription %s is missing (anttd --federation-add %s=...)", f->sub,
                 code);
        return -1;
    }
    f->units = units_literal(m, code, err, errlen);
    return f->units ? 0 : -1;
}

static int lock(db_t *m, const char *code, int take, char *err, size_t errlen)
{
    const char *p[1] = {code};
    char out[4096], e[128];
    if (value(m,
              take ? "SELECT pg_try_advisory_lock(" FED_LOCK ", $1::int)"
                   : "SELECT pg_advisory_unlock(" FED_LOCK ", $1::int)",
              1, p, out, e, sizeof e) < 0) {
        snprintf(err, errlen, "the federation's lock: %s", e);
        return -1;
    }
    if (take && strcmp(out, "t") != 0) {
        snprintf(err, errlen, "province %s is being resynced or removed by another session", code);
        return FED_BUSY;
    }
    return 0;
}

int fed_resync(db_t *m, const char *code, fed_resync_t *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    fed_t f = {0};
    if (!is_code(code, 2, 2)) {
        snprintf(err, errlen, "a province's code is two digits, not '%s'", code);
        return -1;
    }
    const int locked = lock(m, code, 1, err, errlen);
    if (locked < 0) return locked;
    int rc = -1;
    char e[256];
    const char *c1[1] = {code};
    if (load(&f, m, code, err, errlen) < 0 ||
        /* said before anything changes: a resync that fails or is killed
         * from here on is taken up again by the Ministry's anttd */
        step(m, "the province's row",
             "UPDATE antt.federation_provinces SET resync_pending = true WHERE code = $1", 1, c1,
             NULL, err, errlen) < 0 ||
        stop_subscription(&f, m, err, errlen) < 0 ||
        new_slot(&f, "'antt_up_log', 'antt_up_state'", 2, "antt.federation_province()", r->lsn,
                 sizeof r->lsn, err, errlen) < 0)
        goto out;
    /* The Ministry's side in one transaction whose snapshot is taken now,
     * with nothing of the province moving any more. */
    if (step(m, "the Ministry's transaction", "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL,
             NULL, err, errlen) < 0)
        goto out;
    if (resync_figures(&f, m, r, err, errlen) < 0 || resync_events(&f, m, r, err, errlen) < 0 ||
        resync_cases(&f, m, r, err, errlen) < 0)
        goto rollback;
    char report[256];
    snprintf(report, sizeof report,
             "keys %ld, days %ld (%ld differing), events +%ld -%ld, case rows %ld", r->keys,
             r->days, r->days_differing, r->events_added, r->events_removed, r->cases);
    const char *u[3] = {code, r->lsn, report};
    if (point_at_slot(&f, m, err, errlen) < 0 ||
        step(m, "the province's row",
             "UPDATE antt.federation_provinces SET resynced_at = now(), resync_lsn = $2::pg_lsn,"
             " resyncs = resyncs + 1, last_report = $3, resync_pending = false WHERE code = $1",
             3, u, NULL, err, errlen) < 0 ||
        origin_at(&f, m, r->lsn, err, errlen) < 0 ||
        step(m, "the Ministry's commit", "COMMIT", 0, NULL, NULL, err, errlen) < 0)
        goto rollback;
    rc = 0;
    goto out;
rollback:
    db_exec(m, "ROLLBACK", 0, NULL, NULL, NULL, e, sizeof e);
out:
    if (rc < 0) drop_new_slot(&f);
    fed_free(&f);
    lock(m, code, 0, e, sizeof e);
    return rc;
}

int fed_add(db_t *m, const char *code, const char *roots, const char *conninfo, fed_resync_t *r,
            char *err, size_t errlen)
{
    if (!is_code(code, 2, 2)) {
        snprintf(err, errlen, "a province's code is two digits, not '%s'", code);
        return -1;
    }
    /* roots: "{code[,root...]}" with each a unit code */
    char arr[256];
    size_t n = (size_t)snprintf(arr, sizeof arr, "{%s", code);
    for (const char *s = roots && *roots ? roots : ""; *s;) {
        const char *c = strchr(s, ',');
        size_t len = c ? (size_t)(c - s) : strlen(s);
        char one[8];
        if (len == 0 || len >= sizeof one || n + len + 2 >= sizeof arr) {
            snprintf(err, errlen, "roots: unit codes separated by commas, not '%s'", roots);
            return -1;
        }
        memcpy(one, s, len);
        one[len] = '\0';
        if (!is_code(one, 2, 5)) {
            snprintf(err, errlen, "roots: '%s' is not a unit code", one);
            return -1;
        }
        if (strcmp(one, code) != 0) n += (size_t)snprintf(arr + n, sizeof arr - n, ",%s", one);
        s += len + (c != NULL);
    }
    snprintf(arr + n, sizeof arr - n, "}");
    const char *p[3] = {code, conninfo, arr};
    char out[4096], e[256], sub[32];
    snprintf(sub, sizeof sub, "antt_from_%s", code);
    /* every root a unit the Ministry knows, and no unit another province's:
     * the provinces' units partition the country (a resync replaces a
     * province's rows of its units) */
    if (value(m,
              "SELECT string_agg(r, ', ') FROM unnest($1::text[]) r"
              " WHERE NOT EXISTS (SELECT 1 FROM antt.units u WHERE u.code = r)",
              1, p + 2, out, e, sizeof e) < 0 ||
        *out) {
        snprintf(err, errlen, "roots unknown to the Ministry's units: %s", *out ? out : e);
        return -1;
    }
    const char *q[2] = {code, arr};
    if (value(m,
              "SELECT string_agg(DISTINCT f.code, ', ') FROM antt.federation_provinces f,"
              " unnest(f.roots) fr, antt.subtree(fr) s"
              " WHERE f.code <> $1 AND s IN (SELECT antt.subtree(x) FROM unnest($2::text[]) x)",
              2, q, out, e, sizeof e) < 0 ||
        *out) {
        snprintf(err, errlen, "units of these roots are province(s) %s's already: %s",
                 *out ? out : "?", *out ? "a unit belongs to one province" : e);
        return -1;
    }
    if (step(m, "the province's row",
             "INSERT INTO antt.federation_provinces (code, conninfo, roots)"
             " VALUES ($1, $2, $3::text[]) ON CONFLICT (code) DO UPDATE"
             " SET conninfo = EXCLUDED.conninfo, roots = EXCLUDED.roots",
             3, p, NULL, err, errlen) < 0)
        return -1;
    const char *s[2] = {sub, conninfo};
    if (value(m,
              "SELECT count(*) FROM pg_subscription WHERE subname = $1 AND subdbid ="
              " (SELECT oid FROM pg_database WHERE datname = current_database())",
              1, s, out, e, sizeof e) < 0) {
        snprintf(err, errlen, "the subscriptions: %s", e);
        return -1;
    }
    /* CREATE and ALTER SUBSCRIPTION take literals, not parameters */
    const char *fmt =
        !strcmp(out, "0")
            ? "SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L"
              " PUBLICATION antt_up_log, antt_up_state WITH (enabled = false,"
              " create_slot = false, slot_name = NONE, copy_data = false,"
              " synchronous_commit = ''on'')', $1::text, $2::text)"
            : "SELECT format('ALTER SUBSCRIPTION %I CONNECTION %L', $1::text, $2::text)";
    if (value(m, fmt, 2, s, out, e, sizeof e) < 0 ||
        step(m, "the subscription", out, 0, NULL, NULL, err, errlen) < 0)
        return -1;
    return fed_resync(m, code, r, err, errlen);
}

int fed_remove(db_t *m, const char *code, char *warn, size_t warnlen, char *err, size_t errlen)
{
    warn[0] = '\0';
    fed_t f = {0};
    if (!is_code(code, 2, 2)) {
        snprintf(err, errlen, "a province's code is two digits, not '%s'", code);
        return -1;
    }
    const int locked = lock(m, code, 1, err, errlen);
    if (locked < 0) return locked;
    int rc = -1;
    char sql[256], e[256];
    if (load(&f, m, code, err, errlen) < 0 || stop_subscription(&f, m, err, errlen) < 0) goto out;
    snprintf(sql, sizeof sql, "ALTER SUBSCRIPTION %s SET (slot_name = NONE)", f.sub);
    if (step(m, "detaching the slot", sql, 0, NULL, NULL, err, errlen) < 0) goto out;
    snprintf(sql, sizeof sql, "DROP SUBSCRIPTION %s", f.sub);
    const char *p[1] = {code};
    if (step(m, "dropping the subscription", sql, 0, NULL, NULL, err, errlen) < 0 ||
        step(m, "the province's row", "DELETE FROM antt.federation_provinces WHERE code = $1", 1, p,
             NULL, err, errlen) < 0)
        goto out;
    rc = 0;
    /* the province's slots keep its WAL until dropped: drop them if we can
     * (new_slot drops every idle one of the family, waiting for a walsender
     * that still holds one) */
    f.p = db_connect(f.conninfo, "antt-federation", e, sizeof e);
    if (!f.p) {
        snprintf(warn, warnlen,
                 "the slots of %s on the province were not dropped (%s): drop them there, or they"
                 " keep WAL",
                 f.sub, e);
    } else {
        if (drop_family(&f, e, sizeof e) < 0)
            snprintf(warn, warnlen,
                     "the slots of %s on the province were not dropped (%s): drop them there, or"
                     " they keep WAL",
                     f.sub, e);
    }
out:
    fed_free(&f);
    lock(m, code, 0, e, sizeof e);
    return rc;
}

/* ---- how the provinces' feeds are doing --------------------------------- */

typedef struct {
    fed_status_t *out;
    int cap, n;
} status_acc_t;

static double seconds_or(const char *v, double none)
{
    return v ? atof(v) : none;
}

static int status_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)names;
    status_acc_t *a = ctx;
    if (ncols < 9 || a->n == a->cap) return 0;
    fed_status_t *s = &a->out[a->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->code, sizeof s->code, "%s", v[0] ? v[0] : "");
    s->enabled = v[1] && v[1][0] == 't';
    s->streaming = v[2] && v[2][0] == 't';
    s->since_receipt_s = seconds_or(v[3], -1);
    s->lag_s = seconds_or(v[4], -1);
    s->since_applied_s = seconds_or(v[5], -1);
    s->batches = v[6] ? atoll(v[6]) : 0;
    s->resyncs = v[7] ? atoll(v[7]) : 0;
    s->conflicts = v[8] ? atoll(v[8]) : 0;
    return 0;
}

int fed_status(db_t *m, fed_status_t *out, int cap, char *err, size_t errlen)
{
    status_acc_t a = {out, cap, 0};
    if (db_rows(m,
                "SELECT f.code, coalesce(s.subenabled, false),"
                " st.pid IS NOT NULL AND st.last_msg_receipt_time IS NOT NULL,"
                " extract(epoch FROM now() - st.last_msg_receipt_time),"
                " extract(epoch FROM a.applied_at - a.batch_at),"
                " extract(epoch FROM now() - a.applied_at), a.batches, f.resyncs,"
                " (SELECT count(*) FROM antt.federation_conflicts c WHERE c.code = f.code)"
                " FROM antt.federation_provinces f"
                " LEFT JOIN pg_subscription s ON s.subname = 'antt_from_' || f.code"
                "  AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " LEFT JOIN pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL"
                " LEFT JOIN antt.federation_applied a ON a.code = f.code"
                " ORDER BY f.code",
                0, NULL, status_row, &a, err, errlen) < 0)
        return -1;
    return a.n;
}

int fed_slot_missing(db_t *m, const char *code, char *err, size_t errlen)
{
    fed_t f = {0};
    char e[256], out[4096], slot[4096], pending[4096];
    if (!is_code(code, 2, 2)) {
        snprintf(err, errlen, "a province's code is two digits, not '%s'", code);
        return -1;
    }
    const char *p[1] = {code};
    /* the slot the subscription streams from (NULL: none yet), and whether
     * a resync was begun and not finished */
    if (value(m, "SELECT conninfo FROM antt.federation_provinces WHERE code = $1", 1, p, f.conninfo,
              err, errlen) < 0 ||
        value(m,
              "SELECT s.subslotname FROM pg_subscription s WHERE s.subname = 'antt_from_' || $1"
              " AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
              1, p, slot, err, errlen) < 0 ||
        value(m, "SELECT resync_pending FROM antt.federation_provinces WHERE code = $1", 1, p,
              pending, err, errlen) < 0)
        return -1;
    if (!f.conninfo[0]) return 0;
    db_t *pc = db_connect(f.conninfo, "antt-federation", e, sizeof e);
    if (!pc) return 0; /* the link is down: wait */
    const char *s[1] = {slot};
    int rc = value(pc,
                   "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby'"
                   " WHEN EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1"
                   "  AND wal_status IS DISTINCT FROM 'lost') THEN 'slot' ELSE 'none' END",
                   1, s, out, err, errlen);
    db_close(&pc);
    if (rc < 0) return -1;
    if (!strcmp(out, "standby")) return 0; /* a failover under way: its next check */
    return !strcmp(out, "none") || !strcmp(pending, "t");
}

/* ---- the way down: the Ministry's reference data ------------------------ */

/* The tables the Ministry owns, as they are replaced on a province. */
static const char *const REFERENCE[] = {"antt.units",        "antt.unit_successors",
                                        "antt.crime_groups", "antt.unit_groups",
                                        "antt.days_off",     "antt.targets"};

int fed_reference(db_t *p, const char *code, const char *conninfo, fed_resync_t *r, char *err,
                  size_t errlen)
{
    memset(r, 0, sizeof *r);
    fed_t f = {0};
    char e[256], out[4096], sql[1024];
    if (!is_code(code, 2, 2)) {
        snprintf(err, errlen, "a province's code is two digits, not '%s'", code);
        return -1;
    }
    snprintf(f.code, sizeof f.code, "%s", code);
    snprintf(f.sub, sizeof f.sub, "antt_down");
    snprintf(f.family, sizeof f.family, "antt_down_%s", code);
    snprintf(f.slot, sizeof f.slot, "antt_down_%s", code);
    const int locked = lock(p, "0", 1, err, errlen);
    if (locked < 0) return locked;
    int rc = -1;
    if (conninfo && *conninfo) {
        snprintf(f.conninfo, sizeof f.conninfo, "%s", conninfo);
    } else if (value(p,
                     "SELECT subconninfo FROM pg_subscription WHERE subname = 'antt_down'"
                     " AND subdbid = (SELECT oid FROM pg_database"
                     " WHERE datname = current_database())",
                     0, NULL, f.conninfo, err, errlen) < 0) {
        goto out;
    }
    if (!f.conninfo[0]) {
        snprintf(err, errlen, "no Ministry to take the reference data from (CODE=CONNINFO)");
        goto out;
    }
    const char *s[3] = {f.sub, f.conninfo, f.slot};
    if (value(p,
              "SELECT count(*) FROM pg_subscription WHERE subname = $1 AND subdbid ="
              " (SELECT oid FROM pg_database WHERE datname = current_database())",
              1, s, out, e, sizeof e) < 0) {
        snprintf(err, errlen, "the subscriptions: %s", e);
        goto out;
    }
    const char *fmt =
        !strcmp(out, "0")
            ? "SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION antt_down"
              " WITH (enabled = false, create_slot = false, slot_name = %L, copy_data = false,"
              " synchronous_commit = ''on'')',"
              " $1::text, $2::text, $3::text)"
            : "SELECT format('ALTER SUBSCRIPTION %I CONNECTION %L', $1::text, $2::text)";
    if (value(p, fmt, !strcmp(out, "0") ? 3 : 2, s, out, e, sizeof e) < 0 ||
        step(p, "the subscription", out, 0, NULL, NULL, err, errlen) < 0 ||
        value(p,
              "SELECT oid::text FROM pg_subscription WHERE subname = $1 AND subdbid ="
              " (SELECT oid FROM pg_database WHERE datname = current_database())",
              1, s, f.subid, e, sizeof e) < 0)
        goto out;
    if (stop_subscription(&f, p, err, errlen) < 0 ||
        new_slot(&f, "'antt_down'", 1, "antt.federation_ministry()", r->lsn, sizeof r->lsn, err,
                 errlen) < 0)
        goto out;
    /* The province's tables replaced by the Ministry's at the slot's
     * snapshot, in one transaction: the statement triggers rebuild the
     * scopes and tell the daemons, as a load does. */
    if (step(p, "the province's transaction", "BEGIN", 0, NULL, NULL, err, errlen) < 0) goto out;
    for (size_t i = 0; i < sizeof REFERENCE / sizeof REFERENCE[0]; i++) {
        char cols[4096], in[4400];
        long n = 0;
        if (columns(p, REFERENCE[i], cols, e, sizeof e) < 0) {
            snprintf(err, errlen, "%s's columns: %s", REFERENCE[i], e);
            goto rollback;
        }
        snprintf(sql, sizeof sql, "DELETE FROM %s", REFERENCE[i]);
        if (step(p, REFERENCE[i], sql, 0, NULL, NULL, err, errlen) < 0) goto rollback;
        char *q = malloc(strlen(cols) + 128);
        if (!q) goto rollback;
        snprintf(q, strlen(cols) + 128, "COPY (SELECT %s FROM %s) TO STDOUT", cols, REFERENCE[i]);
        snprintf(in, sizeof in, "COPY %s (%s) FROM STDIN", REFERENCE[i], cols);
        const int c = copy_between(f.p, q, p, in, &n, err, errlen);
        free(q);
        if (c < 0) goto rollback;
        r->cases += n;
    }
    if (point_at_slot(&f, p, err, errlen) < 0 || origin_at(&f, p, r->lsn, err, errlen) < 0 ||
        step(p, "the province's commit", "COMMIT", 0, NULL, NULL, err, errlen) < 0)
        goto rollback;
    rc = 0;
    goto out;
rollback:
    db_exec(p, "ROLLBACK", 0, NULL, NULL, NULL, e, sizeof e);
out:
    if (rc < 0) drop_new_slot(&f);
    fed_free(&f);
    lock(p, "0", 0, e, sizeof e);
    return rc;
}

int fed_reference_owned(db_t *c, char *err, size_t errlen)
{
    char out[4096];
    if (value(c,
              "SELECT count(*) FROM pg_subscription WHERE subname = 'antt_down' AND subdbid ="
              " (SELECT oid FROM pg_database WHERE datname = current_database())",
              0, NULL, out, err, errlen) < 0)
        return -1;
    return atoi(out) > 0;
}

typedef struct {
    char slot[64], conninfo[4096];
    int rows, streaming;
} down_t;

static int down_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)names;
    down_t *d = ctx;
    if (ncols < 3 || d->rows++) return 0;
    snprintf(d->slot, sizeof d->slot, "%s", v[0] ? v[0] : "");
    snprintf(d->conninfo, sizeof d->conninfo, "%s", v[1] ? v[1] : "");
    d->streaming = v[2] && v[2][0] == 't';
    return 0;
}

int fed_reference_stalled(db_t *p, char code[8], char *err, size_t errlen)
{
    down_t d = {0};
    code[0] = '\0';
    if (db_rows(p,
                "SELECT s.subslotname, NULL, st.pid IS NOT NULL"
                " AND st.last_msg_receipt_time IS NOT NULL"
                " FROM pg_subscription s"
                " LEFT JOIN pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL"
                " WHERE s.subname = 'antt_down' AND s.subdbid ="
                "  (SELECT oid FROM pg_database WHERE datname = current_database())",
                0, NULL, down_row, &d, err, errlen) < 0)
        return -1;
    if (!d.rows || d.streaming) return 0;
    /* antt_down_<code>: the province's code is the slot's suffix */
    if (strncmp(d.slot, "antt_down_", 10) || !is_code(d.slot + 10, 2, 2)) return 2;
    /* the conninfo only now: reading it takes a superuser (the
     * subscription's owner), and a streaming feed needs none of it */
    if (value(p,
              "SELECT subconninfo FROM pg_subscription WHERE subname = 'antt_down' AND subdbid ="
              " (SELECT oid FROM pg_database WHERE datname = current_database())",
              0, NULL, d.conninfo, err, errlen) < 0)
        return -1;
    char e[256], out[4096];
    db_t *m = db_connect(d.conninfo, "antt-federation", e, sizeof e);
    if (!m) return 2; /* the Ministry unreachable: wait */
    const char *s[1] = {d.slot};
    const int rc = value(m,
                         "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby'"
                         " WHEN EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1"
                         "  AND wal_status IS DISTINCT FROM 'lost') THEN 'slot' ELSE 'none' END",
                         1, s, out, err, errlen);
    db_close(&m);
    if (rc < 0) return -1;
    if (strcmp(out, "none") != 0) return 2;
    snprintf(code, 8, "%s", d.slot + 10);
    return 1;
}

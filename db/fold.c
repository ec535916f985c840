/* fold.c — see fold.h. */
#include "db/fold.h"

#include "db/pgcopy.h"
#include "db/rollup.h"
#include "db/tallylog.h"
#include "db/tallymap.h"
#include "rules/ledger.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FOLD_LOCK "7720003" /* pg_try_advisory_lock key: the folder */

int fold_session(db_t *c, char *err, size_t errlen)
{
    return db_exec(c, "SET TIME ZONE 'UTC'; SET antt.store_rolls = on", 0, NULL, NULL, NULL, err,
                   errlen);
}

/* One text value of a one-row answer into a uint64. */
typedef struct {
    uint64_t v[2];
    int got;
} two_t;

static int two_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)names;
    two_t *t = ctx;
    for (int i = 0; i < ncols && i < 2; i++)
        t->v[i] = v[i] ? strtoull(v[i], NULL, 10) : 0;
    t->got = 1;
    return 0;
}

// clang-format off
/* The window's sums: $1 pos, $2 x (xid8 as text). Keys summed over the
 * window's rows (a key whose deltas cancel out is left alone), written in
 * one order so that a folder and any other writer take row locks alike. Each
 * key's era is the rank of the unit version it falls in among the window's
 * versions of that code; only codes the 2025 map reused have more than one
 * version, and only theirs are looked up: antt.unit_on for every key was a
 * third of the statement's time (25 of 78 ms for a window of 1,181 keys at
 * 5,000 events/s). */
#define SQL_FOLD_WINDOW                                                                          \
    "WITH s AS (SELECT t.unit, t.day, t.metric, t.grp, t.severity, sum(t.value)::int8 AS value"   \
    "  FROM antt.fold_input f,"                                                                  \
    "   unnest(f.units, f.days, f.metrics, f.grps, f.severities, f.vals)"                        \
    "    AS t(unit, day, metric, grp, severity, value)"                                          \
    "  WHERE f.txid >= $1::xid8 AND f.txid < $2::xid8"                                           \
    "  GROUP BY 1, 2, 3, 4, 5 HAVING sum(t.value) <> 0),"                                        \
    " d AS (INSERT INTO antt.tallies AS t (unit, day, metric, grp, severity, value)"             \
    "  SELECT * FROM s ORDER BY unit COLLATE \"C\", day, metric COLLATE \"C\","                  \
    "   grp COLLATE \"C\", severity COLLATE \"C\""                                               \
    "  ON CONFLICT (unit, day, metric, grp, severity)"                                           \
    "  DO UPDATE SET value = t.value + EXCLUDED.value),"                                          \
    " m AS (" ROLL_UP("tallies_month", "month", "month") "),"                                    \
    " b AS (" ROLL_BEFORE "),"                                                                   \
    " y AS (" ROLL_UP("tallies_year", "year", "year") ")"                                        \
    " SELECT unit, day - date '1970-01-01', metric, grp, severity, value,"                       \
    "  dense_rank() OVER (PARTITION BY unit ORDER BY CASE WHEN unit IN (SELECT code"              \
    "   FROM antt.units GROUP BY code HAVING count(*) > 1)"                                       \
    "   THEN coalesce((antt.unit_on(unit, day)).valid_from, '-infinity'::date) END) FROM s"
/* How each station is doing, from the window's batches: $1 pos, $2 x. Its
 * last message is its last batch's, its day's events those of the window's
 * last day (Hanoi) for it; a gap is a sequence number missing from what it
 * sent, within the window or against what came before. */
#define SQL_FOLD_NODES                                                                           \
    "INSERT INTO antt.node_status AS s (node_id, last_message_at, seq_min, seq_max, seq_seen,"   \
    " events_total, day, events_day, last_gap_at)"                                               \
    " SELECT n, max(at), min(mn), max(mx), sum(c), sum(c), max(md),"                            \
    "  sum(c) FILTER (WHERE d = md),"                                                            \
    "  CASE WHEN max(mx)::numeric - min(mn) + 1 > sum(c) THEN max(at) END"                       \
    " FROM (SELECT x.n, f.at, x.mn, x.mx, x.c, (f.at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS d," \
    "  max((f.at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date) OVER (PARTITION BY x.n) AS md"          \
    "  FROM antt.fold_input f,"                                                                  \
    "   unnest(f.nodes, f.node_seq_min, f.node_seq_max, f.node_events) AS x(n, mn, mx, c)"       \
    "  WHERE f.txid >= $1::xid8 AND f.txid < $2::xid8 AND cardinality(f.nodes) > 0) r"           \
    " WHERE EXISTS (SELECT 1 FROM antt.nodes d WHERE d.node_id = r.n)"                           \
    " GROUP BY n ORDER BY n COLLATE \"C\""                                                       \
    " ON CONFLICT (node_id) DO UPDATE SET last_message_at = EXCLUDED.last_message_at,"           \
    "  seq_min = least(s.seq_min, EXCLUDED.seq_min),"                                            \
    "  seq_max = greatest(s.seq_max, EXCLUDED.seq_max),"                                         \
    "  seq_seen = s.seq_seen + EXCLUDED.seq_seen,"                                               \
    "  events_total = s.events_total + EXCLUDED.events_total,"                                   \
    "  events_day = CASE WHEN s.day = EXCLUDED.day THEN s.events_day + EXCLUDED.events_day"      \
    "   ELSE EXCLUDED.events_day END, day = EXCLUDED.day,"                                       \
    "  last_gap_at = CASE WHEN greatest(s.seq_max, EXCLUDED.seq_max)::numeric"                   \
    "   - least(s.seq_min, EXCLUDED.seq_min) + 1 - s.seq_seen - EXCLUDED.seq_seen > s.missing"   \
    "   THEN EXCLUDED.last_message_at ELSE s.last_gap_at END"
#define SQL_FOLD_ROWS                                                                            \
    "SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(at)) * 1e6, 0)::int8"  \
    " FROM antt.fold_input WHERE txid >= $1::xid8 AND txid < $2::xid8"
#define SQL_FOLD_MOVE                                                                            \
    "UPDATE antt.fold_state SET pos = $1::xid8, windows = windows + 1,"                         \
    " rows_folded = rows_folded + $2::int8, folded_at = now() RETURNING pos::text, windows"
// clang-format on

/* The window's sums, as the tally log takes them: one map per era of a
 * unit code (m[0] every unit's oldest era in the window, m[1] the next era
 * of a code the 2025 map reused, ...), so that each era's deltas reach the
 * stream in a message of their own, under that era's topic. */
#define FOLD_ERAS 4
typedef struct {
    tallymap_t m[FOLD_ERAS];
    /* Units with a row the stream cannot carry (a metric this build does
     * not know, during an upgrade; more eras than FOLD_ERAS): the figures
     * take the row all the same (it is summed in SQL); the stream's
     * message for the unit lacks it, so the unit's version is raised once
     * more after it, and subscribers see a gap and take a snapshot. */
    char skipped[16][LEDGER_UNIT_CAP];
    int nskipped, overflow;
} sums_t;

static int metric_of(const char *name)
{
    for (int i = 0; i < M_COUNT; i++)
        if (!strcmp(ledger_metric_name((metric_t)i), name)) return i;
    return -1;
}

static int sum_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)names;
    sums_t *s = ctx;
    tally_key_t k;
    memset(&k, 0, sizeof k); /* the key is hashed whole, padding included */
    if (ncols != 7) return -1;
    const int metric = metric_of(v[2]);
    const long era = strtol(v[6], NULL, 10);
    const int sev = ev_enum_parse(&EV_SEVERITIES, v[4], strlen(v[4]));
    if (metric < 0 || sev < 0 || era < 1 || era > FOLD_ERAS || strlen(v[0]) >= sizeof k.unit ||
        strlen(v[3]) >= sizeof k.grp) {
        int known = 0;
        for (int i = 0; i < s->nskipped; i++)
            known |= !strcmp(s->skipped[i], v[0]);
        if (!known && s->nskipped < 16 && strlen(v[0]) < sizeof s->skipped[0])
            snprintf(s->skipped[s->nskipped++], sizeof s->skipped[0], "%s", v[0]);
        else if (!known)
            s->overflow = 1;
        return 0;
    }
    memcpy(k.unit, v[0], strlen(v[0]) + 1);
    k.day = (int32_t)strtol(v[1], NULL, 10);
    k.metric = (metric_t)metric;
    memcpy(k.grp, v[3], strlen(v[3]) + 1);
    k.severity = (ev_severity_t)sev;
    tallymap_add(&s->m[era - 1], &k, strtoll(v[5], NULL, 10));
    return 0;
}

void fold_window_clear(fold_window_t *w)
{
    free(w->content);
    w->content = NULL;
    w->content_len = 0;
}

/* The units' versions bumped for an era's deltas, and what the stream
 * publishes for them appended to w's content. 0, or -1 with err. */
static int write_log(db_t *c, const tallymap_t *m, fold_window_t *w, char *err, size_t errlen)
{
    tallylog_t log = {0};
    pgcopy_t arr = {0};
    size_t off[2], len[2];
    int rc = -1;
    const int units = tallylog_params(&log, m, &arr, off, len);
    if (units == 0) {
        rc = 0;
    } else if (units < 0) {
        snprintf(err, errlen, "out of memory writing the tally log");
    } else {
        const char *values[2] = {(const char *)arr.p + off[0], (const char *)arr.p + off[1]};
        const int lengths[2] = {(int)len[0], (int)len[1]}, formats[2] = {1, 1};
        PGresult *r = PQexecParams(c, TALLYLOG_SQL, 2, NULL, values, lengths, formats, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
            db_result_error(r, c, NULL, err, errlen);
        } else {
            const size_t n = (size_t)PQgetlength(r, 0, 0);
            uint8_t *p = realloc(w->content, w->content_len + n + 1);
            if (!p) {
                snprintf(err, errlen, "out of memory keeping the window's deltas");
            } else {
                memcpy(p + w->content_len, PQgetvalue(r, 0, 0), n);
                w->content = p;
                w->content_len += n;
                rc = 0;
            }
        }
        PQclear(r);
    }
    tallylog_free(&log);
    pgcopy_free(&arr);
    return rc;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* End the window's transaction without keeping anything; rc passes on. */
static int fail(db_t *c, int rc)
{
    char e[256];
    db_exec(c, "ROLLBACK", 0, NULL, NULL, NULL, e, sizeof e);
    return rc;
}

/* The units the stream could not carry whole, raised once more (every unit
 * when there were too many to list): subscribers see their gap. */
static int bump_versions(db_t *c, const sums_t *s, char *err, size_t errlen)
{
    if (s->overflow)
        return db_exec(c, "UPDATE antt.unit_versions SET version = version + 1", 0, NULL, NULL,
                       NULL, err, errlen);
    for (int i = 0; i < s->nskipped; i++) {
        const char *p[1] = {s->skipped[i]};
        if (db_exec(c,
                    "INSERT INTO antt.unit_versions AS u (unit, version) VALUES ($1, 1)"
                    " ON CONFLICT (unit) DO UPDATE SET version = u.version + 1",
                    1, p, NULL, NULL, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* The window's content kept under its number, for a takeover to publish
 * again. 0, or -1 with err. */
static int keep_window(db_t *c, uint64_t win, const fold_window_t *w, char *err, size_t errlen)
{
    if (!w->content_len) return 0;
    char n[24];
    snprintf(n, sizeof n, "%" PRIu64, win);
    const char *values[2] = {n, (const char *)w->content};
    const int lengths[2] = {0, (int)w->content_len}, formats[2] = {0, 1};
    PGresult *r = PQexecParams(c, "INSERT INTO antt.fold_windows (win, content) VALUES ($1, $2)", 2,
                               NULL, values, lengths, formats, 0);
    const int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) db_result_error(r, c, NULL, err, errlen);
    PQclear(r);
    return ok ? 0 : -1;
}

int fold_once(db_t *c, fold_window_t *w, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    /* The snapshot first, outside the window's transaction: once that has
     * an id (the row lock below gives it one) it would hold xmin itself. */
    two_t x = {0};
    if (db_rows(c, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text", 0, NULL, two_row, &x,
                err, errlen) < 0)
        return -1;
    if (!x.got) {
        snprintf(err, errlen, "no snapshot");
        return -1;
    }
    if (db_exec(c, "BEGIN", 0, NULL, NULL, NULL, err, errlen) < 0) return -1;
    two_t st = {0};
    if (db_rows(c, "SELECT pos::text, windows FROM antt.fold_state FOR UPDATE", 0, NULL, two_row,
                &st, err, errlen) < 0)
        return fail(c, -1);
    if (!st.got) {
        snprintf(err, errlen, "antt.fold_state has no row (migration 018)");
        return fail(c, -1);
    }
    w->pos = st.v[0];
    w->windows = st.v[1];
    if (x.v[0] <= st.v[0]) /* nothing has ended since (or another folder took it) */
        return fail(c, 0);
    char a[24], b[24];
    snprintf(a, sizeof a, "%" PRIu64, st.v[0]);
    snprintf(b, sizeof b, "%" PRIu64, x.v[0]);
    const char *p[2] = {a, b};
    two_t n = {0};
    if (db_rows(c, SQL_FOLD_ROWS, 2, p, two_row, &n, err, errlen) < 0) return fail(c, -1);
    /* Nothing to fold: pos stays (a window with no rows would commit, and
     * replicate, twenty times a second for nothing; its own id would move
     * xmin on, so the fold would never be idle). */
    if (!n.v[0]) return fail(c, 0);
    const int64_t asked = now_us(); /* the lag is counted to the COMMIT */
    sums_t sums = {0};
    int rc = db_rows(c, SQL_FOLD_WINDOW, 2, p, sum_row, &sums, err, errlen);
    if (rc == 0) rc = db_exec(c, SQL_FOLD_NODES, 2, p, NULL, NULL, err, errlen);
    long keys = 0;
    for (int e = 0; e < FOLD_ERAS; e++) {
        if (rc == 0 && sums.m[e].oom) {
            snprintf(err, errlen, "out of memory summing the window");
            rc = -1;
        }
        if (rc == 0) rc = write_log(c, &sums.m[e], w, err, errlen); /* older eras first */
        keys += (long)sums.m[e].n;
        tallymap_free(&sums.m[e]);
    }
    if (rc == 0 && (sums.nskipped || sums.overflow)) {
        rc = bump_versions(c, &sums, err, errlen);
        w->unpublished = sums.overflow ? -1 : sums.nskipped;
    }
    if (rc < 0) {
        fold_window_clear(w);
        return fail(c, -1);
    }
    char rows[24];
    snprintf(rows, sizeof rows, "%" PRIu64, n.v[0]);
    const char *q[2] = {b, rows};
    two_t moved = {0};
    if (db_rows(c, SQL_FOLD_MOVE, 2, q, two_row, &moved, err, errlen) < 0 ||
        keep_window(c, moved.v[1], w, err, errlen) < 0 ||
        db_exec(c, "COMMIT", 0, NULL, NULL, NULL, err, errlen) < 0) {
        fold_window_clear(w);
        return fail(c, -1);
    }
    w->pos = moved.v[0];
    w->windows = moved.v[1];
    w->rows = (long)n.v[0];
    w->lag_us = (int64_t)n.v[1] + (now_us() - asked);
    w->keys = keys;
    return 1;
}

static int bool_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)names;
    *(int *)ctx = ncols > 0 && v[0] && v[0][0] == 't';
    return 0;
}

/* Whether every batch below target (an xid8, text) is folded. */
static int caught_up(db_t *c, const char *target, int *done, char *err, size_t errlen)
{
    const char *p[1] = {target};
    return db_rows(c,
                   "SELECT NOT EXISTS (SELECT 1 FROM antt.fold_input f"
                   " WHERE f.txid >= (SELECT pos FROM antt.fold_state) AND f.txid < $1::xid8)",
                   1, p, bool_row, done, err, errlen);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fold_catch_up(db_t *c, int max_ms, fold_window_fn fn, void *ctx, char *err, size_t errlen)
{
    if (db_exec(c, "SET antt.store_rolls = on", 0, NULL, NULL, NULL, err, errlen) < 0) return -1;
    const int64_t deadline = now_ms() + max_ms;
    /* what was committed when asked: batches committed later (another
     * daemon goes on acking) are not waited for */
    two_t t = {0};
    if (db_rows(c, "SELECT pg_snapshot_xmax(pg_current_snapshot())::text", 0, NULL, two_row, &t,
                err, errlen) < 0)
        return -1;
    char target[24];
    snprintf(target, sizeof target, "%" PRIu64, t.v[0]);
    int done = 0, rc = 0;
    while (rc == 0) {
        fold_window_t w = {0};
        if (caught_up(c, target, &done, err, errlen) < 0) {
            rc = -1;
        } else if (done) {
            rc = 1;
        } else if (now_ms() > deadline) {
            break; /* 0: not caught up in time */
        } else if (fold_once(c, &w, err, errlen) < 0) {
            rc = -1;
        } else if (!w.rows) { /* held back by a transaction: wait a little */
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        } else if (fn && w.content_len) {
            fn(ctx, w.windows, w.content, w.content_len);
        }
        fold_window_clear(&w);
    }
    char e[256];
    if (db_exec(c, "RESET antt.store_rolls", 0, NULL, NULL, NULL, e, sizeof e) < 0 && rc >= 0) {
        snprintf(err, errlen, "%s", e);
        rc = -1;
    }
    return rc;
}

typedef struct {
    int fresh;
    char *as_of;
    size_t cap;
    double behind;
} fresh_t;

static int fresh_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)names;
    fresh_t *f = ctx;
    if (ncols < 3) return 0;
    f->fresh = v[0] && v[0][0] == 't';
    snprintf(f->as_of, f->cap, "%s", v[1] ? v[1] : "never");
    f->behind = v[2] ? strtod(v[2], NULL) : 0;
    return 0;
}

int fold_fresh(db_t *c, int max_ms, char *as_of, size_t cap, double *behind_s, char *err,
               size_t errlen)
{
    char ms[16];
    snprintf(ms, sizeof ms, "%d", max_ms);
    const char *p[1] = {ms};
    fresh_t f = {0, as_of, cap, 0};
    if (db_rows(c,
                "SELECT antt.fold_wait($1::int), to_char(folded_at AT TIME ZONE"
                " 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD HH24:MI:SS') || ' +07:00',"
                " extract(epoch FROM clock_timestamp() - folded_at) FROM antt.fold_state",
                1, p, fresh_row, &f, err, errlen) < 0)
        return -1;
    *behind_s = f.behind;
    return f.fresh;
}

int fold_windows(db_t *c, uint64_t *windows, char *err, size_t errlen)
{
    two_t w = {0};
    if (db_rows(c, "SELECT windows FROM antt.fold_state", 0, NULL, two_row, &w, err, errlen) < 0)
        return -1;
    *windows = w.v[0];
    return 0;
}

int fold_behind(db_t *c, int64_t *us, char *err, size_t errlen)
{
    two_t b = {0};
    if (db_rows(c,
                "SELECT coalesce(extract(epoch FROM clock_timestamp() - min(at)) * 1e6, 0)::int8"
                " FROM antt.fold_input WHERE txid >= (SELECT pos FROM antt.fold_state)",
                0, NULL, two_row, &b, err, errlen) < 0)
        return -1;
    *us = (int64_t)b.v[0];
    return 0;
}

int fold_epoch(db_t *c, int renew, uint64_t *epoch, char *err, size_t errlen)
{
    two_t e = {0};
    if (renew && db_rows(c,
                         "UPDATE antt.stream_state SET epoch = (random() * 9.2e18)::bigint"
                         " RETURNING epoch",
                         0, NULL, two_row, &e, err, errlen) < 0)
        return -1;
    if (!e.got && db_rows(c,
                          "WITH i AS (INSERT INTO antt.stream_state (epoch)"
                          " VALUES ((random() * 9.2e18)::bigint) ON CONFLICT (one) DO NOTHING"
                          " RETURNING epoch) SELECT epoch FROM i UNION ALL"
                          " SELECT epoch FROM antt.stream_state LIMIT 1",
                          0, NULL, two_row, &e, err, errlen) < 0)
        return -1;
    if (!e.got) {
        snprintf(err, errlen, "antt.stream_state has no epoch");
        return -1;
    }
    *epoch = e.v[0];
    return 0;
}

long fold_republish(db_t *c, uint64_t after, fold_window_fn fn, void *ctx, char *err, size_t errlen)
{
    char a[24], lim[16], age[16];
    snprintf(a, sizeof a, "%" PRIu64, after);
    snprintf(lim, sizeof lim, "%d", FOLD_REPUBLISH_MAX);
    snprintf(age, sizeof age, "%d", FOLD_REPUBLISH_S);
    const char *p[3] = {a, lim, age};
    /* The newest ones, oldest first. */
    PGresult *r =
        PQexecParams(c,
                     "SELECT win, content FROM (SELECT win, content FROM antt.fold_windows"
                     " WHERE CASE WHEN $1::int8 > 0 THEN win > $1::int8"
                     "  ELSE committed_at > (SELECT max(committed_at) FROM antt.fold_windows)"
                     "   - make_interval(secs => $3::int) END"
                     " ORDER BY win DESC LIMIT $2::int) w ORDER BY win",
                     3, NULL, p, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        db_result_error(r, c, NULL, err, errlen);
        PQclear(r);
        return -1;
    }
    const int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        if (PQgetlength(r, i, 0) != 8) continue;
        uint64_t win = 0;
        const uint8_t *b = (const uint8_t *)PQgetvalue(r, i, 0);
        for (int k = 0; k < 8; k++)
            win = win << 8 | b[k];
        fn(ctx, win, (const uint8_t *)PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1));
    }
    PQclear(r);
    return n;
}

int fold_settle(db_t *c, int max_ms, char *err, size_t errlen)
{
    const int held = fold_lead(c, err, errlen);
    if (held < 0) return -1;
    if (!held) { /* a daemon folds: wait for it */
        char as_of[64];
        double behind;
        return fold_fresh(c, max_ms, as_of, sizeof as_of, &behind, err, errlen);
    }
    const int rc = fold_catch_up(c, max_ms, NULL, NULL, err, errlen);
    char e[128];
    int released = 0;
    db_rows(c, "SELECT pg_advisory_unlock(" FOLD_LOCK ")", 0, NULL, bool_row, &released, e,
            sizeof e);
    return rc;
}

void fold_forget_slot(db_t *c)
{
    char e[256];
    db_exec(c,
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
            " WHERE slot_name = 'antt_' || left(regexp_replace(lower(current_database()),"
            " '[^a-z0-9_]', '_', 'g'), 58) AND database = current_database() AND NOT active",
            0, NULL, NULL, NULL, e, sizeof e);
}

int fold_lead(db_t *c, char *err, size_t errlen)
{
    int held = 0;
    if (db_rows(c, "SELECT pg_try_advisory_lock(" FOLD_LOCK ")", 0, NULL, bool_row, &held, err,
                errlen) < 0)
        return -1;
    return held;
}

long fold_trim(db_t *c, long limit, char *err, size_t errlen)
{
    char l[24];
    snprintf(l, sizeof l, "%ld", limit);
    const char *p[1] = {l};
    long n = 0;
    if (db_exec(c,
                "DELETE FROM antt.fold_input WHERE ctid = ANY (ARRAY(SELECT ctid FROM"
                " antt.fold_input WHERE txid < (SELECT pos FROM antt.fold_state) LIMIT $1::int8))",
                1, p, &n, NULL, err, errlen) < 0)
        return -1;
    char keep[16];
    snprintf(keep, sizeof keep, "%d", FOLD_KEEP_WINDOWS_S);
    const char *k[1] = {keep};
    if (db_exec(c,
                "DELETE FROM antt.fold_windows WHERE committed_at < now()"
                " - make_interval(secs => $1::int)",
                1, k, NULL, NULL, err, errlen) < 0)
        return -1;
    return n;
}

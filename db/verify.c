/* verify.c — see verify.h. */
#include "db/verify.h"

#include <libpq-fe.h>

#include "db/store.h"
#include "db/tallymap.h"
#include "proto/decode.h"
#include "proto/err.h"
#include "proto/ts.h"
#include "proto/uuid.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char unit[LEDGER_UNIT_CAP];
    char ref[ANTT_MAX_REF_BYTES + 1];
    int seen;
    union {
        inc_state_t inc;
        tip_state_t tip;
        wanted_state_t wnt;
    } st;
} stored_t;

typedef struct {
    stored_t *v;
    size_t n;
} stored_list_t;

/* A case's replayed state. */
typedef union {
    inc_state_t inc;
    tip_state_t tip;
    wanted_state_t wnt;
} replayed_t;

/* The stored cases of each kind: incidents, tip-offs, wanted notices. */
static const char *const KIND_WORD[CASE_KINDS] = {"incident", "tipoff", "wanted notice"};

/* A case whose replayed state differs from its row, kept for --repair. */
typedef struct {
    case_kind_t kind; /* CASE_INCIDENT, CASE_TIPOFF or CASE_WANTED */
    char unit[LEDGER_UNIT_CAP];
    char ref[ANTT_MAX_REF_BYTES + 1];
    replayed_t st;
} fix_t;

typedef struct {
    FILE *out;
    long diffs;
    long events, cases;
    long structural; /* rows without events, events without rows: not repairable */
    int repair;
    fix_t *fixes;
    size_t nfix, capfix;
    int oom;
} run_t;

static void diff(run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void diff(run_t *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("DIFF ", r->out);
    vfprintf(r->out, fmt, ap);
    fputc('\n', r->out);
    va_end(ap);
    r->diffs++;
}

static int load_states(PGconn *c, const char *sql, case_kind_t kind, stored_list_t *l, char *err,
                       size_t errlen)
{
    PGresult *res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    l->n = (size_t)PQntuples(res);
    l->v = calloc(l->n + 1, sizeof *l->v);
    if (!l->v) {
        PQclear(res);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < l->n; i++) {
        stored_t *s = &l->v[i];
        snprintf(s->unit, sizeof s->unit, "%s", PQgetvalue(res, (int)i, 0));
        snprintf(s->ref, sizeof s->ref, "%s", PQgetvalue(res, (int)i, 1));
        const char *v[14];
        for (int col = 0; col < 14 && col < PQnfields(res); col++)
            v[col] = PQgetvalue(res, (int)i, col);
        if (kind == CASE_INCIDENT)
            store_row_incident(v, &s->st.inc);
        else if (kind == CASE_WANTED)
            store_row_wanted(v, &s->st.wnt);
        else
            store_row_tipoff(v, &s->st.tip);
    }
    PQclear(res);
    return 0;
}

static int cmp_stored(const void *a, const void *b)
{
    const stored_t *x = a, *y = b;
    int c = strcmp(x->unit, y->unit);
    return c ? c : strcmp(x->ref, y->ref);
}

static stored_t *find(stored_list_t *l, const char *unit, const char *ref)
{
    stored_t key;
    snprintf(key.unit, sizeof key.unit, "%s", unit);
    snprintf(key.ref, sizeof key.ref, "%s", ref);
    return bsearch(&key, l->v, l->n, sizeof *l->v, cmp_stored);
}

#define CMP(field)                                                                                 \
    if (a->field != b->field)                                                                      \
    diff(r, "%s %s/%s: " #field " stored=%lld replayed=%lld", what, unit, ref,                     \
         (long long)a->field, (long long)b->field)
#define CMPS(field)                                                                                \
    if (strcmp(a->field, b->field))                                                                \
    diff(r, "%s %s/%s: " #field " stored=%s replayed=%s", what, unit, ref, a->field, b->field)

static void compare_inc(run_t *r, const char *unit, const char *ref, const inc_state_t *a,
                        const inc_state_t *b)
{
    const char *what = "incident";
    CMPS(grp);
    CMP(severity);
    CMP(occurred_us);
    CMPS(occurred_unit);
    CMP(deaths);
    CMP(injuries);
    CMP(cleared_us);
    CMP(suspects);
    CMP(voided_us);
    CMP(version);
    CMPS(cleared_unit);
    if (memcmp(a->report_id, b->report_id, 16))
        diff(r, "incident %s/%s: report_id differs", unit, ref);
}

static void compare_tip(run_t *r, const char *unit, const char *ref, const tip_state_t *a,
                        const tip_state_t *b)
{
    const char *what = "tipoff";
    CMP(kind);
    CMP(source);
    CMPS(grp);
    CMP(received_us);
    /* A decided tip-off's deadline is the one that applied while it was
     * pending, counted under the rules then in force (a calendar loaded or a
     * setting changed since recomputes the pending ones only): compared for
     * the pending ones. */
    if (a->status == TIP_PENDING || b->status == TIP_PENDING) CMP(deadline_us);
    CMP(complex_extended);
    CMP(procuracy_extended);
    CMP(status);
    CMP(outcome);
    CMP(resolved_us);
    CMP(version);
    if (memcmp(a->report_id, b->report_id, 16))
        diff(r, "tipoff %s/%s: report_id differs", unit, ref);
}

static void compare_wanted(run_t *r, const char *unit, const char *ref, const wanted_state_t *a,
                           const wanted_state_t *b)
{
    const char *what = "wanted notice";
    CMP(status);
    CMPS(unit);
    CMP(how);
    CMP(category);
    CMP(at_us);
    CMP(version);
    if (memcmp(a->report_id, b->report_id, 16))
        diff(r, "wanted notice %s/%s: report_id differs", unit, ref);
}

/* The replayed state of one case is complete: compare it with the table. */
static void finish_case(run_t *r, case_kind_t kind, const char *unit, const char *ref,
                        const replayed_t *st, stored_list_t *lists)
{
    r->cases++;
    const case_kind_t k = kind;
    int replayed_exists = k == CASE_INCIDENT ? st->inc.exists
                          : k == CASE_TIPOFF ? st->tip.exists
                                             : st->wnt.exists;
    stored_t *s = find(&lists[k], unit, ref);
    if (!s) {
        if (replayed_exists) {
            diff(r, "%s %s/%s: in the event log, missing from its table", KIND_WORD[k], unit, ref);
            r->structural++;
        }
        return;
    }
    s->seen = 1;
    const long before = r->diffs;
    if (k == CASE_INCIDENT)
        compare_inc(r, unit, ref, &s->st.inc, &st->inc);
    else if (k == CASE_TIPOFF)
        compare_tip(r, unit, ref, &s->st.tip, &st->tip);
    else
        compare_wanted(r, unit, ref, &s->st.wnt, &st->wnt);
    if (r->repair && r->diffs > before) {
        if (r->nfix == r->capfix) {
            size_t cap = r->capfix ? r->capfix * 2 : 64;
            fix_t *f = realloc(r->fixes, cap * sizeof *f);
            if (!f) {
                r->oom = 1;
                return;
            }
            r->fixes = f;
            r->capfix = cap;
        }
        fix_t *f = &r->fixes[r->nfix++];
        f->kind = kind;
        snprintf(f->unit, sizeof f->unit, "%s", unit);
        snprintf(f->ref, sizeof f->ref, "%s", ref);
        f->st = *st;
    }
}

static int parse_metric(const char *s)
{
    for (int m = 0; m < M_COUNT; m++)
        if (!strcmp(ledger_metric_name((metric_t)m), s)) return m;
    return -1;
}

// clang-format off
/* The tallies, and the deltas committed but not yet folded (antt.fold_input
 * from the fold's position on, as this snapshot sees both): what the
 * figures are once the fold has caught up. */
#define SQL_VERIFY_TALLIES                                                                       \
    "SELECT unit, day - date '1970-01-01', metric, grp, severity, sum(value)::int8 FROM ("       \
    " SELECT unit, day, metric, grp, severity, value FROM antt.tallies"                          \
    " UNION ALL SELECT t.unit, t.day, t.metric, t.grp, t.severity, t.value"                      \
    "  FROM antt.fold_input f,"                                                                  \
    "   unnest(f.units, f.days, f.metrics, f.grps, f.severities, f.vals)"                        \
    "    AS t(unit, day, metric, grp, severity, value)"                                          \
    "  WHERE f.txid >= (SELECT pos FROM antt.fold_state)) a"                                     \
    " GROUP BY unit, day, metric, grp, severity"
// clang-format on

static int compare_tallies(PGconn *c, run_t *r, tallymap_t *tm, char *err, size_t errlen)
{
    PGresult *res = PQexec(c, SQL_VERIFY_TALLIES);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    uint8_t *visited = calloc(tm->n + 1, 1);
    if (!visited) {
        PQclear(res);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int row = 0; row < PQntuples(res); row++) {
        tally_key_t k;
        memset(&k, 0, sizeof k);
        snprintf(k.unit, sizeof k.unit, "%s", PQgetvalue(res, row, 0));
        k.day = (int32_t)atol(PQgetvalue(res, row, 1));
        int m = parse_metric(PQgetvalue(res, row, 2));
        snprintf(k.grp, sizeof k.grp, "%s", PQgetvalue(res, row, 3));
        const char *sev = PQgetvalue(res, row, 4);
        k.severity = (ev_severity_t)ev_enum_parse(&EV_SEVERITIES, sev, strlen(sev));
        long long stored = atoll(PQgetvalue(res, row, 5));
        if (m < 0) {
            diff(r, "tally %s day %s: unknown metric %s", k.unit, PQgetvalue(res, row, 1),
                 PQgetvalue(res, row, 2));
            continue;
        }
        k.metric = (metric_t)m;
        tally_t *t = tallymap_get(tm, &k);
        long long replayed = t ? (long long)t->value : 0;
        if (t) visited[t - tm->items] = 1;
        if (stored != replayed)
            diff(r, "tally unit=%s day=%d metric=%s group=%s severity=%s stored=%lld replayed=%lld",
                 k.unit, k.day, PQgetvalue(res, row, 2), k.grp, sev, stored, replayed);
    }
    PQclear(res);
    for (uint32_t i = 0; i < tm->n; i++)
        if (!visited[i] && tm->items[i].value)
            diff(r,
                 "tally unit=%s day=%d metric=%s group=%s severity=%s stored=(none) replayed=%lld",
                 tm->items[i].k.unit, tm->items[i].k.day, ledger_metric_name(tm->items[i].k.metric),
                 tm->items[i].k.grp, ev_enum_name(&EV_SEVERITIES, tm->items[i].k.severity),
                 (long long)tm->items[i].value);
    free(visited);
    return 0;
}

// clang-format off
/* The month and year roll-ups of antt.tallies (migration 011) and the sums
 * before 1 January (013) that differ from the days they sum: one line of
 * text per difference. */
#define SQL_VERIFY_ROLLS                                                                         \
    "WITH m AS (SELECT unit, date_trunc('month', day::timestamp)::date AS at, metric, grp,"     \
    "  severity, sum(value) AS v FROM antt.tallies GROUP BY 1, 2, 3, 4, 5),"                     \
    " y AS (SELECT unit, date_trunc('year', at::timestamp)::date AS at, metric, grp, severity,"  \
    "  sum(v) AS v FROM m GROUP BY 1, 2, 3, 4, 5)"                                               \
    " SELECT format('tally %s unit=%s %s=%s metric=%s group=%s severity=%s stored=%s days=%s',"  \
    "  k, unit, k, at, metric, grp, severity, coalesce(s::text, '(none)'), coalesce(v, 0))"      \
    " FROM (SELECT 'month' AS k, unit, at, metric, grp, severity, x.value AS s, m.v"             \
    "  FROM m FULL JOIN (SELECT unit, month AS at, metric, grp, severity, value"                 \
    "   FROM antt.tallies_month) x USING (unit, at, metric, grp, severity)"                      \
    "  UNION ALL SELECT 'year', unit, at, metric, grp, severity, x.value, y.v"                   \
    "  FROM y FULL JOIN (SELECT unit, year AS at, metric, grp, severity, value"                  \
    "   FROM antt.tallies_year) x USING (unit, at, metric, grp, severity)"                       \
    "  UNION ALL SELECT 'before', unit, (SELECT at FROM antt.tallies_before_at), metric, grp,"   \
    "   severity, x.value, b.v FROM (SELECT unit, metric, grp, severity, sum(v) AS v FROM y"      \
    "   WHERE at < (SELECT at FROM antt.tallies_before_at) GROUP BY 1, 2, 3, 4) b"                 \
    "  FULL JOIN antt.tallies_before x USING (unit, metric, grp, severity)) d"                   \
    " WHERE coalesce(s, 0) <> coalesce(v, 0) ORDER BY 1"
// clang-format on

/* The month and year tables against the days (they are kept by triggers;
 * this catches a hand edit of them, or a trigger disabled). */
static int compare_rolls(PGconn *c, run_t *r, char *err, size_t errlen)
{
    PGresult *res = PQexec(c, SQL_VERIFY_ROLLS);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    for (int row = 0; row < PQntuples(res); row++)
        diff(r, "%s", PQgetvalue(res, row, 0));
    PQclear(res);
    return 0;
}

/* One statement with text parameters (NULL: SQL NULL). 0 or -1 with err. */
/* The first column of the first row, into ctx (a 512-byte buffer). */
static int first_value(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)names;
    char *out = ctx;
    if (!out[0] && n > 0 && v[0]) snprintf(out, 512, "%s", v[0]);
    return 0;
}

static int exec_params(db_t *c, const char *sql, int n, const char *const *p, char *err,
                       size_t errlen)
{
    return db_exec(c, sql, n, p, NULL, NULL, err, errlen);
}

static void ts_text(char *out, size_t cap, int64_t us)
{
    if (us)
        snprintf(out, cap, "%lld", (long long)us);
    else
        out[0] = '\0';
}

// clang-format off
#define SQL_VERIFY_EVENTS                                                                        \
    "SELECT type, unit, ref, raw, id FROM antt.events"                                           \
    " ORDER BY CASE WHEN type LIKE 'tipoff.%' THEN 1 WHEN type LIKE 'wanted.%' THEN 2 ELSE 0 END," \
    "  unit COLLATE \"C\", ref COLLATE \"C\", case_version"
/* The batch's values travel as binary arrays ($n::type[]) unnested by the
 * server: one statement per table, prepared once per connection, sent in a
 * pipeline (one round trip for several statements). */
#define US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
#define SQL_VERIFY_INCIDENTS                                                                     \
    "SELECT i.unit, i.ref, i.report_id, i.grp, i.severity, " US("i.occurred_at") ","            \
    " i.occurred_unit, i.deaths, i.injuries, coalesce(" US("i.cleared_at") ", 0), i.suspects,"   \
    " coalesce(" US("i.voided_at") ", 0), i.version, i.cleared_unit"                             \
    " FROM antt.incidents i ORDER BY i.unit COLLATE \"C\", i.ref COLLATE \"C\""
#define SQL_VERIFY_TIPOFFS                                                                       \
    "SELECT t.unit, t.ref, t.report_id, t.kind, t.source, t.grp, " US("t.received_at") ","      \
    " " US("t.deadline") ", t.complex_extended, t.procuracy_extended, t.status, t.outcome,"     \
    " coalesce(" US("t.resolved_at") ", 0), t.version"                                           \
    " FROM antt.tipoffs t ORDER BY t.unit COLLATE \"C\", t.ref COLLATE \"C\""
#define SQL_VERIFY_WANTED                                                                        \
    "SELECT w.issuer, w.ref, w.report_id, w.status, w.unit, w.how, w.category, " US("w.at") ","  \
    " w.version FROM antt.wanted w ORDER BY w.issuer COLLATE \"C\", w.ref COLLATE \"C\""
// clang-format on

/* Write the replayed states of the differing cases, every replayed tally in
 * place of the stored ones, and raise every unit's stream version so that
 * subscribers see a gap and take a new snapshot; then COMMIT. */
static int write_repair(db_t *c, run_t *r, const tallymap_t *tm, char *err, size_t errlen)
{
#define TS(n) "CASE WHEN $" #n " = '' THEN NULL ELSE to_timestamp($" #n "::bigint / 1e6) END"
    static const char *const INC =
        "UPDATE antt.incidents SET grp = $3, severity = $4, occurred_at = " TS(
            5) ", occurred_unit = $6, deaths = $7::int, injuries = $8::int, cleared_at "
               "= " TS(9) ", suspects = $10::int, voided_at = " TS(11) ", version = "
                                                                       "$12::int, "
                                                                       "cleared_unit = $13,"
                                                                       " updated_at = "
                                                                       "now() WHERE unit = "
                                                                       "$1 AND ref = $2";
    static const char *const TIP =
        "UPDATE antt.tipoffs SET grp = $3, received_at = " TS(4) ", deadline = " TS(
            5) ", complex_extended = $6::bool, procuracy_extended = $7::bool, status = $8,"
               " outcome = $9, resolved_at = " TS(10) ", version = $11::int, updated_at = now()"
                                                      " WHERE unit = $1 AND ref = $2";
#undef TS
    for (size_t i = 0; i < r->nfix; i++) {
        const fix_t *f = &r->fixes[i];
        char a[6][24];
        if (f->kind == CASE_INCIDENT) {
            const inc_state_t *s = &f->st.inc;
            ts_text(a[0], sizeof a[0], s->occurred_us);
            ts_text(a[1], sizeof a[1], s->cleared_us);
            ts_text(a[2], sizeof a[2], s->voided_us);
            snprintf(a[3], sizeof a[3], "%u", s->deaths);
            snprintf(a[4], sizeof a[4], "%u", s->injuries);
            char sus[16], ver[16];
            snprintf(sus, sizeof sus, "%u", s->suspects);
            snprintf(ver, sizeof ver, "%d", s->version);
            const char *p[13] = {f->unit,        f->ref,
                                 s->grp,         ev_enum_name(&EV_SEVERITIES, s->severity),
                                 a[0],           s->occurred_unit,
                                 a[3],           a[4],
                                 a[1],           sus,
                                 a[2],           ver,
                                 s->cleared_unit};
            if (exec_params(c, INC, 13, p, err, errlen) < 0) return -1;
        } else if (f->kind == CASE_WANTED) {
            const wanted_state_t *s = &f->st.wnt;
            ts_text(a[0], sizeof a[0], s->at_us);
            snprintf(a[1], sizeof a[1], "%d", s->version);
            const char *p[8] = {f->unit,
                                f->ref,
                                ledger_wanted_status_name(s->status),
                                s->unit,
                                ev_enum_name(&EV_HOWS, s->how),
                                ev_enum_name(&EV_CATEGORIES, s->category),
                                a[0],
                                a[1]};
            if (exec_params(c,
                            "UPDATE antt.wanted SET status = $3, unit = $4, how = $5,"
                            " category = $6, at = to_timestamp($7::bigint / 1e6),"
                            " version = $8::int WHERE issuer = $1 AND ref = $2",
                            8, p, err, errlen) < 0)
                return -1;
        } else {
            const tip_state_t *s = &f->st.tip;
            ts_text(a[0], sizeof a[0], s->received_us);
            ts_text(a[1], sizeof a[1], s->deadline_us);
            ts_text(a[2], sizeof a[2], s->resolved_us);
            snprintf(a[3], sizeof a[3], "%d", s->version);
            const char *p[11] = {f->unit,
                                 f->ref,
                                 s->grp,
                                 a[0],
                                 a[1],
                                 s->complex_extended ? "t" : "f",
                                 s->procuracy_extended ? "t" : "f",
                                 ledger_tip_status_name(s->status),
                                 ev_enum_name(&EV_OUTCOMES, s->outcome),
                                 a[2],
                                 a[3]};
            if (exec_params(c, TIP, 11, p, err, errlen) < 0) return -1;
        }
    }
    /* The replay holds the deltas not yet folded too: they are taken out of
     * the fold's input, so the fold does not add them again; the stations'
     * part of those rows stays, for the fold to add (the replay does not
     * rebuild antt.node_status). Rows of transactions still waiting on this
     * repair's locks have ids at or above the position and are folded after
     * it. */
    if (db_exec(c, "DELETE FROM antt.tallies", 0, NULL, NULL, NULL, err, errlen) < 0 ||
        db_exec(c,
                "UPDATE antt.fold_input SET units = '{}', days = '{}', metrics = '{}',"
                " grps = '{}', severities = '{}', vals = '{}'"
                " WHERE txid >= (SELECT pos FROM antt.fold_state)",
                0, NULL, NULL, NULL, err, errlen) < 0)
        return -1;
    PGresult *res = PQexec(c, "COPY antt.tallies (unit, day, metric, grp, severity, value)"
                              " FROM STDIN");
    const int copying = PQresultStatus(res) == PGRES_COPY_IN;
    PQclear(res);
    if (!copying) {
        snprintf(err, errlen, "%s", PQerrorMessage(c));
        return -1;
    }
    for (uint32_t i = 0; i < tm->n; i++) {
        const tally_t *t = &tm->items[i];
        if (!t->value) continue;
        /* the day as a date (days since 1970 are UTC-free calendar days) */
        const time_t sec = (time_t)t->k.day * 86400;
        struct tm tmv;
        gmtime_r(&sec, &tmv);
        char day[16], line[160];
        strftime(day, sizeof day, "%Y-%m-%d", &tmv);
        int n = snprintf(line, sizeof line, "%s\t%s\t%s\t%s\t%s\t%lld\n", t->k.unit, day,
                         ledger_metric_name(t->k.metric), t->k.grp,
                         ev_enum_name(&EV_SEVERITIES, t->k.severity), (long long)t->value);
        if (n < 0 || (size_t)n >= sizeof line || PQputCopyData(c, line, n) != 1) {
            PQputCopyEnd(c, "a tally line did not fit");
            snprintf(err, errlen, "copying the tallies failed");
            return -1;
        }
    }
    if (PQputCopyEnd(c, NULL) != 1) {
        snprintf(err, errlen, "%s", PQerrorMessage(c));
        return -1;
    }
    res = PQgetResult(c);
    const int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) snprintf(err, errlen, "%s", PQresultErrorMessage(res));
    PQclear(res);
    while ((res = PQgetResult(c)))
        PQclear(res);
    if (!ok) return -1;
    /* the triggers followed the DELETE and the COPY; a roll-up that was
     * wrong by itself stays wrong by as much, so it is summed again */
    if (db_exec(c, "SELECT antt.tallies_reroll()", 0, NULL, NULL, NULL, err, errlen) < 0) return -1;
    return db_exec(c, "UPDATE antt.unit_versions SET version = version + 1", 0, NULL, NULL, NULL,
                   err, errlen) < 0 ||
                   db_exec(c, "COMMIT", 0, NULL, NULL, NULL, err, errlen) < 0
               ? -1
               : 0;
}

/* Stream the events of events_sql (type, unit, ref, raw, id; in case
 * order) through the ledger, comparing each case with its row as it ends.
 * 0, or -1 with err. */
static int replay(db_t *c, const char *events_sql, const ledger_cfg_t *lcfg, run_t *r,
                  stored_list_t *lists, tallymap_t *tm, char *err, size_t errlen)
{
    PGresult *res;
    if (!PQsendQueryParams(c, events_sql, 0, NULL, NULL, NULL, NULL, 1) || !PQsetSingleRowMode(c)) {
        snprintf(err, errlen, "%s", PQerrorMessage(c));
        return -1;
    }
    case_kind_t kind = CASE_NONE;
    char unit[LEDGER_UNIT_CAP] = "", ref[ANTT_MAX_REF_BYTES + 1] = "";
    replayed_t cs; /* the case being replayed */
    memset(&cs, 0, sizeof cs);
    int failed = 0;
    while ((res = PQgetResult(c))) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_TUPLES_OK) { /* the end of the rows */
            PQclear(res);
            continue;
        }
        if (st != PGRES_SINGLE_TUPLE) {
            snprintf(err, errlen, "%s", PQresultErrorMessage(res));
            failed = 1;
            PQclear(res);
            continue;
        }
        /* Binary results: text columns are their bytes, bytea raw, uuid 16 bytes. */
        if (!strncmp(PQgetvalue(res, 0, 0), "station.", 8)) {
            r->events++; /* "nothing to report": no case, no tally */
            PQclear(res);
            continue;
        }
        const char *type = PQgetvalue(res, 0, 0);
        case_kind_t ekind = !strncmp(type, "tipoff.", 7)   ? CASE_TIPOFF
                            : !strncmp(type, "wanted.", 7) ? CASE_WANTED
                                                           : CASE_INCIDENT;
        char eunit[LEDGER_UNIT_CAP], eref[ANTT_MAX_REF_BYTES + 1];
        snprintf(eunit, sizeof eunit, "%.*s", PQgetlength(res, 0, 1), PQgetvalue(res, 0, 1));
        snprintf(eref, sizeof eref, "%.*s", PQgetlength(res, 0, 2), PQgetvalue(res, 0, 2));
        if (ekind != kind || strcmp(eunit, unit) || strcmp(eref, ref)) {
            if (kind != CASE_NONE) finish_case(r, kind, unit, ref, &cs, lists);
            kind = ekind;
            memcpy(unit, eunit, sizeof unit);
            memcpy(ref, eref, sizeof ref);
            memset(&cs, 0, sizeof cs);
        }
        r->events++;
        char idtext[UUID_TEXT_LEN + 1] = "?";
        if (PQgetlength(res, 0, 4) == 16)
            uuid_format((const uint8_t *)PQgetvalue(res, 0, 4), idtext);
        dec_msg_t m;
        dec_err_t de;
        ev_t ev;
        verdict_t v;
        if (dec_open(&m, PQgetvalue(res, 0, 3), (size_t)PQgetlength(res, 0, 3), ts_now_us(), &de) <
                0 ||
            dec_next(&m, &ev, &de) != 1) {
            diff(r, "event %s: stored bytes do not decode: %d %s", idtext, de.code, de.msg);
        } else {
            int lr = ekind == CASE_INCIDENT
                         ? ledger_incident(lcfg, &cs.inc, &ev, ev.time_us, tallymap_emit, tm, &v)
                     : ekind == CASE_WANTED
                         ? ledger_wanted(lcfg, &cs.wnt, &ev, tallymap_emit, tm, &v)
                         : ledger_tipoff(lcfg, &cs.tip, &ev, ev.time_us, tallymap_emit, tm, &v);
            if (lr < 0) diff(r, "event %s: refused on replay: %d %s", idtext, v.code, v.msg);
        }
        PQclear(res);
    }
    if (failed) return -1;
    if (kind != CASE_NONE) finish_case(r, kind, unit, ref, &cs, lists);
    return 0;
}

int verify_run(db_t *c, const ledger_cfg_t *lcfg, FILE *out, long *differences, int repair,
               char *err, size_t errlen)
{
    run_t r = {.out = out, .repair = repair};
    stored_list_t lists[CASE_KINDS] = {{0}};
    tallymap_t tm = {0};
    int rc = -1, committed = 0;

    /* the log as accepted: an extension beyond today's rules is held to them */
    ledger_cfg_t l = *lcfg;
    l.replay = 1;
    lcfg = &l;
    /* One snapshot for all the reads. A repair locks out every writer first
     * (daemons wait at their next batch), so what it writes back is the
     * replay of everything there is. The fold's state first: a window in
     * progress (which read its input before the repair) ends before the
     * repair reads, and no window starts until the repair has committed. */
    if (db_exec(c,
                repair ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
                       : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                0, NULL, NULL, NULL, err, errlen) < 0)
        goto out;
    if (repair && db_exec(c,
                          "LOCK TABLE antt.fold_state IN EXCLUSIVE MODE;"
                          " LOCK TABLE antt.events, antt.incidents, antt.tipoffs, antt.wanted,"
                          " antt.tallies, antt.unit_versions, antt.fold_input"
                          " IN SHARE ROW EXCLUSIVE MODE",
                          0, NULL, NULL, NULL, err, errlen) < 0)
        goto out;
    if (load_states(c, SQL_VERIFY_INCIDENTS, CASE_INCIDENT, &lists[CASE_INCIDENT], err, errlen) <
            0 ||
        load_states(c, SQL_VERIFY_TIPOFFS, CASE_TIPOFF, &lists[CASE_TIPOFF], err, errlen) < 0 ||
        load_states(c, SQL_VERIFY_WANTED, CASE_WANTED, &lists[CASE_WANTED], err, errlen) < 0)
        goto out;

    if (replay(c, SQL_VERIFY_EVENTS, lcfg, &r, lists, &tm, err, errlen) < 0) goto out;
    for (int k = 0; k < CASE_KINDS; k++)
        for (size_t i = 0; i < lists[k].n; i++)
            if (!lists[k].v[i].seen) {
                diff(&r, "%s %s/%s: in its table, no events", KIND_WORD[k], lists[k].v[i].unit,
                     lists[k].v[i].ref);
                r.structural++;
            }
    if (tm.oom || r.oom) {
        snprintf(err, errlen, "out of memory summing tallies");
        goto out;
    }
    if (compare_tallies(c, &r, &tm, err, errlen) < 0 || compare_rolls(c, &r, err, errlen) < 0)
        goto out;
    fprintf(out, "verify: %ld events, %ld cases, %u tallies replayed; %ld difference%s\n", r.events,
            r.cases, tm.n, r.diffs, r.diffs == 1 ? "" : "s");
    *differences = r.diffs;
    if (repair && r.diffs) {
        if (r.structural) {
            rc = -2;
            snprintf(err, errlen,
                     "not repaired: %ld case%s without events or events without a case (the log "
                     "and the tables disagree on what exists, not only on figures)",
                     r.structural, r.structural == 1 ? "" : "s");
            goto out;
        }
        if (write_repair(c, &r, &tm, err, errlen) < 0) goto out;
        committed = 1;
        fprintf(out,
                "repair: %zu case%s rewritten, %u tallies written; every unit's stream "
                "version raised (subscribers take a new snapshot)\n",
                r.nfix, r.nfix == 1 ? "" : "s", tm.n);
    }
    rc = 0;
out:
    if (!committed) { /* a repair commits in write_repair; anything else is read only */
        char e[64];
        db_exec(c, "ROLLBACK", 0, NULL, NULL, NULL, e, sizeof e);
    }
    for (int k = 0; k < CASE_KINDS; k++)
        free(lists[k].v);
    free(r.fixes);
    tallymap_free(&tm);
    return rc;
}

// clang-format off
/* The pending tip-offs and their events, to recompute their deadlines. */
#define SQL_DEADLINE_TIPOFFS                                                                     \
    "SELECT t.unit, t.ref, t.report_id, t.kind, t.source, t.grp, " US("t.received_at") ","      \
    " " US("t.deadline") ", t.complex_extended, t.procuracy_extended, t.status, t.outcome,"     \
    " coalesce(" US("t.resolved_at") ", 0), t.version"                                           \
    " FROM antt.tipoffs t WHERE t.status = 'pending'"                                            \
    " ORDER BY t.unit COLLATE \"C\", t.ref COLLATE \"C\""
#define SQL_DEADLINE_EVENTS                                                                      \
    "SELECT e.type, e.unit, e.ref, e.raw, e.id FROM antt.events e"                               \
    " JOIN antt.tipoffs t ON t.unit = e.unit AND t.ref = e.ref AND t.status = 'pending'"         \
    " WHERE e.type LIKE 'tipoff.%'"                                                              \
    " ORDER BY e.unit COLLATE \"C\", e.ref COLLATE \"C\", e.case_version"
// clang-format on

/* Write the replayed deadlines (and extension flags) of the cases that
 * differ. */
static int write_deadlines(db_t *c, const run_t *r, char *err, size_t errlen)
{
    for (size_t i = 0; i < r->nfix; i++) {
        const fix_t *f = &r->fixes[i];
        if (f->kind != CASE_TIPOFF) continue;
        char dl[24];
        snprintf(dl, sizeof dl, "%lld", (long long)f->st.tip.deadline_us);
        const char *p[5] = {f->unit, f->ref, dl, f->st.tip.complex_extended ? "t" : "f",
                            f->st.tip.procuracy_extended ? "t" : "f"};
        if (exec_params(c,
                        "UPDATE antt.tipoffs SET deadline = to_timestamp($3::bigint / 1e6),"
                        " complex_extended = $4::bool, procuracy_extended = $5::bool,"
                        " updated_at = now() WHERE unit = $1 AND ref = $2",
                        5, p, err, errlen) < 0)
            return -1;
    }
    return 0;
}

int verify_deadlines(db_t *c, const ledger_cfg_t *lcfg, const char *rules, int force, FILE *out,
                     long *changed, char *err, size_t errlen)
{
    run_t r = {.out = out, .repair = 1};
    stored_list_t lists[CASE_KINDS] = {{0}};
    stored_list_t *tips = &lists[CASE_TIPOFF];
    tallymap_t tm = {0};
    int rc = -1;
    ledger_cfg_t l = *lcfg;
    l.replay = 1;
    *changed = -1;
    char stored[512] = "";
    /* (asked first without a lock: a daemon asks at every registry reload) */
    if (db_rows(c, "SELECT coalesce(rules, '') FROM antt.deadline_rules", 0, NULL, first_value,
                stored, err, errlen) < 0)
        return -1;
    if (!force && stored[0] && !strcmp(stored, rules)) {
        *changed = 0;
        return 0;
    }
    stored[0] = '\0';
    /* The tip-offs' writers wait (a daemon's next batch) while this runs. */
    if (db_exec(c, "BEGIN", 0, NULL, NULL, NULL, err, errlen) < 0 ||
        db_exec(c, "LOCK TABLE antt.tipoffs IN SHARE ROW EXCLUSIVE MODE", 0, NULL, NULL, NULL, err,
                errlen) < 0)
        goto out;
    int have = 0;
    if (db_rows(c, "SELECT coalesce(rules, '') FROM antt.deadline_rules FOR UPDATE", 0, NULL,
                first_value, stored, err, errlen) < 0)
        goto out;
    have = stored[0] != '\0';
    if (!force && have && !strcmp(stored, rules)) {
        rc = 0; /* computed under these rules already */
        goto out;
    }
    if (load_states(c, SQL_DEADLINE_TIPOFFS, CASE_TIPOFF, tips, err, errlen) < 0 ||
        replay(c, SQL_DEADLINE_EVENTS, &l, &r, lists, &tm, err, errlen) < 0)
        goto out;
    if (r.oom || tm.oom) {
        snprintf(err, errlen, "out of memory replaying the pending tip-offs");
        goto out;
    }
    const char *p[1] = {rules};
    if (write_deadlines(c, &r, err, errlen) < 0 ||
        exec_params(c, "UPDATE antt.deadline_rules SET rules = $1, computed_at = now()", 1, p, err,
                    errlen) < 0 ||
        db_exec(c, "COMMIT", 0, NULL, NULL, NULL, err, errlen) < 0)
        goto out;
    *changed = 0;
    for (size_t i = 0; i < r.nfix; i++)
        *changed += r.fixes[i].kind == CASE_TIPOFF;
    fprintf(out, "deadlines: %zu pending tip-offs replayed under %s; %ld changed\n", tips->n, rules,
            *changed);
    free(tips->v);
    free(r.fixes);
    tallymap_free(&tm);
    return 1;
out:
    if (rc == 0) *changed = 0;
    {
        char e[64];
        db_exec(c, "ROLLBACK", 0, NULL, NULL, NULL, e, sizeof e);
    }
    free(tips->v);
    free(r.fixes);
    tallymap_free(&tm);
    return rc;
}

int verify_deadline_rules(db_t *c, const lawtime_t *law, char *out, size_t cap, char *err,
                          size_t errlen)
{
    char digest[512] = "";
    if (db_rows(c, "SELECT antt.days_off_digest()", 0, NULL, first_value, digest, err, errlen) < 0)
        return -1;
    snprintf(out, cap,
             "limit_days=%d receipt_day_counts=%d complex_months=%d procuracy_months=%d "
             "utc_offset_min=%lld days_off=%s",
             law->limit_days, law->receipt_day_counts, law->complex_months, law->procuracy_months,
             (long long)(law->utc_offset_us / 60000000), digest);
    return 0;
}

/* verify.c — see verify.h. */
#include "db/verify.h"

#include <libpq-fe.h>

#include "db/sql.h"
#include "db/store.h"
#include "db/tallymap.h"
#include "proto/decode.h"
#include "proto/err.h"
#include "proto/ts.h"
#include "proto/uuid.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char unit[LEDGER_UNIT_CAP];
    char ref[ANTT_MAX_REF_BYTES + 1];
    int seen;
    union {
        inc_state_t inc;
        tip_state_t tip;
    } st;
} stored_t;

typedef struct {
    stored_t *v;
    size_t n;
} stored_list_t;

typedef struct {
    FILE *out;
    long diffs;
    long events, cases;
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

static int load_states(PGconn *c, const char *sql, char kind, stored_list_t *l, char *err,
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
        if (kind == 'i')
            store_row_incident(v, &s->st.inc);
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
    CMP(deadline_us);
    CMP(complex_extended);
    CMP(procuracy_extended);
    CMP(status);
    CMP(outcome);
    CMP(resolved_us);
    CMP(version);
    if (memcmp(a->report_id, b->report_id, 16))
        diff(r, "tipoff %s/%s: report_id differs", unit, ref);
}

/* The replayed state of one case is complete: compare it with the table. */
static void finish_case(run_t *r, char kind, const char *unit, const char *ref,
                        const inc_state_t *inc, const tip_state_t *tip, stored_list_t *incs,
                        stored_list_t *tips)
{
    r->cases++;
    int replayed_exists = kind == 'i' ? inc->exists : tip->exists;
    stored_t *s = find(kind == 'i' ? incs : tips, unit, ref);
    if (!s) {
        if (replayed_exists)
            diff(r, "%s %s/%s: in the event log, missing from its table",
                 kind == 'i' ? "incident" : "tipoff", unit, ref);
        return;
    }
    s->seen = 1;
    if (kind == 'i')
        compare_inc(r, unit, ref, &s->st.inc, inc);
    else
        compare_tip(r, unit, ref, &s->st.tip, tip);
}

static int parse_metric(const char *s)
{
    for (int m = 0; m < M_COUNT; m++)
        if (!strcmp(ledger_metric_name((metric_t)m), s)) return m;
    return -1;
}

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

int verify_run(db_t *c, const ledger_cfg_t *lcfg, FILE *out, long *differences, char *err,
               size_t errlen)
{
    run_t r = {.out = out};
    stored_list_t incs = {0}, tips = {0};
    tallymap_t tm = {0};
    int rc = -1;

    /* One snapshot for all the reads. */
    PGresult *res;
    if (db_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, NULL, err,
                errlen) < 0)
        goto out;
    if (load_states(c, SQL_VERIFY_INCIDENTS, 'i', &incs, err, errlen) < 0 ||
        load_states(c, SQL_VERIFY_TIPOFFS, 't', &tips, err, errlen) < 0)
        goto out;

    if (!PQsendQueryParams(c, SQL_VERIFY_EVENTS, 0, NULL, NULL, NULL, NULL, 1) ||
        !PQsetSingleRowMode(c)) {
        snprintf(err, errlen, "%s", PQerrorMessage(c));
        goto out;
    }
    char kind = 0, unit[LEDGER_UNIT_CAP] = "", ref[ANTT_MAX_REF_BYTES + 1] = "";
    inc_state_t inc;
    tip_state_t tip;
    memset(&inc, 0, sizeof inc);
    memset(&tip, 0, sizeof tip);
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
        char ekind = !strncmp(PQgetvalue(res, 0, 0), "tipoff.", 7) ? 't' : 'i';
        char eunit[LEDGER_UNIT_CAP], eref[ANTT_MAX_REF_BYTES + 1];
        snprintf(eunit, sizeof eunit, "%.*s", PQgetlength(res, 0, 1), PQgetvalue(res, 0, 1));
        snprintf(eref, sizeof eref, "%.*s", PQgetlength(res, 0, 2), PQgetvalue(res, 0, 2));
        if (ekind != kind || strcmp(eunit, unit) || strcmp(eref, ref)) {
            if (kind) finish_case(&r, kind, unit, ref, &inc, &tip, &incs, &tips);
            kind = ekind;
            memcpy(unit, eunit, sizeof unit);
            memcpy(ref, eref, sizeof ref);
            memset(&inc, 0, sizeof inc);
            memset(&tip, 0, sizeof tip);
        }
        r.events++;
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
            diff(&r, "event %s: stored bytes do not decode: %d %s", idtext, de.code, de.msg);
        } else {
            int lr = ekind == 'i'
                         ? ledger_incident(lcfg, &inc, &ev, ev.time_us, tallymap_emit, &tm, &v)
                         : ledger_tipoff(lcfg, &tip, &ev, ev.time_us, tallymap_emit, &tm, &v);
            if (lr < 0) diff(&r, "event %s: refused on replay: %d %s", idtext, v.code, v.msg);
        }
        PQclear(res);
    }
    if (failed) goto out;
    if (kind) finish_case(&r, kind, unit, ref, &inc, &tip, &incs, &tips);
    for (size_t i = 0; i < incs.n; i++)
        if (!incs.v[i].seen)
            diff(&r, "incident %s/%s: in its table, no events", incs.v[i].unit, incs.v[i].ref);
    for (size_t i = 0; i < tips.n; i++)
        if (!tips.v[i].seen)
            diff(&r, "tipoff %s/%s: in its table, no events", tips.v[i].unit, tips.v[i].ref);
    if (tm.oom) {
        snprintf(err, errlen, "out of memory summing tallies");
        goto out;
    }
    if (compare_tallies(c, &r, &tm, err, errlen) < 0) goto out;
    fprintf(out, "verify: %ld events, %ld cases, %u tallies replayed; %ld difference%s\n", r.events,
            r.cases, tm.n, r.diffs, r.diffs == 1 ? "" : "s");
    *differences = r.diffs;
    rc = 0;
out : {
    char e[64];
    db_exec(c, "ROLLBACK", 0, NULL, NULL, NULL, e, sizeof e);
}
    free(incs.v);
    free(tips.v);
    tallymap_free(&tm);
    return rc;
}

/* store.c — see store.h. */
#include "db/store.h"

#include <libpq-fe.h>

#include "db/migrate.h"
#include "db/pgcopy.h"
#include "db/tallymap.h"
#include "proto/util.h"
#include "proto/err.h"
#include "proto/hindex.h"
#include "proto/uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>
#include <time.h>

#define MAX_ATTEMPTS 8

const int STORE_COMMIT_BUCKETS_MS[7] = {1, 2, 5, 10, 20, 50, 100};

/* One incident, tip-off or wanted notice the batch touches. */
typedef struct {
    case_kind_t kind; /* rules/ledger.h */
    char unit[LEDGER_UNIT_CAP];
    char ref[ANTT_MAX_REF_BYTES + 1];
    uint8_t refn;
    uint8_t is_new; /* not in the database when the batch began */
    uint8_t dirty;  /* changed by an accepted event */
    union {
        inc_state_t inc;
        tip_state_t tip;
        wanted_state_t wnt;
    } st;
} case_t;

/* One event's node and sequence number, for antt.node_status. */
typedef struct {
    const char *node;
    uint32_t n;
    uint64_t seq;
} seen_t;

/* One refusal on its way to antt.rejects (pointers into the batch). */
typedef struct {
    const char *path, *node, *status, *field, *msg;
    uint32_t node_n, raw_n, raw_total;
    const uint8_t *id, *raw;
    int code;
} rej_t;

struct store {
    char conninfo[1024];
    PGconn *c;
    ledger_cfg_t lcfg;
    uint32_t reject_raw_max;
    int migrate;
    int quiet; /* no LISTEN: another connection hears the registry's notices */
    store_sync_t sync_mode;
    int synchronous; /* -1 unknown */
    char server[300];
    store_stats_t stats;

    /* scratch for one batch, kept between batches */
    case_t *cases;
    uint32_t ncases, cap_cases;
    hindex_t cidx; /* (kind, unit, ref) -> cases[] */
    tallymap_t tallies;
    pgcopy_t arr; /* the binary array parameters of one pipeline */
    rej_t *rej;   /* the batch's refusals, gathered for their arrays */
    uint32_t nrej, cap_rej;
    uint32_t *case_of; /* event -> case index + 1 (0: none) */
    uint8_t *dup;      /* event -> stored before this batch */
    seen_t *seen;      /* the events with a final answer, by node */
    uint32_t cap_seen;
    hindex_t ids; /* the work's ids -> first event with it */
    uint32_t cap_ev;
};

static int prepare_all(PGconn *c, char *err, size_t errlen);

store_t *store_new(const char *conninfo, const ledger_cfg_t *lcfg, uint32_t reject_raw_max)
{
    store_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    snprintf(s->conninfo, sizeof s->conninfo, "%s", conninfo ? conninfo : "");
    s->lcfg = *lcfg;
    s->reject_raw_max = reject_raw_max;
    s->sync_mode = STORE_SYNC_WARN;
    s->synchronous = -1;
    return s;
}

void store_free(store_t **sp)
{
    store_t *s = *sp;
    if (!s) return;
    store_disconnect(s);
    pgcopy_free(&s->arr);
    free(s->rej);
    free(s->cases);
    free(s->seen);
    hindex_free(&s->cidx);
    tallymap_free(&s->tallies);
    free(s->case_of);
    free(s->dup);
    hindex_free(&s->ids);
    free(s);
    *sp = NULL;
}

db_t *store_db(store_t *s)
{
    return s->c;
}
void store_set_migrate(store_t *s, int on)
{
    s->migrate = on;
}
void store_set_listen(store_t *s, int on)
{
    s->quiet = !on;
}
void store_set_sync(store_t *s, store_sync_t mode)
{
    s->sync_mode = mode;
}
int store_synchronous(const store_t *s)
{
    return s->synchronous;
}
const char *store_server(const store_t *s)
{
    return s->c ? s->server : "";
}
int store_connected(const store_t *s)
{
    return s->c && PQstatus(s->c) == CONNECTION_OK;
}
const store_stats_t *store_stats(const store_t *s)
{
    return &s->stats;
}

void store_disconnect(store_t *s)
{
    if (s->c) PQfinish(s->c);
    s->c = NULL;
}

int store_socket(const store_t *s)
{
    return s->c ? PQsocket(s->c) : -1;
}

int store_registry_changed(store_t *s)
{
    if (!s->c) return 0;
    if (!PQconsumeInput(s->c)) return 0; /* a broken connection shows at the next use */
    int n = 0;
    PGnotify *nt;
    while ((nt = PQnotifies(s->c))) {
        n++;
        PQfreemem(nt);
    }
    return n;
}

int store_ping(store_t *s)
{
    if (!s->c) return -1;
    PGresult *r = PQexec(s->c, "SELECT 1");
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    if (!ok || PQstatus(s->c) != CONNECTION_OK) {
        store_disconnect(s);
        return -1;
    }
    return 0;
}

static int bool_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    *(int *)ctx = v[0] && v[0][0] == 't';
    return 0;
}

// clang-format off
/* Session set-up. Every join this session runs is a batch (an array of at
 * most a few thousand keys) against a large indexed table. The planner may
 * choose to hash the whole large table for it (seen in the benchmark: the
 * duplicate check scanned all of event_ids); nested loops over the primary
 * keys are what these statements need, so the session allows only those.
 * Generic plans: the statements are prepared once, and planning them anew
 * for each batch's arrays cost more than running them (about 0.9 ms each). */
#define SQL_SESSION                                                                              \
    "SET TIME ZONE 'UTC'; SET enable_hashjoin = off; SET enable_mergejoin = off;"             \
    "SET plan_cache_mode = force_generic_plan; SET antt.store_rolls = on"
/* Does a COMMIT now mean "on two servers"? */
#define SQL_SYNCHRONOUS                                                                          \
    "SELECT current_setting('synchronous_standby_names') <> '' AND"                             \
    " current_setting('synchronous_commit') IN ('on', 'remote_apply', 'remote_write')"
// clang-format on

int store_connect(store_t *s, char *err, size_t errlen)
{
    store_disconnect(s);
    if (!(s->c = db_connect(s->conninfo, "anttd", err, errlen))) return -1;
    int current = 0;
    migrate_counts_t applied;
    /* (no hooks: the daemon brings the deadlines up to date itself before
     * it takes events) */
    if (s->migrate && migrate_apply(s->c, NULL, &applied, err, errlen) < 0) goto fail;
    if (migrate_current(s->c, &current, err, errlen) < 0) goto fail;
    /* A newer schema is fine when its newer migrations all allow this
     * binary: expands during a rolling upgrade (db/schema/README.md). */
    int needs = 0;
    if (current > migrate_latest() && migrate_needs(s->c, &needs, err, errlen) < 0) goto fail;
    if (current > migrate_latest() && needs > migrate_latest()) {
        snprintf(err, errlen,
                 "the database schema is version %d, and its migrations after %d need an anttd "
                 "that carries version %d or later: upgrade anttd",
                 current, migrate_latest(), needs);
        store_disconnect(s);
        return -2;
    }
    if (current < migrate_latest()) {
        snprintf(err, errlen,
                 "the database schema is version %d, this anttd needs %d: run anttd --migrate",
                 current, migrate_latest());
        store_disconnect(s);
        return -2;
    }
    char st[6];
    if (db_exec(s->c, SQL_SESSION, 0, NULL, NULL, st, err, errlen) < 0) goto fail;
    /* Who may connect changes in the database (antt node revoke ...): its
     * triggers announce it on this channel (db/schema/functions/
     * antt.registry_changed.sql). */
    if (!s->quiet && db_exec(s->c, "LISTEN antt_registry", 0, NULL, NULL, st, err, errlen) < 0)
        goto fail;
    if (prepare_all(s->c, err, errlen) < 0) goto fail;
    snprintf(s->server, sizeof s->server, "%s:%s", PQhost(s->c), PQport(s->c));
    if (db_rows(s->c, SQL_SYNCHRONOUS, 0, NULL, bool_row, &s->synchronous, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    store_disconnect(s);
    return -1;
}

/* ---- scratch tables ---------------------------------------------------- */

static uint64_t case_hash(case_kind_t kind, const char *unit, const char *ref, size_t refn)
{
    const unsigned char k = (unsigned char)kind;
    uint64_t h = hindex_mix(HINDEX_SEED, &k, 1);
    h = hindex_mix(h, unit, strlen(unit) + 1);
    return hindex_mix(h, ref, refn);
}

/* The case (kind, unit, ref), created empty when absent and create is set.
 * NULL when absent, or out of memory. */
static case_t *case_get(store_t *s, case_kind_t kind, const char *unit, const char *ref,
                        size_t refn, int create)
{
    const uint64_t h = case_hash(kind, unit, ref, refn);
    hindex_iter_t it = hindex_find(&s->cidx, h);
    for (long i; (i = hindex_next(&s->cidx, &it)) >= 0;) {
        case_t *c = &s->cases[i];
        if (c->kind == kind && c->refn == refn && !memcmp(c->ref, ref, refn) &&
            !strcmp(c->unit, unit))
            return c;
    }
    /* cases[] and the index were sized for the batch: neither grows here */
    if (!create || s->ncases >= s->cap_cases || hindex_add(&s->cidx, h, s->ncases) < 0) return NULL;
    case_t *c = &s->cases[s->ncases++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    snprintf(c->unit, sizeof c->unit, "%s", unit);
    memcpy(c->ref, ref, refn);
    c->ref[refn] = '\0';
    c->refn = (uint8_t)refn;
    c->is_new = 1;
    return c;
}

/* ---- one attempt ------------------------------------------------------- */

/* A case reference as it is compared and stored: in NFC (the same
 * reference sent decomposed after precomposed would be a second case, one
 * person counted twice). PROTOCOL.md section 3 lets stations send either.
 * The event's own bytes stay as sent in the log. 0, or -1 when the NFC
 * form is over ANTT_MAX_REF_BYTES (some characters compose to longer ones)
 * or cannot be computed. */
static int ref_nfc(const char *p, size_t n, char out[ANTT_MAX_REF_BYTES + 1], size_t *outn)
{
    size_t k = 0;
    while (k < n && (unsigned char)p[k] < 0x80)
        k++;
    if (k == n) { /* ASCII is its own NFC */
        if (n) memcpy(out, p, n);
        out[n] = '\0';
        *outn = n;
        return 0;
    }
    size_t len = ANTT_MAX_REF_BYTES;
    uint8_t *r = u8_normalize(UNINORM_NFC, (const uint8_t *)p, n, (uint8_t *)out, &len);
    if (!r) return -1;
    if (r != (uint8_t *)out) { /* did not fit: libunistring allocated */
        free(r);
        return -1;
    }
    out[len] = '\0';
    *outn = len;
    return 0;
}

/* The first event of the work with this id (after link_duplicates), or -1. */
static long find_id(const store_t *s, const store_work_t *w, const uint8_t id[16])
{
    hindex_iter_t it = hindex_find(&s->ids, hindex_hash(id, 16));
    for (long i; (i = hindex_next(&s->ids, &it)) >= 0;)
        if (!memcmp(w->ev[i].ev.id, id, 16)) return i;
    return -1;
}

static int parse_uuid(const char *s, uint8_t out[16])
{
    return uuid_parse(s, strlen(s), out);
}

static int64_t i64(const char *v)
{
    return strtoll(v, NULL, 10);
}

static int enum_of(const ev_enum_t *e, const char *v)
{
    return ev_enum_parse(e, v, strlen(v));
}

void store_row_incident(const char *const *v, inc_state_t *st)
{
    memset(st, 0, sizeof *st);
    st->exists = 1;
    parse_uuid(v[2], st->report_id);
    snprintf(st->grp, sizeof st->grp, "%s", v[3]);
    st->severity = (ev_severity_t)enum_of(&EV_SEVERITIES, v[4]);
    st->occurred_us = i64(v[5]);
    snprintf(st->occurred_unit, sizeof st->occurred_unit, "%s", v[6]);
    st->deaths = (uint32_t)i64(v[7]);
    st->injuries = (uint32_t)i64(v[8]);
    st->cleared_us = i64(v[9]);
    st->suspects = (uint32_t)i64(v[10]);
    st->voided_us = i64(v[11]);
    st->version = (int32_t)i64(v[12]);
    snprintf(st->cleared_unit, sizeof st->cleared_unit, "%s", v[13] ? v[13] : "");
}

void store_row_tipoff(const char *const *v, tip_state_t *st)
{
    memset(st, 0, sizeof *st);
    st->exists = 1;
    parse_uuid(v[2], st->report_id);
    st->kind = (ev_tipkind_t)enum_of(&EV_TIPKINDS, v[3]);
    st->source = (ev_source_t)enum_of(&EV_SOURCES, v[4]);
    snprintf(st->grp, sizeof st->grp, "%s", v[5]);
    st->received_us = i64(v[6]);
    st->deadline_us = i64(v[7]);
    st->complex_extended = v[8][0] == 't';
    st->procuracy_extended = v[9][0] == 't';
    st->status = ledger_tip_status_parse(v[10]);
    st->outcome = (ev_outcome_t)enum_of(&EV_OUTCOMES, v[11]);
    st->resolved_us = i64(v[12]);
    st->version = (int32_t)i64(v[13]);
}

void store_row_wanted(const char *const *v, wanted_state_t *st)
{
    memset(st, 0, sizeof *st);
    st->exists = 1;
    parse_uuid(v[2], st->report_id);
    st->status = ledger_wanted_status_parse(v[3]);
    snprintf(st->unit, sizeof st->unit, "%s", v[4]);
    st->how = (ev_how_t)enum_of(&EV_HOWS, v[5]);
    st->category = (ev_category_t)enum_of(&EV_CATEGORIES, v[6]);
    st->at_us = i64(v[7]);
    st->version = (int32_t)i64(v[8]);
}

/* Fill the cases from a SELECT ... FOR UPDATE. */
static void load_cases(store_t *s, PGresult *r, case_kind_t kind)
{
    const char *v[14];
    for (int row = 0; row < PQntuples(r); row++) {
        for (int col = 0; col < 14 && col < PQnfields(r); col++)
            v[col] = PQgetvalue(r, row, col);
        case_t *c = case_get(s, kind, v[0], v[1], strlen(v[1]), 0);
        if (!c) continue;
        if (kind == CASE_INCIDENT)
            store_row_incident(v, &c->st.inc);
        else if (kind == CASE_WANTED)
            store_row_wanted(v, &c->st.wnt);
        else
            store_row_tipoff(v, &c->st.tip);
        c->is_new = 0;
    }
}

typedef struct {
    char sqlstate[6];
    char *err;
    size_t errlen;
} fail_t;

static void fail_from(PGresult *r, PGconn *c, fail_t *f)
{
    if (!f->sqlstate[0]) db_result_error(r, c, f->sqlstate, f->err, f->errlen);
}

/* ---- statements: prepared once per connection, run in pipelines ---------- */

// clang-format off
#define SQL_DUPS "SELECT id FROM antt.event_ids WHERE id = ANY($1::uuid[])"
/* The batch's values travel as binary arrays ($n::type[]) unnested by the
 * server: one statement per table, prepared once per connection, sent in a
 * pipeline (one round trip for several statements). */
#define US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
#define C_ "COLLATE \"C\""
#define SQL_LOCK_INCIDENTS                                                                       \
    "SELECT i.unit, i.ref, i.report_id, i.grp, i.severity, " US("i.occurred_at") ","            \
    " i.occurred_unit, i.deaths, i.injuries, coalesce(" US("i.cleared_at") ", 0), i.suspects,"   \
    " coalesce(" US("i.voided_at") ", 0), i.version, i.cleared_unit"                             \
    " FROM unnest($1::text[], $2::text[]) AS k(unit, ref)"                                       \
    " JOIN antt.incidents i ON i.unit = k.unit " C_ " AND i.ref = k.ref " C_                     \
    " ORDER BY i.unit, i.ref FOR UPDATE OF i"
#define SQL_LOCK_TIPOFFS                                                                         \
    "SELECT t.unit, t.ref, t.report_id, t.kind, t.source, t.grp, " US("t.received_at") ","      \
    " " US("t.deadline") ", t.complex_extended, t.procuracy_extended, t.status, t.outcome,"     \
    " coalesce(" US("t.resolved_at") ", 0), t.version"                                           \
    " FROM unnest($1::text[], $2::text[]) AS k(unit, ref)"                                       \
    " JOIN antt.tipoffs t ON t.unit = k.unit " C_ " AND t.ref = k.ref " C_                       \
    " ORDER BY t.unit, t.ref FOR UPDATE OF t"
#define SQL_LOCK_WANTED                                                                          \
    "SELECT w.issuer, w.ref, w.report_id, w.status, w.unit, w.how, w.category, " US("w.at") ","  \
    " w.version FROM unnest($1::text[], $2::text[]) AS k(issuer, ref)"                           \
    " JOIN antt.wanted w ON w.issuer = k.issuer " C_ " AND w.ref = k.ref " C_                    \
    " ORDER BY w.issuer, w.ref FOR UPDATE OF w"
#define WANTED_COLS "issuer, ref, report_id, status, unit, how, category, at, version"
#define SQL_INSERT_WANTED                                                                        \
    "INSERT INTO antt.wanted (" WANTED_COLS ") SELECT * FROM unnest($1::text[], $2::text[],"     \
    " $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::int4[])"
/* The log, with each event's original bytes, and the refusals. */
#define SQL_INSERT_EVENTS                                                                        \
    "INSERT INTO antt.events (id, type, node, unit, seq, event_time, ref, case_version, raw)"    \
    " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int8[],"          \
    " $6::timestamptz[], $7::text[], $8::int4[], $9::bytea[])"
#define SQL_INSERT_REJECTS                                                                       \
    "INSERT INTO antt.rejects (path, node, event_id, status, code, name, field, message, raw,"    \
    " raw_len) SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::int4[],"  \
    " $6::text[], $7::text[], $8::text[], $9::bytea[], $10::int4[])"
/* A concurrent daemon's insert of the same id or of the same new case makes
 * these fail with a unique violation, and the batch is run again. */
#define SQL_INSERT_IDS "INSERT INTO antt.event_ids (id) SELECT unnest($1::uuid[])"
#define INC_ARRAYS                                                                               \
    "unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[],"     \
    " $7::text[], $8::int4[], $9::int4[], $10::timestamptz[], $11::int4[], $12::timestamptz[],"  \
    " $13::int4[], $14::text[])"
#define INC_COLS                                                                                 \
    "unit, ref, report_id, grp, severity, occurred_at, occurred_unit, deaths, injuries,"         \
    " cleared_at, suspects, voided_at, version, cleared_unit"
#define SQL_INSERT_INCIDENTS "INSERT INTO antt.incidents (" INC_COLS ") SELECT * FROM " INC_ARRAYS
#define SQL_UPDATE_INCIDENTS                                                                     \
    "UPDATE antt.incidents i SET grp = s.grp, severity = s.severity,"                            \
    " occurred_at = s.occurred_at, occurred_unit = s.occurred_unit, deaths = s.deaths,"          \
    " injuries = s.injuries, cleared_at = s.cleared_at, suspects = s.suspects,"                  \
    " voided_at = s.voided_at, version = s.version, cleared_unit = s.cleared_unit,"              \
    " updated_at = now()"                                                                        \
    " FROM " INC_ARRAYS " AS s(" INC_COLS ")"                                                    \
    " WHERE i.unit = s.unit " C_ " AND i.ref = s.ref " C_
#define TIP_ARRAYS                                                                               \
    "unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[],"            \
    " $7::timestamptz[], $8::timestamptz[], $9::bool[], $10::bool[], $11::text[], $12::text[],"  \
    " $13::timestamptz[], $14::int4[])"
#define TIP_COLS                                                                                 \
    "unit, ref, report_id, kind, source, grp, received_at, deadline, complex_extended,"          \
    " procuracy_extended, status, outcome, resolved_at, version"
#define SQL_INSERT_TIPOFFS "INSERT INTO antt.tipoffs (" TIP_COLS ") SELECT * FROM " TIP_ARRAYS
#define SQL_UPDATE_TIPOFFS                                                                       \
    "UPDATE antt.tipoffs t SET deadline = s.deadline, complex_extended = s.complex_extended,"    \
    " procuracy_extended = s.procuracy_extended, status = s.status, outcome = s.outcome,"        \
    " resolved_at = s.resolved_at, version = s.version, updated_at = now()"                      \
    " FROM " TIP_ARRAYS " AS s(" TIP_COLS ")"                                                    \
    " WHERE t.unit = s.unit " C_ " AND t.ref = s.ref " C_
/* What the figures take from the batch, into the fold's input (migration
 * 018; db/fold.h): one row, inserted, so no batch waits for another's row
 * locks. $1-$6 the tally deltas summed per key; $7-$10 how each station is
 * doing: its node (C order), lowest and highest sequence number, events
 * with a final answer. The fold adds the deltas to the tallies and their
 * sums, the stations to antt.node_status, and publishes the deltas. */
#define SQL_FOLD_INPUT                                                                           \
    "INSERT INTO antt.fold_input (units, days, metrics, grps, severities, vals, nodes,"          \
    " node_seq_min, node_seq_max, node_events) VALUES ($1::text[], $2::date[], $3::text[],"      \
    " $4::text[], $5::text[], $6::int8[], $7::text[], $8::int8[], $9::int8[], $10::int8[])"
// clang-format on

enum {
    ST_DUPS,
    ST_LOCK_INC,
    ST_LOCK_TIP,
    ST_LOCK_WANTED,
    ST_IDS,
    ST_INC_NEW,
    ST_INC_UPD,
    ST_TIP_NEW,
    ST_TIP_UPD,
    ST_WANTED_NEW,
    ST_FOLD_INPUT,
    ST_EVENTS,
    ST_REJECTS,
    ST_SYNC,
    ST_COUNT,
    ST_BEGIN = 100, /* plain statements, not prepared */
    ST_COMMIT
};

static const char *const ST_SQL[ST_COUNT] = {
    [ST_DUPS] = SQL_DUPS,
    [ST_LOCK_INC] = SQL_LOCK_INCIDENTS,
    [ST_LOCK_TIP] = SQL_LOCK_TIPOFFS,
    [ST_LOCK_WANTED] = SQL_LOCK_WANTED,
    [ST_IDS] = SQL_INSERT_IDS,
    [ST_INC_NEW] = SQL_INSERT_INCIDENTS,
    [ST_INC_UPD] = SQL_UPDATE_INCIDENTS,
    [ST_TIP_NEW] = SQL_INSERT_TIPOFFS,
    [ST_TIP_UPD] = SQL_UPDATE_TIPOFFS,
    [ST_WANTED_NEW] = SQL_INSERT_WANTED,
    [ST_FOLD_INPUT] = SQL_FOLD_INPUT,
    [ST_EVENTS] = SQL_INSERT_EVENTS,
    [ST_REJECTS] = SQL_INSERT_REJECTS,
    [ST_SYNC] = SQL_SYNCHRONOUS,
};

static int prepare_all(PGconn *c, char *err, size_t errlen)
{
    for (int i = 0; i < ST_COUNT; i++) {
        char name[24];
        snprintf(name, sizeof name, "antt_%d", i);
        PGresult *r = PQprepare(c, name, ST_SQL[i], 0, NULL);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) {
            snprintf(err, errlen, "prepare %s: %s", name, PQresultErrorMessage(r));
            db_chomp(err);
        }
        PQclear(r);
        if (!ok) return -1;
    }
    return 0;
}

/* One statement of a pipeline: its binary array parameters live in s->arr
 * at the offsets given (the buffer may move while it is built). */
#define MAX_PARAMS 16
typedef struct {
    int st;
    int nparams;
    size_t off[MAX_PARAMS], len[MAX_PARAMS];
    PGresult *res; /* rows, for the SELECTs */
} step_t;

/* Send the steps as one pipeline and read every result. 0, or -1 with f. */
static int pipeline(store_t *s, step_t *steps, int n, fail_t *f)
{
    PGconn *c = s->c;
    if (s->arr.oom) {
        snprintf(f->sqlstate, 6, "53200");
        snprintf(f->err, f->errlen, "out of memory building parameters");
        return -1;
    }
    if (!PQenterPipelineMode(c)) {
        fail_from(NULL, c, f);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        step_t *p = &steps[i];
        p->res = NULL;
        int ok;
        if (p->st >= ST_BEGIN) {
            ok = PQsendQueryParams(c, p->st == ST_BEGIN ? "BEGIN" : "COMMIT", 0, NULL, NULL, NULL,
                                   NULL, 0);
        } else {
            const char *vals[MAX_PARAMS];
            int lens[MAX_PARAMS], fmts[MAX_PARAMS];
            for (int k = 0; k < p->nparams; k++) {
                vals[k] = (const char *)s->arr.p + p->off[k];
                lens[k] = (int)p->len[k];
                fmts[k] = 1;
            }
            char name[24];
            snprintf(name, sizeof name, "antt_%d", p->st);
            ok = PQsendQueryPrepared(c, name, p->nparams, vals, lens, fmts, 0);
        }
        if (!ok) rc = -1;
    }
    if (rc == 0 && !PQpipelineSync(c)) rc = -1;
    if (rc < 0) {
        fail_from(NULL, c, f);
        PQexitPipelineMode(c); /* fails while results are pending; the connection is reset */
        return -1;
    }
    for (int i = 0; i < n; i++) {
        PGresult *r = PQgetResult(c);
        if (!r) { /* the connection broke */
            fail_from(NULL, c, f);
            rc = -1;
            break;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_TUPLES_OK && steps[i].st < ST_BEGIN) {
            steps[i].res = r;
        } else {
            if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
                if (st != PGRES_PIPELINE_ABORTED) fail_from(r, c, f);
                rc = -1;
            }
            PQclear(r);
        }
        while ((r = PQgetResult(c)))
            PQclear(r); /* the NULL ending this statement's results */
    }
    PGresult *r;
    while ((r = PQgetResult(c))) { /* the sync */
        ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        if (st == PGRES_PIPELINE_SYNC) break;
    }
    if (!PQexitPipelineMode(c) && rc == 0) {
        fail_from(NULL, c, f);
        rc = -1;
    }
    if (rc < 0)
        for (int i = 0; i < n; i++) {
            PQclear(steps[i].res);
            steps[i].res = NULL;
        }
    return rc;
}

static void param_begin(step_t *p, pgcopy_t *a, uint32_t oid)
{
    p->off[p->nparams] = pgcopy_array_begin(a, oid);
}

static void param_end(step_t *p, pgcopy_t *a, uint32_t count)
{
    pgcopy_array_end(a, p->off[p->nparams], count);
    p->len[p->nparams] = a->n - p->off[p->nparams];
    p->nparams++;
}

/* ---- one attempt ------------------------------------------------------- */

static const char *path_name(int p)
{
    return p == PATH_ACKED ? "acked" : p == PATH_PUBLISH ? "publish" : "handshake";
}

/* A refused message, as a row of antt.rejects. 0, or -1 out of memory. */
static int add_refusal(store_t *s, const store_refusal_t *m)
{
    if (grow_array((void **)&s->rej, &s->cap_rej, s->nrej + 1, sizeof *s->rej) < 0) {
        s->arr.oom = 1;
        return -1;
    }
    s->rej[s->nrej++] = (rej_t){
        .path = path_name(m->path),
        .node = m->node,
        .node_n = (uint32_t)strlen(m->node),
        .status = m->code == ANTT_E_RATE_LIMITED || m->code >= 500 ? "deferred" : "rejected",
        .code = m->code,
        .field = "",
        .msg = m->msg,
        .raw = m->raw,
        .raw_n = m->raw_len,
        .raw_total = m->raw_total};
    return 0;
}

/* The refusals of the work, for antt.rejects, as ten arrays, in arrival
 * order. 0 when there are none. */
static int rejects_step(store_t *s, const store_work_t *w, step_t *p)
{
    s->nrej = 0;
    uint32_t next = 0; /* the next refusal of the work */
    for (uint32_t i = 0; i <= w->nev; i++) {
        for (; next < w->nrefusals && w->refusals[next].at <= i; next++)
            if (add_refusal(s, &w->refusals[next]) < 0) return 0;
        if (i == w->nev) break;
        {
            const store_ev_t *e = &w->ev[i];
            if (e->v.status != ACK_REJECTED && e->v.status != ACK_DEFERRED) continue;
            if (grow_array((void **)&s->rej, &s->cap_rej, s->nrej + 1, sizeof *s->rej) < 0) {
                s->arr.oom = 1;
                return 0;
            }
            const int has_node = (e->ev.present & EVB(EVF_NODE)) != 0;
            s->rej[s->nrej++] =
                (rej_t){.path = path_name(e->path),
                        .node = has_node ? e->ev.node.p : "",
                        .node_n = has_node ? e->ev.node.n : 0,
                        .id = (e->ev.present & EVB(EVF_ID)) ? e->ev.id : NULL,
                        .status = ack_status_name(e->v.status),
                        .code = e->v.code,
                        .field = e->v.field ? e->v.field : "",
                        .msg = e->v.msg,
                        .raw = e->ev.raw,
                        .raw_n = e->ev.raw ? (e->ev.raw_len < s->reject_raw_max ? e->ev.raw_len
                                                                                : s->reject_raw_max)
                                           : 0,
                        .raw_total = e->ev.raw_len};
        }
    }
    if (!s->nrej) return 0;
    static const uint32_t oids[10] = {
        PGCOPY_OID_TEXT, PGCOPY_OID_TEXT, PGCOPY_OID_UUID, PGCOPY_OID_TEXT,  PGCOPY_OID_INT4,
        PGCOPY_OID_TEXT, PGCOPY_OID_TEXT, PGCOPY_OID_TEXT, PGCOPY_OID_BYTEA, PGCOPY_OID_INT4};
    p->st = ST_REJECTS;
    p->nparams = 0;
    for (int col = 0; col < 10; col++) {
        param_begin(p, &s->arr, oids[col]);
        for (uint32_t k = 0; k < s->nrej; k++) {
            const rej_t *r = &s->rej[k];
            switch (col) {
            case 0: pgcopy_cstr(&s->arr, r->path); break;
            case 1:
                if (r->node_n)
                    pgcopy_text(&s->arr, r->node, r->node_n);
                else
                    pgcopy_null(&s->arr);
                break;
            case 2:
                if (r->id)
                    pgcopy_uuid(&s->arr, r->id);
                else
                    pgcopy_null(&s->arr);
                break;
            case 3: pgcopy_cstr(&s->arr, r->status); break;
            case 4: pgcopy_int4(&s->arr, r->code); break;
            case 5: pgcopy_cstr(&s->arr, antt_err_name(r->code)); break;
            case 6: pgcopy_cstr(&s->arr, r->field); break;
            case 7: pgcopy_cstr(&s->arr, r->msg); break;
            case 8: pgcopy_bytea(&s->arr, r->raw, r->raw_n); break;
            default: pgcopy_int4(&s->arr, (int32_t)r->raw_total); break;
            }
        }
        param_end(p, &s->arr, s->nrej);
    }
    return 1;
}

static int cmp_seen(const void *a, const void *b)
{
    const seen_t *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->node, y->node, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Whether an event tells how its node is doing: it has a final answer
 * (accepted or rejected; a duplicate or a deferred one comes again) and
 * is its node's own (an event naming another node than its connection,
 * 400, tells nothing of the node it names). */
static int final_of_its_node(const store_ev_t *e)
{
    return (e->ev.present & EVB(EVF_NODE)) && (e->ev.present & EVB(EVF_SEQ)) &&
           (e->v.status == ACK_ACCEPTED || e->v.status == ACK_REJECTED) &&
           e->v.code != ANTT_E_NODE_MISMATCH;
}

/* How each node of the work is doing, as four arrays appended to p's
 * parameters (nodes in C order; empty when no event says anything). The
 * number of nodes. */
static uint32_t status_params(store_t *s, const store_work_t *w, step_t *p)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->nev; i++) {
        const store_ev_t *e = &w->ev[i];
        if (!final_of_its_node(e)) continue;
        if (grow_array((void **)&s->seen, &s->cap_seen, n + 1, sizeof *s->seen) < 0) {
            s->arr.oom = 1;
            return 0;
        }
        s->seen[n++] = (seen_t){e->ev.node.p, e->ev.node.n, e->ev.seq};
    }
    if (n) qsort(s->seen, n, sizeof *s->seen, cmp_seen);
    uint32_t nodes = 0;
    for (uint32_t i = 0; i < n; i++)
        nodes += !i || cmp_seen(&s->seen[i - 1], &s->seen[i]);
    static const uint32_t oids[4] = {PGCOPY_OID_TEXT, PGCOPY_OID_INT8, PGCOPY_OID_INT8,
                                     PGCOPY_OID_INT8};
    for (int col = 0; col < 4; col++) {
        param_begin(p, &s->arr, oids[col]);
        for (uint32_t i = 0, j; i < n; i = j) {
            uint64_t lo = s->seen[i].seq, hi = lo;
            for (j = i + 1; j < n && !cmp_seen(&s->seen[i], &s->seen[j]); j++) {
                if (s->seen[j].seq < lo) lo = s->seen[j].seq;
                if (s->seen[j].seq > hi) hi = s->seen[j].seq;
            }
            switch (col) {
            case 0: pgcopy_text(&s->arr, s->seen[i].node, s->seen[i].n); break;
            case 1: pgcopy_int8(&s->arr, (int64_t)lo); break;
            case 2: pgcopy_int8(&s->arr, (int64_t)hi); break;
            default: pgcopy_int8(&s->arr, (int64_t)(j - i)); break;
            }
        }
        param_end(p, &s->arr, nodes);
    }
    return nodes;
}

/* The accepted events, for the log, as nine arrays. */
static void events_step(store_t *s, const store_work_t *b, step_t *p, uint32_t n)
{
    static const uint32_t oids[9] = {PGCOPY_OID_UUID, PGCOPY_OID_TEXT, PGCOPY_OID_TEXT,
                                     PGCOPY_OID_TEXT, PGCOPY_OID_INT8, PGCOPY_OID_TIMESTAMPTZ,
                                     PGCOPY_OID_TEXT, PGCOPY_OID_INT4, PGCOPY_OID_BYTEA};
    p->st = ST_EVENTS;
    p->nparams = 0;
    for (int col = 0; col < 9; col++) {
        param_begin(p, &s->arr, oids[col]);
        for (uint32_t i = 0; i < b->nev; i++) {
            const store_ev_t *e = &b->ev[i];
            if (!s->case_of[i] || e->v.status != ACK_ACCEPTED) continue;
            switch (col) {
            case 0: pgcopy_uuid(&s->arr, e->ev.id); break;
            case 1: pgcopy_cstr(&s->arr, ev_enum_name(&EV_TYPES, e->ev.type)); break;
            case 2: pgcopy_text(&s->arr, e->ev.node.p, e->ev.node.n); break;
            /* the case's key: the issuing unit of a wanted notice */
            case 3: pgcopy_cstr(&s->arr, s->cases[s->case_of[i] - 1].unit); break;
            case 4: pgcopy_int8(&s->arr, (int64_t)e->ev.seq); break;
            case 5: pgcopy_ts(&s->arr, e->ev.time_us); break;
            case 6: /* the reference as compared: NFC */
                pgcopy_text(&s->arr, s->cases[s->case_of[i] - 1].ref,
                            s->cases[s->case_of[i] - 1].refn);
                break;
            case 7: pgcopy_int4(&s->arr, e->case_version); break;
            default: pgcopy_bytea(&s->arr, e->ev.raw, e->ev.raw_len); break;
            }
        }
        param_end(p, &s->arr, n);
    }
}

/* The keys of the batch's cases of one kind, as two text arrays. */
static void key_params(store_t *s, step_t *p, case_kind_t kind)
{
    uint32_t n = 0;
    param_begin(p, &s->arr, PGCOPY_OID_TEXT);
    for (uint32_t k = 0; k < s->ncases; k++)
        if (s->cases[k].kind == kind) pgcopy_cstr(&s->arr, s->cases[k].unit), n++;
    param_end(p, &s->arr, n);
    param_begin(p, &s->arr, PGCOPY_OID_TEXT);
    for (uint32_t k = 0; k < s->ncases; k++)
        if (s->cases[k].kind == kind) pgcopy_text(&s->arr, s->cases[k].ref, s->cases[k].refn);
    param_end(p, &s->arr, n);
}

static const uint32_t INC_OIDS[14] = {
    PGCOPY_OID_TEXT, PGCOPY_OID_TEXT,        PGCOPY_OID_UUID, PGCOPY_OID_TEXT,
    PGCOPY_OID_TEXT, PGCOPY_OID_TIMESTAMPTZ, PGCOPY_OID_TEXT, PGCOPY_OID_INT4,
    PGCOPY_OID_INT4, PGCOPY_OID_TIMESTAMPTZ, PGCOPY_OID_INT4, PGCOPY_OID_TIMESTAMPTZ,
    PGCOPY_OID_INT4, PGCOPY_OID_TEXT};

static void inc_value(pgcopy_t *a, const case_t *c, int col)
{
    const inc_state_t *st = &c->st.inc;
    switch (col) {
    case 0: pgcopy_cstr(a, c->unit); break;
    case 1: pgcopy_text(a, c->ref, c->refn); break;
    case 2: pgcopy_uuid(a, st->report_id); break;
    case 3: pgcopy_cstr(a, st->grp); break;
    case 4: pgcopy_cstr(a, ev_enum_name(&EV_SEVERITIES, st->severity)); break;
    case 5: pgcopy_ts(a, st->occurred_us); break;
    case 6: pgcopy_cstr(a, st->occurred_unit); break;
    case 7: pgcopy_int4(a, (int32_t)st->deaths); break;
    case 8: pgcopy_int4(a, (int32_t)st->injuries); break;
    case 9: pgcopy_ts(a, st->cleared_us); break;
    case 10: pgcopy_int4(a, (int32_t)st->suspects); break;
    case 11: pgcopy_ts(a, st->voided_us); break;
    case 12: pgcopy_int4(a, st->version); break;
    default: pgcopy_cstr(a, st->cleared_unit); break;
    }
}

static const uint32_t TIP_OIDS[14] = {
    PGCOPY_OID_TEXT,        PGCOPY_OID_TEXT, PGCOPY_OID_UUID,        PGCOPY_OID_TEXT,
    PGCOPY_OID_TEXT,        PGCOPY_OID_TEXT, PGCOPY_OID_TIMESTAMPTZ, PGCOPY_OID_TIMESTAMPTZ,
    PGCOPY_OID_BOOL,        PGCOPY_OID_BOOL, PGCOPY_OID_TEXT,        PGCOPY_OID_TEXT,
    PGCOPY_OID_TIMESTAMPTZ, PGCOPY_OID_INT4};

static void tip_value(pgcopy_t *a, const case_t *c, int col)
{
    const tip_state_t *st = &c->st.tip;
    switch (col) {
    case 0: pgcopy_cstr(a, c->unit); break;
    case 1: pgcopy_text(a, c->ref, c->refn); break;
    case 2: pgcopy_uuid(a, st->report_id); break;
    case 3: pgcopy_cstr(a, ev_enum_name(&EV_TIPKINDS, st->kind)); break;
    case 4: pgcopy_cstr(a, ev_enum_name(&EV_SOURCES, st->source)); break;
    case 5: pgcopy_cstr(a, st->grp); break;
    case 6: pgcopy_ts(a, st->received_us); break;
    case 7: pgcopy_ts(a, st->deadline_us); break;
    case 8: pgcopy_bool(a, st->complex_extended); break;
    case 9: pgcopy_bool(a, st->procuracy_extended); break;
    case 10: pgcopy_cstr(a, ledger_tip_status_name(st->status)); break;
    case 11: pgcopy_cstr(a, ev_enum_name(&EV_OUTCOMES, st->outcome)); break;
    case 12: pgcopy_ts(a, st->resolved_us); break;
    default: pgcopy_int4(a, st->version); break;
    }
}

static const uint32_t WANTED_OIDS[9] = {PGCOPY_OID_TEXT, PGCOPY_OID_TEXT,        PGCOPY_OID_UUID,
                                        PGCOPY_OID_TEXT, PGCOPY_OID_TEXT,        PGCOPY_OID_TEXT,
                                        PGCOPY_OID_TEXT, PGCOPY_OID_TIMESTAMPTZ, PGCOPY_OID_INT4};

static void wanted_value(pgcopy_t *a, const case_t *c, int col)
{
    const wanted_state_t *st = &c->st.wnt;
    switch (col) {
    case 0: pgcopy_cstr(a, c->unit); break;
    case 1: pgcopy_text(a, c->ref, c->refn); break;
    case 2: pgcopy_uuid(a, st->report_id); break;
    case 3: pgcopy_cstr(a, ledger_wanted_status_name(st->status)); break;
    case 4: pgcopy_cstr(a, st->unit); break;
    case 5: pgcopy_cstr(a, ev_enum_name(&EV_HOWS, st->how)); break;
    case 6: pgcopy_cstr(a, ev_enum_name(&EV_CATEGORIES, st->category)); break;
    case 7: pgcopy_ts(a, st->at_us); break;
    default: pgcopy_int4(a, st->version); break;
    }
}

/* A step writing the changed cases of one kind that are (or are not) new.
 * 0 when there are none (the step is left out). */
static int case_step(store_t *s, step_t *p, case_kind_t kind, int is_new)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < s->ncases; k++)
        n += s->cases[k].dirty && s->cases[k].kind == kind && s->cases[k].is_new == is_new;
    if (!n) return 0;
    /* a wanted notice is written once, when it is closed: never updated */
    const int ncols = kind == CASE_WANTED ? 9 : 14;
    p->st = kind == CASE_WANTED     ? ST_WANTED_NEW
            : kind == CASE_INCIDENT ? (is_new ? ST_INC_NEW : ST_INC_UPD)
                                    : (is_new ? ST_TIP_NEW : ST_TIP_UPD);
    p->nparams = 0;
    for (int col = 0; col < ncols; col++) {
        param_begin(p, &s->arr,
                    kind == CASE_WANTED     ? WANTED_OIDS[col]
                    : kind == CASE_INCIDENT ? INC_OIDS[col]
                                            : TIP_OIDS[col]);
        for (uint32_t k = 0; k < s->ncases; k++) {
            const case_t *c = &s->cases[k];
            if (!c->dirty || c->kind != kind || c->is_new != is_new) continue;
            if (kind == CASE_INCIDENT)
                inc_value(&s->arr, c, col);
            else if (kind == CASE_WANTED)
                wanted_value(&s->arr, c, col);
            else
                tip_value(&s->arr, c, col);
        }
        param_end(p, &s->arr, n);
    }
    return 1;
}

/* The tally deltas (non-zero; none when tallies is 0), as six arrays
 * appended to p's parameters. The number of deltas. */
static uint32_t tally_params(store_t *s, step_t *p, int tallies)
{
    uint32_t n = 0;
    for (uint32_t t = 0; tallies && t < s->tallies.n; t++)
        n += s->tallies.items[t].value != 0;
    static const uint32_t oids[6] = {PGCOPY_OID_TEXT, PGCOPY_OID_DATE, PGCOPY_OID_TEXT,
                                     PGCOPY_OID_TEXT, PGCOPY_OID_TEXT, PGCOPY_OID_INT8};
    for (int col = 0; col < 6; col++) {
        param_begin(p, &s->arr, oids[col]);
        for (uint32_t t = 0; n && t < s->tallies.n; t++) {
            const tally_t *tl = &s->tallies.items[t];
            if (!tl->value) continue; /* a correction that moved nothing */
            switch (col) {
            case 0: pgcopy_cstr(&s->arr, tl->k.unit); break;
            case 1: pgcopy_date(&s->arr, tl->k.day); break;
            case 2: pgcopy_cstr(&s->arr, ledger_metric_name(tl->k.metric)); break;
            case 3: pgcopy_cstr(&s->arr, tl->k.grp); break;
            case 4: pgcopy_cstr(&s->arr, ev_enum_name(&EV_SEVERITIES, tl->k.severity)); break;
            default: pgcopy_int8(&s->arr, tl->value); break;
            }
        }
        param_end(p, &s->arr, n);
    }
    return n;
}

/* The fold's input row of the work (SQL_FOLD_INPUT): its tally deltas
 * (tallies: 0 when only refusals are recorded) and its stations. 0 when
 * neither says anything (no row). */
static int fold_step(store_t *s, const store_work_t *w, step_t *p, int tallies)
{
    p->st = ST_FOLD_INPUT;
    p->nparams = 0;
    const uint32_t deltas = tally_params(s, p, tallies);
    const uint32_t nodes = status_params(s, w, p);
    return deltas || nodes;
}

static int attempt(store_t *s, store_work_t *b, int64_t now_us, fail_t *f)
{
    uint32_t ncand = 0;

    s->ncases = 0;
    tallymap_clear(&s->tallies);
    hindex_clear(&s->cidx);
    if (grow_array((void **)&s->cases, &s->cap_cases, b->nev + 1, sizeof *s->cases) < 0 ||
        hindex_reserve(&s->cidx, b->nev + 1) < 0 ||
        grow_array((void **)&s->case_of, &s->cap_ev, b->nev + 1, sizeof *s->case_of) < 0)
        goto oom;
    {
        void *d = realloc(s->dup, s->cap_ev); /* one byte per event, as many as case_of */
        if (!d) goto oom;
        s->dup = d;
    }
    memset(s->dup, 0, b->nev);

    for (uint32_t i = 0; i < b->nev; i++) {
        store_ev_t *e = &b->ev[i];
        s->case_of[i] = 0;
        if (!e->fixed) { /* reset what an earlier attempt decided */
            e->v.status = ACK_ACCEPTED;
            e->v.code = 0;
            e->v.field = NULL;
            e->v.msg[0] = '\0';
            e->case_version = 0;
        }
        if (e->fixed || e->dup_of >= 0) continue;
        /* the case's key: the reporting unit, or a wanted notice's issuer */
        const ev_str_t key = ledger_case_of(e->ev.type) == CASE_WANTED ? e->ev.issuer : e->ev.unit;
        char unit[LEDGER_UNIT_CAP];
        snprintf(unit, sizeof unit, "%.*s", (int)key.n, key.p);
        /* a station.quiet has no reference: "" (never a null pointer to memcpy) */
        char ref[ANTT_MAX_REF_BYTES + 1];
        size_t refn;
        if (ref_nfc(e->ev.ref.p ? e->ev.ref.p : "", e->ev.ref.n, ref, &refn) < 0) {
            e->fixed = 1;
            e->v = (verdict_t){.status = ACK_REJECTED, .code = ANTT_E_TOO_LONG, .field = "ref"};
            snprintf(e->v.msg, sizeof e->v.msg,
                     "the reference is over %d bytes in Unicode's composed form (NFC)",
                     ANTT_MAX_REF_BYTES);
            continue;
        }
        case_t *c = case_get(s, ledger_case_of(e->ev.type), unit, ref, refn, 1);
        if (!c) goto oom;
        s->case_of[i] = (uint32_t)(c - s->cases) + 1;
        ncand++;
    }

    int64_t tp = mono_us();
    if (!ncand) { /* only refusals to record: BEGIN, INSERT, COMMIT in one round trip */
        step_t only[4] = {{.st = ST_BEGIN}};
        int n = 1;
        pgcopy_reset(&s->arr);
        n += rejects_step(s, b, &only[n]);
        n += fold_step(s, b, &only[n], 0);
        only[n++] = (step_t){.st = ST_COMMIT};
        int rc = pipeline(s, only, n, f);
        s->stats.phase_us[4] += (uint64_t)(mono_us() - tp);
        return rc;
    }

    /* 1. BEGIN; which ids are stored already; lock the touched cases; does
     * the database replicate synchronously (no extra round trip). */
    step_t rd[6] = {{.st = ST_BEGIN},    {.st = ST_DUPS},        {.st = ST_LOCK_INC},
                    {.st = ST_LOCK_TIP}, {.st = ST_LOCK_WANTED}, {.st = ST_SYNC}};
    pgcopy_reset(&s->arr);
    param_begin(&rd[1], &s->arr, PGCOPY_OID_UUID);
    for (uint32_t i = 0; i < b->nev; i++)
        if (s->case_of[i]) pgcopy_uuid(&s->arr, b->ev[i].ev.id);
    param_end(&rd[1], &s->arr, ncand);
    key_params(s, &rd[2], CASE_INCIDENT);
    key_params(s, &rd[3], CASE_TIPOFF);
    key_params(s, &rd[4], CASE_WANTED);
    s->stats.phase_us[0] += (uint64_t)(mono_us() - tp), tp = mono_us();
    if (pipeline(s, rd, 6, f) < 0) return -1;
    s->synchronous = PQntuples(rd[5].res) == 1 && PQgetvalue(rd[5].res, 0, 0)[0] == 't';
    PQclear(rd[5].res);
    if (s->sync_mode == STORE_SYNC_REQUIRE && !s->synchronous) {
        for (int k = 1; k < 5; k++)
            PQclear(rd[k].res);
        snprintf(f->sqlstate, 6, "AN001"); /* ours: not stored, not retried here */
        snprintf(f->err, f->errlen,
                 "the database does not replicate synchronously (synchronous_acks = require): "
                 "holding the batch");
        return -3;
    }
    for (int row = 0; row < PQntuples(rd[1].res); row++) {
        uint8_t id[16];
        if (parse_uuid(PQgetvalue(rd[1].res, row, 0), id) < 0) continue;
        long i = find_id(s, b, id);
        if (i >= 0) s->dup[i] = 1;
    }
    load_cases(s, rd[2].res, CASE_INCIDENT);
    load_cases(s, rd[3].res, CASE_TIPOFF);
    load_cases(s, rd[4].res, CASE_WANTED);
    for (int k = 1; k < 5; k++)
        PQclear(rd[k].res);
    s->stats.phase_us[1] += (uint64_t)(mono_us() - tp), tp = mono_us();

    /* 2. The ledger, in arrival order. */
    const ledger_cfg_t *lcfg = &s->lcfg;
    uint32_t naccepted = 0;
    for (uint32_t i = 0; i < b->nev; i++) {
        store_ev_t *e = &b->ev[i];
        if (!s->case_of[i]) continue;
        if (s->dup[i]) {
            e->v.status = ACK_DUPLICATE;
            continue;
        }
        case_t *c = &s->cases[s->case_of[i] - 1];
        int rc;
        if (c->kind == CASE_NONE) {
            rc = 0; /* stored in the log; no case, no tally */
        } else if (c->kind == CASE_INCIDENT) {
            rc = ledger_incident(lcfg, &c->st.inc, &e->ev, now_us, tallymap_emit, &s->tallies,
                                 &e->v);
            if (!rc) e->case_version = c->st.inc.version;
        } else if (c->kind == CASE_WANTED) {
            rc = ledger_wanted(lcfg, &c->st.wnt, &e->ev, tallymap_emit, &s->tallies, &e->v);
            if (!rc) e->case_version = c->st.wnt.version;
        } else {
            rc = ledger_tipoff(lcfg, &c->st.tip, &e->ev, now_us, tallymap_emit, &s->tallies, &e->v);
            if (!rc) e->case_version = c->st.tip.version;
        }
        if (!rc) {
            c->dirty = 1;
            naccepted++;
        }
    }
    if (s->tallies.oom) goto oom;
    for (uint32_t i = 0; i < b->nev; i++) { /* repeats within the batch answer as their first */
        store_ev_t *e = &b->ev[i];
        if (e->fixed || e->dup_of < 0) continue;
        e->v = b->ev[e->dup_of].v;
        if (e->v.status == ACK_ACCEPTED) e->v.status = ACK_DUPLICATE;
    }
    s->stats.phase_us[2] += (uint64_t)(mono_us() - tp), tp = mono_us();

    /* 3. The log, ids, case states, the fold's input, refusals, COMMIT: one
     * pipeline. */
    step_t wr[14];
    int n = 0;
    pgcopy_reset(&s->arr);
    if (naccepted) {
        events_step(s, b, &wr[n++], naccepted);
        wr[n] = (step_t){.st = ST_IDS};
        param_begin(&wr[n], &s->arr, PGCOPY_OID_UUID);
        for (uint32_t i = 0; i < b->nev; i++)
            if (s->case_of[i] && b->ev[i].v.status == ACK_ACCEPTED)
                pgcopy_uuid(&s->arr, b->ev[i].ev.id);
        param_end(&wr[n], &s->arr, naccepted);
        n++;
        n += case_step(s, &wr[n], CASE_INCIDENT, 1);
        n += case_step(s, &wr[n], CASE_INCIDENT, 0);
        n += case_step(s, &wr[n], CASE_TIPOFF, 1);
        n += case_step(s, &wr[n], CASE_TIPOFF, 0);
        n += case_step(s, &wr[n], CASE_WANTED, 1);
    }
    n += fold_step(s, b, &wr[n], naccepted > 0);
    n += rejects_step(s, b, &wr[n]);
    wr[n++] = (step_t){.st = ST_COMMIT};
    int rc = pipeline(s, wr, n, f);
    for (int k = 0; k < n; k++)
        PQclear(wr[k].res);
    s->stats.phase_us[4] += (uint64_t)(mono_us() - tp);
    return rc;
oom:
    snprintf(f->sqlstate, 6, "53200"); /* out_of_memory: not retried */
    snprintf(f->err, f->errlen, "out of memory preparing a batch of %u events", b->nev);
    if (PQtransactionStatus(s->c) != PQTRANS_IDLE) {
        char st[6], e[64];
        db_exec(s->c, "ROLLBACK", 0, NULL, NULL, st, e, sizeof e);
    }
    return -2;
}

/* Repeats within the work: dup_of links each event to the first with its
 * id, which alone is looked up and stored; the repeats answer as it does.
 * Events refused before the store are left out. 0, or -1 out of memory. */
static int link_duplicates(store_t *s, store_work_t *w)
{
    hindex_clear(&s->ids);
    if (hindex_reserve(&s->ids, w->nev) < 0) return -1;
    for (uint32_t i = 0; i < w->nev; i++) {
        store_ev_t *e = &w->ev[i];
        e->dup_of = -1;
        if (e->fixed) continue;
        long first = find_id(s, w, e->ev.id);
        if (first >= 0)
            e->dup_of = (int32_t)first;
        else if (hindex_add(&s->ids, hindex_hash(e->ev.id, 16), i) < 0)
            return -1;
    }
    return 0;
}

/* A refusal an event's values can cause: a data exception (class 22), an
 * integrity violation other than the unique one of a concurrent daemon
 * (class 23 but 23505, which is retried), or an exception a trigger or
 * function raised (P0001). */
static int data_fault(const char *st)
{
    return !strncmp(st, "22", 2) || (!strncmp(st, "23", 2) && strcmp(st, "23505")) ||
           !strcmp(st, "P0001");
}

static int retryable(const char *st)
{
    return !strcmp(st, "23505") || !strcmp(st, "40P01") || !strcmp(st, "40001");
}

/* The server is going or gone as a primary: a failover, a restart, a
 * demotion. Reconnecting (to the new primary) is the remedy. */
static int server_gone(const char *st)
{
    return !strncmp(st, "08", 2) || !strcmp(st, "25006") || !strcmp(st, "57P01") ||
           !strcmp(st, "57P02") || !strcmp(st, "57P03");
}

/* One transaction for the work, run again on a conflict with another
 * daemon (a unique violation, a deadlock, a serialization failure). */
static store_rc_t commit_once(store_t *s, store_work_t *b, int64_t now_us, fail_t *f)
{
    if (link_duplicates(s, b) < 0) {
        snprintf(f->sqlstate, 6, "53200");
        snprintf(f->err, f->errlen, "out of memory linking duplicates");
        return STORE_FAILED;
    }
    for (int attempt_no = 0; attempt_no < MAX_ATTEMPTS; attempt_no++) {
        f->sqlstate[0] = '\0';
        int rc = attempt(s, b, now_us, f);
        if (rc == 0) return STORE_OK;
        if (PQstatus(s->c) != CONNECTION_OK || server_gone(f->sqlstate)) {
            store_disconnect(s);
            return STORE_DOWN;
        }
        if (PQtransactionStatus(s->c) != PQTRANS_IDLE) {
            char st[6], e[128];
            if (db_exec(s->c, "ROLLBACK", 0, NULL, NULL, st, e, sizeof e) < 0 ||
                PQstatus(s->c) != CONNECTION_OK) {
                store_disconnect(s);
                return STORE_DOWN;
            }
        }
        if (rc == -3) return STORE_UNSAFE;
        if (rc == -2 || !retryable(f->sqlstate)) return STORE_FAILED;
        s->stats.retries++;
    }
    return STORE_FAILED;
}

/* The events [lo, hi) of w as a work of their own, with the refusals that
 * arrived among them (those after the last event go with the last part).
 * The refusals are copied into *tmp (rebased), freed by the caller. */
static int slice(const store_work_t *w, uint32_t lo, uint32_t hi, store_work_t *part,
                 store_refusal_t **tmp)
{
    *part = (store_work_t){.ev = w->ev + lo, .nev = hi - lo};
    *tmp = NULL;
    uint32_t a = 0, n = 0;
    while (a < w->nrefusals && w->refusals[a].at < lo)
        a++;
    while (a + n < w->nrefusals && (w->refusals[a + n].at < hi || hi == w->nev))
        n++;
    if (!n) return 0;
    if (!(*tmp = malloc(n * sizeof **tmp))) return -1;
    for (uint32_t k = 0; k < n; k++) {
        (*tmp)[k] = w->refusals[a + k];
        (*tmp)[k].at -= lo;
    }
    part->refusals = *tmp;
    part->nrefusals = n;
    return 0;
}

/* A work the database refused (not a conflict, not a lost connection): an
 * event's values broke a statement (an overflow in one station's node
 * status once failed every station's events). Commit the halves
 * apart, down to the one event that fails alone, which is deferred with
 * 500 and recorded; everyone else's events are stored. A part committed
 * before a later part finds the database gone stays committed: resent, its
 * events answer `duplicate`, which a node takes as stored. */
static store_rc_t isolate(store_t *s, const store_work_t *w, uint32_t lo, uint32_t hi,
                          int64_t now_us, fail_t *f, uint32_t *poisoned, int *budget)
{
    store_work_t part;
    store_refusal_t *tmp;
    if (--*budget < 0) return STORE_FAILED; /* more refused than a few events explain */
    if (slice(w, lo, hi, &part, &tmp) < 0) return STORE_FAILED;
    store_rc_t rc = commit_once(s, &part, now_us, f);
    uint32_t live = 0, last = 0;
    for (uint32_t i = lo; i < hi; i++)
        if (!w->ev[i].fixed) live++, last = i;
    if (rc == STORE_FAILED && live == 1) {
        store_ev_t *e = &w->ev[last];
        e->fixed = 1;
        e->v = (verdict_t){.status = ACK_DEFERRED, .code = ANTT_E_INTERNAL};
        snprintf(e->v.msg, sizeof e->v.msg,
                 "the server could not store the event (SQLSTATE %s); resend later",
                 f->sqlstate[0] ? f->sqlstate : "?");
        (*poisoned)++;
        /* the part again without it: its refusals and its own record */
        rc = commit_once(s, &part, now_us, f);
        if (rc == STORE_FAILED) rc = STORE_OK; /* nothing of it could be recorded */
    } else if (rc == STORE_FAILED && live > 1) {
        const uint32_t mid = lo + (hi - lo) / 2;
        rc = isolate(s, w, lo, mid, now_us, f, poisoned, budget);
        if (rc == STORE_OK) rc = isolate(s, w, mid, hi, now_us, f, poisoned, budget);
    } else if (rc == STORE_FAILED) {
        rc = STORE_OK; /* only refusals, which cannot be recorded: given up */
    }
    free(tmp);
    return rc;
}

store_rc_t store_commit(store_t *s, store_work_t *b, int64_t now_us, char *err, size_t errlen)
{
    if (!store_connected(s)) {
        snprintf(err, errlen, "not connected");
        return STORE_DOWN;
    }
    fail_t f = {.err = err, .errlen = errlen};
    int64_t t0 = mono_us();
    store_rc_t rc = commit_once(s, b, now_us, &f);
    /* a fault of the data (an event's values broke a statement), not of the
     * server, its disk or its permissions: find the event. The search is
     * bounded: a few poisoned events cost ~2 log2(n) transactions each; more
     * than the budget explains is no event's doing, and the batch fails. */
    if (rc == STORE_FAILED && data_fault(f.sqlstate) && store_connected(s) && b->nev > 1) {
        char first[256];
        snprintf(first, sizeof first, "%s", err);
        uint32_t poisoned = 0;
        int budget = 8;
        for (uint32_t n = b->nev; n > 1; n = (n + 1) / 2)
            budget += 4;
        rc = isolate(s, b, 0, b->nev, now_us, &f, &poisoned, &budget);
        s->stats.isolated += poisoned;
        if (rc == STORE_OK && poisoned)
            snprintf(err, errlen, "%u event(s) deferred alone, the rest stored: %s", poisoned,
                     first);
        else if (rc == STORE_OK)
            err[0] = '\0'; /* the refusal did not come again: a passing fault */
    } else if (rc == STORE_OK) {
        err[0] = '\0'; /* a conflict retried leaves its message: not an error */
    }
    if (rc != STORE_OK) return rc;
    s->stats.batches++;
    s->stats.events += b->nev;
    for (uint32_t i = 0; i < b->nev; i++) {
        switch (b->ev[i].v.status) {
        case ACK_ACCEPTED: s->stats.accepted++; break;
        case ACK_DUPLICATE: s->stats.duplicates++; break;
        case ACK_REJECTED: s->stats.rejected++; break;
        default: s->stats.deferred++; break;
        }
    }
    int64_t took = mono_us() - t0;
    s->stats.commit_us_total += (uint64_t)took;
    int k = 0;
    while (k < 7 && took > STORE_COMMIT_BUCKETS_MS[k] * 1000LL)
        k++;
    s->stats.commit_hist[k]++;
    return STORE_OK;
}

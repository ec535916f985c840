/* ceiling.c — what PostgreSQL itself takes of ANTT's rows on this machine
 * (daemon/bench/run.sh prints both beside anttd's figure):
 *
 *   bench_ceiling DSN SECONDS [schema|lean]   (BENCH_UNITS: one commune code per line)
 *
 * schema: the same rows anttd's ack path stores, written by plain libpq COPY
 * in 1,000-row transactions into ANTT's tables: the events, their ids,
 * their cases, and the transaction's tally deltas as one row of the fold's
 * input (the figures are folded later, off the ack path: db/fold.h). Only
 * new incidents and tip-offs: no reads, no ledger, no acks. Each part can
 * be left out, to say what it costs:
 *   CEIL_WITHOUT=ids,raw,cases,tallies (comma-separated; the benchmark
 *   drops indexes itself).
 * lean: the same events' ids and bytes into one table with a primary key
 * and nothing else — what PostgreSQL takes of them at all. */
#include "lib/loadgen.h"
#include "db/pg.h"
#include "db/pgcopy.h"
#include "db/tallymap.h"
#include "proto/encode.h"
#include "proto/ts.h"
#include "proto/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static lg_bench_t g_bench; /* the stations (lib/loadgen.h) */

static void gen_init(lg_node_t *g, int i)
{
    lg_bench_station(&g_bench, g, i);
}

static int exec_ok(db_t *c, const char *sql)
{
    char err[512];
    if (db_exec(c, sql, 0, NULL, NULL, NULL, err, sizeof err) == 0) return 0;
    fprintf(stderr, "%.60s: %s\n", sql, err);
    return -1;
}

static int without(const char *part)
{
    const char *w = getenv("CEIL_WITHOUT");
    if (!w) return 0;
    const size_t n = strlen(part);
    for (const char *p = w; (p = strstr(p, part)); p += n)
        if ((p == w || p[-1] == ',') && (p[n] == ',' || !p[n])) return 1;
    return 0;
}

static int ceiling(const char *dsn, int secs, int lean)
{
    char cerr[512];
    db_t *c = db_connect(dsn, "antt-bench", cerr, sizeof cerr);
    if (!c) {
        fprintf(stderr, "%s\n", cerr);
        return 1;
    }
    exec_ok(c, "SET TIME ZONE 'UTC'");
    if (lean && exec_ok(c, "CREATE TABLE IF NOT EXISTS lean_events (id uuid PRIMARY KEY,"
                           " raw bytea NOT NULL)") < 0)
        return 1;
    exec_ok(c, "CREATE TEMP TABLE stage_tally (unit text, day date, metric text, grp text,"
               " severity text, delta bigint) ON COMMIT DELETE ROWS");
    pgcopy_t cp = {0};
    tallymap_t tm = {0};
    char sqlstate[6], err[512];
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    enum { ROWS = 1000, NODES = 100 };
    lg_node_t *gens = calloc(NODES, sizeof *gens);
    for (int i = 0; i < NODES; i++)
        gen_init(&gens[i], 100000 + i);
    uint64_t rows = 0;
    const int64_t t0 = mono_us(), end = t0 + (int64_t)secs * 1000000;
    static ev_t evs[ROWS];
    static char refs[ROWS][64];
    static msgpack_sbuffer raws[ROWS];
    for (int i = 0; i < ROWS; i++)
        msgpack_sbuffer_init(&raws[i]);
    while (mono_us() < end) {
        /* The rows: new incidents and tip-offs only (no reads needed). */
        int64_t now = ts_now_us();
        tallymap_clear(&tm);
        for (int i = 0; i < ROWS; i++) {
            lg_node_t *g = &gens[i % NODES];
            do
                lg_next(g, &evs[i], refs[i], now);
            while (evs[i].type != EV_INCIDENT_REPORTED && evs[i].type != EV_TIPOFF_RECEIVED);
            msgpack_sbuffer_clear(&raws[i]);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &raws[i], msgpack_sbuffer_write);
            enc_event(&pk, &evs[i]);
            tally_key_t k;
            memset(&k, 0, sizeof k);
            snprintf(k.unit, sizeof k.unit, "%.5s", g->unit);
            int inc = evs[i].type == EV_INCIDENT_REPORTED;
            k.day = (int32_t)(((inc ? evs[i].occurred_us : evs[i].at_us) + 7LL * 3600000000) /
                              86400000000LL);
            k.metric = inc ? M_INCIDENTS : M_TIP_RECEIVED;
            snprintf(k.grp, sizeof k.grp, "%.*s", (int)evs[i].group.n,
                     evs[i].group.p ? evs[i].group.p : "");
            k.severity = evs[i].severity;
            tallymap_add(&tm, &k, 1);
        }
        if (exec_ok(c, "BEGIN") < 0) return 1;
        if (lean) {
            pgcopy_begin(&cp);
            for (int i = 0; i < ROWS; i++) {
                pgcopy_row(&cp, 2);
                pgcopy_uuid(&cp, evs[i].id);
                pgcopy_bytea(&cp, raws[i].data, raws[i].size);
            }
            if (pgcopy_send(c, "COPY lean_events (id, raw) FROM STDIN (FORMAT binary)", &cp,
                            sqlstate, err, sizeof err) < 0 ||
                exec_ok(c, "COMMIT") < 0)
                goto fail;
            rows += ROWS;
            continue;
        }
        pgcopy_begin(&cp);
        for (int i = 0; i < ROWS; i++) {
            pgcopy_row(&cp, 1);
            pgcopy_uuid(&cp, evs[i].id);
        }
        if (!without("ids") && pgcopy_send(c, "COPY antt.event_ids (id) FROM STDIN (FORMAT binary)",
                                           &cp, sqlstate, err, sizeof err) < 0)
            goto fail;
        pgcopy_begin(&cp);
        for (int i = 0; i < ROWS; i++) {
            const ev_t *e = &evs[i];
            pgcopy_row(&cp, 9);
            pgcopy_uuid(&cp, e->id);
            pgcopy_cstr(&cp, ev_enum_name(&EV_TYPES, e->type));
            pgcopy_text(&cp, e->node.p, e->node.n);
            pgcopy_text(&cp, e->unit.p, e->unit.n);
            pgcopy_int8(&cp, (int64_t)e->seq);
            pgcopy_ts(&cp, e->time_us);
            pgcopy_text(&cp, e->ref.p, e->ref.n);
            pgcopy_int4(&cp, 1);
            pgcopy_bytea(&cp, raws[i].data, without("raw") ? 0 : raws[i].size);
        }
        if (pgcopy_send(c,
                        "COPY antt.events (id, type, node, unit, seq, event_time, ref, "
                        "case_version, raw) FROM STDIN (FORMAT binary)",
                        &cp, sqlstate, err, sizeof err) < 0)
            goto fail;
        pgcopy_begin(&cp);
        for (int i = 0; i < ROWS; i++) {
            const ev_t *e = &evs[i];
            if (e->type != EV_INCIDENT_REPORTED) continue;
            pgcopy_row(&cp, 8);
            pgcopy_text(&cp, e->unit.p, e->unit.n);
            pgcopy_text(&cp, e->ref.p, e->ref.n);
            pgcopy_uuid(&cp, e->id);
            pgcopy_text(&cp, e->group.p, e->group.n);
            pgcopy_cstr(&cp, ev_enum_name(&EV_SEVERITIES, e->severity));
            pgcopy_ts(&cp, e->occurred_us);
            pgcopy_text(&cp, e->unit.p, e->unit.n);
            pgcopy_int4(&cp, 1);
        }
        if (!without("cases") &&
            pgcopy_send(c,
                        "COPY antt.incidents (unit, ref, report_id, grp, severity, occurred_at, "
                        "occurred_unit, version) FROM STDIN (FORMAT binary)",
                        &cp, sqlstate, err, sizeof err) < 0)
            goto fail;
        pgcopy_begin(&cp);
        for (int i = 0; i < ROWS; i++) {
            const ev_t *e = &evs[i];
            if (e->type != EV_TIPOFF_RECEIVED) continue;
            pgcopy_row(&cp, 9);
            pgcopy_text(&cp, e->unit.p, e->unit.n);
            pgcopy_text(&cp, e->ref.p, e->ref.n);
            pgcopy_uuid(&cp, e->id);
            pgcopy_cstr(&cp, "denunciation");
            pgcopy_cstr(&cp, "citizen");
            pgcopy_ts(&cp, e->at_us);
            pgcopy_ts(&cp, e->at_us + 20 * 86400000000LL);
            pgcopy_cstr(&cp, "pending");
            pgcopy_int4(&cp, 1);
        }
        if (!without("cases") &&
            pgcopy_send(c,
                        "COPY antt.tipoffs (unit, ref, report_id, kind, source, received_at, "
                        "deadline, status, version) FROM STDIN (FORMAT binary)",
                        &cp, sqlstate, err, sizeof err) < 0)
            goto fail;
        pgcopy_begin(&cp);
        for (uint32_t t = 0; t < tm.n; t++) {
            pgcopy_row(&cp, 6);
            pgcopy_cstr(&cp, tm.items[t].k.unit);
            pgcopy_date(&cp, tm.items[t].k.day);
            pgcopy_cstr(&cp, ledger_metric_name(tm.items[t].k.metric));
            pgcopy_cstr(&cp, tm.items[t].k.grp);
            pgcopy_cstr(&cp, ev_enum_name(&EV_SEVERITIES, tm.items[t].k.severity));
            pgcopy_int8(&cp, tm.items[t].value);
        }
        if (without("tallies")) {
            if (exec_ok(c, "COMMIT") < 0) return 1;
            rows += ROWS;
            continue;
        }
        if (pgcopy_send(c,
                        "COPY stage_tally (unit, day, metric, grp, severity, delta) FROM STDIN "
                        "(FORMAT binary)",
                        &cp, sqlstate, err, sizeof err) < 0)
            goto fail;
        /* the fold's input: one row, the deltas as arrays (db/store.c,
         * SQL_FOLD_INPUT) */
        if (exec_ok(c,
                    "INSERT INTO antt.fold_input (units, days, metrics, grps, severities, vals)"
                    " SELECT array_agg(unit), array_agg(day), array_agg(metric),"
                    " array_agg(grp), array_agg(severity), array_agg(delta) FROM stage_tally") < 0)
            return 1;
        if (exec_ok(c, "COMMIT") < 0) return 1;
        rows += ROWS;
    }
    double el = (double)(mono_us() - t0) / 1e6;
    printf("%s rows=%llu seconds=%.1f rows_per_s=%.0f\n", lean ? "lean" : "ceiling",
           (unsigned long long)rows, el, (double)rows / el);
    for (int i = 0; i < ROWS; i++)
        msgpack_sbuffer_destroy(&raws[i]);
    msgpack_sbuffer_destroy(&sb);
    pgcopy_free(&cp);
    tallymap_free(&tm);
    free(gens);
    db_close(&c);
    return 0;
fail:
    fprintf(stderr, "ceiling: %s (%s)\n", err, sqlstate);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4 ||
        (argc == 4 && strcmp(argv[3], "lean") && strcmp(argv[3], "schema"))) {
        fprintf(stderr,
                "usage: bench_ceiling DSN SECONDS [schema|lean] (see db/bench/ceiling.c)\n");
        return 2;
    }
    char err[256];
    if (lg_bench_open(&g_bench, err, sizeof err) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 2;
    }
    return ceiling(argv[1], atoi(argv[2]), argc == 4 && !strcmp(argv[3], "lean"));
}

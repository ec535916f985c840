/* bench_anttd.c — load for anttd over loopback, and the COPY ceiling.
 *
 * (Throughput and latency are measured with `antt load`; this program adds
 * what it cannot do: many connections at once, and the COPY ceiling.)
 *   bench_anttd connect PORT NODES HOLD_SECONDS [FIRST]
 *       NODES DEALERs (node ids from bench-FIRST) connected at once, each
 *       sends one event, all hold the connection HOLD_SECONDS (anttd's RSS is
 *       read by the script meanwhile). Each DEALER costs this process two
 *       descriptors (its TCP socket and its mailbox), so the script splits
 *       10,000 nodes over processes to stay under the descriptor limit.
 *   bench_anttd ceiling DSN SECONDS
 *       the same event rows written by plain libpq COPY in 1,000-row
 *       transactions into the same tables, with the same tally upserts;
 *       prints rows/s.
 * The mix per node, in each run of 10 events: 4 incident.reported, 4
 * tipoff.received, 1 incident.cleared (of the node's oldest open case),
 * 1 tipoff.resolved (of its oldest pending tip-off); groups social_order and
 * drugs mostly; occurrence spread over the last 30 days. */
#include "client/loadgen.h"
#include "daemon/pgcopy.h"
#include "daemon/tallymap.h"
#include "proto/ack.h"
#include "proto/encode.h"
#include "proto/ts.h"
#include "proto/uuid.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define NUNITS_MAX 2048

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static char g_units[NUNITS_MAX][8];
static unsigned g_run; /* makes case references unique across runs on one database */
static int g_nunits;

/* The commune codes the script registered nodes for: bench-i -> unit i % n. */
static void load_units(void)
{
    const char *path = getenv("BENCH_UNITS");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) {
        fprintf(stderr, "bench: BENCH_UNITS (one commune code per line) is needed\n");
        exit(2);
    }
    while (g_nunits < NUNITS_MAX && fscanf(f, "%7s", g_units[g_nunits]) == 1)
        g_nunits++;
    fclose(f);
}

/* Station i: node bench-i, the i-th commune of BENCH_UNITS. */
static void gen_init(lg_node_t *g, int i)
{
    char node[32];
    snprintf(node, sizeof node, "bench-%d", i);
    lg_init(g, node, g_units[i % g_nunits], g_run, (uint64_t)i + (uint64_t)mono_us());
}

static void raise_nofile(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

static void *dealer(void *ctx, int port)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, hwm = 10000;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    if (zmq_connect(s, ep) < 0) {
        fprintf(stderr, "connect: %s\n", zmq_strerror(zmq_errno()));
        exit(1);
    }
    return s;
}

/* Read one reply; returns its corr frame value, counts statuses. -1 if none. */
static long take_reply(void *s, uint64_t counts[ACK_STATUS_COUNT], uint32_t *nacks)
{
    zmq_msg_t f;
    long corr = -1;
    int first = 1;
    *nacks = 0;
    for (;;) {
        zmq_msg_init(&f);
        if (zmq_msg_recv(&f, s, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&f);
            return -1;
        }
        int more = zmq_msg_more(&f);
        if (first && more && zmq_msg_size(&f) == 8) {
            uint64_t v;
            memcpy(&v, zmq_msg_data(&f), 8);
            corr = (long)v;
        }
        if (!more) {
            ack_reply_t rep;
            ack_t a;
            if (ack_open(&rep, zmq_msg_data(&f), zmq_msg_size(&f)) == 0)
                while (ack_next(&rep, &a) == 1) {
                    counts[a.status]++;
                    (*nacks)++;
                }
        }
        first = 0;
        zmq_msg_close(&f);
        if (!more) return corr;
    }
}

static void send_msg(void *s, uint64_t corr, const msgpack_sbuffer *sb)
{
    zmq_send(s, &corr, 8, ZMQ_SNDMORE);
    zmq_send(s, sb->data, sb->size, 0);
}

static int connect_many(int port, int nodes, int hold, int first)
{
    raise_nofile();
    void *ctx = zmq_ctx_new();
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, nodes + 100);
    zmq_ctx_set(ctx, ZMQ_IO_THREADS, 2);
    void **socks = calloc((size_t)nodes, sizeof *socks);
    lg_node_t g;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    for (int i = 0; i < nodes; i++) {
        socks[i] = dealer(ctx, port);
        gen_init(&g, first + i);
        lg_message(&g, 1, &sb, ts_now_us());
        if (!getenv("BENCH_SILENT")) send_msg(socks[i], (uint64_t)i, &sb);
    }
    uint64_t counts[ACK_STATUS_COUNT] = {0};
    int answered = 0;
    const int64_t end = mono_us() + (int64_t)hold * 1000000;
    zmq_pollitem_t *items = calloc((size_t)nodes, sizeof *items);
    for (int i = 0; i < nodes; i++)
        items[i] = (zmq_pollitem_t){socks[i], 0, ZMQ_POLLIN, 0};
    while (mono_us() < end) {
        if (zmq_poll(items, nodes, 200) <= 0) continue;
        for (int i = 0; i < nodes; i++)
            if (items[i].revents & ZMQ_POLLIN) {
                uint32_t n;
                while (take_reply(socks[i], counts, &n) >= 0)
                    answered++;
            }
        if (answered == nodes) {
            printf("connect nodes=%d all_answered_after_ms=%.0f\n", nodes,
                   (double)(mono_us() - (end - (int64_t)hold * 1000000)) / 1000.0);
            fflush(stdout);
            answered++; /* print once, keep holding */
        }
    }
    printf("connect nodes=%d answered=%d accepted=%llu\n", nodes,
           answered > nodes ? nodes : answered, (unsigned long long)counts[0]);
    for (int i = 0; i < nodes; i++)
        zmq_close(socks[i]);
    zmq_ctx_term(ctx);
    msgpack_sbuffer_destroy(&sb);
    free(socks), free(items);
    return answered >= nodes ? 0 : 1;
}

/* ---- the ceiling: plain COPY of the same rows ---- */

static int exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : -1;
}

static int ceiling(const char *dsn, int secs)
{
    PGconn *c = PQconnectdb(dsn);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "%s", PQerrorMessage(c));
        return 1;
    }
    exec_ok(c, "SET TIME ZONE 'UTC'");
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
        pgcopy_begin(&cp);
        for (int i = 0; i < ROWS; i++) {
            pgcopy_row(&cp, 1);
            pgcopy_uuid(&cp, evs[i].id);
        }
        if (pgcopy_send(c, "COPY antt.event_ids (id) FROM STDIN (FORMAT binary)", &cp, sqlstate,
                        err, sizeof err) < 0)
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
            pgcopy_bytea(&cp, raws[i].data, raws[i].size);
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
        if (pgcopy_send(c,
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
        if (pgcopy_send(c,
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
        if (pgcopy_send(c,
                        "COPY stage_tally (unit, day, metric, grp, severity, delta) FROM STDIN "
                        "(FORMAT binary)",
                        &cp, sqlstate, err, sizeof err) < 0)
            goto fail;
        if (exec_ok(c, "INSERT INTO antt.tallies AS t (unit, day, metric, grp, severity, value)"
                       " SELECT unit, day, metric, grp, severity, delta FROM stage_tally"
                       " ORDER BY unit, day, metric, grp, severity"
                       " ON CONFLICT (unit, day, metric, grp, severity) DO UPDATE SET value = "
                       "t.value + EXCLUDED.value;"
                       "COMMIT") < 0)
            return 1;
        rows += ROWS;
    }
    double el = (double)(mono_us() - t0) / 1e6;
    printf("ceiling rows=%llu seconds=%.1f rows_per_s=%.0f\n", (unsigned long long)rows, el,
           (double)rows / el);
    for (int i = 0; i < ROWS; i++)
        msgpack_sbuffer_destroy(&raws[i]);
    msgpack_sbuffer_destroy(&sb);
    pgcopy_free(&cp);
    tallymap_free(&tm);
    free(gens);
    PQfinish(c);
    return 0;
fail:
    fprintf(stderr, "ceiling: %s (%s)\n", err, sqlstate);
    return 1;
}

int main(int argc, char **argv)
{
    g_run = (unsigned)(getpid() & 0xfffff);
    if (argc >= 2 && strcmp(argv[1], "ceiling")) load_units();
    if ((argc == 5 || argc == 6) && !strcmp(argv[1], "connect"))
        return connect_many(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
                            argc == 6 ? atoi(argv[5]) : 0);
    if (argc == 4 && !strcmp(argv[1], "ceiling")) {
        g_nunits = 0;
        load_units();
        return ceiling(argv[2], atoi(argv[3]));
    }
    fprintf(stderr, "usage: see the comment at the top of daemon/bench/bench_anttd.c\n");
    return 2;
}

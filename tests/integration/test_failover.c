/* test_failover.c — PostgreSQL failover with no acked event lost, on the
 * real engines: a pg_auto_failover formation (monitor, primary, synchronous
 * secondary; deploy/ha/cluster.sh) on loopback, the real anttd with a
 * multi-host conninfo, a station that resends what was not acked.
 *
 *   1. the primary's keeper and postmaster killed -9 mid-stream: the
 *      secondary is promoted, anttd reconnects without a restart, every
 *      acked event is on the new primary exactly once, --verify is clean;
 *      a subscriber of the tally stream sees one epoch and no gap (the
 *      fold's position and the epoch are rows the secondary has);
 *   2. the secondary down, synchronous_acks = require: acks wait (nothing
 *      is acked on one server) and come when the secondary is back.
 *
 * ANTT_FAILOVER_EVENTS sets the size of the first (the full run: 20000). */
#include "harness.h"

#include "proto/ts.h"

#include <criterion/criterion.h>
#include <msgpack.h>
#include <zmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static it_formation_t fm;
static const char *dsn = fm.dsn;
static it_daemon_t d;

static int cluster(const char *verb)
{
    return it_formation(&fm, verb);
}

static void cluster_start(void)
{
    it_formation_start(&fm);
}

static void down(void)
{
    if (d.pid) it_daemon_stop(&d, SIGTERM);
    it_daemon_forget(&d);
    it_formation_destroy(&fm);
    it_strings_free();
}

TestSuite(failover, .fini = down, .timeout = 600);

static ev_t *incidents(size_t n, const char *tag)
{
    ev_t *evs = calloc(n, sizeof *evs);
    for (size_t i = 0; i < n; i++)
        it_incident(&evs[i], it_str("%s-%zu", tag, i), i % 2 ? "drugs" : "social_order",
                    SEV_SERIOUS, IT_NOW_US - (int64_t)(i % 20 + 1) * IT_DAY_US);
    return evs;
}

static long long pg_count(const char *sql)
{
    PGconn *c = PQconnectdb(dsn);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    long long v = it_scalar(c, sql);
    PQfinish(c);
    return v;
}

/* The pause anttd logged ("intake resumes after a pause of N ms"), or -1. */
static long paused_ms(void)
{
    FILE *f = fopen(d.log, "r");
    if (!f) return -1;
    char line[4096];
    long ms = -1;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "after a pause of ");
        if (p) ms = atol(p + 17);
    }
    fclose(f);
    return ms;
}

/* The tally stream as one subscriber sees it, without a snapshot: each
 * unit's useq from its first message on must rise by one (a repeat after a
 * takeover is allowed, a jump is a gap), under one epoch. */
#define UNITS_MAX 512
static struct {
    char unit[16];
    uint64_t useq;
} seen[UNITS_MAX];
static int nseen;
static uint64_t epoch_seen[4];
static int nepochs;
static long gaps, repeats, msgs;

static const msgpack_object *get(const msgpack_object *map, const char *key)
{
    for (uint32_t i = 0; map->type == MSGPACK_OBJECT_MAP && i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == strlen(key) &&
            !memcmp(kv->key.via.str.ptr, key, strlen(key)))
            return &kv->val;
    }
    return NULL;
}

static void take(const void *body, size_t len)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    cr_assert_eq(msgpack_unpack_next(&u, body, len, NULL), MSGPACK_UNPACK_SUCCESS);
    const msgpack_object *e = get(&u.data, "epoch"), *q = get(&u.data, "useq"),
                         *un = get(&u.data, "unit");
    cr_assert(e && q && un && un->type == MSGPACK_OBJECT_STR && un->via.str.size < 16);
    int k = 0;
    while (k < nepochs && epoch_seen[k] != e->via.u64)
        k++;
    if (k == nepochs && nepochs < 4) epoch_seen[nepochs++] = e->via.u64;
    char unit[16];
    memcpy(unit, un->via.str.ptr, un->via.str.size);
    unit[un->via.str.size] = '\0';
    int i = 0;
    while (i < nseen && strcmp(seen[i].unit, unit))
        i++;
    if (i == nseen) {
        cr_assert_lt(nseen, UNITS_MAX);
        snprintf(seen[nseen++].unit, sizeof seen[0].unit, "%s", unit);
        seen[i].useq = q->via.u64;
    } else if (q->via.u64 <= seen[i].useq) {
        repeats++;
    } else {
        gaps += q->via.u64 != seen[i].useq + 1;
        seen[i].useq = q->via.u64;
    }
    msgs++;
    msgpack_unpacked_destroy(&u);
}

/* What the subscriber has received, waiting at most ms for the first. */
static void follow(void *sub, int ms)
{
    zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
    while (zmq_poll(&it, 1, ms) > 0) {
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        zmq_msg_init(&body);
        zmq_msg_recv(&topic, sub, 0);
        zmq_msg_recv(&body, sub, 0);
        take(zmq_msg_data(&body), zmq_msg_size(&body));
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
        ms = 0;
    }
}

/* Every unit the subscriber saw ends at the database's version: nothing
 * after the last message it got was lost either. */
static void expect_versions_reached(void)
{
    for (int i = 0; i < nseen; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT version FROM antt.unit_versions WHERE unit = '%.15s'",
                 seen[i].unit);
        cr_expect_eq((long long)seen[i].useq, pg_count(sql), "unit %s", seen[i].unit);
    }
}

/* The distinct epochs the daemon published under. */
static int epochs(void)
{
    FILE *f = fopen(d.log, "r");
    if (!f) return 0;
    char line[4096], known_e[8][32];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "publishes them (epoch ");
        if (!p) continue;
        char e[32];
        if (sscanf(p + 22, "%31[0-9]", e) != 1) continue;
        int known = 0;
        for (int i = 0; i < n; i++)
            known |= !strcmp(known_e[i], e);
        if (!known && n < 8) snprintf(known_e[n++], sizeof known_e[0], "%s", e);
    }
    fclose(f);
    return n;
}

Test(failover, the_primary_dies_mid_stream_and_no_acked_event_is_lost)
{
    cluster_start();
    char pub[64], snap[64];
    snprintf(pub, sizeof pub, "tcp://127.0.0.1:%d", it_free_port());
    snprintf(snap, sizeof snap, "tcp://127.0.0.1:%d", it_free_port());
    const char *extra[] = {"--synchronous-acks",
                           "require",
                           "--reconnect-max-ms",
                           "500",
                           "--tally-publish",
                           pub,
                           "--tally-snapshot",
                           snap,
                           NULL};
    it_daemon_start(&d, dsn, extra);
    void *zctx = zmq_ctx_new();
    void *sub = zmq_socket(zctx, ZMQ_SUB);
    const int hwm = 0;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    cr_assert_eq(zmq_connect(sub, pub), 0);
    it_sleep_ms(500); /* the subscription reaches the daemon before the first window */
    const char *env = getenv("ANTT_FAILOVER_EVENTS");
    const size_t n = env ? (size_t)atol(env) : 3000;
    ev_t *evs = incidents(n, "F");
    it_sender_t *s = it_sender_new(d.port, evs, n, 20);
    size_t done = 0;
    for (int i = 0; i < 300 && done < n / 3; i++) {
        done = it_sender_run(s, 200, 4, 2000, n / 3);
        follow(sub, 0);
    }
    cr_assert_geq(done, n / 3, "a third acked before the failover");
    const int64_t t_kill = ts_now_us();
    cr_assert_eq(cluster("kill-primary"), 0);
    /* Stations keep sending and resending; anttd holds what it cannot
     * store and reconnects to the promoted secondary. That server is alone
     * (synchronous replication off): with synchronous_acks = require nothing
     * is acked until a secondary is back — the operator brings the old
     * primary back, pg_auto_failover rewinds it into the secondary. */
    for (int i = 0; i < 600 && !it_log_has(&d, "the database failed over"); i++) {
        it_sender_run(s, 100, 4, 2000, 0);
        follow(sub, 0);
    }
    cr_assert(it_log_has(&d, "the database failed over"), "anttd saw the failover");
    const int64_t t_failover = ts_now_us();
    cr_assert_eq(cluster("rejoin"), 0, "the old primary did not come back as the secondary");
    const int64_t t_rejoined = ts_now_us();
    for (int i = 0; i < 900 && done < n; i++) {
        done = it_sender_run(s, 200, 4, 2000, 0);
        follow(sub, 0);
    }
    const int64_t t_done = ts_now_us();
    size_t acc, dup, rej, def;
    it_sender_counts(s, &acc, &dup, &rej, &def);
    cr_assert_eq(done, n, "every event answered for good");
    cr_expect_eq(rej + def, 0);
    cr_expect(it_daemon_alive(&d), "anttd was not restarted");
    /* Every acked event, exactly once, on the new primary. */
    cr_expect_eq(pg_count("SELECT count(*) FROM antt.events"), (long long)n);
    cr_expect_eq(pg_count("SELECT count(DISTINCT ref) FROM antt.incidents"), (long long)n);
    cr_expect_eq(pg_count("SELECT coalesce(sum(value), 0) FROM antt.tallies"
                          " WHERE metric = 'incidents'"),
                 (long long)n);
    /* The stream goes on across the failover: the fold's position and the
     * stream's epoch are rows the promoted secondary has, so the daemon
     * folds and publishes from where it was, under the same epoch, and a
     * subscriber sees no gap and ends at the database's versions. */
    for (int i = 0; i < 100 && pg_count("SELECT antt.fold_wait(0)::int") != 1; i++)
        it_sleep_ms(100);
    follow(sub, 2000);
    cr_expect_eq(epochs(), 1, "one epoch in the daemon's log");
    cr_expect_eq(nepochs, 1, "the subscriber saw one epoch");
    cr_expect_eq(gaps, 0, "the subscriber saw no gap");
    cr_expect_gt(nseen, 0, "the subscriber saw the stream");
    expect_versions_reached();
    zmq_close(sub);
    zmq_ctx_term(zctx);
    const char *verify[] = {"--verify", NULL};
    char out[4096];
    cr_expect_eq(it_anttd(dsn, verify, out, sizeof out), 0, "%s", out);
    cr_log_info("failover: %zu events acked (%zu accepted, %zu duplicate after a resend), %lld "
                "stored; database reconnection pause %ld ms; failover seen %lld ms after the "
                "kill; secondary back %lld ms after that; all acked %lld ms after the kill; "
                "stream: %ld messages, %ld repeated, %d units, %ld gaps",
                n, acc, dup, pg_count("SELECT count(*) FROM antt.events"), paused_ms(),
                (long long)(t_failover - t_kill) / 1000,
                (long long)(t_rejoined - t_failover) / 1000, (long long)(t_done - t_kill) / 1000,
                msgs, repeats, nseen, gaps);
    it_sender_free(&s);
    free(evs);
}

Test(failover, with_the_secondary_down_acks_wait_for_it)
{
    cluster_start();
    int hport = it_free_port();
    char hl[32];
    snprintf(hl, sizeof hl, "127.0.0.1:%d", hport);
    const char *extra[] = {"--synchronous-acks", "require", "--http-listen", hl, NULL};
    it_daemon_start(&d, dsn, extra);
    it_client_t cl;
    it_client_open(&cl, d.port);
    ev_t ev;
    ack_t a[1];
    it_incident(&ev, "S0", "social_order", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    cr_assert_eq(it_submit(&cl, &ev, 1, a, 10000), 0);
    cr_expect_eq(a[0].status, ACK_ACCEPTED, "with both servers: acked");

    cr_assert_eq(cluster("stop-secondary"), 0);
    /* pg_auto_failover keeps the primary writable without its secondary:
     * once it notices, it turns synchronous replication off (wait_primary).
     * From then on anttd acks nothing: an ack would mean one server. */
    cr_assert_eq(it_formation_wait(&fm, "wait_primary"), 0, "the primary did not go on alone");
    it_incident(&ev, "S1", "social_order", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    cr_assert_lt(it_submit(&cl, &ev, 1, a, 3000), 0,
                 "an ack came while the database ran on one server");
    char body[4096];
    cr_expect_eq(it_http_get(hport, "/healthz", body, sizeof body), 503, "%s", body);
    cr_expect(strstr(body, "synchronous"), "%s", body);
    cr_expect_eq(pg_count("SELECT count(*) FROM antt.events WHERE ref = 'S1'"), 0,
                 "nothing stored while held");

    cr_assert_eq(cluster("start-secondary"), 0);
    int acked = 0;
    for (int i = 0; i < 120 && !acked; i++) { /* resend until answered, as a node does */
        it_client_close(&cl);
        it_client_open(&cl, d.port);
        acked = it_submit(&cl, &ev, 1, a, 2000) == 0;
    }
    cr_assert(acked, "acked once the secondary is back");
    cr_expect(a[0].status == ACK_ACCEPTED || a[0].status == ACK_DUPLICATE);
    cr_expect_eq(pg_count("SELECT count(*) FROM antt.events WHERE ref = 'S1'"), 1);
    cr_expect_eq(it_http_get(hport, "/healthz", body, sizeof body), 200, "%s", body);
    it_client_close(&cl);
}

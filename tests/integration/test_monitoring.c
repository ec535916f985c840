/* test_monitoring.c — /healthz and /metrics stay up and truthful with many
 * stations: thousands of connections on the intake port, slow HTTP clients,
 * connections that come and go, events held between batches. */
#include "harness.h"

#include "proto/encode.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static it_db_t db;
static it_daemon_t d;
static int http;

static void start(const char *const *more)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    it_db_create(&db, NULL);
    http = it_free_port();
    static char hl[32];
    snprintf(hl, sizeof hl, "127.0.0.1:%d", http);
    const char *extra[16] = {"--http-listen", hl};
    int n = 2;
    for (int i = 0; more && more[i] && n < 15; i++)
        extra[n++] = more[i];
    it_daemon_start(&d, db.dsn, extra);
}

static void down(void)
{
    if (d.pid) it_daemon_stop(&d, SIGTERM);
    it_daemon_forget(&d);
    if (db.name[0]) it_db_drop(&db, NULL);
    memset(&db, 0, sizeof db);
}

TestSuite(monitoring, .fini = down, .timeout = 180);

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* A plain TCP connection to port from source address src (127.0.0.x). */
static int tcp_to(int port, const char *src)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (src) {
        struct sockaddr_in s = {.sin_family = AF_INET};
        inet_pton(AF_INET, src, &s.sin_addr);
        if (bind(fd, (struct sockaddr *)&s, sizeof s) < 0) {
            close(fd);
            return -1;
        }
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A gauge of /metrics ("antt_connected_nodes"), or -1. */
static long long gauge(const char *name)
{
    static char body[65536];
    if (it_http_get(http, "/metrics", body, sizeof body) != 200) return -1;
    char want[96];
    snprintf(want, sizeof want, "\n%s ", name);
    const char *p = strstr(body, want);
    return p ? atoll(p + strlen(want)) : -1;
}

static long long wait_gauge(const char *name, long long want, int ms)
{
    long long v = -1;
    for (int t = 0; t < ms / 50 && (v = gauge(name)) != want; t++)
        sleep_ms(50);
    return v;
}

/* 3,000 connections held open on the intake port (no handshake, as an
 * attacker or a crowd of stations would): /healthz still answers. With
 * select(), libmicrohttpd could not take a descriptor past 1024. */
Test(monitoring, healthz_answers_with_3000_connections_open)
{
    start(NULL);
    enum { N = 3000 };
    static int fds[N];
    int open_n = 0;
    for (int i = 0; i < N; i++)
        if ((fds[i] = tcp_to(d.port, NULL)) >= 0) open_n++;
    cr_assert_eq(open_n, N, "only %d connections opened", open_n);
    cr_expect_geq(wait_gauge("antt_connected_nodes", N, 10000), N, "anttd saw them all");
    char body[4096];
    for (int k = 0; k < 5; k++) {
        int code = it_http_get(http, "/healthz", body, sizeof body);
        cr_expect_eq(code, 200, "/healthz with %d connections open: %d", N, code);
    }
    cr_expect(!it_log_has(&d, "FD_SETSIZE"), "libmicrohttpd ran out of select() descriptors");
    for (int i = 0; i < N; i++)
        close(fds[i]);
    cr_expect_eq(wait_gauge("antt_connected_nodes", 0, 10000), 0);
}

/* 40 clients that connect to the HTTP port and say nothing (from another
 * loopback address): a scraper is still answered, and they are dropped after
 * http_timeout_s. */
Test(monitoring, slow_http_clients_cannot_starve_the_scraper)
{
    const char *more[] = {"--http-timeout-s", "2", NULL};
    start(more);
    enum { N = 40 };
    int fds[N], open_n = 0;
    for (int i = 0; i < N; i++)
        if ((fds[i] = tcp_to(http, "127.0.0.2")) >= 0) open_n++;
    cr_assert_eq(open_n, N);
    sleep_ms(200);
    char body[4096];
    for (int k = 0; k < 3; k++)
        cr_expect_eq(it_http_get(http, "/healthz", body, sizeof body), 200);
    /* past the timeout every silent connection has been closed by the server */
    sleep_ms(3500);
    int closed = 0;
    for (int i = 0; i < N; i++) {
        struct timeval tv = {0, 200000};
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char c;
        if (recv(fds[i], &c, 1, 0) <= 0) closed++;
        close(fds[i]);
    }
    cr_expect_eq(closed, N, "%d of %d silent connections closed", closed, N);
}

/* Connections that come and go, 3,000 at a time: the gauge ends where the
 * connections are (no event lost to the monitor's high-water mark). */
Test(monitoring, connected_nodes_does_not_drift)
{
    start(NULL);
    enum { N = 3000, CYCLES = 3 };
    static int fds[N];
    for (int c = 0; c < CYCLES; c++) {
        for (int i = 0; i < N; i++)
            fds[i] = tcp_to(d.port, NULL);
        for (int i = 0; i < N; i++)
            if (fds[i] >= 0) close(fds[i]);
    }
    cr_expect_eq(wait_gauge("antt_connected_nodes", 0, 15000), 0, "the gauge drifted");
    for (int i = 0; i < 100; i++)
        fds[i] = tcp_to(d.port, NULL);
    cr_expect_eq(wait_gauge("antt_connected_nodes", 100, 10000), 100);
    for (int i = 0; i < 100; i++)
        close(fds[i]);
    cr_expect_eq(wait_gauge("antt_connected_nodes", 0, 10000), 0);
}

/* Events held while a batch waits are in antt_queue_events at once, not
 * after the next commit. */
Test(monitoring, queue_events_follows_the_queue)
{
    const char *more[] = {"--batch-max-ms", "4000", NULL};
    start(more);
    cr_expect_eq(gauge("antt_queue_events"), 0);
    /* After connecting, the loop computes the province figures once (a
     * query that takes seconds on a loaded machine): wait for them, so the
     * gauge is measured while the loop is free. */
    static char body[65536];
    for (int t = 0; t < 300; t++) {
        if (it_http_get(http, "/metrics", body, sizeof body) == 200 &&
            strstr(body, "antt_tipoffs_overdue{province="))
            break;
        sleep_ms(50);
    }
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_DEALER);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", d.port);
    cr_assert_eq(zmq_connect(s, ep), 0);
    ev_t evs[5];
    for (int i = 0; i < 5; i++)
        it_incident(&evs[i], it_str("Q%d", i), "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    enc_batch(&pk, evs, 5);
    uint32_t corr = 1;
    zmq_send(s, &corr, 4, ZMQ_SNDMORE);
    zmq_send(s, sb.data, sb.size, 0);
    msgpack_sbuffer_destroy(&sb);
    /* the batch waits up to 4 s for more: the gauge says 5 meanwhile */
    cr_expect_eq(wait_gauge("antt_queue_events", 5, 2500), 5);
    cr_expect_eq(wait_gauge("antt_queue_events", 0, 8000), 0, "and 0 once committed");
    cr_expect_eq(gauge("antt_queue_peak_events"), 5, "the peak stays");
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(s);
    zmq_ctx_term(ctx);
    it_strings_free();
}

/* The fold on /metrics: this daemon (the only one) folds, and the batches it
 * acked are counted once folded. */
Test(monitoring, the_fold_shows_on_metrics)
{
    start(NULL);
    it_client_t cl;
    it_client_open(&cl, d.port);
    ev_t ev;
    for (int i = 0; i < 3; i++) {
        it_incident(&ev, it_str("F%d", i), "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
        cr_assert_eq(it_one(&cl, &ev).status, ACK_ACCEPTED);
    }
    it_client_close(&cl);
    PGconn *c = it_pg(&db);
    it_fold_wait(c);
    PQfinish(c);
    /* /metrics is refreshed with each batch and every 30 s: wait for it */
    cr_expect_eq(wait_gauge("antt_fold_leading", 1, 40000), 1);
    cr_expect_eq(wait_gauge("antt_fold_batches_total", 3, 40000), 3);
    cr_expect_geq(gauge("antt_fold_windows_total"), 1);
    cr_expect_eq(gauge("antt_fold_errors_total"), 0);
}

/* A value of a one-row question, without waiting for the fold (it_scalar
 * waits for questions about figures). */
static long long now_scalar(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", sql,
              PQresultErrorMessage(r));
    long long v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* A transaction held open anywhere on the server holds the fold back (the
 * snapshot's xmin cannot pass it): the batches are acked but not folded.
 * --verify and --repair meanwhile count them once. Once it ends they are
 * folded whole, none skipped or doubled, and that window's lag shows in
 * /metrics' histogram. */
Test(monitoring, a_long_transaction_holds_the_fold_back_and_nothing_is_skipped)
{
    start(NULL);
    PGconn *hold = it_pg(&db);
    PQclear(PQexec(hold, "BEGIN"));
    cr_assert_gt(now_scalar(hold, "SELECT pg_current_xact_id()::text::int8"), 0);
    it_client_t cl;
    it_client_open(&cl, d.port);
    ev_t ev;
    for (int i = 0; i < 3; i++) {
        it_incident(&ev, it_str("L%d", i), "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
        cr_assert_eq(it_one(&cl, &ev).status, ACK_ACCEPTED);
    }
    it_client_close(&cl);
    PGconn *c = it_pg(&db);
    const char *drugs = "SELECT coalesce(sum(value), 0) FROM antt.tallies"
                        " WHERE metric = 'incidents' AND grp = 'drugs'";
    const char *events = "SELECT coalesce(sum(events_total), 0) FROM antt.node_status"
                         " WHERE node_id = 'ls-180-06040'";
    const long long events_before = now_scalar(c, events);
    sleep_ms(1500);
    cr_expect_eq(now_scalar(c, "SELECT antt.fold_wait(0)::int"), 0, "held back");
    cr_expect_eq(now_scalar(c, drugs), 0, "acked, not folded yet");
    /* --verify counts what is not folded yet (it folds nothing itself, so
     * it takes no window from the daemon's stream), and --repair replays
     * it: the stations' part of the unfolded batches stays for the fold. */
    char out[8192];
    const char *verify[] = {"--verify", NULL}, *repair[] = {"--repair", NULL};
    cr_expect_eq(it_anttd(db.dsn, verify, out, sizeof out), 0, "%s", out);
    /* a figure tampered with: the repair replays the log, the unfolded
     * batches included */
    PQclear(PQexec(c,
                   "INSERT INTO antt.tallies (unit, day, metric, grp, severity, value)"
                   " VALUES ('06040', '2024-01-01', 'incidents', 'social_order', 'serious', 5)"));
    cr_expect_neq(it_anttd(db.dsn, verify, out, sizeof out), 0, "the tampered figure is found");
    cr_expect_eq(it_anttd(db.dsn, repair, out, sizeof out), 0, "%s", out);
    cr_expect_eq(now_scalar(c, drugs), 3, "replayed by the repair");
    PQclear(PQexec(hold, "ROLLBACK"));
    PQfinish(hold);
    it_fold_wait(c);
    cr_expect_eq(it_scalar(c, drugs), 3, "folded whole once the transaction ended, not twice");
    cr_expect_eq(it_scalar(c, events), events_before + 3, "the stations' status folded too");
    cr_expect_eq(it_anttd(db.dsn, verify, out, sizeof out), 0, "%s", out);
    PQfinish(c);
    /* /metrics is refreshed with each batch and every 30 s */
    long long count = 0;
    for (int t = 0; t < 800 && (count = gauge("antt_fold_window_lag_seconds_count")) < 1; t++)
        sleep_ms(50);
    cr_expect_geq(count, 1);
    cr_expect_geq(count - gauge("antt_fold_window_lag_seconds_bucket{le=\"1\"}"), 1,
                  "a window waited more than a second");
}

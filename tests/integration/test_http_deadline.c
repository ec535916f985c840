/* test_http_deadline.c — anttd's /healthz and /metrics against slow
 * clients: sixty-four connections from eight addresses
 * (every place of http_max_connections), each trickling a header line and
 * opened again as soon as the server closes it, do not hold the scraper up;
 * each is cut once http_timeout_s have passed since it started, however it
 * trickles; connections over http_per_ip are refused; both counted in
 * /metrics. The real anttd and PostgreSQL, loopback addresses 127.0.2.x. */
#include "harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static it_db_t db;
static it_daemon_t d;
static int http;

static void down(void)
{
    if (d.pid) it_daemon_stop(&d, SIGTERM);
    it_daemon_forget(&d);
    if (db.name[0]) it_db_drop(&db, NULL);
    memset(&db, 0, sizeof db);
}

TestSuite(http_deadline, .fini = down, .timeout = 120);

/* GET path with a 5 s bound: the status (-1: none), the body in out, the
 * time in *ms. */
static int timed_get(const char *path, char *out, size_t cap, double *ms)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)http)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char req[128];
    const int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", path);
    size_t got = 0;
    if (connect(fd, (struct sockaddr *)&to, sizeof to) == 0 &&
        send(fd, req, (size_t)n, MSG_NOSIGNAL) == n) {
        ssize_t r;
        while (got + 1 < cap && (r = read(fd, out + got, cap - 1 - got)) > 0)
            got += (size_t)r;
    }
    out[got] = '\0';
    close(fd);
    int status = -1;
    sscanf(out, "HTTP/%*s %d", &status);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    return status;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median time of 9 scrapes of /healthz (each must be 200). */
static double scrape_median(void)
{
    double t[9];
    char out[4096];
    for (int i = 0; i < 9; i++) {
        const int st = timed_get("/healthz", out, sizeof out, &t[i]);
        cr_expect_eq(st, 200, "/healthz: %d", st);
        if (st != 200) t[i] = 5000;
        it_sleep_ms(100);
    }
    qsort(t, 9, sizeof t[0], cmp_double);
    return t[4];
}

static long long sample(const char *body, const char *name)
{
    for (const char *p = body; (p = strstr(p, name)); p++)
        if ((p == body || p[-1] == '\n') && p[strlen(name)] == ' ') return atoll(p + strlen(name));
    return -1;
}

Test(http_deadline, trickling_clients_are_cut_and_do_not_starve_the_scraper)
{
    it_db_create(&db, NULL);
    http = it_free_port();
    char hl[32];
    snprintf(hl, sizeof hl, "127.0.0.1:%d", http);
    /* the defaults: 64 connections, 8 per address; a 3 s deadline */
    const char *extra[] = {"--http-listen", hl, "--http-timeout-s", "3", NULL};
    it_daemon_start(&d, db.dsn, extra);
    char out[1 << 17];
    double ms;
    for (int i = 0; i < 100 && timed_get("/healthz", out, sizeof out, &ms) != 200; i++)
        it_sleep_ms(50);
    const double idle = scrape_median();
    enum { N = 64 };
    int fds[N + 3];
    char src[16];
    for (int i = 0; i < N; i++) {
        snprintf(src, sizeof src, "127.0.2.%d", 1 + i / 8);
        fds[i] = it_slow_open(src, http, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
        cr_assert_geq(fds[i], 0);
    }
    for (int i = 0; i < 3; i++) /* a 9th, 10th, 11th from one address */
        fds[N + i] = it_slow_open("127.0.2.1", http, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
    const int refused = it_closed_within(fds + N, 3, 5000);
    cr_expect_eq(refused, 3, "%d of 3 connections over http_per_ip refused", refused);
    /* the scraper, while each trickles a header line and is opened again
     * at once when the server closes it (so every place stays taken) */
    double t[10];
    for (int k = 0; k < 10; k++) {
        for (int i = 0; i < N; i++) {
            if (it_closed_by_server(fds[i])) {
                close(fds[i]);
                snprintf(src, sizeof src, "127.0.2.%d", 1 + i / 8);
                fds[i] = it_slow_open(src, http, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
            }
            if (fds[i] >= 0) send(fds[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
        }
        const int st = timed_get("/healthz", out, sizeof out, &t[k]);
        cr_expect_eq(st, 200, "/healthz with slow clients: %d", st);
        if (st != 200) t[k] = 5000;
        it_sleep_ms(200);
    }
    qsort(t, 10, sizeof t[0], cmp_double);
    const double bound = 2 * idle > idle + 200 ? 2 * idle : idle + 200;
    cr_log_info("scraper's median answer: idle %.1f ms, with 64 slow clients %.1f ms", idle, t[5]);
    cr_expect_leq(t[5], bound, "idle %.1f ms, with slow clients %.1f ms", idle, t[5]);
    /* however they trickle, every one is cut within the deadline (and a
     * tenth of a second) of its start */
    int cut = 0;
    for (int round = 0; round < 40 && cut < N; round++) {
        for (int i = 0; i < N; i++)
            if (fds[i] >= 0) send(fds[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
        it_sleep_ms(100);
        cut = 0;
        for (int i = 0; i < N; i++)
            cut += fds[i] < 0 || it_closed_by_server(fds[i]);
    }
    cr_expect_eq(cut, N, "%d of %d trickling connections cut", cut, N);
    for (int i = 0; i < N + 3; i++)
        if (fds[i] >= 0) close(fds[i]);
    cr_assert_eq(timed_get("/metrics", out, sizeof out, &ms), 200);
    cr_expect_geq(sample(out, "antt_http_connections_refused_total{reason=\"per_address\"}"), 3);
    cr_expect_gt(sample(out, "antt_http_connections_cut_total{reason=\"deadline\"}") +
                     sample(out, "antt_http_connections_cut_total{reason=\"evicted\"}"),
                 0);
}

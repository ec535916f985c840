/* harness.c — see harness.h. */
#include "harness.h"

#include "net/key.h"

#include "proto/encode.h"
#include "proto/uuid.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <arpa/inet.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

/* ---- strings ---- */
static char **g_strs;
static size_t g_nstrs, g_capstrs;

const char *it_str(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (g_nstrs == g_capstrs) {
        g_capstrs = g_capstrs ? g_capstrs * 2 : 1024;
        g_strs = realloc(g_strs, g_capstrs * sizeof *g_strs);
        cr_assert(g_strs);
    }
    return g_strs[g_nstrs++] = strdup(buf);
}

void it_strings_free(void)
{
    for (size_t i = 0; i < g_nstrs; i++)
        free(g_strs[i]);
    free(g_strs);
    g_strs = NULL;
    g_nstrs = g_capstrs = 0;
}

/* ---- PostgreSQL ---- */

static const char *base_dsn(const char *dsn_base)
{
    if (dsn_base) return dsn_base;
    const char *d = getenv("ANTT_TEST_DSN");
    cr_assert(d, "ANTT_TEST_DSN is not set: run the suite through deploy/test.sh");
    return d;
}

static PGconn *connect_or_fail(const char *dsn)
{
    PGconn *c = PQconnectdb(dsn);
    cr_assert(PQstatus(c) == CONNECTION_OK, "connect %s: %s", dsn, PQerrorMessage(c));
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

static void exec_or_fail(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
              PQresultErrorMessage(r));
    PQclear(r);
}

/* Build the template once per server, whoever asks first: suites start
 * together, so the check-and-build runs under a session advisory lock (held
 * by this connection; released when it closes, even if the build fails). */
static void ensure_template(const char *base)
{
    PGconn *lock = connect_or_fail(base);
    exec_or_fail(lock, "SELECT pg_advisory_lock(772001)");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "bash %s/tests/integration/template.sh '%s' '%s' '%s'",
             ANTT_SOURCE_DIR, base, ANTTD_PATH, ANTT_SOURCE_DIR);
    const int rc = run(cmd);
    PQfinish(lock);
    cr_assert_eq(rc, 0, "building the template database failed");
}

void it_db_create(it_db_t *db, const char *dsn_base)
{
    static int counter;
    const char *base = base_dsn(dsn_base);
    ensure_template(base);
    snprintf(db->name, sizeof db->name, "antt_it_%d_%d", (int)getpid(), ++counter);
    PGconn *c = connect_or_fail(base);
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db->name);
    exec_or_fail(c, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE antt_it_template", db->name);
    /* Another CREATE DATABASE from the template may be running: retry. */
    for (int i = 0;; i++) {
        PGresult *r = PQexec(c, sql);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok && i == 50) cr_assert_fail("%s: %s", sql, PQresultErrorMessage(r));
        PQclear(r);
        if (ok) break;
        sleep_ms(100);
    }
    PQfinish(c);
    snprintf(db->dsn, sizeof db->dsn, "%s dbname=%s", base, db->name);
}

void it_db_drop(it_db_t *db, const char *dsn_base)
{
    PGconn *c = PQconnectdb(base_dsn(dsn_base));
    char sql[512];
    /* A database with a logical slot (the tally stream's) cannot be dropped:
     * the slot's reader first, then the slot. */
    snprintf(sql, sizeof sql,
             "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
             " WHERE database = '%s' AND active_pid IS NOT NULL",
             db->name);
    PQclear(PQexec(c, sql));
    snprintf(sql, sizeof sql,
             "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
             " WHERE database = '%s'",
             db->name);
    for (int i = 0; i < 50; i++) { /* the terminated reader may take a moment to go */
        PGresult *r = PQexec(c, sql);
        int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
        if (ok) break;
        sleep_ms(100);
    }
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->name);
    PQclear(PQexec(c, sql));
    PQfinish(c);
}

PGconn *it_pg(const it_db_t *db)
{
    return connect_or_fail(db->dsn);
}

void (*it_before_figures)(PGconn *c) = it_fold_wait;

/* A question about the figures the fold keeps (the tallies and their sums,
 * the units' versions, the stations' status, what is computed from them),
 * which must wait until the batches committed so far are folded. */
static int reads_figures(const char *sql)
{
    static const char *const FIGURES[] = {"tallies",    "rates",       "unit_versions",
                                          "scope_sums", "children_on", "node_status"};
    for (size_t i = 0; i < sizeof FIGURES / sizeof FIGURES[0]; i++)
        if (strstr(sql, FIGURES[i])) return 1;
    return 0;
}

long long it_scalar(PGconn *c, const char *sql)
{
    if (it_before_figures && reads_figures(sql)) it_before_figures(c);
    PGresult *r = PQexec(c, sql);
    cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", sql,
              PQresultErrorMessage(r));
    long long v = PQgetisnull(r, 0, 0) ? 0 : atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

void it_fold_wait(PGconn *c)
{
    cr_assert_eq(it_scalar(c, "SELECT antt.fold_wait(20000)::int"), 1,
                 "the fold did not catch up in 20 s");
}

long long it_tally(PGconn *c, const char *metric, const char *where)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(sum(value), 0) FROM antt.tallies WHERE metric = '%s'%s%s", metric,
             where ? " AND " : "", where ? where : "");
    return it_scalar(c, sql);
}

/* The private servers and formations a test started: a suite whose .init
 * fails never runs its .fini (and the test's process ends without exit
 * handlers), so each directory is listed in a file of the runner's
 * (/tmp/antt-it-left.<runner pid>), and the runner stops what is still
 * running there when every test is done (ReportHook(POST_ALL)). */
static void left_path(char *out, size_t cap, pid_t runner)
{
    snprintf(out, cap, "/tmp/antt-it-left.%d", (int)runner);
}

static void left_add(const char *dir)
{
    char path[64];
    left_path(path, sizeof path, getppid());
    FILE *f = fopen(path, "a");
    if (!f) return;
    fprintf(f, "%s\n", dir);
    fclose(f);
}

static void left_drop(const char *dir)
{
    (void)dir; /* the directory is gone: the runner finds nothing to stop */
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    char path[64], line[512], cmd[4096];
    left_path(path, sizeof path, getpid());
    FILE *f = fopen(path, "r");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0]) continue;
        snprintf(cmd, sizeof cmd,
                 "{ [ -d %s ] || exit 0; if [ -f %s/monitor.uri ]; then"
                 " bash %s/deploy/ha/cluster.sh stop %s; else bash %s/tests/pg/pg.sh stop %s; fi;"
                 " rm -rf %s; } >/dev/null 2>&1",
                 line, line, ANTT_SOURCE_DIR, line, ANTT_SOURCE_DIR, line, line);
        run(cmd);
    }
    fclose(f);
    unlink(path);
}

/* A private server: tests/pg/pg.sh does the work. */
void it_server_init(it_server_t *s)
{
    snprintf(s->dir, sizeof s->dir, "/tmp/antt-it-pg.%d.XXXXXX", (int)getpid());
    cr_assert(mkdtemp(s->dir));
    left_add(s->dir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "bash %s/tests/pg/pg.sh start %s >/dev/null", ANTT_SOURCE_DIR,
             s->dir);
    cr_assert_eq(run(cmd), 0, "private PostgreSQL did not start");
    char envf[300];
    snprintf(envf, sizeof envf, "%s/env", s->dir);
    FILE *f = fopen(envf, "r");
    cr_assert(f);
    char line[512];
    s->port = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = strstr(line, "PGPORT=");
        if (p) s->port = atoi(p + 7);
    }
    fclose(f);
    cr_assert(s->port > 0);
    snprintf(s->dsn, sizeof s->dsn, "host=127.0.0.1 port=%d user=antt dbname=antt_test", s->port);
}

static void pg_ctl(it_server_t *s, const char *what)
{
    char cmd[1024];
    const char *bindir = getenv("ANTT_PG_BINDIR");
    snprintf(cmd, sizeof cmd,
             "%s %s/pg_ctl -D %s/data -l %s/server.log -w -t 60 -m fast "
             "-o '-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200' %s >/dev/null",
             geteuid() == 0 ? "runuser -u nobody --" : "",
             bindir ? bindir : "/usr/lib/postgresql/15/bin", s->dir, s->dir, s->port, s->dir, what);
    cr_assert_eq(run(cmd), 0, "pg_ctl %s failed", what);
}

void it_server_stop(it_server_t *s)
{
    pg_ctl(s, "stop");
}
void it_server_start(it_server_t *s)
{
    pg_ctl(s, "start");
}

void it_server_destroy(it_server_t *s)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "bash %s/tests/pg/pg.sh stop %s; rm -rf %s", ANTT_SOURCE_DIR, s->dir,
             s->dir);
    run(cmd);
    left_drop(s->dir);
}

void it_sleep_ms(int ms)
{
    sleep_ms(ms);
}

/* ---- anttd ---- */

/* A port below the kernel's ephemeral range (32768 and up by default): a
 * port the kernel handed out would soon be some outgoing connection's own
 * (to PostgreSQL, to a daemon) before the daemon binds it, and anttd would
 * exit at start with "address in use" (seen under parallel tests). Random,
 * and free when looked at. */
int it_free_port(void)
{
    static unsigned seed;
    /* The ports handed out already: one is free until its daemon binds it,
     * so a second call could return it again (a daemon's listen and stream
     * endpoints were once the same port). */
    static int given[256];
    static unsigned ngiven;
    if (!seed) seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    for (int tries = 0; tries < 1000; tries++) {
        const int port = 20000 + (int)(rand_r(&seed) % 12000);
        int again = 0;
        for (unsigned i = 0; i < ngiven && i < 256; i++)
            again |= given[i] == port;
        if (again) continue;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        const int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok) {
            given[ngiven++ % 256] = port;
            return port;
        }
    }
    cr_assert_fail("no free port between 20000 and 32000");
    return -1;
}

void it_child_of(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1); /* the parent died before prctl */
}

static pid_t spawn(const char *const *argv, const char *log, int append)
{
    const pid_t parent = getpid();
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        it_child_of(parent);
        int fd = open(log, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

int it_log_has(const it_daemon_t *d, const char *s)
{
    FILE *f = fopen(d->log, "r");
    if (!f) return 0;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, s) != NULL;
    fclose(f);
    return found;
}

const char *it_anttd_path = ANTTD_PATH;

static void launch(it_daemon_t *d, const char *dsn, const char *const *extra, int append)
{
    char listen[64], pub[64];
    snprintf(listen, sizeof listen, "tcp://127.0.0.1:%d", d->port);
    snprintf(pub, sizeof pub, "tcp://127.0.0.1:%d", d->pub_port);
    /* No HTTP unless a test asks for it (with a port of its own, in extra). */
    const char *argv[64] = {it_anttd_path, "--db", dsn, "--listen", listen, "--publish-listen", pub,
                            "--heartbeat-ivl-ms", "1000", "--heartbeat-timeout-ms", "3000",
                            "--http-listen", "", "--tally-publish", "", "--tally-snapshot", "",
                            /* plaintext unless a test passes --insecure=0 and a key */
                            "--insecure"};
    int n = 18;
    for (int i = 0; extra && extra[i] && n < 62; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    /* Count the lines so far: readiness is a new "listening" line. */
    int before = 0;
    FILE *f = fopen(d->log, "r");
    if (f) {
        char line[4096];
        while (fgets(line, sizeof line, f))
            if (strstr(line, "database connected")) before++;
        fclose(f);
    }
    d->pid = spawn(argv, d->log, append);
    for (int i = 0; i < 300; i++) { /* 15 s */
        int now = 0;
        f = fopen(d->log, "r");
        if (f) {
            char line[4096];
            while (fgets(line, sizeof line, f))
                if (strstr(line, "database connected")) now++;
            fclose(f);
        }
        if (now > before) return;
        cr_assert(it_daemon_alive(d), "anttd exited at start; see %s", d->log);
        sleep_ms(50);
    }
    cr_assert_fail("anttd not ready after 15 s; see %s", d->log);
}

void it_daemon_start(it_daemon_t *d, const char *dsn, const char *const *extra)
{
    d->port = it_free_port();
    do
        d->pub_port = it_free_port();
    while (d->pub_port == d->port);
    snprintf(d->log, sizeof d->log, "/tmp/anttd-it.%d.%d.log", (int)getpid(), d->port);
    launch(d, dsn, extra, 0);
}

void it_daemon_restart(it_daemon_t *d, const char *dsn, const char *const *extra)
{
    launch(d, dsn, extra, 1);
}

void it_daemon_forget(it_daemon_t *d)
{
    if (d->pid > 0) it_daemon_stop(d, SIGKILL);
    if (!getenv("ANTT_KEEP_LOGS")) unlink(d->log);
}

int it_daemon_alive(const it_daemon_t *d)
{
    if (d->pid <= 0) return 0;
    int st;
    return waitpid(d->pid, &st, WNOHANG) == 0;
}

int it_daemon_stop(it_daemon_t *d, int sig)
{
    if (d->pid <= 0) return -1;
    kill(d->pid, sig);
    int st = 0;
    for (int i = 0; i < 600; i++) { /* 30 s, then SIGKILL */
        pid_t r = waitpid(d->pid, &st, WNOHANG);
        if (r == d->pid) break;
        if (i == 599) {
            kill(d->pid, SIGKILL);
            waitpid(d->pid, &st, 0);
        }
        sleep_ms(50);
    }
    d->pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int it_anttd(const char *dsn, const char *const *args, char *out, size_t outlen)
{
    char log[128];
    snprintf(log, sizeof log, "/tmp/anttd-cmd.%d.log", (int)getpid());
    const char *argv[32] = {it_anttd_path, "--db", dsn};
    int n = 3;
    for (int i = 0; args[i] && n < 30; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = spawn(argv, log, 0);
    int st;
    waitpid(pid, &st, 0);
    if (out) {
        FILE *f = fopen(log, "r");
        size_t m = f ? fread(out, 1, outlen - 1, f) : 0;
        out[m] = '\0';
        if (f) fclose(f);
    }
    unlink(log);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int it_slow_open(const char *src, int port, const char *head)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET}, to = {.sin_family = AF_INET};
    inet_pton(AF_INET, src, &me.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    to.sin_port = htons((uint16_t)port);
    if (bind(fd, (struct sockaddr *)&me, sizeof me) < 0 ||
        connect(fd, (struct sockaddr *)&to, sizeof to) < 0) {
        close(fd);
        return -1;
    }
    send(fd, head, strlen(head), MSG_NOSIGNAL);
    return fd;
}

int it_closed_by_server(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c[256];
    return poll(&p, 1, 0) == 1 && recv(fd, c, sizeof c, MSG_DONTWAIT) <= 0;
}

int it_closed_within(const int *fds, int n, int ms)
{
    int closed = 0;
    for (int waited = 0;; waited += 50) {
        closed = 0;
        for (int i = 0; i < n; i++)
            closed += fds[i] < 0 || it_closed_by_server(fds[i]);
        if (closed == n || waited >= ms) return closed;
        sleep_ms(50);
    }
}

int it_http_get(int port, const char *path, char *out, size_t cap)
{
    return it_http(port, "GET", path, NULL, NULL, out, cap, NULL, 0);
}

static char last_headers[4096];

int it_http(int port, const char *method, const char *path, const char *cookie, const char *form,
            char *out, size_t cap, char *set_cookie, size_t sccap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    char req[4096];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n", method, path);
    if (cookie) n += snprintf(req + n, sizeof req - (size_t)n, "Cookie: %s\r\n", cookie);
    if (form)
        n += snprintf(req + n, sizeof req - (size_t)n,
                      "Content-Type: application/x-www-form-urlencoded\r\n"
                      "Content-Length: %zu\r\n\r\n%s",
                      strlen(form), form);
    else
        n += snprintf(req + n, sizeof req - (size_t)n, "\r\n");
    if (n < 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    ssize_t r;
    while (got + 1 < cap && (r = read(fd, out + got, cap - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = '\0';
    close(fd);
    int status = -1;
    sscanf(out, "HTTP/%*s %d", &status);
    char *body = strstr(out, "\r\n\r\n");
    if (set_cookie && sccap) {
        set_cookie[0] = '\0';
        const char *sc = strcasestr(out, "\r\nSet-Cookie: ");
        if (sc && (!body || sc < body)) sscanf(sc + 14, "%1023[^;\r]", set_cookie); /* NAME=VALUE */
    }
    snprintf(last_headers, sizeof last_headers, "%.*s", body ? (int)(body - out) : 0, out);
    if (body) memmove(out, body + 4, strlen(body + 4) + 1);
    return status;
}

const char *it_http_headers(void)
{
    return last_headers;
}

/* ---- client ---- */

static void *dealer_keyed(void *ctx, int port, const char *server_pub, const key_pair_t *k)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, ivl = 100;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    char err[256];
    if (server_pub) cr_assert_eq(key_apply_client(s, server_pub, k, err, sizeof err), 0, "%s", err);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    cr_assert_eq(zmq_connect(s, ep), 0);
    return s;
}

static void *dealer(void *ctx, int port)
{
    return dealer_keyed(ctx, port, NULL, NULL);
}

void it_client_open(it_client_t *c, int port)
{
    memset(c, 0, sizeof *c);
    c->ctx = zmq_ctx_new();
    c->sock = dealer(c->ctx, port);
}

void it_client_open_curve(it_client_t *c, int port, const char *server_pub, const key_pair_t *k)
{
    memset(c, 0, sizeof *c);
    c->ctx = zmq_ctx_new();
    c->sock = dealer_keyed(c->ctx, port, server_pub, k);
}

void it_client_close(it_client_t *c)
{
    zmq_close(c->sock);
    zmq_ctx_term(c->ctx);
    free(c->reply);
    memset(c, 0, sizeof *c);
}

/* Receive one reply (corr frame + payload) within timeout; 0 or -1. */
static int recv_reply(void *sock, uint32_t *corr, char **buf, size_t *len, int timeout_ms)
{
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, timeout_ms) <= 0) return -1;
    zmq_msg_t f;
    int nf = 0;
    *corr = UINT32_MAX;
    for (;;) {
        zmq_msg_init(&f);
        if (zmq_msg_recv(&f, sock, 0) < 0) {
            zmq_msg_close(&f);
            return -1;
        }
        int more = zmq_msg_more(&f);
        if (more && nf == 0 && zmq_msg_size(&f) == 4) memcpy(corr, zmq_msg_data(&f), 4);
        if (!more) {
            free(*buf);
            *len = zmq_msg_size(&f);
            *buf = malloc(*len + 1);
            memcpy(*buf, zmq_msg_data(&f), *len);
        }
        zmq_msg_close(&f);
        nf++;
        if (!more) return 0;
    }
}

int it_send_raw(it_client_t *c, const void *payload, size_t len, ack_t *acks, size_t cap, size_t *n,
                int timeout_ms)
{
    uint32_t corr = ++c->next_corr;
    *n = 0;
    zmq_send(c->sock, &corr, 4, ZMQ_SNDMORE);
    zmq_send(c->sock, payload, len, 0);
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0) return -1;
        uint32_t got;
        if (recv_reply(c->sock, &got, &c->reply, &c->reply_len, (int)left) < 0) return -1;
        if (got != corr) continue; /* a late reply to an earlier message */
        ack_reply_t rep;
        cr_assert_eq(ack_open(&rep, c->reply, c->reply_len), 0, "reply does not parse");
        ack_t a;
        while (ack_next(&rep, &a) == 1)
            if (*n < cap) acks[(*n)++] = a;
        return rep.code;
    }
}

int it_submit(it_client_t *c, const ev_t *evs, size_t n, ack_t *acks, int timeout_ms)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (n == 1)
        enc_event(&pk, evs);
    else
        enc_batch(&pk, evs, n);
    size_t got;
    int rc = it_send_raw(c, sb.data, sb.size, acks, n, &got, timeout_ms);
    msgpack_sbuffer_destroy(&sb);
    if (rc == 0) cr_assert_eq(got, n, "reply holds %zu acks for %zu events", got, n);
    return rc;
}

void it_publish(int pub_port, const void *payload, size_t len)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_PUSH);
    int linger = 5000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", pub_port);
    cr_assert_eq(zmq_connect(s, ep), 0);
    cr_assert(zmq_send(s, payload, len, 0) == (int)len);
    zmq_close(s); /* lingers until delivered */
    zmq_ctx_term(ctx);
}

/* ---- events ---- */

void it_new_id(uint8_t id[16])
{
    uint8_t rnd[10];
    cr_assert(getrandom(rnd, sizeof rnd, 0) == sizeof rnd);
    uuid_v7(id, (uint64_t)(IT_NOW_US / 1000), rnd);
}

static void base(ev_t *ev, ev_type_t t, const char *ref)
{
    static uint64_t seq;
    memset(ev, 0, sizeof *ev);
    ev->version = 1;
    ev->type = t;
    it_new_id(ev->id);
    ev->node = ev_cstr("ls-180-06040");
    ev->unit = ev_cstr("06040");
    ev->seq = ++seq;
    ev->time_us = IT_NOW_US;
    ev->ref = ev_cstr(ref);
    ev->present = ev_required(t);
}

void it_incident(ev_t *ev, const char *ref, const char *group, ev_severity_t sev,
                 int64_t occurred_us)
{
    base(ev, EV_INCIDENT_REPORTED, ref);
    ev->group = ev_cstr(group);
    ev->occurred_us = occurred_us;
    if (sev) {
        ev->severity = sev;
        ev->present |= EVB(EVF_SEVERITY);
    } else {
        ev->present &= ~EVB(EVF_SEVERITY);
    }
}

void it_cleared(ev_t *ev, const char *ref, int64_t cleared_us, uint32_t suspects)
{
    base(ev, EV_INCIDENT_CLEARED, ref);
    ev->at_us = cleared_us;
    ev->suspects = suspects;
    ev->present |= EVB(EVF_SUSPECTS);
}

void it_tipoff(ev_t *ev, const char *ref, int64_t received_us)
{
    base(ev, EV_TIPOFF_RECEIVED, ref);
    ev->kind = TIPKIND_DENUNCIATION;
    ev->source = SRC_CITIZEN;
    ev->at_us = received_us;
}

void it_resolved(ev_t *ev, const char *ref, ev_outcome_t outcome, int64_t at_us)
{
    base(ev, EV_TIPOFF_RESOLVED, ref);
    ev->outcome = outcome;
    ev->at_us = at_us;
}

void it_wanted_found(ev_t *ev, const char *issuer, const char *ref, ev_how_t how,
                     ev_category_t category, int64_t found_us)
{
    base(ev, EV_WANTED_FOUND, ref);
    ev->issuer = ev_cstr(issuer);
    ev->how = how;
    ev->category = category;
    ev->at_us = found_us;
}

void it_wanted_withdrawn(ev_t *ev, const char *issuer, const char *ref, int64_t at_us)
{
    base(ev, EV_WANTED_WITHDRAWN, ref);
    ev->issuer = ev_cstr(issuer);
    ev->at_us = at_us;
}

/* ---- sender ---- */

typedef struct {
    size_t first, n;
    char *bytes;
    size_t len;
    int64_t sent_ms; /* 0: not in flight */
    int done;
} smsg_t;

struct it_sender {
    void *ctx, *sock;
    int port, port2; /* port2: another daemon, or 0 */
    smsg_t *m;
    size_t nm;
    uint8_t *final; /* per event: 0 none, else 1 + ack status */
    size_t nev, nfinal;
    size_t counts[ACK_STATUS_COUNT];
    char *buf;
    size_t buflen;
};

it_sender_t *it_sender_new(int port, const ev_t *evs, size_t n, size_t per_msg)
{
    it_sender_t *s = calloc(1, sizeof *s);
    s->port = port;
    s->ctx = zmq_ctx_new();
    s->sock = dealer(s->ctx, port);
    s->nev = n;
    s->final = calloc(n, 1);
    s->nm = (n + per_msg - 1) / per_msg;
    s->m = calloc(s->nm, sizeof *s->m);
    for (size_t i = 0; i < s->nm; i++) {
        smsg_t *m = &s->m[i];
        m->first = i * per_msg;
        m->n = n - m->first < per_msg ? n - m->first : per_msg;
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        if (m->n == 1)
            enc_event(&pk, &evs[m->first]);
        else
            enc_batch(&pk, &evs[m->first], m->n);
        m->bytes = sb.data; /* the same bytes on every resend */
        m->len = sb.size;
    }
    return s;
}

void it_sender_free(it_sender_t **sp)
{
    it_sender_t *s = *sp;
    if (!s) return;
    for (size_t i = 0; i < s->nm; i++)
        free(s->m[i].bytes);
    free(s->m);
    free(s->final);
    free(s->buf);
    zmq_close(s->sock);
    zmq_ctx_term(s->ctx);
    free(s);
    *sp = NULL;
}

void it_sender_also(it_sender_t *s, int port)
{
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    cr_assert_eq(zmq_connect(s->sock, ep), 0);
    s->port2 = port;
}

void it_sender_reconnect(it_sender_t *s)
{
    zmq_close(s->sock);
    s->sock = dealer(s->ctx, s->port);
    if (s->port2) it_sender_also(s, s->port2);
    for (size_t i = 0; i < s->nm; i++)
        s->m[i].sent_ms = 0;
}

size_t it_sender_run(it_sender_t *s, int ms, int window, int resend_ms, size_t stop_after)
{
    int64_t end = mono_ms() + ms;
    size_t next = 0;
    while (mono_ms() < end && s->nfinal < s->nev && !(stop_after && s->nfinal >= stop_after)) {
        int64_t now = mono_ms();
        int inflight = 0;
        for (size_t i = 0; i < s->nm; i++)
            if (!s->m[i].done && s->m[i].sent_ms && now - s->m[i].sent_ms < resend_ms) inflight++;
        for (size_t k = 0; k < s->nm && inflight < window; k++) {
            size_t i = (next + k) % s->nm;
            smsg_t *m = &s->m[i];
            if (m->done || (m->sent_ms && now - m->sent_ms < resend_ms)) continue;
            uint32_t corr = (uint32_t)i;
            if (zmq_send(s->sock, &corr, 4, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) break;
            zmq_send(s->sock, m->bytes, m->len, 0);
            m->sent_ms = now;
            inflight++;
            next = i + 1;
        }
        uint32_t corr;
        if (recv_reply(s->sock, &corr, &s->buf, &s->buflen, 20) < 0 || corr >= s->nm) continue;
        smsg_t *m = &s->m[corr];
        ack_reply_t rep;
        if (ack_open(&rep, s->buf, s->buflen) < 0 || rep.code) continue;
        ack_t a;
        int pending = 0;
        while (ack_next(&rep, &a) == 1) {
            if (a.index >= m->n) continue;
            size_t e = m->first + a.index;
            if (a.status == ACK_DEFERRED) {
                pending = 1;
                continue;
            }
            if (!s->final[e]) {
                s->final[e] = (uint8_t)(1 + a.status);
                s->counts[a.status]++;
                s->nfinal++;
            }
        }
        if (!pending)
            m->done = 1;
        else
            m->sent_ms = now; /* resend after resend_ms */
    }
    return s->nfinal;
}

void it_sender_counts(const it_sender_t *s, size_t *accepted, size_t *duplicate, size_t *rejected,
                      size_t *deferred)
{
    *accepted = s->counts[ACK_ACCEPTED];
    *duplicate = s->counts[ACK_DUPLICATE];
    *rejected = s->counts[ACK_REJECTED];
    *deferred = s->counts[ACK_DEFERRED];
}

ack_t it_one(it_client_t *c, const ev_t *ev)
{
    ack_t a[1];
    cr_assert_eq(it_submit(c, ev, 1, a, 10000), 0, "no reply or message refused");
    return a[0];
}

void it_up(it_db_t *db, it_daemon_t *d, it_client_t *cl)
{
    it_db_create(db, NULL);
    it_daemon_start(d, db->dsn, NULL);
    it_client_open(cl, d->port);
}

void it_down(it_db_t *db, it_daemon_t *d, it_client_t *cl)
{
    it_client_close(cl);
    if (d->pid) it_daemon_stop(d, SIGTERM);
    it_daemon_forget(d);
    it_db_drop(db, NULL);
    it_strings_free();
}

/* ---- a pg_auto_failover formation ---- */

int it_formation(const it_formation_t *f, const char *verb)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "bash %s/deploy/ha/cluster.sh %s %s >/dev/null 2>&1", ANTT_SOURCE_DIR,
             verb, f->dir);
    return run(cmd);
}

int it_formation_wait(const it_formation_t *f, const char *states)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "bash %s/deploy/ha/cluster.sh wait %s '%s' >/dev/null 2>&1",
             ANTT_SOURCE_DIR, f->dir, states);
    return run(cmd);
}

void it_formation_start(it_formation_t *f)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/antt-ha.%d.XXXXXX", (int)getpid());
    cr_assert(mkdtemp(f->dir));
    left_add(f->dir);
    /* its output, and on failure the formation's own logs: without them a
     * flake cannot be told from a defect */
    char cmd[1024], out[16384] = "";
    snprintf(cmd, sizeof cmd,
             "bash %s/deploy/ha/cluster.sh start %s 2>&1 || { echo FAILED;"
             " tail -n 15 %s/*.log 2>&1; }",
             ANTT_SOURCE_DIR, f->dir, f->dir);
    FILE *sh = popen(cmd, "r");
    cr_assert_not_null(sh);
    size_t n = fread(out, 1, sizeof out - 1, sh);
    out[n] = '\0';
    pclose(sh);
    cr_assert(!strstr(out, "FAILED"), "the formation did not start:\n%s", out);
    char path[300], line[1024];
    snprintf(path, sizeof path, "%s/env", f->dir);
    FILE *e = fopen(path, "r");
    cr_assert(e);
    f->dsn[0] = '\0';
    while (fgets(line, sizeof line, e)) {
        char *p = strstr(line, "ANTT_HA_DSN='");
        if (!p) continue;
        p += 13;
        char *q = strchr(p, '\'');
        cr_assert(q);
        snprintf(f->dsn, sizeof f->dsn, "%.*s", (int)(q - p), p);
    }
    fclose(e);
    cr_assert(f->dsn[0]);
    /* The schema and reference data, as an operator would load them. */
    const char *setup[] = {"--migrate",
                           "--load-units",
                           ANTT_SOURCE_DIR "/data/units-cluster2.csv",
                           "--load-groups",
                           ANTT_SOURCE_DIR "/data/crime_groups.csv",
                           "--add-node",
                           "ls-180-06040=06040",
                           NULL};
    cr_assert_eq(it_anttd(f->dsn, setup, NULL, 0), 0);
}

void it_formation_destroy(it_formation_t *f)
{
    if (!f->dir[0]) return;
    it_formation(f, "stop");
    left_drop(f->dir);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd)) {
    }
    f->dir[0] = '\0';
}

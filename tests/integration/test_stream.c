/* test_stream.c — the tally stream: a subscriber that starts from a snapshot
 * and applies the deltas after it ends with exactly the database's tallies. */
#include "harness.h"

#include "lib/tview.h"
#include "proto/encode.h"
#include "proto/ts.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* Stopped in the suite's fini, so a failed assertion leaves nothing running. */
static it_db_t db;
static it_daemon_t d, d2;

static void down(void)
{
    if (d.pid) it_daemon_stop(&d, SIGTERM);
    it_daemon_forget(&d);
    if (d2.pid) it_daemon_stop(&d2, SIGTERM);
    it_daemon_forget(&d2);
    if (db.name[0]) it_db_drop(&db, NULL);
    memset(&db, 0, sizeof db);
    it_strings_free();
}

TestSuite(stream, .fini = down);

/* A database and an anttd publishing on free ports (pub_ep, snap_ep). */
static void start(char pub_ep[64], char snap_ep[64])
{
    it_db_create(&db, NULL);
    int pub = it_free_port(), snap;
    do
        snap = it_free_port();
    while (snap == pub);
    snprintf(pub_ep, 64, "tcp://127.0.0.1:%d", pub);
    snprintf(snap_ep, 64, "tcp://127.0.0.1:%d", snap);
    const char *extra[] = {"--tally-publish", pub_ep, "--tally-snapshot", snap_ep, NULL};
    it_daemon_start(&d, db.dsn, extra);
}

typedef struct {
    char **msg;
    size_t *len;
    size_t n, cap;
} inbox_t;

static void collect(void *sub, inbox_t *in, int quiet_ms)
{
    zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
    while (zmq_poll(&it, 1, quiet_ms) > 0) {
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        zmq_msg_init(&body);
        zmq_msg_recv(&topic, sub, 0);
        cr_assert(zmq_msg_more(&topic));
        zmq_msg_recv(&body, sub, 0);
        cr_expect(zmq_msg_size(&topic) >= 3 && !memcmp(zmq_msg_data(&topic), "20.", 3));
        if (in->n == in->cap) {
            in->cap = in->cap ? in->cap * 2 : 1024;
            in->msg = realloc(in->msg, in->cap * sizeof *in->msg);
            in->len = realloc(in->len, in->cap * sizeof *in->len);
        }
        in->len[in->n] = zmq_msg_size(&body);
        in->msg[in->n] = malloc(in->len[in->n]);
        memcpy(in->msg[in->n], zmq_msg_data(&body), in->len[in->n]);
        in->n++;
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
    }
}

/* A snapshot of Lạng Sơn (unit 20, every day) from ep into a new view. */
static tview_t *snapshot_of_20(void *ctx, const char *ep)
{
    void *req = zmq_socket(ctx, ZMQ_REQ);
    cr_assert_eq(zmq_connect(req, ep), 0);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    enc_str(&pk, "unit", 4);
    enc_str(&pk, "20", 2);
    enc_str(&pk, "from", 4);
    msgpack_pack_int(&pk, 0);
    enc_str(&pk, "to", 2);
    msgpack_pack_int(&pk, 100000);
    zmq_send(req, sb.data, sb.size, 0);
    msgpack_sbuffer_destroy(&sb);
    zmq_pollitem_t it = {req, 0, ZMQ_POLLIN, 0};
    cr_assert_eq(zmq_poll(&it, 1, 10000), 1, "no snapshot reply");
    zmq_msg_t rep;
    zmq_msg_init(&rep);
    zmq_msg_recv(&rep, req, 0);
    tview_t *tv = tview_new();
    char err[256];
    cr_assert_eq(tview_snapshot(tv, zmq_msg_data(&rep), zmq_msg_size(&rep), err, sizeof err), 0,
                 "%s", err);
    zmq_msg_close(&rep);
    zmq_close(req);
    return tv;
}

static void count_cell(void *ctx, const char *unit, int32_t day, const char *metric,
                       const char *grp, const char *sev, int64_t value);

/* Every tally of Lạng Sơn's subtree in the view as in the database, and
 * nothing else. */
static void expect_view_equals_database(const tview_t *tv)
{
    PGconn *c = it_pg(&db);
    PGresult *r =
        PQexec(c, "SELECT unit, day - date '1970-01-01', metric, grp, severity, value"
                  " FROM antt.tallies WHERE unit IN (SELECT antt.subtree('20')) AND value <> 0");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    cr_assert_gt(PQntuples(r), 10);
    for (int row = 0; row < PQntuples(r); row++)
        cr_expect_eq(tview_get(tv, PQgetvalue(r, row, 0), atoi(PQgetvalue(r, row, 1)),
                               PQgetvalue(r, row, 2), PQgetvalue(r, row, 3), PQgetvalue(r, row, 4)),
                     atoll(PQgetvalue(r, row, 5)), "%s %s %s", PQgetvalue(r, row, 0),
                     PQgetvalue(r, row, 1), PQgetvalue(r, row, 2));
    size_t cells = 0;
    tview_foreach(tv, count_cell, &cells);
    cr_expect_eq(cells, (size_t)PQntuples(r), "the view holds nothing the database does not");
    PQclear(r);
    PQfinish(c);
}

/* Incidents, clearances, corrections and voids, tip-offs and decisions. */
static ev_t *workload(size_t n, const char *tag)
{
    ev_t *evs = calloc(n, sizeof *evs);
    for (size_t i = 0; i + 4 < n; i += 5) {
        const char *a = it_str("%s-%zu", tag, i), *t = it_str("%s-T%zu", tag, i);
        int64_t occ = IT_NOW_US - (int64_t)(i % 20 + 1) * IT_DAY_US;
        it_incident(&evs[i], a, i % 2 ? "drugs" : "social_order", SEV_SERIOUS, occ);
        it_cleared(&evs[i + 1], a, occ + IT_DAY_US, 2);
        it_incident(&evs[i + 2], a, "social_order", SEV_NONE, 0);
        evs[i + 2].type = (i % 3) ? EV_INCIDENT_CORRECTED : EV_INCIDENT_VOIDED;
        evs[i + 2].present = ev_required(evs[i + 2].type);
        if (i % 3) {
            evs[i + 2].severity = SEV_VERY_SERIOUS;
            evs[i + 2].present |= EVB(EVF_SEVERITY);
        }
        it_tipoff(&evs[i + 3], t, occ);
        it_resolved(&evs[i + 4], t, i % 4 ? OUT_PROSECUTE : OUT_TRANSFER, occ + IT_DAY_US);
    }
    return evs;
}

static void count_cell(void *ctx, const char *unit, int32_t day, const char *metric,
                       const char *grp, const char *sev, int64_t value)
{
    (void)unit, (void)day, (void)metric, (void)grp, (void)sev, (void)value;
    (*(size_t *)ctx)++;
}

Test(stream, snapshot_plus_deltas_equals_the_database, .timeout = 120)
{
    char pub_ep[64], snap_ep[64];
    start(pub_ep, snap_ep);

    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int hwm = 0; /* keep everything: the test wants no loss */
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "20.", 3);
    cr_assert_eq(zmq_connect(sub, pub_ep), 0);
    struct timespec ts = {0, 300000000};
    nanosleep(&ts, NULL); /* let the subscription reach the daemon */

    inbox_t in = {0};
    ev_t *one = workload(1000, "a");
    it_sender_t *s = it_sender_new(d.port, one, 1000, 50);
    cr_assert_eq(it_sender_run(s, 60000, 8, 5000, 0), 1000);
    it_sender_free(&s);
    /* acks come before the fold: every batch folded, then its windows read
     * (a window still coming after `before` is counted would be in the
     * snapshot and seen again, old, below) */
    PGconn *c = it_pg(&db);
    it_fold_wait(c);
    PQfinish(c);
    collect(sub, &in, 1000);
    const size_t before = in.n;

    /* The snapshot, between two parts of the workload. */
    tview_t *tv = snapshot_of_20(ctx, snap_ep);

    ev_t *two = workload(1500, "b");
    s = it_sender_new(d.port, two, 1500, 50);
    cr_assert_eq(it_sender_run(s, 60000, 8, 5000, 0), 1500);
    it_sender_free(&s);
    collect(sub, &in, 500);
    cr_expect_gt(in.n, before, "messages after the snapshot");

    size_t applied = 0, old = 0;
    for (size_t i = 0; i < in.n; i++) {
        int rc = tview_apply(tv, in.msg[i], in.len[i]);
        cr_assert(rc == TV_APPLIED || rc == TV_OLD, "message %zu: %d", i, rc);
        applied += rc == TV_APPLIED;
        old += rc == TV_OLD;
        free(in.msg[i]);
    }
    cr_expect_eq(old, before, "exactly the messages before the snapshot are in it");
    cr_expect_eq(tview_gaps(tv), 0);

    expect_view_equals_database(tv);

    free(in.msg);
    free(in.len);
    tview_free(&tv);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    free(one);
    free(two);
}

Test(stream, antt_watch_shows_the_children_live, .timeout = 120)
{
    char pub_ep[64], snap_ep[64];
    start(pub_ep, snap_ep);
    it_client_t cl;
    it_client_open(&cl, d.port);
    const int64_t now = ts_now_us(), H = 3600 * 1000000LL;
    ev_t ev;
    ack_t a[1];
    /* One incident before the watch starts: it comes with the snapshot. */
    it_incident(&ev, "W0", "social_order", SEV_SERIOUS, now - H);
    ev.time_us = now;
    cr_assert_eq(it_submit(&cl, &ev, 1, a, 10000), 0);

    char out_path[] = "/tmp/antt-watch-XXXXXX";
    int fd = mkstemp(out_path);
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s --insecure watch --unit 180 --period year --db '%s' --stream %s --snapshot %s "
             "--for 10 >%s 2>&1",
             ANTT_PATH, db.dsn, pub_ep, snap_ep, out_path);
    FILE *w = popen(cmd, "r");
    struct timespec ts = {3, 0}; /* it subscribes and takes its snapshot */
    nanosleep(&ts, NULL);
    for (int k = 1; k <= 2; k++) {
        it_incident(&ev, it_str("W%d", k), "drugs", SEV_VERY_SERIOUS, now - H);
        ev.time_us = now;
        cr_assert_eq(it_submit(&cl, &ev, 1, a, 10000), 0);
        cr_expect_eq(a[0].status, ACK_ACCEPTED);
    }
    it_cleared(&ev, "W1", now - H / 2, 2);
    ev.time_us = now;
    cr_assert_eq(it_submit(&cl, &ev, 1, a, 10000), 0);
    it_tipoff(&ev, "WT", now - H);
    ev.time_us = now;
    cr_assert_eq(it_submit(&cl, &ev, 1, a, 10000), 0);
    it_wanted_found(&ev, "20", "W/QĐTN", HOW_SURRENDERED, CAT_ORDINARY, now - H);
    ev.time_us = now;
    cr_assert_eq(it_submit(&cl, &ev, 1, a, 10000), 0);
    cr_expect_eq(a[0].status, ACK_ACCEPTED);
    cr_expect_eq(pclose(w), 0);
    FILE *f = fopen(out_path, "r");
    static char out[65536];
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    fclose(f);
    unlink(out_path);
    /* District 180 was dissolved on 1 July 2025: its rows are the new
     * communes made of its communes (Thất Khê 06040, Quốc Việt 06058, ...),
     * not its old communes (06043 went into 06058). */
    cr_expect(strstr(out, "Xã Quốc Việt") && !strstr(out, "\n06043 "), "%s", out);
    /* The province's rows are its communes of today, not its old districts. */
    /* (with another TZ: the clock shown is Hanoi's whatever the terminal's) */
    snprintf(cmd, sizeof cmd,
             "TZ=America/New_York %s --insecure watch --unit 20 --period year --db '%s' "
             "--stream %s --snapshot %s --for 1 2>&1",
             ANTT_PATH, db.dsn, pub_ep, snap_ep);
    const time_t before = time(NULL);
    FILE *w20 = popen(cmd, "r");
    static char prov[65536];
    size_t pn = fread(prov, 1, sizeof prov - 1, w20);
    prov[pn] = '\0';
    cr_expect_eq(pclose(w20), 0, "%s", prov);
    cr_expect(strstr(prov, "\n06040  Xã Thất Khê") && !strstr(prov, "Huyện Tràng Định"), "%s",
              prov);
    /* The heading's clock: Hanoi's time, with its zone. */
    int y, mo, dd, hh, mi, ss;
    const char *clock = strstr(prov, "— year — ");
    cr_assert(clock, "%s", prov);
    cr_assert_eq(
        sscanf(clock + strlen("— year — "), "%d-%d-%d %d:%d:%d", &y, &mo, &dd, &hh, &mi, &ss), 6,
        "%s", prov);
    cr_expect(strstr(clock, " +07:00 (Hanoi)\n"), "%s", prov);
    const long long as_utc =
        (long long)ts_days_from_civil(y, mo, dd) * 86400 + hh * 3600 + mi * 60 + ss - 7 * 3600;
    cr_expect(as_utc >= before - 2 && as_utc <= time(NULL) + 2,
              "the clock %02d:%02d:%02d is not Hanoi's now", hh, mi, ss);
    /* The last table: 06040 with 3 incidents, 1 cleared (33,3%), the major
     * one cleared (50,0%), 2 suspects, 1 tip-off received, 1 wanted person
     * found. */
    char *last = strstr(out, "06040"), *p;
    while (last && (p = strstr(last + 1, "06040")))
        last = p;
    cr_assert(last, "%s", out);
    char line[256];
    sscanf(last, "%255[^\n]", line);
    long long inc = -1, clr = -1, sus = -1, trec = -1, tres = -1, over = -1, wanted = -1;
    char name[64], cp[16], mp[16], rp[16];
    cr_assert_eq(sscanf(line,
                        "06040 %63s %*s %*s %lld %lld %15s %15s %lld %lld %lld %lld %15s %lld",
                        name, &inc, &clr, cp, mp, &sus, &trec, &tres, &over, rp, &wanted),
                 11, "%s", line);
    cr_expect_eq(wanted, 1, "a wanted person found, live: %s", line);
    cr_expect_eq(inc, 3, "%s", line);
    cr_expect_eq(clr, 1, "%s", line);
    cr_expect_str_eq(cp, "33,3", "%s", line);
    cr_expect_str_eq(mp, "50,0", "%s", line);
    cr_expect_eq(sus, 2, "%s", line);
    cr_expect_eq(trec, 1, "%s", line);
    cr_expect_eq(tres, 0, "%s", line);
    it_client_close(&cl);
}

/* A daemon on db publishing on free ports. */
static void start_another(it_daemon_t *x, char pub_ep[64], char snap_ep[64])
{
    snprintf(pub_ep, 64, "tcp://127.0.0.1:%d", it_free_port());
    snprintf(snap_ep, 64, "tcp://127.0.0.1:%d", it_free_port());
    const char *extra[] = {"--tally-publish", pub_ep, "--tally-snapshot", snap_ep, NULL};
    it_daemon_start(x, db.dsn, extra);
}

/* How many times x's log says it became the publisher (a restarted
 * daemon's log goes on in the same file). */
static int publishing(const it_daemon_t *x)
{
    FILE *f = fopen(x->log, "r");
    if (!f) return 0;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, "publishing: this daemon folds") != NULL;
    fclose(f);
    return n;
}

/* Wait until the stream reaches sub: ZeroMQ drops what a publisher sends
 * before a subscription reaches it (slow on a loaded machine), so a probe is
 * sent until its message arrives. A snapshot taken after includes it. */
static void await_subscription(void *sub, int port)
{
    it_client_t c;
    it_client_open(&c, port);
    inbox_t in = {0};
    for (int i = 0; i < 50 && !in.n; i++) {
        ev_t ev;
        ack_t a[1];
        it_tipoff(&ev, it_str("probe-%d", i), IT_NOW_US - IT_DAY_US);
        cr_assert_eq(it_submit(&c, &ev, 1, a, 10000), 0);
        collect(sub, &in, 200);
    }
    cr_assert(in.n, "the stream never reached the subscriber");
    for (size_t i = 0; i < in.n; i++)
        free(in.msg[i]);
    free(in.msg);
    free(in.len);
    it_client_close(&c);
}

/* Apply what arrived (waiting at most quiet_ms for the first message): no
 * gap is allowed, repeats of a takeover are. */
static size_t follow(void *sub, tview_t *tv, int quiet_ms, size_t *old)
{
    inbox_t in = {0};
    collect(sub, &in, quiet_ms);
    for (size_t i = 0; i < in.n; i++) {
        int rc = tview_apply(tv, in.msg[i], in.len[i]);
        cr_expect(rc == TV_APPLIED || rc == TV_OLD, "a message the view cannot take: %d", rc);
        *old += rc == TV_OLD;
        free(in.msg[i]);
    }
    free(in.msg);
    free(in.len);
    return in.n;
}

/* Two daemons on one database, one stream: events go to both; the
 * subscriber listens to both publishing endpoints and follows one stream.
 * The publishing daemon is killed -9 in the middle; the other takes over
 * from the slot; the subscriber sees no gap and ends equal to the
 * database. ANTT_STREAM_EVENTS sets the size (the full run: 20000). */
Test(stream, two_daemons_one_stream_survives_the_publishers_death, .timeout = 300)
{
    const char *env = getenv("ANTT_STREAM_EVENTS");
    const size_t total = env ? (size_t)atol(env) : 6000;
    char pa[64], sa[64], pb[64], sb_[64];
    start(pa, sa);
    start_another(&d2, pb, sb_);
    for (int i = 0; i < 100 && !publishing(&d) && !publishing(&d2); i++)
        it_sleep_ms(100);
    cr_assert_eq(publishing(&d) + publishing(&d2), 1,
                 "exactly one daemon publishes: %d + %d (logs %s, %s)", publishing(&d),
                 publishing(&d2), d.log, d2.log);
    it_daemon_t *leader = publishing(&d) ? &d : &d2, *other = leader == &d ? &d2 : &d;

    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int hwm = 0;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "20.", 3);
    cr_assert_eq(zmq_connect(sub, pa), 0);
    cr_assert_eq(zmq_connect(sub, pb), 0);
    await_subscription(sub, d.port);
    /* The snapshot from the daemon that does not publish: any daemon's is
     * consistent with the one stream. */
    tview_t *tv = snapshot_of_20(ctx, other == &d ? sa : sb_);

    /* The stations list both daemons. */
    ev_t *evs = workload(total, "p");
    it_sender_t *st = it_sender_new(d.port, evs, total, 25);
    it_sender_also(st, d2.port);
    size_t done = 0, old = 0, msgs = 0;
    int killed = 0;
    for (int round = 0; round < 3000 && done < total; round++) {
        done = it_sender_run(st, 200, 8, 3000, 0);
        msgs += follow(sub, tv, 1, &old);
        if (!killed && done >= total / 2) {
            cr_assert_eq(it_daemon_stop(leader, SIGKILL), 128 + SIGKILL);
            killed = 1;
            for (int i = 0; i < 100 && !publishing(other); i++) {
                msgs += follow(sub, tv, 1, &old);
                it_sleep_ms(100);
            }
            cr_assert(publishing(other), "the other daemon took over publishing");
            /* the killed one comes back on its ports, and does not publish */
            it_daemon_restart(leader, db.dsn,
                              (const char *[]){"--tally-publish", leader == &d ? pa : pb,
                                               "--tally-snapshot", leader == &d ? sa : sb_, NULL});
        }
    }
    cr_assert_eq(done, total);
    cr_assert(killed);
    msgs += follow(sub, tv, 2000, &old);
    cr_expect_eq(tview_gaps(tv), 0, "no gap");
    cr_expect_eq(publishing(leader), 1, "the restarted daemon does not publish again");
    cr_expect_eq(publishing(other), 1);
    cr_log_info("two daemons: %zu events, %zu stream messages, %zu repeated at the takeover", total,
                msgs, old);

    expect_view_equals_database(tv);

    size_t acc, dup, rej, def;
    it_sender_counts(st, &acc, &dup, &rej, &def);
    cr_expect_eq(acc + dup, total);
    it_sender_free(&st);
    free(evs);
    tview_free(&tv);
    zmq_close(sub);
    zmq_ctx_term(ctx);
}

/* anttd at `path` with args, in the background (fork and exec); its pid. */
static pid_t background(const char *path, const char *const *args)
{
    const pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        const int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        execv(path, (char *const *)args);
        _exit(127);
    }
    return pid;
}

/* Stations keep sending (and the subscriber following) until the process
 * pid exits; its exit status. */
static int send_while(pid_t pid, it_sender_t *st, void *sub, tview_t *tv, size_t *old, size_t *msgs)
{
    int status = 0;
    for (int i = 0; i < 1200; i++) {
        it_sender_run(st, 100, 8, 3000, 0);
        *msgs += follow(sub, tv, 1, old);
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    cr_assert_fail("%d did not end in two minutes", (int)pid);
    return -1;
}

/* A daemon restarted on its ports: the subscriber's socket reconnects to it
 * (ZeroMQ retries every 100 ms), and a PUB drops what it sends before a
 * subscription reaches it. Were the other daemon stopped at once, this one
 * would take over publishing before the subscriber is back: a gap the
 * daemons did not make. So the stations go on for a second first. */
static void settle(it_sender_t *st, void *sub, tview_t *tv, size_t *old, size_t *msgs)
{
    for (int i = 0; i < 10; i++) {
        it_sender_run(st, 100, 8, 3000, 0);
        *msgs += follow(sub, tv, 1, old);
    }
}

/* The upgrade of one daemon to the build at path: stopped; the build
 * migrates while the stations send to the other; started in its place. */
static void upgrade(it_daemon_t *x, const char *path, const char *pub_ep, const char *snap_ep,
                    it_sender_t *st, void *sub, tview_t *tv, size_t *old, size_t *msgs)
{
    cr_assert_eq(it_daemon_stop(x, SIGTERM), 0);
    const char *migrate[] = {path, "--db", db.dsn, "--migrate", NULL};
    cr_assert_eq(send_while(background(path, migrate), st, sub, tv, old, msgs), 0, "%s --migrate",
                 path);
    it_anttd_path = path;
    it_daemon_restart(
        x, db.dsn, (const char *[]){"--tally-publish", pub_ep, "--tally-snapshot", snap_ep, NULL});
    it_anttd_path = ANTTD_PATH;
    settle(st, sub, tv, old, msgs);
}

/* Two daemons on one database upgraded one after the other while stations
 * send to both and a subscriber follows the stream (db/schema/README.md,
 * "Upgrades without stopping intake"): first to a build whose migration is
 * an expand (a column on the tip-offs every batch writes, a function), the
 * other running the first build beside it; then the contract of that build's
 * successor, while both run. Every event answered, stored once; the stream
 * without a gap; the first build refused by the contracted schema. */
Test(stream, a_rolling_upgrade_expand_then_contract, .timeout = 300)
{
    const size_t total = 4000;
    char pa[64], sa[64], pb[64], sb_[64];
    start(pa, sa);
    start_another(&d2, pb, sb_);
    for (int i = 0; i < 100 && !publishing(&d) && !publishing(&d2); i++)
        it_sleep_ms(100);
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int hwm = 0;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "20.", 3);
    cr_assert_eq(zmq_connect(sub, pa), 0);
    cr_assert_eq(zmq_connect(sub, pb), 0);
    await_subscription(sub, d.port);
    tview_t *tv = snapshot_of_20(ctx, sb_);
    ev_t *evs = workload(total, "u");
    it_sender_t *st = it_sender_new(d.port, evs, total, 10);
    it_sender_also(st, d2.port);
    size_t done = 0, old = 0, msgs = 0;
    PGconn *c = it_pg(&db);
    const char *column = "SELECT count(*) FROM information_schema.columns"
                         " WHERE table_schema = 'antt' AND table_name = 'tipoffs'"
                         " AND column_name = 'desk_note'";
    /* each step once a quarter of the events are answered */
    for (int step = 0; step < 3; step++) {
        while (done < total * (size_t)(step + 1) / 4)
            done = it_sender_run(st, 200, 8, 3000, total * (size_t)(step + 1) / 4);
        msgs += follow(sub, tv, 1, &old);
        if (step == 0) { /* d to the expand; d2, the first build, goes on beside it */
            upgrade(&d, ANTTD_NEXT_PATH, pa, sa, st, sub, tv, &old, &msgs);
            cr_expect_eq(it_scalar(c, column), 1, "900 added the column");
            cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.schema_migrations"
                                      " WHERE version = 900 AND oldest_binary = 0"),
                         1);
            /* and the first build still starts against it (a restart, a failover) */
            cr_assert_eq(it_daemon_stop(&d2, SIGTERM), 0);
            it_daemon_restart(
                &d2, db.dsn,
                (const char *[]){"--tally-publish", pb, "--tally-snapshot", sb_, NULL});
            settle(st, sub, tv, &old, &msgs);
        } else if (step == 1) { /* then d2 */
            upgrade(&d2, ANTTD_NEXT_PATH, pb, sb_, st, sub, tv, &old, &msgs);
        } else { /* the contract of next2, both daemons running next */
            const char *migrate[] = {ANTTD_NEXT2_PATH, "--db", db.dsn, "--migrate", NULL};
            cr_assert_eq(
                send_while(background(ANTTD_NEXT2_PATH, migrate), st, sub, tv, &old, &msgs), 0);
            cr_expect_eq(it_scalar(c, column), 0, "901 dropped the column");
            upgrade(&d, ANTTD_NEXT2_PATH, pa, sa, st, sub, tv, &old, &msgs);
        }
    }
    for (int round = 0; round < 3000 && done < total; round++) {
        done = it_sender_run(st, 200, 8, 3000, 0);
        msgs += follow(sub, tv, 1, &old);
    }
    cr_assert_eq(done, total, "every event answered");
    msgs += follow(sub, tv, 2000, &old);
    cr_expect_eq(tview_gaps(tv), 0, "no gap in the stream");
    expect_view_equals_database(tv);
    size_t acc, dup, rej, def;
    it_sender_counts(st, &acc, &dup, &rej, &def);
    cr_expect_eq(acc + dup, total);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events WHERE ref LIKE 'u-%'"),
                 (long long)acc, "each accepted event stored once");
    cr_log_info("rolling upgrade: %zu events, %zu stream messages, %zu repeated at takeovers",
                total, msgs, old);

    /* the first build is refused by the contracted schema; next2 verifies */
    const char *args[] = {"--listen",         "tcp://127.0.0.1:0",
                          "--publish-listen", "",
                          "--http-listen",    "",
                          "--tally-publish",  "",
                          "--tally-snapshot", "",
                          "--insecure",       NULL};
    char out[4096];
    cr_expect_eq(it_anttd(db.dsn, args, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "carries version 900 or later"), "%s", out);
    it_anttd_path = ANTTD_NEXT2_PATH;
    const char *verify[] = {"--verify", NULL};
    cr_expect_eq(it_anttd(db.dsn, verify, out, sizeof out), 0, "%s", out);
    it_anttd_path = ANTTD_PATH;
    PQfinish(c);
    it_sender_free(&st);
    free(evs);
    tview_free(&tv);
    zmq_close(sub);
    zmq_ctx_term(ctx);
}

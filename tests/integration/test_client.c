/* test_client.c — libantt against the real anttd: store and forward across a
 * client killed with SIGKILL, a daemon restarted, two daemons on one database. */
#include "harness.h"

#include "lib/antt.h"
#include "proto/err.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static it_db_t db;
static char dir[64], spool[128], endpoint[64];

static void up(void)
{
    it_db_create(&db, NULL);
    snprintf(dir, sizeof dir, "/tmp/antt-client-XXXXXX");
    cr_assert(mkdtemp(dir));
    snprintf(spool, sizeof spool, "%s/spool", dir);
}

static void down(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {
    }
    it_db_drop(&db, NULL);
    it_strings_free();
}

TestSuite(client, .init = up, .fini = down, .timeout = 180);

typedef struct {
    size_t n[ACK_STATUS_COUNT];
    int last_code;
} tally_t;

static void on_result(void *ctx, const antt_result_t *r)
{
    tally_t *t = ctx;
    t->n[r->status]++;
    if (r->status == ACK_REJECTED) t->last_code = r->code;
}

static antt_t *open_client(const char *endpoints, int resend_ms, antt_fsync_t fsync)
{
    antt_opts_t o = antt_defaults();
    o.sec.insecure = 1; /* the harness runs anttd --insecure */
    o.endpoints = endpoints;
    o.node = "ls-180-06040";
    o.spool_path = spool;
    o.resend_ms = resend_ms;
    o.fsync = fsync;
    antt_t *a;
    char err[256];
    cr_assert_eq(antt_open(&a, &o, err, sizeof err), 0, "%s", err);
    return a;
}

/* An incident of this station with a reference of its own. */
static void incident(ev_t *ev, unsigned k)
{
    char ref[32];
    snprintf(ref, sizeof ref, "C-%u", k);
    it_incident(ev, it_str("%s", ref), "social_order", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
}

static void drain(antt_t *a, tally_t *t, int seconds)
{
    for (int i = 0; i < seconds * 10 && antt_pending(a); i++)
        antt_poll(a, 100, on_result, t);
    cr_expect_eq(antt_pending(a), 0, "%zu events still pending", antt_pending(a));
}

static long long stored(void)
{
    PGconn *c = it_pg(&db);
    long long n = it_scalar(c, "SELECT count(*) FROM antt.events");
    cr_expect_eq(it_tally(c, "incidents", NULL), n, "tallies match the log");
    PQfinish(c);
    return n;
}

static void expect_verified(void)
{
    char out[4096];
    const char *args[] = {"--verify", NULL};
    cr_expect_eq(it_anttd(db.dsn, args, out, sizeof out), 0, "%s", out);
}

Test(client, events_flow_and_a_rejection_is_reported_with_its_code)
{
    it_daemon_t d;
    it_daemon_start(&d, db.dsn, NULL);
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", d.port);
    antt_t *a = open_client(endpoint, 5000, ANTT_FSYNC_BATCH);
    char err[256];
    for (unsigned k = 0; k < 300; k++) {
        ev_t ev;
        incident(&ev, k);
        cr_assert_eq(antt_submit(a, &ev, err, sizeof err), 0, "%s", err);
    }
    ev_t bad;
    it_incident(&bad, "BAD", "piracy", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    cr_assert_eq(antt_submit(a, &bad, err, sizeof err), 0, "%s", err);
    /* Refused at the station, never spooled: the validator runs before sending. */
    ev_t invalid;
    it_incident(&invalid, "", "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    cr_expect_eq(antt_submit(a, &invalid, err, sizeof err), -ANTT_E_TOO_LONG, "%s", err);
    cr_expect(strstr(err, "case"), "%s", err);
    tally_t t = {0};
    drain(a, &t, 30);
    cr_expect_eq(t.n[ACK_ACCEPTED], 300);
    cr_expect_eq(t.n[ACK_REJECTED], 1);
    cr_expect_eq(t.last_code, ANTT_E_UNKNOWN_GROUP);
    antt_close(&a);
    cr_expect_eq(stored(), 300);
    it_daemon_stop(&d, SIGTERM);
    it_daemon_forget(&d);
    expect_verified();
}

Test(client, the_spool_survives_kill_9_of_the_client)
{
    it_daemon_t d;
    it_daemon_start(&d, db.dsn, NULL);
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", d.port);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    const pid_t me = getpid();
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) { /* the station: submit and send, report each event spooled */
        it_child_of(me);
        close(p[0]);
        antt_opts_t o = antt_defaults();
        o.sec.insecure = 1;
        o.endpoints = endpoint;
        o.node = "ls-180-06040";
        o.spool_path = spool;
        o.resend_ms = 2000;
        antt_t *a;
        char err[256];
        if (antt_open(&a, &o, err, sizeof err)) _exit(1);
        for (unsigned k = 0;; k++) {
            ev_t ev;
            char ref[32];
            snprintf(ref, sizeof ref, "K-%u", k);
            memset(&ev, 0, sizeof ev);
            ev.type = EV_INCIDENT_REPORTED;
            ev.unit = ev_cstr("06040");
            ev.ref = ev_cstr(ref);
            ev.group = ev_cstr("drugs");
            ev.severity = SEV_SERIOUS;
            ev.occurred_us = IT_NOW_US;
            ev.time_us = IT_NOW_US;
            ev.present = ev_required(EV_INCIDENT_REPORTED) | EVB(EVF_SEVERITY);
            if (antt_submit(a, &ev, err, sizeof err)) _exit(2);
            if (write(p[1], &k, sizeof k) != sizeof k) _exit(3);
            if (k % 20 == 0) antt_poll(a, 0, NULL, NULL);
        }
    }
    close(p[1]);
    unsigned last = 0, k;
    while (read(p[0], &k, sizeof k) == sizeof k) {
        last = k;
        if (k >= 1500) {
            kill(pid, SIGKILL);
            break;
        }
    }
    int st;
    waitpid(pid, &st, 0);
    /* The station runs on while the kill is sent: whatever it reported
     * before it died is still in the pipe, and was spooled too. */
    while (read(p[0], &k, sizeof k) == sizeof k)
        last = k;
    close(p[0]);
    cr_assert(WIFSIGNALED(st), "the station exited on its own: %d", WEXITSTATUS(st));
    long long before = stored();
    /* The station restarts: its spool still holds what was not answered. */
    antt_t *a = open_client(endpoint, 2000, ANTT_FSYNC_EACH);
    tally_t t = {0};
    drain(a, &t, 60);
    antt_close(&a);
    long long n = stored();
    /* Every event reported spooled (0..last) is stored, once; the one being
     * spooled when the kill came may or may not be. */
    cr_expect(n == (long long)last + 1 || n == (long long)last + 2,
              "stored %lld, spooled %u (%lld before the restart)", n, last + 1, before);
    PGconn *c = it_pg(&db);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(DISTINCT ref) FROM antt.events WHERE ref LIKE 'K-%%'");
    cr_expect_eq(it_scalar(c, sql), n);
    PQfinish(c);
    it_daemon_stop(&d, SIGTERM);
    it_daemon_forget(&d);
    expect_verified();
}

Test(client, unanswered_events_are_resent_after_a_daemon_restart)
{
    it_daemon_t d;
    it_daemon_start(&d, db.dsn, NULL);
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", d.port);
    antt_t *a = open_client(endpoint, 1000, ANTT_FSYNC_EACH);
    char err[256];
    static ev_t evs[2000];
    for (unsigned k = 0; k < 2000; k++)
        incident(&evs[k], k);
    size_t done;
    cr_assert_eq(antt_submit_many(a, evs, 2000, &done, err, sizeof err), 0, "%s", err);
    cr_assert_eq(done, 2000);
    tally_t t = {0};
    antt_poll(a, 50, on_result, &t); /* some go out, some are answered */
    cr_assert_eq(it_daemon_stop(&d, SIGKILL), 128 + SIGKILL);
    for (int i = 0; i < 5; i++)
        antt_poll(a, 100, on_result, &t); /* nobody answers */
    it_daemon_restart(&d, db.dsn, NULL);
    drain(a, &t, 60);
    cr_expect_eq(t.n[ACK_ACCEPTED] + t.n[ACK_DUPLICATE], 2000);
    cr_expect_eq(t.n[ACK_REJECTED], 0);
    antt_close(&a);
    cr_expect_eq(stored(), 2000);
    it_daemon_stop(&d, SIGTERM);
    it_daemon_forget(&d);
    expect_verified();
}

Test(client, two_daemons_on_one_database_store_each_event_once)
{
    it_daemon_t d1, d2;
    it_daemon_start(&d1, db.dsn, NULL);
    it_daemon_start(&d2, db.dsn, NULL);
    char eps[128];
    snprintf(eps, sizeof eps, "tcp://127.0.0.1:%d,tcp://127.0.0.1:%d", d1.port, d2.port);
    antt_t *a = open_client(eps, 1000, ANTT_FSYNC_NONE);
    char err[256];
    for (unsigned k = 0; k < 3000; k++) {
        ev_t ev;
        incident(&ev, k);
        cr_assert_eq(antt_submit(a, &ev, err, sizeof err), 0, "%s", err);
    }
    tally_t t = {0};
    for (int i = 0; i < 3; i++)
        antt_poll(a, 20, on_result, &t);
    /* One daemon goes away mid-stream: the other gets what it had. */
    it_daemon_stop(&d1, SIGKILL);
    drain(a, &t, 60);
    cr_expect_eq(t.n[ACK_ACCEPTED] + t.n[ACK_DUPLICATE], 3000);
    antt_close(&a);
    cr_expect_eq(stored(), 3000);
    it_daemon_stop(&d2, SIGTERM);
    cr_expect(it_log_has(&d2, "stopped messages=") && !it_log_has(&d2, " accepted=0 "),
              "the second daemon stored events too; see %s", d2.log);
    it_daemon_forget(&d1);
    it_daemon_forget(&d2);
    expect_verified();
}

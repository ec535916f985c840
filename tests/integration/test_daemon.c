/* test_daemon.c — anttd end to end: the real binary, ZeroMQ over loopback
 * TCP, a real PostgreSQL. Each test has its own database and daemon. */
#include "harness.h"

#include "proto/encode.h"
#include "proto/err.h"
#include "proto/ts.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

static it_db_t db;
static it_daemon_t d;
static it_client_t cl;

static void up(void)
{
    it_up(&db, &d, &cl);
}

static void down(void)
{
    it_down(&db, &d, &cl);
}

TestSuite(daemon, .init = up, .fini = down, .timeout = 120);

static ack_t one(const ev_t *ev)
{
    return it_one(&cl, ev);
}

#define ACCEPTED(ev) IT_ACCEPTED(&cl, ev)

static void expect_refusal(const ev_t *ev, ack_status_t status, int code)
{
    ack_t a = one(ev);
    cr_expect_eq(a.status, status, "status %d, wanted %d (code %d: %.*s)", a.status, status, a.code,
                 (int)a.msg.n, a.msg.p ? a.msg.p : "");
    cr_expect_eq(a.code, code, "code %d, wanted %d: %.*s", a.code, code, (int)a.msg.n,
                 a.msg.p ? a.msg.p : "");
}

static long long q(PGconn *c, const char *sql)
{
    return it_scalar(c, sql);
}

/* anttd --verify finds the tallies and case states equal to a replay of the log. */
static void expect_verified(void)
{
    char out[4096];
    const char *args[] = {"--verify", NULL};
    cr_expect_eq(it_anttd(db.dsn, args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, " 0 differences"), "%s", out);
}

#define DAY(s) "day = '" s "'"

Test(daemon, every_event_type_lands_with_hand_computed_tallies)
{
    ev_t ev;
    /* A: social order, serious, 2 injured, cleared a day later with 3 suspects. */
    it_incident(&ev, "A", "social_order", SEV_SERIOUS, IT_NOW_US - 2 * IT_DAY_US);
    ev.injuries = 2;
    ev.present |= EVB(EVF_INJURIES);
    ACCEPTED(&ev);
    it_cleared(&ev, "A", IT_NOW_US - IT_DAY_US, 3);
    ACCEPTED(&ev);
    /* B: drugs, very serious; corrected to especially serious with a death. */
    it_incident(&ev, "B", "drugs", SEV_VERY_SERIOUS, IT_NOW_US - 3 * IT_DAY_US);
    ACCEPTED(&ev);
    it_incident(&ev, "B", "drugs", SEV_NONE, 0);
    ev.type = EV_INCIDENT_CORRECTED;
    ev.severity = SEV_ESPECIALLY_SERIOUS;
    ev.deaths = 1;
    ev.present = ev_required(EV_INCIDENT_CORRECTED) | EVB(EVF_SEVERITY) | EVB(EVF_DEATHS);
    ACCEPTED(&ev);
    /* C: a traffic accident (not a crime: no severity), then voided. */
    it_incident(&ev, "C", "traffic", SEV_NONE, IT_NOW_US - IT_DAY_US);
    ev.deaths = 2;
    ev.present |= EVB(EVF_DEATHS);
    ACCEPTED(&ev);
    it_cleared(&ev, "C", 0, 0);
    ev.type = EV_INCIDENT_VOIDED;
    ev.present = ev_required(EV_INCIDENT_VOIDED);
    ev.reason = ev_cstr("Nhập trùng");
    ev.present |= EVB(EVF_REASON);
    ACCEPTED(&ev);
    /* D: reported by the district node for another of its communes, late:
     * it happened 40 days ago and lands on that day. */
    it_incident(&ev, "D", "economic", SEV_LESS_SERIOUS, IT_NOW_US - 40 * IT_DAY_US);
    ev.node = ev_cstr("ls-180");
    ev.unit = ev_cstr("06043");
    ACCEPTED(&ev);

    /* T1: received, extended (complex matter), resolved: prosecute. */
    it_tipoff(&ev, "T1", IT_NOW_US - 4 * IT_DAY_US);
    ACCEPTED(&ev);
    it_tipoff(&ev, "T1", 0);
    ev.type = EV_TIPOFF_EXTENDED;
    ev.present = ev_required(EV_TIPOFF_EXTENDED);
    ev.deadline_us = IT_NOW_US + 50 * IT_DAY_US;
    ev.basis = BASIS_COMPLEX;
    ACCEPTED(&ev);
    it_resolved(&ev, "T1", OUT_PROSECUTE, IT_NOW_US - 3600 * 1000000LL);
    ACCEPTED(&ev);
    /* T2: received, suspended, resumed. */
    it_tipoff(&ev, "T2", IT_NOW_US - 25 * IT_DAY_US);
    ACCEPTED(&ev);
    it_resolved(&ev, "T2", OUT_SUSPEND, IT_NOW_US - 2 * IT_DAY_US);
    ACCEPTED(&ev);
    it_tipoff(&ev, "T2", 0);
    ev.type = EV_TIPOFF_RESUMED;
    ev.present = ev_required(EV_TIPOFF_RESUMED);
    ev.at_us = IT_NOW_US - IT_DAY_US;
    ACCEPTED(&ev);
    /* T3: transferred. */
    it_tipoff(&ev, "T3", IT_NOW_US - IT_DAY_US);
    ACCEPTED(&ev);
    it_resolved(&ev, "T3", OUT_TRANSFER, IT_NOW_US - 60 * 1000000LL);
    ACCEPTED(&ev);

    PGconn *c = it_pg(&db);
    /* IT_NOW is 2023-06-15 10:00 in Hanoi. */
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.events"), 15);
    cr_expect_eq(it_tally(c, "incidents", NULL), 3); /* A, B, D; C voided */
    cr_expect_eq(it_tally(c, "incidents",
                          DAY("2023-06-13") " AND grp = 'social_order' AND severity = 'serious'"),
                 1);
    cr_expect_eq(it_tally(c, "incidents", "grp = 'drugs' AND severity = 'very_serious'"), 0);
    cr_expect_eq(
        it_tally(c, "incidents",
                 DAY("2023-06-12") " AND grp = 'drugs' AND severity = 'especially_serious'"),
        1);
    cr_expect_eq(it_tally(c, "incidents", DAY("2023-05-06") " AND unit = '06043'"), 1);
    cr_expect_eq(it_tally(c, "injuries", NULL), 2);
    cr_expect_eq(it_tally(c, "deaths", NULL), 1); /* B's; C's two were voided */
    cr_expect_eq(it_tally(c, "cleared", DAY("2023-06-14") " AND grp = 'social_order'"), 1);
    cr_expect_eq(it_tally(c, "suspects", NULL), 3);
    cr_expect_eq(it_tally(c, "tipoffs_received", NULL), 3);
    cr_expect_eq(it_tally(c, "tipoffs_received", DAY("2023-06-11")), 1);
    cr_expect_eq(it_tally(c, "tipoffs_received", DAY("2023-05-21")), 1);
    cr_expect_eq(it_tally(c, "tipoffs_extended", NULL), 1);
    cr_expect_eq(it_tally(c, "tipoffs_resolved", NULL), 2); /* prosecute + suspend */
    cr_expect_eq(it_tally(c, "tipoffs_prosecuted", DAY("2023-06-15")), 1);
    cr_expect_eq(it_tally(c, "tipoffs_suspended", DAY("2023-06-13")), 1);
    cr_expect_eq(it_tally(c, "tipoffs_resumed", DAY("2023-06-14")), 1);
    cr_expect_eq(it_tally(c, "tipoffs_transferred", NULL), 1);
    /* resumed 2023-06-14 10:00 Hanoi: 20 days from the next day, to 24:00 */
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.tipoffs WHERE ref = 'T2' AND status = 'pending'"
                      " AND deadline = timestamptz '2023-07-04 23:59:59.999999+07'"),
                 1);
    cr_expect_eq(
        q(c, "SELECT count(*) FROM antt.incidents WHERE ref = 'C' AND voided_at IS NOT NULL"), 1);
    PQfinish(c);

    expect_verified();
}

Test(daemon, refusals_carry_their_codes_and_are_recorded)
{
    ev_t ev, first;
    it_incident(&first, "R1", "social_order", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    ACCEPTED(&first);
    /* The same id again: duplicate, nothing changes. */
    ack_t a = one(&first);
    cr_expect_eq(a.status, ACK_DUPLICATE);
    /* The same case under a new id. */
    it_incident(&ev, "R1", "social_order", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    expect_refusal(&ev, ACK_REJECTED, ANTT_E_CASE_EXISTS);
    /* A commune node reporting for a neighbour commune. */
    it_incident(&ev, "R2", "social_order", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    ev.unit = ev_cstr("06043");
    expect_refusal(&ev, ACK_REJECTED, ANTT_E_OUT_OF_SCOPE);
    /* Another district's node for this commune. */
    it_incident(&ev, "R3", "social_order", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    ev.node = ev_cstr("ls-181");
    expect_refusal(&ev, ACK_REJECTED, ANTT_E_OUT_OF_SCOPE);
    /* occurred_unit outside the node's area. */
    it_incident(&ev, "R4", "social_order", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    ev.occurred_unit = ev_cstr("06049");
    ev.present |= EVB(EVF_OCCURRED_UNIT);
    expect_refusal(&ev, ACK_REJECTED, ANTT_E_OUT_OF_SCOPE);
    /* A node nobody registered: deferred, so the station keeps the event. */
    it_incident(&ev, "R5", "social_order", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    ev.node = ev_cstr("ls-999-unknown");
    expect_refusal(&ev, ACK_DEFERRED, ANTT_E_UNKNOWN_NODE);
    /* An unknown unit. */
    it_incident(&ev, "R6", "social_order", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    ev.unit = ev_cstr("99999");
    expect_refusal(&ev, ACK_REJECTED, ANTT_E_UNKNOWN_UNIT);
    /* An unknown crime group. */
    it_incident(&ev, "R7", "piracy", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    expect_refusal(&ev, ACK_REJECTED, ANTT_E_UNKNOWN_GROUP);
    /* A crime without severity. */
    it_incident(&ev, "R8", "drugs", SEV_NONE, IT_NOW_US - IT_DAY_US);
    expect_refusal(&ev, ACK_REJECTED, ANTT_E_SEVERITY_REQUIRED);
    /* Clearing a case nobody reported: an old event is rejected ... */
    it_cleared(&ev, "NOPE", IT_NOW_US, 1);
    expect_refusal(&ev, ACK_REJECTED, ANTT_E_UNKNOWN_CASE);
    /* ... a recent one deferred (its report may still be on the way). */
    it_cleared(&ev, "NOPE", ts_now_us() - IT_DAY_US, 1);
    ev.time_us = ts_now_us() - 3600 * 1000000LL;
    expect_refusal(&ev, ACK_DEFERRED, ANTT_E_UNKNOWN_CASE);
    /* Cleared before it occurred. */
    it_cleared(&ev, "R1", IT_NOW_US - 2 * IT_DAY_US, 1);
    expect_refusal(&ev, ACK_REJECTED, ANTT_E_TIME_ORDER);
    /* Resolving an unknown tip-off; extending past the legal limit. */
    it_resolved(&ev, "TX", OUT_PROSECUTE, IT_NOW_US);
    expect_refusal(&ev, ACK_REJECTED, ANTT_E_UNKNOWN_TIPOFF);
    it_tipoff(&ev, "T9", IT_NOW_US - IT_DAY_US);
    ACCEPTED(&ev);
    it_tipoff(&ev, "T9", 0);
    ev.type = EV_TIPOFF_EXTENDED;
    ev.present = ev_required(EV_TIPOFF_EXTENDED);
    ev.deadline_us = IT_NOW_US + 90 * IT_DAY_US;
    ev.basis = BASIS_COMPLEX;
    expect_refusal(&ev, ACK_REJECTED, ANTT_E_BAD_DEADLINE);

    PGconn *c = it_pg(&db);
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.events"), 2);
    cr_expect_eq(it_tally(c, "incidents", NULL), 1);
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.rejects WHERE code = 306 AND field = 'case'"), 1);
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.rejects WHERE code = 302"), 3);
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.rejects WHERE code = 301 AND status = 'deferred'"
                      " AND node = 'ls-999-unknown' AND raw_len > 0 AND event_id IS NOT NULL"),
                 1);
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.rejects WHERE code = 304"), 2);
    cr_expect_eq(
        q(c, "SELECT count(*) FROM antt.rejects WHERE code IN (300, 303, 305, 312, 313, 314)"), 6);
    PQfinish(c);
    expect_verified();
}

Test(daemon, an_operator_registers_a_node_without_a_restart)
{
    ev_t ev;
    it_incident(&ev, "N1", "social_order", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    ev.node = ev_cstr("ls-180-06043-new");
    ev.unit = ev_cstr("06043");
    expect_refusal(&ev, ACK_DEFERRED, ANTT_E_UNKNOWN_NODE);
    const char *args[] = {"--add-node", "ls-180-06043-new=06043", NULL};
    cr_assert_eq(it_anttd(db.dsn, args, NULL, 0), 0);
    /* The registry is looked at again at most once a second. */
    ack_t a = {0};
    for (int i = 0; i < 30; i++) {
        a = one(&ev);
        if (a.status == ACK_ACCEPTED) break;
        struct timespec ts = {0, 200000000};
        nanosleep(&ts, NULL);
    }
    cr_expect_eq(a.status, ACK_ACCEPTED);
    expect_verified();
}

/* Exit status and output of an antt command (a shell line after "antt "). */
static int antt_cmd(const char *args, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", ANTT_PATH, args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* anttd --add-node and antt node add are one enrolment path: a node the
 * operator registered without a key takes its first key from the CLI, a
 * second --add-node keeps it and lifts a revocation; revoking twice is not
 * an error for anttd and keeps the first time; an unknown node is. */
Test(daemon, node_commands_share_one_enrolment_and_revocation)
{
    const char *add[] = {"--add-node", "ls-180-06043-x=06043", NULL};
    cr_assert_eq(it_anttd(db.dsn, add, NULL, 0), 0);
    PGconn *c = it_pg(&db);
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.nodes WHERE node_id = 'ls-180-06043-x'"
                      " AND public_key IS NULL"),
                 1);
    char out[2048], args[1024];
    const char *key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    snprintf(args, sizeof args, "node add ls-180-06043-x --unit 06043 --key '%s' --db '%s'", key,
             db.dsn);
    cr_expect_eq(antt_cmd(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "updated"), "%s", out);
    cr_assert_eq(it_anttd(db.dsn, add, NULL, 0), 0);
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.nodes WHERE node_id = 'ls-180-06043-x'"
                      " AND public_key IS NOT NULL"),
                 1, "a second --add-node keeps the key");
    const char *revoke[] = {"--revoke-node", "ls-180-06043-x", NULL};
    cr_assert_eq(it_anttd(db.dsn, revoke, NULL, 0), 0);
    PQclear(PQexec(c, "UPDATE antt.nodes SET revoked_at = '2024-01-01' WHERE node_id ="
                      " 'ls-180-06043-x'"));
    cr_assert_eq(it_anttd(db.dsn, revoke, NULL, 0), 0, "revoking again is not an error");
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.nodes WHERE node_id = 'ls-180-06043-x'"
                      " AND revoked_at = '2024-01-01'"),
                 1, "the first revocation's time stays");
    snprintf(args, sizeof args, "node revoke ls-180-06043-x --db '%s'", db.dsn);
    cr_expect_eq(antt_cmd(args, out, sizeof out), 1, "antt says nothing was left to revoke: %s",
                 out);
    const char *unknown[] = {"--revoke-node", "nobody", NULL};
    cr_expect_eq(it_anttd(db.dsn, unknown, NULL, 0), 2);
    cr_assert_eq(it_anttd(db.dsn, add, NULL, 0), 0);
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.nodes WHERE node_id = 'ls-180-06043-x'"
                      " AND revoked_at IS NULL AND public_key IS NOT NULL"),
                 1, "--add-node lifts the revocation");
    PQfinish(c);
}

Test(daemon, a_batch_mixes_verdicts_and_a_repeat_inside_it_counts_once)
{
    ev_t evs[4];
    it_incident(&evs[0], "M1", "social_order", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    it_incident(&evs[1], "M2", "piracy", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    evs[2] = evs[0]; /* the same event twice in one message */
    it_cleared(&evs[3], "M1", IT_NOW_US, 2);
    ack_t a[4];
    cr_assert_eq(it_submit(&cl, evs, 4, a, 10000), 0);
    cr_expect_eq(a[0].status, ACK_ACCEPTED);
    cr_expect_eq(a[1].status, ACK_REJECTED);
    cr_expect_eq(a[1].code, ANTT_E_UNKNOWN_GROUP);
    cr_expect_eq(a[2].status, ACK_DUPLICATE);
    cr_expect_eq(a[3].status, ACK_ACCEPTED, "code %d", a[3].code);
    PGconn *c = it_pg(&db);
    cr_expect_eq(it_tally(c, "incidents", NULL), 1);
    cr_expect_eq(it_tally(c, "suspects", NULL), 2);
    PQfinish(c);
    expect_verified();
}

Test(daemon, publish_only_events_are_stored_without_a_reply)
{
    ev_t ev;
    it_incident(&ev, "P1", "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    enc_event(&pk, &ev);
    it_publish(d.pub_port, sb.data, sb.size);
    it_publish(d.pub_port, "\xc1", 1); /* refused, recorded */
    msgpack_sbuffer_destroy(&sb);
    PGconn *c = it_pg(&db);
    long long n = 0, r = 0;
    for (int i = 0; i < 100 && (n < 1 || r < 1); i++) {
        n = q(c, "SELECT count(*) FROM antt.events WHERE ref = 'P1'");
        r = q(c, "SELECT count(*) FROM antt.rejects WHERE path = 'publish' AND code = 100");
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    cr_expect_eq(n, 1);
    cr_expect_eq(r, 1);
    cr_expect_eq(it_tally(c, "incidents", "grp = 'drugs'"), 1);
    PQfinish(c);
    expect_verified();
}

Test(daemon, sigterm_answers_what_it_received_and_exits_0)
{
    ev_t ev;
    it_incident(&ev, "S1", "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    ACCEPTED(&ev);
    cr_expect_eq(it_daemon_stop(&d, SIGTERM), 0);
    cr_expect(it_log_has(&d, "stopped messages=1"));
    expect_verified();
}

Test(daemon, sighup_reloads_the_file_and_no_password_reaches_the_log)
{
    it_daemon_stop(&d, SIGTERM);
    char path[] = "/tmp/antt-it-conf-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    dprintf(fd, "log_level = info   # the usual\nbatch_max_ms = 0\n");
    close(fd);
    /* Trust authentication ignores the password; the log must not show it. */
    char dsn[700];
    snprintf(dsn, sizeof dsn, "%s password=hunter2-secret", db.dsn);
    const char *extra[] = {"--config", path, NULL};
    it_daemon_restart(&d, dsn, extra);
    FILE *f = fopen(path, "w");
    /* a trailing comment, and a key that cannot change while running */
    fputs("log_level = debug # while we look\nbatch_max_ms = 3\nnode_rate = 77\n", f);
    fclose(f);
    kill(d.pid, SIGHUP);
    int seen = 0;
    for (int i = 0; i < 100 && !seen; i++) {
        seen = it_log_has(&d, "reloaded log_level=debug batch_max_ms=3");
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    cr_expect(seen, "no reload line in %s", d.log);
    cr_expect(it_log_has(&d, "needs a restart to take effect (the running values stay): node_rate"),
              "a changed restart-only key is not said to be ignored: %s", d.log);
    ev_t ev;
    it_incident(&ev, "H1", "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    it_client_close(&cl);
    it_client_open(&cl, d.port);
    ACCEPTED(&ev);
    cr_expect_eq(it_daemon_stop(&d, SIGTERM), 0);
    cr_expect(it_log_has(&d, "password=****"), "the conninfo is logged masked");
    cr_expect(!it_log_has(&d, "hunter2"), "a password reached the log");
    unlink(path);
}

Test(daemon, verify_reports_a_tampered_tally)
{
    ev_t ev;
    it_incident(&ev, "V1", "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    ACCEPTED(&ev);
    PGconn *c = it_pg(&db);
    it_fold_wait(c); /* the figure is there to tamper with */
    PQclear(PQexec(c, "UPDATE antt.tallies SET value = value + 1 WHERE metric = 'incidents'"));
    PQclear(PQexec(c, "UPDATE antt.incidents SET deaths = 7"));
    PQfinish(c);
    char out[4096];
    const char *args[] = {"--verify", NULL};
    cr_expect_eq(it_anttd(db.dsn, args, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "metric=incidents"), "%s", out);
    cr_expect(strstr(out, "deaths stored=7 replayed=0"), "%s", out);
}

/* The month and year tables are sums of the days, and antt.tallies_before
 * the days before 1 January; --verify finds one edited by hand (the store
 * and the triggers keep them otherwise) and --repair sums them again. */
Test(daemon, verify_and_repair_the_month_and_year_sums)
{
    ev_t ev, late;
    it_incident(&ev, "V2", "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    ACCEPTED(&ev);
    /* events dated before 1 January of this year (the tests' events are of
     * 2022-2023): the store adds them to the sums before then, in its tally
     * statement */
    it_incident(&late, "V3", "drugs", SEV_SERIOUS, IT_NOW_US - 400 * IT_DAY_US);
    ACCEPTED(&late);
    expect_verified();
    PGconn *c = it_pg(&db);
    cr_expect_eq(q(c, "SELECT sum(value) FROM antt.tallies_before WHERE metric = 'incidents'"), 2);
    PQclear(PQexec(c, "UPDATE antt.tallies_before SET value = value + 2"));
    PQclear(
        PQexec(c, "UPDATE antt.tallies_month SET value = value + 5 WHERE metric = 'incidents'"));
    PQclear(PQexec(c, "DELETE FROM antt.tallies_year"));
    char out[4096];
    const char *verify[] = {"--verify", NULL}, *repair[] = {"--repair", NULL};
    cr_expect_eq(it_anttd(db.dsn, verify, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "tally month unit="), "%s", out);
    cr_expect(strstr(out, "metric=incidents group=drugs severity=serious stored=6 days=1"), "%s",
              out);
    cr_expect(strstr(out, "tally year unit=") && strstr(out, "stored=(none) days="), "%s", out);
    cr_expect(strstr(out, "tally before unit=") && strstr(out, "stored=4 days=2"), "%s", out);
    cr_expect_eq(it_anttd(db.dsn, repair, out, sizeof out), 0, "%s", out);
    expect_verified();
    cr_expect_eq(q(c, "SELECT sum(value) FROM antt.tallies_month WHERE metric = 'incidents'"), 2);
    cr_expect_eq(q(c, "SELECT sum(value) FROM antt.tallies_before WHERE metric = 'incidents'"), 2);
    PQfinish(c);
}

/* A newer schema whose newer migrations are expands is run against (a
 * rolling upgrade: db/schema/README.md); one with a contract this anttd
 * does not carry is refused. */
Test(daemon, refuses_a_schema_newer_than_it_knows)
{
    it_daemon_stop(&d, SIGTERM);
    PGconn *c = it_pg(&db);
    PQclear(PQexec(c, "INSERT INTO antt.schema_migrations (version, name, oldest_binary)"
                      " VALUES (998, 'future expand', 0)"));
    it_daemon_restart(&d, db.dsn, NULL);
    cr_expect(it_daemon_alive(&d), "an expand does not stop an older anttd");
    it_daemon_stop(&d, SIGTERM);
    PQclear(PQexec(c, "INSERT INTO antt.schema_migrations (version, name) VALUES (999, 'future')"));
    PQfinish(c);
    /* every endpoint its own or none: a fixed port (7721 by default) may
     * be another anttd's on a developer's machine */
    const char *args[] = {"--listen",         "tcp://127.0.0.1:0",
                          "--publish-listen", "",
                          "--http-listen",    "",
                          "--tally-publish",  "",
                          "--tally-snapshot", "",
                          "--insecure",       NULL};
    char out[4096];
    cr_expect_eq(it_anttd(db.dsn, args, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "need an anttd that carries version 999 or later"), "%s", out);
}

/* 10:00 in Hanoi, `days` days from today (Hanoi). */
static int64_t hanoi_day_at_10(int days)
{
    const int64_t h7 = 7 * 3600 * 1000000LL, now = ts_now_us();
    const int64_t midnight = (now + h7) / IT_DAY_US * IT_DAY_US - h7;
    return midnight + days * IT_DAY_US + 10 * 3600 * 1000000LL;
}

Test(daemon, overdue_and_due_tipoffs_around_the_20_day_limit)
{
    const int64_t now = ts_now_us();
    ev_t ev;
    it_tipoff(&ev, "late", hanoi_day_at_10(-21)); /* its 20th day was yesterday */
    ev.time_us = now;
    ACCEPTED(&ev);
    it_tipoff(&ev, "soon", hanoi_day_at_10(-20)); /* its 20th day is today: due, not late */
    ev.time_us = now;
    ACCEPTED(&ev);
    it_tipoff(&ev, "extended", hanoi_day_at_10(-25)); /* late by 4 days, but extended */
    ev.time_us = now;
    ACCEPTED(&ev);
    it_tipoff(&ev, "extended", 0);
    ev.type = EV_TIPOFF_EXTENDED;
    ev.present = ev_required(EV_TIPOFF_EXTENDED);
    ev.time_us = now;
    ev.deadline_us = now + 10 * IT_DAY_US;
    ev.basis = BASIS_COMPLEX;
    ACCEPTED(&ev);
    it_tipoff(&ev, "done", now - 30 * IT_DAY_US);
    ev.time_us = now;
    ACCEPTED(&ev);
    it_resolved(&ev, "done", OUT_NOT_PROSECUTE, now - 2 * IT_DAY_US);
    ev.time_us = now;
    ACCEPTED(&ev);

    PGconn *c = it_pg(&db);
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.tipoffs_open('180')"), 1);
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.tipoffs_open('180') WHERE ref = 'late'"), 1);
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.tipoffs_open('180', '1 day') WHERE ref = 'soon'"),
                 1);
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.tipoffs_open('180', '1 day')"), 1);
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.tipoffs_open('180', '11 days')"), 2,
                 "soon and the extended one");
    cr_expect_eq(q(c, "SELECT count(*) FROM antt.tipoffs_open('06043')"), 0,
                 "another commune's scope");
    cr_expect_eq(
        q(c, "SELECT round(p50_days) FROM antt.tipoff_processing('180', '2000-01-01', '2100-01-01')"
             " WHERE unit = '06040'"),
        28);
    cr_expect_eq(q(c, "SELECT tipoffs_overdue FROM antt.rates('20', '2000-01-01', '2100-01-01')"),
                 1);
    PQfinish(c);

    char cmd[1024], out[4096];
    snprintf(cmd, sizeof cmd, "%s tipoffs --db '%s' --unit 20 --overdue 2>&1", ANTT_PATH, db.dsn);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    cr_expect_eq(pclose(p), 0, "%s", out);
    cr_expect(strstr(out, "late") && strstr(out, "1 tip-off(s) overdue"), "%s", out);
    expect_verified();
}

Test(daemon, metrics_and_healthz_over_http)
{
    it_daemon_stop(&d, SIGTERM);
    int hport = it_free_port();
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", hport);
    const char *extra[] = {"--http-listen", listen, NULL};
    it_daemon_restart(&d, db.dsn, extra);
    it_client_close(&cl);
    it_client_open(&cl, d.port);
    ev_t ev;
    it_incident(&ev, "M1", "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    ACCEPTED(&ev);
    it_incident(&ev, "M2", "piracy", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    expect_refusal(&ev, ACK_REJECTED, ANTT_E_UNKNOWN_GROUP);
    size_t n;
    ack_t a[1];
    cr_expect_eq(it_send_raw(&cl, "\xc1", 1, a, 1, &n, 5000), ANTT_E_MALFORMED);

    static char body[65536];
    cr_assert_eq(it_http_get(hport, "/healthz", body, sizeof body), 200, "%s", body);
    int st = 0;
    /* the refused message is counted with the next batch; the province
     * figures come from a query anttd does not wait for */
    for (int i = 0; i < 100; i++) {
        st = it_http_get(hport, "/metrics", body, sizeof body);
        if (strstr(body, "antt_rejects_total{code=\"100\"") &&
            strstr(body, "antt_tipoffs_overdue{province="))
            break;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    cr_assert_eq(st, 200);
    cr_expect(strstr(body, "antt_events_total{type=\"incident.reported\",status=\"accepted\"} 1\n"),
              "%s", body);
    cr_expect(strstr(body, "antt_events_total{type=\"incident.reported\",status=\"rejected\"} 1\n"),
              "%s", body);
    cr_expect(strstr(body, "antt_rejects_total{code=\"303\",name=\"UNKNOWN_GROUP\"} 1\n"), "%s",
              body);
    cr_expect(strstr(body, "antt_rejects_total{code=\"100\",name=\"MALFORMED\"} 1\n"), "%s", body);
    cr_expect(strstr(body, "antt_database_up 1\n"), "%s", body);
    cr_expect(strstr(body, "antt_connected_nodes 1\n"), "%s", body);
    cr_expect(strstr(body, "antt_tipoffs_overdue{province=\"20\"} 0\n"), "%s", body);
    cr_expect(strstr(body, "antt_commit_seconds_count "), "%s", body);
    cr_expect_eq(it_http_get(hport, "/nothing", body, sizeof body), 404);

    /* promtool (Debian's prometheus package) accepts the exposition. */
    char path[] = "/tmp/antt-metrics-XXXXXX";
    int fd = mkstemp(path);
    it_http_get(hport, "/metrics", body, sizeof body);
    cr_assert(write(fd, body, strlen(body)) == (ssize_t)strlen(body));
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    char out[4096];
    size_t got = fread(out, 1, sizeof out - 1, p);
    out[got] = '\0';
    cr_expect_eq(pclose(p), 0, "promtool: %s", out);
    unlink(path);
}

/* anttd's exit codes: 2 for what the operator typed or gave, 5 when the
 * database could not be reached, 0 for a command that worked. */
Test(daemon, exit_codes_tell_usage_input_and_database_apart)
{
    char out[4096];
    const char *bad_flag[] = {"--no-such-setting=1", NULL};
    cr_expect_eq(it_anttd(db.dsn, bad_flag, out, sizeof out), 2, "%s", out);
    const char *bad_file[] = {"--load-clusters", "/nonexistent/clusters.csv", NULL};
    cr_expect_eq(it_anttd(db.dsn, bad_file, out, sizeof out), 2, "%s", out);
    char path[] = "/tmp/antt-clusters-XXXXXX";
    int fd = mkstemp(path);
    dprintf(fd, "cluster,code\nnorth,99999\n");
    close(fd);
    const char *bad_unit[] = {"--load-clusters", path, NULL};
    cr_expect_eq(it_anttd(db.dsn, bad_unit, out, sizeof out), 2, "an unknown unit: %s", out);
    unlink(path);
    const char *ok[] = {"--load-clusters", ANTT_SOURCE_DIR "/data/clusters.csv", NULL};
    cr_expect_eq(it_anttd(db.dsn, ok, out, sizeof out), 0, "%s", out);
    PGconn *c = it_pg(&db);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.unit_groups WHERE grp = 'cluster2'"), 7);
    PQfinish(c);
    const char *migrate[] = {"--migrate", NULL};
    cr_expect_eq(it_anttd("host=127.0.0.1 port=1 connect_timeout=2", migrate, out, sizeof out), 5,
                 "%s", out);
}

/* /metrics counts, per province, the stations that are silent (not
 * connected, no message for node_silent_hours) and those losing events
 * (numbers never answered). Template nodes, all in Lạng Sơn today:
 * ls-180-06040 sends, ls-181 sends 1 and 3 (2 never arrives), ls-180 never
 * sends. */
Test(daemon, metrics_count_silent_stations_and_stations_losing_events)
{
    ev_t ev;
    it_incident(&ev, "Q1", "social_order", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    ACCEPTED(&ev);
    for (int i = 0; i < 2; i++) {
        it_incident(&ev, it_str("Q%d", 2 + i), "social_order", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
        ev.node = ev_cstr("ls-181");
        ev.unit = ev_cstr("181");
        ev.seq = 1 + 2 * (uint64_t)i;
        ACCEPTED(&ev);
    }
    it_daemon_stop(&d, SIGTERM);
    int hport = it_free_port();
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", hport);
    const char *extra[] = {"--http-listen", listen, NULL};
    it_daemon_restart(&d, db.dsn, extra);
    static char body[65536];
    int st = 0;
    for (int i = 0; i < 100 && !strstr(body, "antt_nodes_silent{"); i++) {
        st = it_http_get(hport, "/metrics", body, sizeof body);
        it_sleep_ms(50);
    }
    cr_assert_eq(st, 200);
    cr_expect(strstr(body, "antt_nodes_silent{province=\"20\"} 1\n"), "%s", body);
    cr_expect(strstr(body, "antt_nodes_losing{province=\"20\"} 1\n"), "%s", body);
    cr_expect(strstr(body, "antt_nodes_silent{province=\"04\"} 0\n"), "%s", body);
    PGconn *c = it_pg(&db);
    cr_expect_eq(q(c, "SELECT missing FROM antt.node_status WHERE node_id = 'ls-181'"), 1);
    PQfinish(c);
}

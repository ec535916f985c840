/* test_federation.c — provinces feeding the Ministry's database through
 * PostgreSQL logical replication (docs/design/federation.md): three
 * provinces and the Ministry, each a PostgreSQL server of its own with its
 * anttd; the Ministry folds what the provinces publish. The Ministry's
 * figures are the sum of the provinces', exactly: when all is well; when a
 * province's link is down and returns; when the Ministry is down; when a
 * province's slot is lost and the Ministry resyncs it (with a transaction
 * the Ministry has and the province does not, and one the other way); and,
 * in suite federation_failover, when a province's primary (a
 * pg_auto_failover formation) is killed -9 mid-stream. */
#include "harness.h"

#include <json-c/json.h>
#include <zmq.h>

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static it_server_t pa, pb, ph, pm; /* the provinces' servers, the Ministry's */
static it_db_t a, b, hg, m;        /* Lạng Sơn, Cao Bằng, Hà Giang, the Ministry */
static it_daemon_t da, db_, dc, dm;
static it_formation_t fa; /* federation_failover: Lạng Sơn as a formation */
static it_formation_t fm; /* federation_ministry_failover: the Ministry as one */
static int mhttp;         /* the Ministry's /metrics */
static char mstream[64];  /* the Ministry's tally stream */

/* The Ministry's anttd: checking its provinces every second, /metrics on
 * mhttp; auto (0/1): resyncing a province with no slot by itself. */
static void ministry_daemon(int auto_resync)
{
    static char listen[32];
    mhttp = it_free_port();
    snprintf(listen, sizeof listen, "127.0.0.1:%d", mhttp);
    snprintf(mstream, sizeof mstream, "tcp://127.0.0.1:%d", it_free_port());
    const char *extra[] = {"--tally-publish",
                           mstream,
                           "--federation-check-s",
                           "1",
                           "--federation-auto-resync",
                           auto_resync ? "1" : "0",
                           "--http-listen",
                           listen,
                           "--reconnect-max-ms",
                           "500",
                           NULL};
    it_daemon_start(&dm, m.dsn, extra);
}

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    const ExecStatusType st = PQresultStatus(r);
    cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
              PQresultErrorMessage(r));
    PQclear(r);
}

/* The server's address without a database: what it_db_create takes. */
static void base_of(const it_server_t *s, char *out, size_t cap)
{
    snprintf(out, cap, "host=127.0.0.1 port=%d user=antt", s->port);
}

/* anttd --federation-add CODE=CONNINFO on the Ministry (its output in out) */
static int federate(const char *code, const char *conninfo, char *out, size_t cap)
{
    char arg[1024];
    snprintf(arg, sizeof arg, "%s=%s", code, conninfo);
    const char *add[] = {"--federation-add", arg, NULL};
    return it_anttd(m.dsn, add, out, cap);
}

/* The Ministry's server: an apply worker per province, and table-sync
 * workers (PostgreSQL's default of 4 workers in all is few). */
static void ministry_server(void)
{
    char base[128];
    it_server_init(&pm);
    PGconn *sc = PQconnectdb(pm.dsn);
    exec_ok(sc, "ALTER SYSTEM SET max_logical_replication_workers = 16");
    exec_ok(sc, "ALTER SYSTEM SET max_worker_processes = 24");
    PQfinish(sc);
    it_server_stop(&pm);
    it_server_start(&pm);
    base_of(&pm, base, sizeof base);
    it_db_create(&m, base);
    PGconn *c = it_pg(&m);
    exec_ok(c, "SELECT antt.federation_ministry()");
    PQfinish(c);
}

/* A province on a server of its own, published, with a station of its own
 * (the template's are Lạng Sơn's). */
static void province(it_server_t *s, it_db_t *db, const char *node)
{
    char base[128];
    it_server_init(s);
    base_of(s, base, sizeof base);
    it_db_create(db, base);
    if (node) {
        const char *add[] = {"--add-node", node, NULL};
        cr_assert_eq(it_anttd(db->dsn, add, NULL, 0), 0);
    }
    PGconn *c = it_pg(db);
    exec_ok(c, "SELECT antt.federation_province()");
    PQfinish(c);
}

/* ---- TLS and least privilege (Hà Giang's links, both ways) ---- */

#define FED_PASSWORD "fed-test-password"

/* Run a command as the servers' user (nobody when root, as tests/pg/pg.sh
 * runs them), so that the keys are theirs and the CA readable by them. */
static void as_servers_user(const char *cmd)
{
    char full[4096];
    snprintf(full, sizeof full,
             "if [ \"$(id -u)\" -eq 0 ]; then runuser -u nobody -- bash -c '%s'; else bash -c '%s';"
             " fi >/dev/null 2>&1",
             cmd, cmd);
    cr_assert_eq(system(full), 0, "%s", cmd);
}

/* Server s serves TLS with a certificate of the federation's CA (in the
 * Ministry's directory), and role may log in only over TLS, with a
 * password. */
static void tls_server(const it_server_t *s, const char *name, const char *role)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "bash %s/deploy/federation/tls.sh ca %s/tls && bash %s/deploy/federation/tls.sh"
             " server %s/tls %s 127.0.0.1 localhost",
             ANTT_SOURCE_DIR, pm.dir, ANTT_SOURCE_DIR, pm.dir, name);
    as_servers_user(cmd);
    char path[400], *old = NULL;
    snprintf(path, sizeof path, "%s/data/pg_hba.conf", s->dir);
    FILE *f = fopen(path, "r");
    cr_assert(f);
    size_t n = 0;
    cr_assert(getdelim(&old, &n, '\0', f) > 0);
    fclose(f);
    f = fopen(path, "w");
    cr_assert(f);
    fprintf(f,
            "host replication %s 127.0.0.1/32 reject\n"
            "hostssl all %s 127.0.0.1/32 scram-sha-256\n"
            "host all %s 127.0.0.1/32 reject\n%s",
            role, role, role, old);
    fclose(f);
    free(old);
    PGconn *c = PQconnectdb(s->dsn);
    char sql[1024];
    snprintf(sql, sizeof sql, "ALTER SYSTEM SET ssl_cert_file = '%s/tls/%s.crt'", pm.dir, name);
    exec_ok(c, sql);
    snprintf(sql, sizeof sql, "ALTER SYSTEM SET ssl_key_file = '%s/tls/%s.key'", pm.dir, name);
    exec_ok(c, sql);
    exec_ok(c, "ALTER SYSTEM SET ssl = on");
    exec_ok(c, "SELECT pg_reload_conf()");
    snprintf(sql, sizeof sql, "CREATE ROLE %s LOGIN REPLICATION PASSWORD '" FED_PASSWORD "'", role);
    exec_ok(c, sql);
    PQfinish(c);
}

/* A TLS conninfo for role at db, checking the server's name and CA. */
static void tls_conninfo(char *out, size_t cap, const it_server_t *s, const it_db_t *db,
                         const char *role)
{
    snprintf(out, cap,
             "host=localhost port=%d dbname=%s user=%s password=" FED_PASSWORD
             " sslmode=verify-full sslrootcert=%s/tls/ca.crt",
             s->port, db->name, role, pm.dir);
}

static void up(void)
{
    ministry_server();
    province(&pa, &a, NULL);
    province(&pb, &b, "cb-040-01267=01267");
    province(&ph, &hg, "hg-024-00688=00688");
    /* Hà Giang's links over TLS, each way with a role that reads only
     * what it must: antt_ministry on the province, antt_province on the
     * Ministry */
    tls_server(&ph, "hg", "antt_ministry");
    tls_server(&pm, "bo", "antt_province");
    PGconn *c = it_pg(&hg);
    exec_ok(c, "SELECT antt.federation_reader_up('antt_ministry')");
    PQfinish(c);
    c = it_pg(&m);
    exec_ok(c, "SELECT antt.federation_reader_down('antt_province')");
    PQfinish(c);
    char out[4096], up_tls[700], down_tls[700];
    tls_conninfo(up_tls, sizeof up_tls, &ph, &hg, "antt_ministry");
    tls_conninfo(down_tls, sizeof down_tls, &pm, &m, "antt_province");
    cr_assert_eq(federate("20", a.dsn, out, sizeof out), 0, "%s", out);
    cr_assert_eq(federate("04", b.dsn, out, sizeof out), 0, "%s", out);
    cr_assert_eq(federate("02", up_tls, out, sizeof out), 0, "%s", out);
    /* and the way down: each province takes the Ministry's reference data */
    char arg[900];
    const it_db_t *prov[] = {&a, &b, &hg};
    const char *codes[] = {"20", "04", "02"};
    for (int i = 0; i < 3; i++) {
        snprintf(arg, sizeof arg, "%s=%s", codes[i], i == 2 ? down_tls : m.dsn);
        const char *down_[] = {"--federation-reference", arg, NULL};
        cr_assert_eq(it_anttd(prov[i]->dsn, down_, out, sizeof out), 0, "%s", out);
    }
    it_daemon_start(&da, a.dsn, NULL);
    it_daemon_start(&db_, b.dsn, NULL);
    it_daemon_start(&dc, hg.dsn, NULL);
    ministry_daemon(0); /* resyncs by hand in this suite: a_lost_slot_is_resynced_exactly */
}

static void down(void)
{
    it_daemon_forget(&da);
    it_daemon_forget(&db_);
    it_daemon_forget(&dc);
    it_daemon_forget(&dm);
    /* the subscriptions first: dropping one drops its slot on the province */
    if (pm.port) {
        PGconn *c = it_pg(&m);
        PQclear(PQexec(c, "DROP SUBSCRIPTION IF EXISTS antt_from_20"));
        PQclear(PQexec(c, "DROP SUBSCRIPTION IF EXISTS antt_from_04"));
        PQclear(PQexec(c, "DROP SUBSCRIPTION IF EXISTS antt_from_02"));
        PQfinish(c);
        it_server_destroy(&pm);
    }
    if (pa.port) it_server_destroy(&pa);
    if (pb.port) it_server_destroy(&pb);
    if (ph.port) it_server_destroy(&ph);
    it_formation_destroy(&fa);
    it_formation_destroy(&fm);
}

TestSuite(federation, .init = up, .fini = down, .timeout = 400);

/* n crimes in a commune of the province, sent to its daemon */
static void crimes(const it_daemon_t *d, const char *node, const char *unit, const char *prefix,
                   int n)
{
    it_client_t cl;
    it_client_open(&cl, d->port);
    for (int i = 0; i < n; i++) {
        ev_t ev;
        ack_t ack[1];
        char ref[32];
        snprintf(ref, sizeof ref, "%s-%d", prefix, i);
        it_incident(&ev, ref, "social_order", i % 4 ? SEV_SERIOUS : SEV_VERY_SERIOUS,
                    IT_NOW_US - (i % 20) * IT_DAY_US);
        ev.node = ev_cstr(node);
        ev.unit = ev_cstr(unit);
        cr_assert_eq(it_submit(&cl, &ev, 1, ack, 10000), 0);
        cr_assert_eq(ack[0].status, ACK_ACCEPTED, "%s: code %d", ref, ack[0].code);
    }
    it_client_close(&cl);
}

/* The sum of a tally metric in a database, once its fold has caught up. */
static long long occurred(const it_db_t *db, const char *where)
{
    PGconn *c = it_pg(db);
    const long long v = it_tally(c, "incidents", where);
    PQfinish(c);
    return v;
}

/* Wait (at most 30 s) until the Ministry holds want crimes under where. */
static long long ministry_reaches(const char *where, long long want)
{
    long long got = -1;
    for (int i = 0; i < 300 && (got = occurred(&m, where)) != want; i++)
        it_sleep_ms(100);
    return got;
}

static PGconn *pg_at(const char *dsn)
{
    PGconn *c = PQconnectdb(dsn);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    return c;
}

/* The national figures equal the provinces' together, exactly: every tally
 * key of every province has the Ministry's value, and the Ministry has no
 * other key; each province's events and case rows are there, once. The
 * provinces' folds are caught up first, the Ministry's waited for (30 s). */
static void expect_sum_of(const char *const *dsn, int n)
{
    long long keys = 0, events = 0, cases = 0;
    PGconn *mc = pg_at(m.dsn);
    const char *q_keys = "SELECT count(*) FROM antt.tallies WHERE value <> 0";
    for (int p = 0; p < n; p++) {
        PGconn *pc = pg_at(dsn[p]);
        it_fold_wait(pc);
        keys += it_scalar(pc, q_keys);
        events += it_scalar(pc, "SELECT count(*) FROM antt.events");
        cases += it_scalar(pc, "SELECT count(*) FROM antt.incidents");
        PQfinish(pc);
    }
    /* the Ministry has caught up when its events and keys are all there */
    for (int i = 0; i < 300; i++) {
        if (it_scalar(mc, "SELECT count(*) FROM antt.events") == events &&
            it_scalar(mc, "SELECT antt.fold_wait(1000)::int") == 1 && it_scalar(mc, q_keys) == keys)
            break;
        it_sleep_ms(100);
    }
    cr_expect_eq(it_scalar(mc, q_keys), keys, "the Ministry's tally keys");
    cr_expect_eq(it_scalar(mc, "SELECT count(*) FROM antt.events"), events);
    cr_expect_eq(it_scalar(mc, "SELECT count(DISTINCT id) FROM antt.events"), events,
                 "no event twice at the Ministry");
    cr_expect_eq(it_scalar(mc, "SELECT count(*) FROM antt.incidents"), cases);
    char sql[1024];
    for (int p = 0; p < n; p++) {
        PGconn *pc = pg_at(dsn[p]);
        PGresult *r = PQexec(pc, "SELECT unit, day, metric, grp, severity, value FROM antt.tallies"
                                 " WHERE value <> 0 ORDER BY 1, 2, 3, 4, 5");
        cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK);
        long bad = 0;
        for (int i = 0; i < PQntuples(r); i++) {
            snprintf(sql, sizeof sql,
                     "SELECT coalesce(sum(value), -1) FROM antt.tallies WHERE unit = '%s'"
                     " AND day = '%s' AND metric = '%s' AND grp = '%s' AND severity = '%s'",
                     PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                     PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
            const long long want = atoll(PQgetvalue(r, i, 5)), got = it_scalar(mc, sql);
            if (got != want && bad++ < 5) cr_expect_eq(got, want, "%s", sql);
        }
        cr_expect_eq(bad, 0, "tally keys of province %d differing at the Ministry", p);
        PQclear(r);
        PQfinish(pc);
    }
    PQfinish(mc);
}

static void expect_sum(void)
{
    const char *all[] = {a.dsn, b.dsn, hg.dsn};
    expect_sum_of(all, 3);
}

static void the_ministrys_figures_are_the_sum_of_the_provinces(void)
{
    crimes(&da, "ls-180-06040", "06040", "LS", 40);
    crimes(&db_, "cb-040-01267", "01267", "CB", 25);
    const long long la = occurred(&a, NULL), lb = occurred(&b, NULL);
    cr_assert_eq(la, 40);
    cr_assert_eq(lb, 25);
    cr_expect_eq(ministry_reaches(NULL, la + lb), la + lb, "the Ministry folds both provinces");
    cr_expect_eq(occurred(&m, "unit = '06040'"), 40);
    cr_expect_eq(occurred(&m, "unit = '01267'"), 25);
    /* each province's events and case state arrived, once */
    PGconn *c = it_pg(&m);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events"), 65);
    cr_expect_eq(it_scalar(c, "SELECT count(DISTINCT id) FROM antt.events"), 65);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.incidents WHERE unit = '06040'"), 40);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.incidents WHERE unit = '01267'"), 25);
    /* the Ministry's trigger fires in the apply worker, and stays so when
     * the schema's functions are applied again; a province has none */
    const char *trig = "SELECT count(*) FROM pg_trigger WHERE tgname = 'fold_input_local_txid'"
                       " AND tgenabled = 'A'";
    cr_expect_eq(it_scalar(c, trig), 1);
    const char *migrate[] = {"--migrate", NULL};
    cr_assert_eq(it_anttd(m.dsn, migrate, NULL, 0), 0);
    cr_expect_eq(it_scalar(c, trig), 1, "--migrate left the trigger as it was");
    PGconn *ac = it_pg(&a);
    cr_expect_eq(
        it_scalar(ac, "SELECT count(*) FROM pg_trigger WHERE tgname = 'fold_input_local_txid'"), 0,
        "a province's acks have no trigger");
    PQfinish(ac);
    PQfinish(c);
    crimes(&dc, "hg-024-00688", "00688", "HG", 7);
    expect_sum();
    /* /metrics: each province streaming, its lag and batches */
    char body[16384];
    for (int i = 0; i < 50; i++) { /* the federator's next check (every second) */
        cr_assert_eq(it_http_get(mhttp, "/metrics", body, sizeof body), 200);
        if (strstr(body, "antt_federation_lag_seconds{province=\"02\"}")) break;
        it_sleep_ms(100);
    }
    cr_expect(strstr(body, "antt_federation_streaming{province=\"20\"} 1\n"), "%s", body);
    cr_expect(strstr(body, "antt_federation_streaming{province=\"04\"} 1\n"), "%s", body);
    cr_expect(strstr(body, "antt_federation_lag_seconds{province=\"02\"}"), "%s", body);
    cr_expect(strstr(body, "antt_federation_last_received_seconds{province=\"20\"}"), "%s", body);
    cr_expect(strstr(body, "antt_federation_batches_total{province=\"20\"} 40\n"), "%s", body);
}

static void a_province_cut_off_goes_on_and_the_ministry_catches_up(void)
{
    PGconn *c = it_pg(&m);
    const long long m0 = occurred(&m, "unit = '06040'"), a0 = occurred(&a, NULL),
                    b0 = occurred(&m, "unit = '01267'");
    const long long e0 = it_scalar(c, "SELECT count(*) FROM antt.events WHERE unit = '06040'");
    crimes(&da, "ls-180-06040", "06040", "UP", 10);
    cr_assert_eq(ministry_reaches("unit = '06040'", m0 + 10), m0 + 10);
    /* the link down: Lạng Sơn's stations go on, the Ministry stays where it was */
    exec_ok(c, "ALTER SUBSCRIPTION antt_from_20 DISABLE");
    crimes(&da, "ls-180-06040", "06040", "CUT", 30);
    crimes(&db_, "cb-040-01267", "01267", "ON", 5);
    cr_assert_eq(occurred(&a, NULL), a0 + 40, "the province acked and folded its own");
    cr_expect_eq(ministry_reaches("unit = '01267'", b0 + 5), b0 + 5,
                 "the other province still arrives");
    it_sleep_ms(1000);
    cr_expect_eq(occurred(&m, "unit = '06040'"), m0 + 10, "nothing of the cut province meanwhile");
    /* the link back: everything kept for it arrives, once */
    exec_ok(c, "ALTER SUBSCRIPTION antt_from_20 ENABLE");
    cr_expect_eq(ministry_reaches("unit = '06040'", m0 + 40), m0 + 40);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events WHERE unit = '06040'"), e0 + 40);
    /* the Ministry folded each batch once: nothing left unfolded or twice */
    it_fold_wait(c);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.fold_input f, antt.fold_state s"
                              " WHERE f.txid >= s.pos"),
                 0);
    PQfinish(c);
    expect_sum();
}

/* The Ministry's server down (an hour in the issue; seconds here: what is
 * kept for it is the provinces' WAL, whatever the time): the provinces go
 * on unaffected, and the Ministry catches up when it is back. */
static void the_ministry_down_leaves_the_provinces_unaffected(void)
{
    const long long la = occurred(&m, "unit = '06040'"), lb = occurred(&m, "unit = '01267'"),
                    pa0 = occurred(&a, NULL), pb0 = occurred(&b, NULL);
    crimes(&da, "ls-180-06040", "06040", "BEFORE", 5);
    cr_assert_eq(ministry_reaches("unit = '06040'", la + 5), la + 5);
    it_server_stop(&pm);
    crimes(&da, "ls-180-06040", "06040", "AWAY", 20);
    crimes(&db_, "cb-040-01267", "01267", "AWAY", 15);
    cr_expect_eq(occurred(&a, NULL), pa0 + 25, "Lạng Sơn acked and folded its own");
    cr_expect_eq(occurred(&b, NULL), pb0 + 15, "Cao Bằng too");
    /* each province kept what the Ministry has not confirmed */
    PGconn *ac = it_pg(&a);
    cr_expect_eq(it_scalar(ac, "SELECT count(*) FROM pg_replication_slots"
                               " WHERE slot_name LIKE 'antt\\_from\\_20\\_%' AND NOT active"),
                 1, "the Ministry's slot waits, inactive");
    PQfinish(ac);
    it_server_start(&pm);
    cr_expect_eq(ministry_reaches("unit = '06040'", la + 25), la + 25, "the Ministry caught up");
    cr_expect_eq(ministry_reaches("unit = '01267'", lb + 15), lb + 15);
    cr_expect(it_daemon_alive(&dm), "the Ministry's anttd waited for its database");
    expect_sum();
}

/* A province's slot lost (as a failover loses it: PostgreSQL 15's slots stay
 * on the old primary), with what a dying primary can leave behind: the
 * Ministry holding a transaction the province never kept (an event, its case
 * and its figures) and missing what the province committed once the slot was
 * gone. --federation-resync makes the Ministry's rows of the province equal
 * to the province's and restarts the stream from a new slot: the figures
 * are then the provinces' sum exactly, and what follows arrives once. */
static void a_lost_slot_is_resynced_exactly(void)
{
    const long long l0 = occurred(&m, "unit = '06040'"), c0 = occurred(&m, "unit = '01267'");
    crimes(&da, "ls-180-06040", "06040", "R1", 20);
    cr_assert_eq(ministry_reaches("unit = '06040'", l0 + 20), l0 + 20);
    PGconn *c = it_pg(&m);
    exec_ok(c, "ALTER SUBSCRIPTION antt_from_20 DISABLE");
    for (int i = 0; i < 100 && it_scalar(c, "SELECT count(*) FROM pg_stat_subscription"
                                            " WHERE subname = 'antt_from_20' AND pid IS NOT NULL");
         i++)
        it_sleep_ms(100);
    PGconn *ac = it_pg(&a);
    long long dropped = 0;
    for (int i = 0; i < 100 && !dropped; i++) {
        PGresult *r =
            PQexec(ac, "SELECT count(pg_drop_replication_slot(slot_name))"
                       " FROM pg_replication_slots WHERE slot_name LIKE 'antt\\_from\\_20\\_%'");
        dropped = PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) == 1;
        PQclear(r);
        if (!dropped) it_sleep_ms(100);
    }
    cr_assert(dropped, "the province's slot could not be dropped");
    PQfinish(ac);
    /* the phantom: an event, its case and a figure the province never had */
    exec_ok(c, "CREATE TEMP TABLE e AS SELECT * FROM antt.events WHERE ref = 'R1-0';"
               " UPDATE e SET id = gen_random_uuid(), ref = 'PHANTOM';"
               " INSERT INTO antt.events SELECT * FROM e;"
               " CREATE TEMP TABLE i AS SELECT * FROM antt.incidents WHERE ref = 'R1-0';"
               " UPDATE i SET ref = 'PHANTOM'; INSERT INTO antt.incidents SELECT * FROM i;"
               " INSERT INTO antt.fold_input (units, days, metrics, grps, severities, vals)"
               " VALUES ('{06040}', '{2023-06-01}', '{incidents}', '{social_order}',"
               " '{serious}', '{1}')");
    /* the province goes on without a slot: none of this reaches the Ministry */
    crimes(&da, "ls-180-06040", "06040", "R2", 15);
    crimes(&db_, "cb-040-01267", "01267", "R2", 4);
    cr_expect_eq(ministry_reaches("unit = '01267'", c0 + 4), c0 + 4, "the other provinces go on");
    cr_expect_eq(ministry_reaches("unit = '06040'", l0 + 21), l0 + 21,
                 "the phantom is in the figures");
    exec_ok(c, "ALTER SUBSCRIPTION antt_from_20 ENABLE");
    it_sleep_ms(1000);
    cr_expect_eq(occurred(&m, "unit = '06040'"), l0 + 21, "no slot, no stream");
    char out[8192];
    const char *resync[] = {"--federation-resync", "20", NULL};
    cr_assert_eq(it_anttd(m.dsn, resync, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "events_added=15 events_removed=1"), "%s", out);
    cr_expect_eq(ministry_reaches("unit = '06040'", l0 + 35), l0 + 35, "20 + 15, the phantom gone");
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.incidents WHERE ref = 'PHANTOM'"), 0);
    /* the stream runs again, from the new slot */
    crimes(&da, "ls-180-06040", "06040", "R3", 5);
    cr_expect_eq(ministry_reaches("unit = '06040'", l0 + 40), l0 + 40);
    cr_expect_eq(it_scalar(c, "SELECT resyncs FROM antt.federation_provinces WHERE code = '20'"), 2,
                 "added, then resynced");
    PQfinish(c);
    expect_sum();
}

/* A link down longer than the province's max_slot_wal_keep_size allows:
 * the province drops the Ministry's slot to save its disk (wal_status
 * 'lost') and goes on; the subscription cannot go on when the link returns,
 * and a resync brings what the WAL no longer can. */
static void a_link_down_past_the_wal_kept(void)
{
    const long long c0 = occurred(&m, "unit = '01267'");
    PGconn *c = it_pg(&m), *bc = PQconnectdb(pb.dsn);
    exec_ok(bc, "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
    exec_ok(bc, "SELECT pg_reload_conf()");
    exec_ok(c, "ALTER SUBSCRIPTION antt_from_04 DISABLE");
    crimes(&db_, "cb-040-01267", "01267", "LOST", 6);
    /* WAL past the bound: a few segments written and switched, then a
     * checkpoint, which invalidates the slot */
    exec_ok(bc, "CREATE TABLE IF NOT EXISTS public.junk (x int8)");
    const char *wal = NULL;
    for (int i = 0; i < 12 && !(wal && !strcmp(wal, "lost")); i++) {
        exec_ok(bc, "INSERT INTO public.junk SELECT generate_series(1, 200000)");
        exec_ok(bc, "SELECT pg_switch_wal()");
        exec_ok(bc, "CHECKPOINT");
        PGconn *pc = it_pg(&b);
        PGresult *r = PQexec(pc, "SELECT wal_status FROM pg_replication_slots"
                                 " WHERE slot_name LIKE 'antt\\_from\\_04\\_%'");
        static char st[16];
        snprintf(st, sizeof st, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
        wal = st;
        PQclear(r);
        PQfinish(pc);
    }
    cr_assert_str_eq(wal, "lost", "the province gave up the Ministry's slot");
    exec_ok(bc, "DROP TABLE public.junk");
    exec_ok(bc, "ALTER SYSTEM RESET max_slot_wal_keep_size");
    exec_ok(bc, "SELECT pg_reload_conf()");
    PQfinish(bc);
    exec_ok(c, "ALTER SUBSCRIPTION antt_from_04 ENABLE");
    it_sleep_ms(1000);
    cr_expect_eq(occurred(&m, "unit = '01267'"), c0, "nothing comes from a lost slot");
    char out[8192];
    const char *resync[] = {"--federation-resync", "04", NULL};
    cr_assert_eq(it_anttd(m.dsn, resync, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "events_added=6 events_removed=0"), "%s", out);
    cr_expect_eq(ministry_reaches("unit = '01267'", c0 + 6), c0 + 6);
    crimes(&db_, "cb-040-01267", "01267", "AFTERLOST", 2);
    cr_expect_eq(ministry_reaches("unit = '01267'", c0 + 8), c0 + 8, "the stream again");
    PQfinish(c);
    expect_sum();
}

/* A resync that fails half-way (here: the Ministry's role on Hà Giang loses
 * its right to read the tallies, after the subscription was stopped and a
 * new slot made) changes nothing at the Ministry, drops the slot it made,
 * and leaves the province marked pending; the next resync mends it. */
static void a_failed_resync_is_taken_up_again(void)
{
    const long long h0 = occurred(&m, "unit = '00688'");
    PGconn *hc = it_pg(&hg), *c = it_pg(&m);
    exec_ok(hc, "REVOKE SELECT ON antt.tallies FROM antt_ministry");
    char out[8192];
    const char *resync[] = {"--federation-resync", "02", NULL};
    cr_expect_neq(it_anttd(m.dsn, resync, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "permission denied"), "%s", out);
    cr_expect_eq(it_scalar(c, "SELECT resync_pending::int FROM antt.federation_provinces"
                              " WHERE code = '02'"),
                 1, "the province is marked pending");
    cr_expect_eq(it_scalar(c, "SELECT subenabled::int FROM pg_subscription"
                              " WHERE subname = 'antt_from_02'"),
                 0);
    cr_expect_eq(it_scalar(hc, "SELECT count(*) FROM pg_replication_slots"), 0,
                 "the failed resync's slot is gone, and the old one with it");
    crimes(&dc, "hg-024-00688", "00688", "PENDING", 2);
    exec_ok(hc, "SELECT antt.federation_reader_up('antt_ministry')");
    cr_assert_eq(it_anttd(m.dsn, resync, out, sizeof out), 0, "%s", out);
    cr_expect_eq(ministry_reaches("unit = '00688'", h0 + 2), h0 + 2);
    cr_expect_eq(it_scalar(c, "SELECT resync_pending::int FROM antt.federation_provinces"
                              " WHERE code = '02'"),
                 0);
    crimes(&dc, "hg-024-00688", "00688", "PENDING-AFTER", 1);
    cr_expect_eq(ministry_reaches("unit = '00688'", h0 + 3), h0 + 3, "the stream again");
    PQfinish(hc);
    PQfinish(c);
    expect_sum();
}

/* Rows cannot collide unless a province writes outside its own units: here
 * Lạng Sơn enrols a station for a commune of Cao Bằng (01267) and both
 * report a case of the same reference there. The Ministry sets Lạng Sơn's
 * case row aside (antt.federation_conflicts, /metrics) instead of applying
 * it: Cao Bằng's case stays Cao Bằng's, and Lạng Sơn's feed does not stop —
 * a subscription stopped on a conflict would stop a province's figures. The
 * tallies stay the provinces' sum (each counted its own report). */
static void a_row_outside_its_province_is_set_aside(void)
{
    const char *node[] = {"--add-node", "ls-wrong-01267=01267", NULL};
    cr_assert_eq(it_anttd(a.dsn, node, NULL, 0), 0);
    const long long c0 = occurred(&m, "unit = '01267'"), l0 = occurred(&m, "unit = '06040'");
    crimes(&db_, "cb-040-01267", "01267", "SAME", 1);
    cr_assert_eq(ministry_reaches("unit = '01267'", c0 + 1), c0 + 1);
    crimes(&da, "ls-wrong-01267", "01267", "SAME", 1);
    crimes(&da, "ls-180-06040", "06040", "AFTER", 6);
    cr_expect_eq(ministry_reaches("unit = '06040'", l0 + 6), l0 + 6, "Lạng Sơn's feed goes on");
    PGconn *c = it_pg(&m);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.federation_conflicts WHERE code = '20'"
                              " AND tbl = 'incidents' AND unit = '01267'"),
                 1, "Lạng Sơn's row set aside");
    PGconn *bc = it_pg(&b);
    const long long mine = it_scalar(bc, "SELECT count(*) FROM antt.incidents i, antt.events e"
                                         " WHERE i.ref = 'SAME-0' AND e.ref = i.ref"
                                         " AND e.node = 'cb-040-01267'");
    PQfinish(bc);
    cr_expect_eq(mine, 1);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.incidents i WHERE i.unit = '01267'"
                              " AND i.ref = 'SAME-0' AND EXISTS (SELECT 1 FROM antt.events e"
                              " WHERE e.id = i.report_id AND e.node = 'cb-040-01267')"),
                 1, "Cao Bằng's case is Cao Bằng's");
    cr_expect_eq(occurred(&m, "unit = '01267'"), c0 + 2,
                 "both reports counted, as each province did");
    PQfinish(c);
    char body[16384];
    for (int i = 0; i < 50; i++) {
        cr_assert_eq(it_http_get(mhttp, "/metrics", body, sizeof body), 200);
        if (strstr(body, "antt_federation_conflicts{province=\"20\"} 1\n")) break;
        it_sleep_ms(100);
    }
    cr_expect(strstr(body, "antt_federation_conflicts{province=\"20\"} 1\n"), "%s", body);
}

/* Hà Giang's links run over TLS (verify-full against the federation's CA)
 * as roles that may log in only over TLS and read only what they must:
 * the Ministry's user on the province reads the published tables (and the
 * tallies and fold position a resync compares), not the stations' keys,
 * and writes nothing; the province's user on the Ministry reads the
 * reference data. */
static void the_links_are_tls_and_read_only_what_they_need(void)
{
    const long long h0 = occurred(&m, "unit = '00688'");
    crimes(&dc, "hg-024-00688", "00688", "TLS", 4);
    cr_expect_eq(ministry_reaches("unit = '00688'", h0 + 4), h0 + 4);
#define WALSENDER_TLS(role)                                                                        \
    "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)"                       \
    " WHERE a.usename = '" role "' AND a.backend_type = 'walsender' AND s.ssl"
    PGconn *hc = it_pg(&hg);
    cr_expect_eq(it_scalar(hc, WALSENDER_TLS("antt_ministry")), 1,
                 "the Ministry streams from Hà Giang over TLS");
    PQfinish(hc);
    PGconn *mc = it_pg(&m);
    cr_expect_eq(it_scalar(mc, WALSENDER_TLS("antt_province")), 1,
                 "Hà Giang takes the reference data over TLS");
    PQfinish(mc);
    char ci[700];
    tls_conninfo(ci, sizeof ci, &ph, &hg, "antt_ministry");
    PGconn *u = PQconnectdb(ci);
    cr_assert_eq(PQstatus(u), CONNECTION_OK, "%s", PQerrorMessage(u));
    cr_expect_eq(it_scalar(u, "SELECT count(*) FROM antt.events WHERE unit = '00688'"), h0 + 4);
    const char *denied[] = {"SELECT count(*) FROM antt.nodes", "SELECT count(*) FROM antt.rejects",
                            "DELETE FROM antt.events",
                            "INSERT INTO antt.fold_input (units, days, metrics, grps, severities,"
                            " vals) VALUES ('{}', '{}', '{}', '{}', '{}', '{}')"};
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        PGresult *r = PQexec(u, denied[i]);
        const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        cr_expect(st && !strcmp(st, "42501"), "%s: %s", denied[i], PQresultErrorMessage(r));
        PQclear(r);
    }
    PQfinish(u);
    /* the same role without TLS is turned away, and so is a server whose
     * certificate does not name the host asked for */
    char plain[700];
    snprintf(plain, sizeof plain,
             "host=127.0.0.1 port=%d dbname=%s user=antt_ministry password=" FED_PASSWORD
             " sslmode=disable",
             ph.port, hg.name);
    u = PQconnectdb(plain);
    cr_expect_neq(PQstatus(u), CONNECTION_OK, "antt_ministry without TLS");
    PQfinish(u);
    char phys[800];
    snprintf(phys, sizeof phys, "%s replication=true", ci);
    u = PQconnectdb(phys);
    cr_expect_neq(PQstatus(u), CONNECTION_OK, "a physical replication connection (a base backup)");
    PQfinish(u);
    snprintf(plain, sizeof plain,
             "host=ministry.invalid hostaddr=127.0.0.1 port=%d dbname=%s user=antt_ministry"
             " password=" FED_PASSWORD " sslmode=verify-full sslrootcert=%s/tls/ca.crt",
             ph.port, hg.name, pm.dir);
    u = PQconnectdb(plain);
    cr_expect_neq(PQstatus(u), CONNECTION_OK, "a certificate for another name");
    PQfinish(u);
    expect_sum();
}

/* Reference data has one owner, the Ministry: the 2025 map and a target
 * loaded there reach every province, whose scopes are rebuilt and whose
 * daemons reload as after a load of their own; a province's own load of
 * reference data is refused. */
static void reference_data_comes_down_from_the_ministry(void)
{
    const char *load[] = {"--load-units", ANTT_SOURCE_DIR "/data/units-2025.csv",
                          "--load-successors", ANTT_SOURCE_DIR "/data/successors-2025.csv", NULL};
    cr_assert_eq(it_anttd(m.dsn, load, NULL, 0), 0);
    char path[64];
    snprintf(path, sizeof path, "/tmp/antt-fed-targets.%d.csv", (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("unit,year,figure,target,source\n20,2023,clearance,91.5,federation test\n", f);
    fclose(f);
    const char *targets[] = {"--load-targets", path, NULL};
    cr_assert_eq(it_anttd(m.dsn, targets, NULL, 0), 0);
    PGconn *c = it_pg(&m);
    const long long units = it_scalar(c, "SELECT count(*) FROM antt.units"),
                    scope = it_scalar(c, "SELECT count(*) FROM antt.unit_scope"),
                    successors = it_scalar(c, "SELECT count(*) FROM antt.unit_successors");
    PQfinish(c);
    const it_db_t *prov[] = {&a, &b, &hg};
    for (int i = 0; i < 3; i++) {
        PGconn *pc = it_pg(prov[i]);
        long long got = 0;
        for (int k = 0;
             k < 300 && (got = it_scalar(pc, "SELECT count(*) FROM antt.targets"
                                             " WHERE unit = '20' AND target = 91.5")) != 1;
             k++)
            it_sleep_ms(100);
        cr_expect_eq(got, 1, "province %d has the Ministry's target", i);
        cr_expect_eq(it_scalar(pc, "SELECT count(*) FROM antt.units"), units);
        cr_expect_eq(it_scalar(pc, "SELECT count(*) FROM antt.unit_successors"), successors);
        cr_expect_eq(it_scalar(pc, "SELECT count(*) FROM antt.unit_scope"), scope,
                     "province %d rebuilt its scopes", i);
        PQfinish(pc);
    }
    /* the province's own load is refused: the Ministry owns it */
    char out[4096];
    cr_expect_eq(it_anttd(a.dsn, targets, out, sizeof out), 2, "%s", out);
    cr_expect(strstr(out, "from the Ministry"), "%s", out);
    unlink(path);
    /* and the provinces go on reporting */
    const long long c0 = occurred(&m, "unit = '01267'");
    crimes(&db_, "cb-040-01267", "01267", "NEWMAP", 3);
    cr_expect_eq(ministry_reaches("unit = '01267'", c0 + 3), c0 + 3);
    expect_sum();
}

/* A province removed, and added again later with what it took meanwhile:
 * --federation-add takes a province's history, not only what follows. */
static void a_province_added_with_its_history(void)
{
    char out[8192];
    const long long h0 = occurred(&m, "unit = '00688'");
    const char *remove[] = {"--federation-remove", "02", NULL};
    cr_assert_eq(it_anttd(m.dsn, remove, out, sizeof out), 0, "%s", out);
    PGconn *hc = it_pg(&hg);
    cr_expect_eq(it_scalar(hc, "SELECT count(*) FROM pg_replication_slots"), 0,
                 "its slot dropped on the province");
    PQfinish(hc);
    crimes(&dc, "hg-024-00688", "00688", "ALONE", 12);
    const long long l0 = occurred(&m, "unit = '06040'");
    crimes(&da, "ls-180-06040", "06040", "MEANWHILE", 3);
    cr_expect_eq(ministry_reaches("unit = '06040'", l0 + 3), l0 + 3);
    cr_expect_eq(occurred(&m, "unit = '00688'"), h0,
                 "nothing of a removed province; its past stays");
    cr_assert_eq(federate("02", hg.dsn, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "events_added=12 events_removed=0"), "%s", out);
    cr_expect_eq(ministry_reaches("unit = '00688'", h0 + 12), h0 + 12);
    crimes(&dc, "hg-024-00688", "00688", "AFTER", 2);
    cr_expect_eq(ministry_reaches("unit = '00688'", h0 + 14), h0 + 14);
    expect_sum();
}

/* The national stream: the Ministry's anttd publishes its fold's windows,
 * so a subscriber of the whole country (the Ministry's console, antt
 * watch) hears of each province's report as the Ministry folds it. */
static void the_national_stream_is_live(void)
{
    void *ctx = zmq_ctx_new(), *sub = zmq_socket(ctx, ZMQ_SUB);
    cr_assert_eq(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0), 0);
    cr_assert_eq(zmq_connect(sub, mstream), 0);
    it_sleep_ms(500); /* the subscription reaches the daemon */
    crimes(&da, "ls-180-06040", "06040", "LIVE", 1);
    crimes(&db_, "cb-040-01267", "01267", "LIVE", 1);
    crimes(&dc, "hg-024-00688", "00688", "LIVE", 1);
    const char *prov[] = {"20.", "04.", "02."};
    int heard[3] = {0, 0, 0};
    for (int waited = 0; waited < 15000 && !(heard[0] && heard[1] && heard[2]); waited += 100) {
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) <= 0) continue;
        char topic[128];
        const int n = zmq_recv(sub, topic, sizeof topic - 1, 0);
        int more = 0;
        size_t ml = sizeof more;
        zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ml);
        char body[4096];
        while (more) { /* the rest of the message */
            zmq_recv(sub, body, sizeof body, 0);
            zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ml);
        }
        if (n <= 0) continue;
        topic[n < (int)sizeof topic - 1 ? n : (int)sizeof topic - 1] = '\0';
        for (int i = 0; i < 3; i++)
            heard[i] |= !strncmp(topic, prov[i], 3);
    }
    for (int i = 0; i < 3; i++)
        cr_expect(heard[i], "the Ministry's stream carried province %.2s", prov[i]);
    zmq_close(sub);
    zmq_ctx_term(ctx);
}

/* ---- the national figures, as the reports give them ---- */

/* Send one event of a province's station. */
static void send_as(const it_daemon_t *d, ev_t *ev, const char *node, const char *unit)
{
    it_client_t cl;
    it_client_open(&cl, d->port);
    ev->node = ev_cstr(node);
    ev->unit = ev_cstr(unit);
    ack_t ack[1];
    cr_assert_eq(it_submit(&cl, ev, 1, ack, 10000), 0);
    cr_assert_eq(ack[0].status, ACK_ACCEPTED, "code %d", ack[0].code);
    it_client_close(&cl);
}

/* A year of a province: crimes, some cleared with suspects, tip-offs, some
 * resolved (k varies the counts between provinces). */
static void a_year(const it_daemon_t *d, const char *node, const char *unit, const char *tag, int k)
{
    for (int i = 0; i < 6 + k; i++) {
        ev_t ev;
        const char *ref = it_str("%s-Y-%d", tag, i);
        it_incident(&ev, ref, i % 3 ? "social_order" : "drugs",
                    i % 4 ? SEV_SERIOUS : SEV_VERY_SERIOUS, IT_NOW_US - (i + 30) * IT_DAY_US);
        send_as(d, &ev, node, unit);
        if (i % 2 == 0) {
            it_cleared(&ev, ref, IT_NOW_US - (i + 5) * IT_DAY_US, (uint32_t)(1 + i % 3));
            send_as(d, &ev, node, unit);
        }
    }
    for (int i = 0; i < 4 + k; i++) {
        ev_t ev;
        const char *ref = it_str("%s-T-%d", tag, i);
        it_tipoff(&ev, ref, IT_NOW_US - (i + 40) * IT_DAY_US);
        send_as(d, &ev, node, unit);
        if (i % 3 != 2) {
            it_resolved(&ev, ref, OUT_PROSECUTE, IT_NOW_US - (i + 2) * IT_DAY_US);
            send_as(d, &ev, node, unit);
        }
    }
}

/* antt report --format json of unit for 2023, as of one instant. */
static json_object *report_of(const char *dsn, const char *unit)
{
    char cmd[2048];
    static char out[1 << 17];
    snprintf(cmd, sizeof cmd,
             "%s report --db '%s' --unit '%s' --year 2023 --format json"
             " --at '2024-01-10T00:00:00+07:00' 2>&1",
             ANTT_PATH, dsn, unit);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    cr_assert_eq(pclose(p), 0, "%s: %s", cmd, out);
    json_object *o = json_tokener_parse(out);
    cr_assert_not_null(o, "%s", out);
    return o;
}

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    cr_assert(json_object_object_get_ex(o, key, &v), "no %s", key);
    return v;
}

/* antt report on the Ministry gives each province's figures as the
 * province's own report does, field by field (its crime groups too), and
 * --unit all and the cluster II view give their sum; the cluster's view
 * lists each province with its own figures (what the console ranks). */
static void the_reports_agree(void)
{
    const char *load[] = {"--load-clusters", ANTT_SOURCE_DIR "/data/clusters.csv", NULL};
    cr_assert_eq(it_anttd(m.dsn, load, NULL, 0), 0);
    a_year(&da, "ls-180-06040", "06040", "LS", 0);
    a_year(&db_, "cb-040-01267", "01267", "CB", 3);
    a_year(&dc, "hg-024-00688", "00688", "HG", 5);
    expect_sum();
    const char *codes[] = {"20", "04", "02"};
    const char *dsns[] = {a.dsn, b.dsn, hg.dsn};
    json_object *sum = json_object_new_object();
    for (int i = 0; i < 3; i++) {
        json_object *home = report_of(dsns[i], codes[i]), *there = report_of(m.dsn, codes[i]);
        const char *keys[] = {"figures", "groups", "wanted", "targets"};
        for (size_t k = 0; k < 4; k++)
            cr_expect_str_eq(json_object_to_json_string(member(home, keys[k])),
                             json_object_to_json_string(member(there, keys[k])), "province %s: %s",
                             codes[i], keys[k]);
        json_object_object_foreach(member(home, "figures"), key, val)
        {
            if (!json_object_is_type(val, json_type_int)) continue;
            json_object *acc = NULL;
            const int64_t was =
                json_object_object_get_ex(sum, key, &acc) ? json_object_get_int64(acc) : 0;
            json_object_object_add(sum, key,
                                   json_object_new_int64(was + json_object_get_int64(val)));
        }
        json_object_put(home);
        json_object_put(there);
    }
    cr_expect_gt(json_object_get_int64(member(sum, "occurred")), 0);
    cr_expect_gt(json_object_get_int64(member(sum, "tipoffs_resolved")), 0);
    /* the country and the cluster: every count the provinces' sum */
    const char *wholes[] = {"all", "group:cluster2"};
    for (int w = 0; w < 2; w++) {
        json_object *nat = report_of(m.dsn, wholes[w]), *f = member(nat, "figures");
        json_object_object_foreach(sum, key, val)
        {
            cr_expect_eq(json_object_get_int64(member(f, key)), json_object_get_int64(val),
                         "%s: %s", wholes[w], key);
        }
        json_object_put(nat);
    }
    json_object_put(sum);
    /* the cluster's view, as the console asks it: each province's figures
     * are its own (compared with the province's antt.rates) */
    PGconn *c = it_pg(&m);
    for (int i = 0; i < 3; i++) {
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "SELECT to_jsonb(r) - 'code' - 'grp' FROM antt.rates_many(ARRAY(SELECT code FROM"
                 " antt.children_on('group:cluster2', '2023-12-31')), '2023-01-01', '2024-01-01',"
                 " '2023-12-31') r WHERE r.code = '%s'",
                 codes[i]);
        PGresult *r = PQexec(c, sql);
        cr_assert_eq(PQntuples(r), 1, "province %s in the cluster's view: %s", codes[i],
                     PQresultErrorMessage(r));
        PGconn *pc = PQconnectdb(dsns[i]);
        snprintf(sql, sizeof sql,
                 "SELECT to_jsonb(r) FROM antt.rates('%s', '2023-01-01', '2024-01-01', NULL,"
                 " '2023-12-31') r",
                 codes[i]);
        PGresult *q = PQexec(pc, sql);
        cr_assert_eq(PQntuples(q), 1, "%s", PQresultErrorMessage(q));
        cr_expect_str_eq(PQgetvalue(r, 0, 0), PQgetvalue(q, 0, 0), "province %s", codes[i]);
        PQclear(q);
        PQfinish(pc);
        PQclear(r);
    }
    PQfinish(c);
}

/* The suite's servers take a while to set up (four PostgreSQL servers,
 * the links both ways): each test runs several phases on one setup. Each
 * phase ends comparing the Ministry with the provinces, key by key. */

/* The way up and down when all is well: the sums and /metrics; TLS and
 * least privilege; reference data from the Ministry; then a colliding row
 * (last: it leaves a case set aside, which the case counts then show). */
Test(federation, the_way_up_and_down)
{
    the_ministrys_figures_are_the_sum_of_the_provinces();
    the_links_are_tls_and_read_only_what_they_need();
    reference_data_comes_down_from_the_ministry();
    the_reports_agree();
    the_national_stream_is_live();
    a_row_outside_its_province_is_set_aside();
}

/* Faults and the resync: a link cut and back; a slot lost with a phantom
 * batch; a link down past max_slot_wal_keep_size; a resync that fails
 * half-way; a province removed and added again with its history; the
 * Ministry's server down. */
Test(federation, faults_and_resyncs)
{
    a_province_cut_off_goes_on_and_the_ministry_catches_up();
    a_lost_slot_is_resynced_exactly();
    a_link_down_past_the_wal_kept();
    a_failed_resync_is_taken_up_again();
    a_province_added_with_its_history();
    the_ministry_down_leaves_the_provinces_unaffected();
}

/* ---- Lạng Sơn as a pg_auto_failover formation ---- */

static void up_failover(void)
{
    ministry_server();
    it_formation_start(&fa);
    PGconn *c = pg_at(fa.dsn);
    exec_ok(c, "SELECT antt.federation_province()");
    PQfinish(c);
    province(&pb, &b, "cb-040-01267=01267");
    province(&ph, &hg, "hg-024-00688=00688");
    char out[4096];
    cr_assert_eq(federate("20", fa.dsn, out, sizeof out), 0, "%s", out);
    cr_assert_eq(federate("04", b.dsn, out, sizeof out), 0, "%s", out);
    cr_assert_eq(federate("02", hg.dsn, out, sizeof out), 0, "%s", out);
    const char *extra[] = {"--synchronous-acks", "require", "--reconnect-max-ms", "500", NULL};
    it_daemon_start(&da, fa.dsn, extra);
    it_daemon_start(&db_, b.dsn, NULL);
    it_daemon_start(&dc, hg.dsn, NULL);
    ministry_daemon(1);
}

TestSuite(federation_failover, .init = up_failover, .fini = down, .timeout = 400);

static ev_t *incidents(size_t n, const char *tag)
{
    ev_t *evs = calloc(n, sizeof *evs);
    for (size_t i = 0; i < n; i++)
        it_incident(&evs[i], it_str("%s-%zu", tag, i), i % 2 ? "drugs" : "social_order",
                    SEV_SERIOUS, IT_NOW_US - (int64_t)(i % 20 + 1) * IT_DAY_US);
    return evs;
}

/* Lạng Sơn's primary killed -9 while its stations send: pg_auto_failover
 * promotes the secondary, the province's anttd goes on there, and the
 * Ministry's subscription finds no slot on the new primary. The operator's
 * one step is --federation-resync 20; then the national figures are the
 * provinces' sum exactly, and the stream from the new primary goes on. */
Test(federation_failover, a_provinces_primary_killed_mid_stream)
{
    const char *env = getenv("ANTT_FEDERATION_EVENTS");
    const size_t n = env ? (size_t)atol(env) : 1500;
    ev_t *evs = incidents(n, "F");
    it_sender_t *s = it_sender_new(da.port, evs, n, 10);
    size_t done = 0;
    for (int i = 0; i < 300 && done < n / 3; i++)
        done = it_sender_run(s, 200, 4, 2000, n / 3);
    cr_assert_geq(done, n / 3, "a third acked before the failover");
    crimes(&db_, "cb-040-01267", "01267", "CB", 10);
    cr_assert_eq(it_formation(&fa, "kill-primary"), 0);
    for (int i = 0; i < 600 && !it_log_has(&da, "the database failed over"); i++)
        it_sender_run(s, 100, 4, 2000, 0);
    cr_assert(it_log_has(&da, "the database failed over"), "anttd saw the failover");
    crimes(&dc, "hg-024-00688", "00688", "HG", 10);
    cr_assert_eq(it_formation(&fa, "rejoin"), 0, "the old primary did not come back");
    for (int i = 0; i < 900 && done < n; i++)
        done = it_sender_run(s, 200, 4, 2000, 0);
    cr_assert_eq(done, n, "every event answered for good");
    /* nobody runs anything: the Ministry's anttd sees province 20 silent,
     * finds no slot on its primary, and resyncs it */
    for (int i = 0; i < 600 && !it_log_has(&dm, "province resynced code=20"); i++)
        it_sleep_ms(100);
    cr_assert(it_log_has(&dm, "province resynced code=20"), "the Ministry resynced by itself");
    cr_expect(it_log_has(&dm, "province 20: its primary has no slot for the Ministry"),
              "PostgreSQL 15's slot stayed on the old primary");
    char body[16384];
    cr_assert_eq(it_http_get(mhttp, "/metrics", body, sizeof body), 200);
    cr_expect(strstr(body, "antt_federation_resyncs_total 1\n"), "%s", body);
    crimes(&da, "ls-180-06040", "06040", "AFTER", 5);
    const char *all[] = {fa.dsn, b.dsn, hg.dsn};
    expect_sum_of(all, 3);
    cr_expect_eq(ministry_reaches("unit = '06040'", (long long)n + 5), (long long)n + 5);
    it_sender_free(&s);
    free(evs);
}

/* ---- the Ministry as a pg_auto_failover formation ---- */

static void up_ministry_failover(void)
{
    it_formation_start(&fm);
    snprintf(m.dsn, sizeof m.dsn, "%s", fm.dsn);
    PGconn *c = pg_at(m.dsn);
    exec_ok(c, "SELECT antt.federation_ministry()");
    PQfinish(c);
    province(&pa, &a, NULL);
    province(&pb, &b, "cb-040-01267=01267");
    province(&ph, &hg, "hg-024-00688=00688");
    char out[4096], arg[1024];
    cr_assert_eq(federate("20", a.dsn, out, sizeof out), 0, "%s", out);
    cr_assert_eq(federate("04", b.dsn, out, sizeof out), 0, "%s", out);
    cr_assert_eq(federate("02", hg.dsn, out, sizeof out), 0, "%s", out);
    /* the way down too, each province's daemon watching it */
    const it_db_t *prov[] = {&a, &b, &hg};
    const char *codes[] = {"20", "04", "02"};
    for (int i = 0; i < 3; i++) {
        snprintf(arg, sizeof arg, "%s=%s", codes[i], m.dsn);
        const char *down_[] = {"--federation-reference", arg, NULL};
        cr_assert_eq(it_anttd(prov[i]->dsn, down_, out, sizeof out), 0, "%s", out);
    }
    const char *watch[] = {"--federation-check-s", "1", NULL};
    it_daemon_start(&da, a.dsn, watch);
    it_daemon_start(&db_, b.dsn, watch);
    it_daemon_start(&dc, hg.dsn, watch);
    ministry_daemon(1);
}

TestSuite(federation_ministry_failover, .init = up_ministry_failover, .fini = down, .timeout = 400);

/* The Ministry's primary killed -9 while the provinces report: its
 * secondary, promoted, has the subscriptions and how far each had applied
 * (the apply workers commit synchronously, so what a province's slot was
 * told is applied is on the secondary too). The apply workers start there
 * and take up from that point, the Ministry's anttd reconnects and folds:
 * no operator's step, nothing lost, nothing twice. The way down lost its
 * slots with the old primary: each province's anttd takes the reference
 * data again from the new one, by itself. */
Test(federation_ministry_failover, the_ministrys_primary_killed_mid_stream)
{
    const char *env = getenv("ANTT_FEDERATION_EVENTS");
    const size_t n = env ? (size_t)atol(env) : 1500;
    ev_t *evs = incidents(n, "M");
    it_sender_t *s = it_sender_new(da.port, evs, n, 10);
    size_t done = 0;
    for (int i = 0; i < 300 && done < n / 3; i++)
        done = it_sender_run(s, 200, 4, 2000, n / 3);
    cr_assert_geq(done, n / 3);
    cr_assert_eq(it_formation(&fm, "kill-primary"), 0);
    crimes(&db_, "cb-040-01267", "01267", "CB", 10);
    for (int i = 0; i < 900 && done < n; i++)
        done = it_sender_run(s, 200, 4, 2000, 0);
    cr_assert_eq(done, n, "the province acked everything, the Ministry down or not");
    crimes(&dc, "hg-024-00688", "00688", "HG", 10);
    for (int i = 0; i < 600 && !it_log_has(&dm, "the database failed over"); i++)
        it_sleep_ms(100);
    cr_expect(it_log_has(&dm, "the database failed over"), "the Ministry's anttd followed");
    const char *all[] = {a.dsn, b.dsn, hg.dsn};
    expect_sum_of(all, 3);
    cr_expect_eq(ministry_reaches("unit = '06040'", (long long)n), (long long)n);
    PGconn *c = pg_at(m.dsn);
    cr_expect_eq(it_scalar(c, "SELECT resyncs FROM antt.federation_provinces WHERE code = '20'"), 1,
                 "no resync was needed");
    PQfinish(c);
    /* the way down: the reference slots stayed on the old primary; each
     * province's daemon takes the reference data again from the new one,
     * and what the Ministry loads next reaches them */
    const it_daemon_t *pd[] = {&da, &db_, &dc};
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 300 && !it_log_has(pd[i], "reference data taken again"); k++)
            it_sleep_ms(100);
        cr_expect(it_log_has(pd[i], "reference data taken again"), "province %d", i);
    }
    char path[64];
    snprintf(path, sizeof path, "/tmp/antt-fed-targets.%d.csv", (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("unit,year,figure,target,source\n04,2023,tipoff,92.5,federation test\n", f);
    fclose(f);
    const char *targets[] = {"--load-targets", path, NULL};
    cr_assert_eq(it_anttd(m.dsn, targets, NULL, 0), 0);
    unlink(path);
    const it_db_t *prov[] = {&a, &b, &hg};
    for (int i = 0; i < 3; i++) {
        PGconn *pc = it_pg(prov[i]);
        long long got = 0;
        for (int k = 0;
             k < 300 && (got = it_scalar(pc, "SELECT count(*) FROM antt.targets"
                                             " WHERE unit = '04' AND target = 92.5")) != 1;
             k++)
            it_sleep_ms(100);
        cr_expect_eq(got, 1, "province %d has the new primary's target", i);
        PQfinish(pc);
    }
    it_sender_free(&s);
    free(evs);
}

/* test_store.c — the store (db/store.h) on its own: plain work in, verdicts,
 * rows and tallies out, against a real PostgreSQL and without a socket or a
 * daemon. Events are encoded and decoded as the daemon's intake does, so the
 * log keeps their real bytes. */
#include "db/fold.h"
#include "db/store.h"
#include "harness.h"
#include "proto/decode.h"
#include "proto/encode.h"
#include "proto/err.h"

#include <criterion/criterion.h>
#include <msgpack.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define DAY IT_DAY_US

static int is_crime(void *ctx, const char *grp)
{
    (void)ctx;
    return strcmp(grp, "traffic") != 0;
}

static store_t *open_store(const it_db_t *db)
{
    ledger_cfg_t l = {.utc_offset_us = 7 * 3600 * 1000000LL,
                      .law = {.utc_offset_us = 7 * 3600 * 1000000LL,
                              .limit_days = 20,
                              .complex_months = 2,
                              .procuracy_months = 2},
                      .orphan_max_age_us = 7 * DAY,
                      .is_crime = is_crime};
    store_t *s = store_new(db->dsn, &l, 256);
    cr_assert_not_null(s);
    char err[512];
    cr_assert_eq(store_connect(s, err, sizeof err), 0, "connect: %s", err);
    return s;
}

/* Work of up to 16 events, each with its own encoded bytes. */
typedef struct {
    store_ev_t ev[16];
    msgpack_sbuffer raw[16];
    store_refusal_t ref[4];
    store_work_t w;
} work_t;

static void work_init(work_t *k)
{
    memset(k, 0, sizeof *k);
    for (int i = 0; i < 16; i++)
        msgpack_sbuffer_init(&k->raw[i]);
    k->w.ev = k->ev;
    k->w.refusals = k->ref;
}

static void work_free(work_t *k)
{
    for (int i = 0; i < 16; i++)
        msgpack_sbuffer_destroy(&k->raw[i]);
}

/* Add an event as the intake would: its bytes, decoded. */
static store_ev_t *work_add(work_t *k, const ev_t *ev)
{
    uint32_t i = k->w.nev++;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &k->raw[i], msgpack_sbuffer_write);
    cr_assert_eq(enc_event(&pk, ev), 0);
    dec_msg_t m;
    dec_err_t de;
    cr_assert_eq(dec_open(&m, k->raw[i].data, k->raw[i].size, IT_NOW_US, &de), 0, "%s", de.msg);
    cr_assert_eq(dec_next(&m, &k->ev[i].ev, &de), 1, "%s", de.msg);
    k->ev[i].v.status = ACK_ACCEPTED;
    k->ev[i].dup_of = -1;
    k->ev[i].path = PATH_ACKED;
    return &k->ev[i];
}

static store_rc_t commit(store_t *s, work_t *k)
{
    char err[512] = "";
    store_rc_t rc = store_commit(s, &k->w, IT_NOW_US, err, sizeof err);
    if (rc != STORE_OK) cr_log_info("store_commit: %s", err);
    return rc;
}

/* Each test: a database of its own and a store connected to it. */
static it_db_t db;
static store_t *s;

/* No daemon folds here: the test folds the committed batches itself before
 * it reads a figure, on its own connection (db_t is libpq's connection). */
static void fold_here(PGconn *c)
{
    char err[512];
    cr_assert_eq(fold_session((db_t *)c, err, sizeof err), 0, "%s", err);
    for (int i = 0; i < 400 && !it_scalar(c, "SELECT antt.fold_wait(0)::int"); i++) {
        fold_window_t w;
        cr_assert_geq(fold_once((db_t *)c, &w, err, sizeof err), 0, "fold: %s", err);
        fold_window_clear(&w);
        if (!w.rows) usleep(50000); /* another test's transaction holds the window */
    }
    cr_assert_eq(it_scalar(c, "SELECT antt.fold_wait(0)::int"), 1, "not folded in 20 s");
    cr_assert_eq(db_exec((db_t *)c, "RESET antt.store_rolls", 0, NULL, NULL, NULL, err, sizeof err),
                 0, "%s", err);
}

static void setup(void)
{
    it_before_figures = fold_here;
    it_db_create(&db, NULL);
    s = open_store(&db);
}

static void teardown(void)
{
    store_free(&s);
    it_strings_free();
    if (db.name[0]) it_db_drop(&db, NULL);
    memset(&db, 0, sizeof db);
}

TestSuite(store, .init = setup, .fini = teardown);

static int64_t t0(void)
{
    return IT_NOW_US - 3 * DAY;
}

Test(store, commits_events_case_states_and_tallies_in_one_transaction)
{
    work_t k;
    work_init(&k);
    ev_t e;
    it_incident(&e, "HS-1", "social_order", SEV_SERIOUS, t0());
    work_add(&k, &e);
    it_tipoff(&e, "TB-1", t0());
    work_add(&k, &e);
    it_cleared(&e, "HS-1", t0() + DAY, 2);
    work_add(&k, &e);
    cr_assert_eq(commit(s, &k), STORE_OK);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(k.ev[i].v.status, ACK_ACCEPTED, "event %d: %d %s", i, k.ev[i].v.code,
                     k.ev[i].v.msg);
    cr_expect_eq(k.ev[0].case_version, 1);
    cr_expect_eq(k.ev[2].case_version, 2);
    PGconn *c = it_pg(&db);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events"), 3);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.event_ids"), 3);
    cr_expect_eq(it_scalar(c, "SELECT suspects FROM antt.incidents WHERE ref = 'HS-1'"), 2);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.tipoffs WHERE status = 'pending'"), 1);
    cr_expect_eq(it_tally(c, "incidents", NULL), 1);
    cr_expect_eq(it_tally(c, "cleared", NULL), 1);
    cr_expect_eq(it_tally(c, "tipoffs_received", NULL), 1);
    /* the raw bytes are the event's own */
    cr_expect_eq(it_scalar(c, "SELECT octet_length(raw) FROM antt.events WHERE ref = 'TB-1'"),
                 (long long)k.raw[1].size);
    cr_expect_eq(store_stats(s)->accepted, 3);
    PQfinish(c);
    work_free(&k);
}

Test(store, a_resent_event_is_a_duplicate_and_counts_once)
{
    ev_t e;
    it_incident(&e, "HS-2", "drugs", SEV_VERY_SERIOUS, t0());
    work_t k;
    work_init(&k);
    work_add(&k, &e);
    cr_assert_eq(commit(s, &k), STORE_OK);
    cr_assert_eq(k.ev[0].v.status, ACK_ACCEPTED);
    work_free(&k);

    /* Again, in a later transaction; and within one work, a repeat of an
     * event of the same work (linked to its first) and an event refused
     * before the store with the same id (left alone). */
    work_init(&k);
    work_add(&k, &e);
    ev_t f;
    it_tipoff(&f, "TB-2", t0());
    work_add(&k, &f);
    work_add(&k, &f);
    store_ev_t *fixed = work_add(&k, &f);
    fixed->fixed = 1;
    fixed->v = (verdict_t){.status = ACK_REJECTED, .code = 300};
    snprintf(fixed->v.msg, sizeof fixed->v.msg, "unit unknown");
    cr_assert_eq(commit(s, &k), STORE_OK);
    cr_expect_eq(k.ev[0].v.status, ACK_DUPLICATE);
    cr_expect_eq(k.ev[1].v.status, ACK_ACCEPTED);
    cr_expect_eq(k.ev[1].dup_of, -1);
    cr_expect_eq(k.ev[2].dup_of, 1);
    cr_expect_eq(k.ev[2].v.status, ACK_DUPLICATE);
    cr_expect_eq(k.ev[3].dup_of, -1);
    cr_expect_eq(k.ev[3].v.status, ACK_REJECTED);
    PGconn *c = it_pg(&db);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events"), 2);
    cr_expect_eq(it_tally(c, "incidents", NULL), 1);
    cr_expect_eq(it_tally(c, "tipoffs_received", NULL), 1);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.rejects WHERE code = 300"), 1);
    PQfinish(c);
    work_free(&k);
}

Test(store, refusals_are_recorded_in_arrival_order_and_change_nothing_else)
{
    work_t k;
    work_init(&k);
    ev_t e;
    it_incident(&e, "HS-3", "social_order", SEV_SERIOUS, t0());
    store_ev_t *x = work_add(&k, &e);
    x->fixed = 1;
    x->v = (verdict_t){.status = ACK_REJECTED, .code = 301};
    snprintf(x->v.msg, sizeof x->v.msg, "node unknown");
    static const uint8_t junk[] = {0xc1, 0xc1, 0xc1};
    k.ref[0] = (store_refusal_t){.at = 0,
                                 .path = PATH_ACKED,
                                 .code = 101,
                                 .node = "",
                                 .msg = "not msgpack",
                                 .raw = junk,
                                 .raw_len = 3,
                                 .raw_total = 3};
    k.ref[1] = (store_refusal_t){.at = 1,
                                 .path = PATH_HANDSHAKE,
                                 .code = 403,
                                 .node = "ls-181",
                                 .msg = "key refused",
                                 .raw_len = 0};
    k.w.nrefusals = 2;
    cr_assert_eq(commit(s, &k), STORE_OK);
    cr_expect_eq(k.ev[0].v.status, ACK_REJECTED);
    PGconn *c = it_pg(&db);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events"), 0);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.incidents"), 0);
    cr_expect_eq(it_scalar(c, "SELECT coalesce(sum(value), 0) FROM antt.tallies"), 0);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.rejects"), 3);
    /* in arrival order: the message refused whole, the event, the handshake */
    cr_expect_eq(it_scalar(c, "SELECT code FROM antt.rejects ORDER BY n LIMIT 1"), 101);
    cr_expect_eq(it_scalar(c, "SELECT code FROM antt.rejects ORDER BY n OFFSET 1 LIMIT 1"), 301);
    cr_expect_eq(it_scalar(c, "SELECT code FROM antt.rejects ORDER BY n OFFSET 2 LIMIT 1"), 403);
    cr_expect_eq(it_scalar(c, "SELECT raw_len FROM antt.rejects WHERE code = 101"), 3);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.rejects WHERE code = 403"
                              " AND path = 'handshake' AND node = 'ls-181'"),
                 1);
    PQfinish(c);
    work_free(&k);
}

typedef struct {
    store_t *s;
    work_t *k;
    store_rc_t rc;
} job_t;

static void *commit_job(void *p)
{
    job_t *j = p;
    j->rc = commit(j->s, j->k);
    return NULL;
}

/* Another store's uncommitted insert of the same id holds ours on the
 * unique index; when it commits, ours fails with 23505, rolls back, runs
 * again and finds the id stored: a duplicate, counted once. */
Test(store, a_concurrent_store_of_the_same_id_is_retried_into_a_duplicate)
{
    store_t *a = s, *b = open_store(&db);
    ev_t e;
    it_incident(&e, "HS-4", "social_order", SEV_SERIOUS, t0());
    work_t ka, kb;
    work_init(&ka);
    work_init(&kb);
    work_add(&ka, &e);
    work_add(&kb, &e);
    /* a holds its transaction open: lock the fold's input so its COMMIT waits */
    PGconn *c = it_pg(&db);
    PQclear(PQexec(c, "BEGIN"));
    PQclear(PQexec(c, "LOCK TABLE antt.fold_input IN EXCLUSIVE MODE"));
    job_t ja = {a, &ka, STORE_FAILED}, jb = {b, &kb, STORE_FAILED};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, commit_job, &ja);
    /* wait until a has inserted the id and waits on the lock */
    for (int i = 0; i < 200; i++) {
        if (it_scalar(c, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'anttd'"
                         " AND datname = current_database() AND wait_event_type = 'Lock'") == 1)
            break;
        usleep(10000);
    }
    pthread_create(&tb, NULL, commit_job, &jb);
    for (int i = 0; i < 200; i++) { /* b reaches the same id on the unique index, waits on a */
        if (it_scalar(c, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'anttd'"
                         " AND datname = current_database() AND wait_event_type = 'Lock'") == 2)
            break;
        usleep(10000);
    }
    PQclear(PQexec(c, "COMMIT"));
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    cr_assert_eq(ja.rc, STORE_OK);
    cr_assert_eq(jb.rc, STORE_OK);
    cr_expect_eq(ka.ev[0].v.status, ACK_ACCEPTED);
    cr_expect_eq(kb.ev[0].v.status, ACK_DUPLICATE, "%d %s", kb.ev[0].v.code, kb.ev[0].v.msg);
    cr_expect_geq(store_stats(b)->retries, 1);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events"), 1);
    cr_expect_eq(it_tally(c, "incidents", NULL), 1);
    PQfinish(c);
    work_free(&ka);
    work_free(&kb);
    store_free(&b);
}

/* The connection dies while the batch's transaction is open: STORE_DOWN,
 * nothing stored, verdicts not final; after reconnecting, the same work
 * commits once. */
Test(store, a_connection_lost_mid_commit_stores_nothing_and_the_work_commits_again)
{
    ev_t e;
    it_tipoff(&e, "TB-5", t0());
    work_t k;
    work_init(&k);
    work_add(&k, &e);
    PGconn *c = it_pg(&db);
    PQclear(PQexec(c, "BEGIN"));
    PQclear(PQexec(c, "LOCK TABLE antt.fold_input IN EXCLUSIVE MODE"));
    job_t j = {s, &k, STORE_OK};
    pthread_t t;
    pthread_create(&t, NULL, commit_job, &j);
    long long waiting = 0;
    for (int i = 0; i < 200 && !waiting; i++) {
        waiting = it_scalar(c, "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                               " 'anttd' AND datname = current_database()"
                               " AND wait_event_type = 'Lock'");
        if (!waiting) usleep(10000);
    }
    cr_assert_eq(waiting, 1, "the store never waited on the lock");
    PQclear(PQexec(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      " WHERE application_name = 'anttd' AND datname = current_database()"));
    PQclear(PQexec(c, "COMMIT"));
    pthread_join(t, NULL);
    cr_assert_eq(j.rc, STORE_DOWN);
    cr_expect_not(store_connected(s));
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events"), 0);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.tipoffs"), 0);
    char err[512];
    cr_assert_eq(store_connect(s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(commit(s, &k), STORE_OK);
    cr_expect_eq(k.ev[0].v.status, ACK_ACCEPTED);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events"), 1);
    cr_expect_eq(it_tally(c, "tipoffs_received", NULL), 1);
    PQfinish(c);
    work_free(&k);
}

/* How a station is doing goes with the batch: its last message, the
 * sequence numbers it used (a hole is an event that never arrived), its
 * events today. Duplicates and deferred events say nothing (they come
 * again); a late event fills its hole; an unregistered node gets no row. */
Test(store, each_batch_records_how_its_stations_are_doing)
{
    work_t k;
    work_init(&k);
    const uint64_t seqs[] = {1, 2, 4};
    ev_t first;
    for (int i = 0; i < 3; i++) {
        ev_t ev;
        it_incident(&ev, it_str("S%d", i), "social_order", SEV_SERIOUS, t0());
        ev.seq = seqs[i];
        work_add(&k, &ev);
        if (!i) first = ev;
    }
    ev_t late;
    it_incident(&late, "S9", "social_order", SEV_SERIOUS, t0());
    late.seq = 3;
    ev_t stranger;
    it_incident(&stranger, "X1", "social_order", SEV_SERIOUS, t0());
    stranger.node = ev_cstr("nobody");
    stranger.seq = 7;
    store_ev_t *x = work_add(&k, &stranger);
    x->fixed = 1; /* refused before the store, as the registry would */
    x->v = (verdict_t){.status = ACK_DEFERRED, .code = 301};
    cr_assert_eq(commit(s, &k), STORE_OK);
    work_free(&k);
    PGconn *c = it_pg(&db);
    cr_expect_eq(it_scalar(c, "SELECT seq_min * 1000 + seq_max * 100 + seq_seen * 10 + missing"
                              " FROM antt.node_status WHERE node_id = 'ls-180-06040'"),
                 1431, "seq 1..4, 3 seen, 1 missing");
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.node_status WHERE node_id = 'ls-180-06040'"
                              " AND last_gap_at IS NOT NULL AND last_message_at IS NOT NULL"
                              " AND events_day = 3 AND day = antt.today()"),
                 1);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.node_status WHERE node_id = 'nobody'"), 0);

    /* the missing event arrives, with a resend of one already stored */
    work_init(&k);
    work_add(&k, &late);
    work_add(&k, &first);
    cr_assert_eq(commit(s, &k), STORE_OK);
    cr_expect_eq(k.ev[1].v.status, ACK_DUPLICATE);
    work_free(&k);
    cr_expect_eq(it_scalar(c, "SELECT missing * 100 + seq_seen * 10 + events_day"
                              " FROM antt.node_status WHERE node_id = 'ls-180-06040'"),
                 44, "the hole is filled; the resend is not counted");
    PQfinish(c);
}

/* "Nothing to report" (station.quiet): kept in the log, answered like any
 * event (a resend is a duplicate), tells how its station is doing, and
 * changes no case and no tally. */
Test(store, a_station_with_nothing_to_report_says_so)
{
    work_t k;
    work_init(&k);
    ev_t q;
    it_incident(&q, "unused", "social_order", SEV_SERIOUS, t0());
    q.type = EV_STATION_QUIET;
    q.present = ev_required(EV_STATION_QUIET);
    q.ref = (ev_str_t){0};
    q.seq = 41;
    work_add(&k, &q);
    ev_t q2 = q;
    it_new_id(q2.id);
    q2.seq = 42;
    work_add(&k, &q2);
    cr_assert_eq(commit(s, &k), STORE_OK);
    cr_expect_eq(k.ev[0].v.status, ACK_ACCEPTED);
    cr_expect_eq(k.ev[1].v.status, ACK_ACCEPTED);
    work_free(&k);
    work_init(&k);
    work_add(&k, &q); /* sent again */
    cr_assert_eq(commit(s, &k), STORE_OK);
    cr_expect_eq(k.ev[0].v.status, ACK_DUPLICATE);
    work_free(&k);
    PGconn *c = it_pg(&db);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events WHERE type = 'station.quiet'"), 2);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.tallies"), 0);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.incidents"), 0);
    cr_expect_eq(it_scalar(c, "SELECT seq_seen * 10 + missing FROM antt.node_status"
                              " WHERE node_id = 'ls-180-06040'"),
                 20);
    PQfinish(c);
    const char *verify[] = {"--verify", NULL};
    char out[4096];
    cr_expect_eq(it_anttd(db.dsn, verify, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "verify: 2 events, 0 cases"), "%s", out);
}

/* Sequence numbers at the ends of their range (0 and 2^63-1,
 * both legal) from one station, in the same work as another station's
 * events: everyone's events are stored and the station's hole count is
 * clamped, not an overflow that failed the whole batch. */
Test(store, sequence_numbers_at_their_limits_fail_no_one)
{
    work_t k;
    work_init(&k);
    ev_t q;
    it_incident(&q, "unused", "social_order", SEV_SERIOUS, t0());
    q.type = EV_STATION_QUIET;
    q.present = ev_required(EV_STATION_QUIET);
    q.ref = (ev_str_t){0};
    q.seq = 0;
    work_add(&k, &q);
    ev_t q2 = q;
    it_new_id(q2.id);
    q2.seq = INT64_MAX;
    work_add(&k, &q2);
    ev_t e;
    it_incident(&e, "HS-SEQ", "social_order", SEV_SERIOUS, t0());
    e.node = ev_cstr("ls-180"); /* another station, its district's unit */
    e.unit = ev_cstr("06043");
    work_add(&k, &e);
    cr_assert_eq(commit(s, &k), STORE_OK);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(k.ev[i].v.status, ACK_ACCEPTED, "event %d: %d %s", i, k.ev[i].v.code,
                     k.ev[i].v.msg);
    work_free(&k);
    /* and again, into the row that holds them already (the ON CONFLICT arm) */
    work_init(&k);
    ev_t q3 = q;
    it_new_id(q3.id);
    q3.seq = INT64_MAX - 1;
    work_add(&k, &q3);
    cr_assert_eq(commit(s, &k), STORE_OK);
    cr_expect_eq(k.ev[0].v.status, ACK_ACCEPTED, "%d %s", k.ev[0].v.code, k.ev[0].v.msg);
    work_free(&k);
    PGconn *c = it_pg(&db);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events"), 4);
    cr_expect_eq(it_scalar(c, "SELECT missing FROM antt.node_status"
                              " WHERE node_id = 'ls-180-06040'"),
                 INT64_MAX - 2, "0 to 2^63-1, three of them seen");
    cr_expect_eq(it_scalar(c, "SELECT seq_seen FROM antt.node_status"
                              " WHERE node_id = 'ls-180-06040'"),
                 3);
    cr_expect_eq(it_tally(c, "incidents", NULL), 1);
    PQfinish(c);
}

/* An event the database refuses (here a trigger of the test's
 * standing in for any statement an event's values break) fails alone:
 * deferred with 500 and recorded, every other event of the work stored,
 * the refusals of the work recorded. */
Test(store, an_event_the_database_refuses_fails_alone)
{
    PGconn *c = it_pg(&db);
    PGresult *r = PQexec(c, "CREATE FUNCTION public.poison() RETURNS trigger LANGUAGE plpgsql AS"
                            " $$BEGIN IF NEW.ref = 'POISON' THEN"
                            " RAISE EXCEPTION 'poisoned' USING ERRCODE = '22003'; END IF;"
                            " RETURN NEW; END$$;"
                            "CREATE TRIGGER poison BEFORE INSERT ON antt.incidents"
                            " FOR EACH ROW EXECUTE FUNCTION public.poison()");
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQresultErrorMessage(r));
    PQclear(r);
    work_t k;
    work_init(&k);
    ev_t e;
    const char *refs[7] = {"HS-A", "HS-B", "HS-C", "POISON", "HS-D", "HS-E", "HS-F"};
    for (int i = 0; i < 7; i++) {
        it_incident(&e, refs[i], "social_order", SEV_SERIOUS, t0());
        work_add(&k, &e);
    }
    static const char msg[] = "refused before the store";
    k.ref[0] = (store_refusal_t){.at = 2, .path = PATH_ACKED, .code = 100, .node = "", .msg = msg};
    k.ref[1] = (store_refusal_t){.at = 7, .path = PATH_ACKED, .code = 106, .node = "", .msg = msg};
    k.w.nrefusals = 2;
    char err[512] = "";
    cr_assert_eq(store_commit(s, &k.w, IT_NOW_US, err, sizeof err), STORE_OK, "%s", err);
    cr_expect(strstr(err, "1 event(s) deferred alone"), "%s", err);
    for (int i = 0; i < 7; i++) {
        const int bad = i == 3;
        cr_expect_eq(k.ev[i].v.status, bad ? ACK_DEFERRED : ACK_ACCEPTED, "event %d: %d %s", i,
                     k.ev[i].v.code, k.ev[i].v.msg);
        if (bad) cr_expect_eq(k.ev[i].v.code, 500);
    }
    cr_expect_eq(store_stats(s)->isolated, 1);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.incidents"), 6);
    cr_expect_eq(it_tally(c, "incidents", NULL), 6);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.rejects WHERE code IN (100, 106)"), 2);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.rejects WHERE code = 500"), 1);
    work_free(&k);
    PQfinish(c);
}

/* A reference sent decomposed (NFD) after the same one
 * precomposed (NFC) was a second case: a wanted person found twice, a
 * clearance of an unknown case. References are compared and stored in
 * NFC; the events' bytes stay as sent. */
Test(store, a_reference_is_the_same_precomposed_or_decomposed)
{
    /* "Số 7/QĐ-TN": "ố" precomposed (U+1ED1) and decomposed (o U+0302 U+0301) */
    static const char NFC[] = "S\xe1\xbb\x91 7/Q\xc4\x90-TN";
    static const char NFD[] = "So\xcc\x82\xcc\x81 7/Q\xc4\x90-TN";
    work_t k;
    work_init(&k);
    ev_t e;
    it_wanted_found(&e, "20", NFC, HOW_ARRESTED, CAT_DANGEROUS, t0());
    work_add(&k, &e);
    it_incident(&e, NFD, "social_order", SEV_SERIOUS, t0());
    work_add(&k, &e);
    cr_assert_eq(commit(s, &k), STORE_OK);
    cr_expect_eq(k.ev[0].v.status, ACK_ACCEPTED, "%d %s", k.ev[0].v.code, k.ev[0].v.msg);
    cr_expect_eq(k.ev[1].v.status, ACK_ACCEPTED, "%d %s", k.ev[1].v.code, k.ev[1].v.msg);
    work_free(&k);
    work_init(&k);
    it_wanted_found(&e, "20", NFD, HOW_SURRENDERED, CAT_DANGEROUS, t0() + DAY);
    work_add(&k, &e);
    it_cleared(&e, NFC, t0() + DAY, 1);
    work_add(&k, &e);
    cr_assert_eq(commit(s, &k), STORE_OK);
    cr_expect_eq(k.ev[0].v.code, ANTT_E_WANTED_CLOSED, "the same notice: %d %s", k.ev[0].v.code,
                 k.ev[0].v.msg);
    cr_expect_eq(k.ev[1].v.status, ACK_ACCEPTED, "the same case: %d %s", k.ev[1].v.code,
                 k.ev[1].v.msg);
    work_free(&k);
    PGconn *c = it_pg(&db);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.wanted"), 1);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.incidents WHERE cleared_at IS NOT NULL"),
                 1);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events WHERE ref IS NOT NFC NORMALIZED"),
                 0, "stored in NFC");
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events"
                              " WHERE position('\\xcc82'::bytea IN raw) > 0"),
                 1, "the decomposed event's own bytes are kept");
    cr_expect_eq(it_tally(c, "wanted_found", NULL), 1);
    PQfinish(c);
    const char *verify[] = {"--verify", NULL};
    char out[4096];
    cr_expect_eq(it_anttd(db.dsn, verify, out, sizeof out), 0, "%s", out);
}

/* Every integer field at the top of its range (PROTOCOL.md
 * section 7) is stored and summed without an overflow failing anyone: a
 * report of 100,000 deaths and injuries, a clearance of 100,000 suspects,
 * an event at the earliest instant. */
Test(store, integer_fields_at_their_limits_are_stored)
{
    work_t k;
    work_init(&k);
    ev_t e;
    it_incident(&e, "HS-MAX", "social_order", SEV_SERIOUS, ANTT_MIN_TIME_US);
    e.deaths = 100000;
    e.injuries = 100000;
    e.present |= EVB(EVF_DEATHS) | EVB(EVF_INJURIES);
    e.seq = INT64_MAX;
    work_add(&k, &e);
    it_cleared(&e, "HS-MAX", t0(), 100000);
    e.seq = 0;
    work_add(&k, &e);
    cr_assert_eq(commit(s, &k), STORE_OK);
    for (int i = 0; i < 2; i++)
        cr_expect_eq(k.ev[i].v.status, ACK_ACCEPTED, "event %d: %d %s", i, k.ev[i].v.code,
                     k.ev[i].v.msg);
    work_free(&k);
    PGconn *c = it_pg(&db);
    cr_expect_eq(it_tally(c, "deaths", NULL), 100000);
    cr_expect_eq(it_tally(c, "injuries", NULL), 100000);
    cr_expect_eq(it_tally(c, "suspects", NULL), 100000);
    cr_expect_eq(it_scalar(c, "SELECT suspects FROM antt.incidents WHERE ref = 'HS-MAX'"), 100000);
    PQfinish(c);
}

/* test_resilience.c — nothing lost, nothing counted twice: resends, a
 * database that goes away, a daemon killed with SIGKILL, hostile input. */
#include "harness.h"

#include "proto/encode.h"
#include "proto/err.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* n events (a multiple of 4) in groups that each message keeps whole
 * (messages of a multiple of 4 events): an incident that is cleared, a
 * tip-off, and an incident that stays open. */
static ev_t *workload(size_t n, const char *tag)
{
    ev_t *evs = calloc(n, sizeof *evs);
    cr_assert(evs);
    for (size_t i = 0; i + 3 < n; i += 4) {
        size_t g = i / 4;
        const char *a = it_str("%s-A%zu", tag, g), *b = it_str("%s-B%zu", tag, g);
        int64_t occ = IT_NOW_US - (int64_t)(g % 30 + 1) * IT_DAY_US;
        it_incident(&evs[i], a, g % 2 ? "drugs" : "social_order", SEV_SERIOUS, occ);
        it_tipoff(&evs[i + 1], it_str("%s-T%zu", tag, g), occ);
        it_incident(&evs[i + 2], b, "economic", SEV_VERY_SERIOUS, occ);
        it_cleared(&evs[i + 3], a, occ + 3600 * 1000000LL, 2);
    }
    return evs;
}

/* The database holds exactly the n-event workload, once. */
static void expect_exact(const it_db_t *db, size_t n)
{
    PGconn *c = it_pg(db);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events"), (long long)n);
    cr_expect_eq(it_scalar(c, "SELECT count(DISTINCT id) FROM antt.events"), (long long)n);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.event_ids"), (long long)n);
    cr_expect_eq(it_tally(c, "incidents", NULL), (long long)n / 2);
    cr_expect_eq(it_tally(c, "tipoffs_received", NULL), (long long)n / 4);
    cr_expect_eq(it_tally(c, "cleared", NULL), (long long)n / 4);
    cr_expect_eq(it_tally(c, "suspects", NULL), (long long)n / 2);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.incidents WHERE cleared_at IS NOT NULL"),
                 (long long)n / 4);
    PQfinish(c);
    char out[4096];
    const char *args[] = {"--verify", NULL};
    cr_expect_eq(it_anttd(db->dsn, args, out, sizeof out), 0, "%s", out);
}

/* One scenario's world: a database (on the suite's server, or on a private
 * one the test may stop), an anttd on it, and the workload. */
typedef struct {
    int private_pg;
    it_server_t srv;
    it_db_t db;
    it_daemon_t d;
    ev_t *evs;
} world_t;

static world_t *current; /* for the suite's fini: a failed assertion skips world_down */

static void world_up(world_t *w, int private_pg, const char *const *extra, size_t n,
                     const char *tag)
{
    memset(w, 0, sizeof *w);
    current = w;
    w->private_pg = private_pg;
    if (private_pg) it_server_init(&w->srv);
    it_db_create(&w->db, private_pg ? w->srv.dsn : NULL);
    it_daemon_start(&w->d, w->db.dsn, extra);
    w->evs = workload(n, tag);
}

static void world_down(world_t *w)
{
    current = NULL;
    if (w->d.pid) it_daemon_stop(&w->d, SIGTERM);
    it_daemon_forget(&w->d);
    it_db_drop(&w->db, w->private_pg ? w->srv.dsn : NULL);
    if (w->private_pg) it_server_destroy(&w->srv);
    free(w->evs);
    it_strings_free();
}

static void fini(void)
{
    if (current) world_down(current);
}

TestSuite(resilience, .fini = fini);

Test(resilience, ten_thousand_events_sent_twice_are_stored_once, .timeout = 300)
{
    const size_t n = 10000;
    static world_t w;
    world_up(&w, 0, NULL, n, "x");
    const ev_t *evs = w.evs;
    size_t acc, dup, rej, def;

    it_sender_t *s = it_sender_new(w.d.port, evs, n, 100);
    cr_assert_eq(it_sender_run(s, 120000, 16, 5000, 0), n);
    it_sender_counts(s, &acc, &dup, &rej, &def);
    cr_expect_eq(acc + dup, n);
    cr_expect_eq(rej, 0);
    it_sender_free(&s);
    PGconn *c = it_pg(&w.db);
    long long before = it_scalar(c, "SELECT sum(value) * 1000 + count(*) FROM antt.tallies");
    PQfinish(c);

    s = it_sender_new(w.d.port, evs, n, 100); /* the same bytes again */
    cr_assert_eq(it_sender_run(s, 120000, 16, 5000, 0), n);
    it_sender_counts(s, &acc, &dup, &rej, &def);
    cr_expect_eq(dup, n, "second pass: %zu duplicate of %zu", dup, n);
    cr_expect_eq(acc, 0);
    it_sender_free(&s);
    c = it_pg(&w.db);
    cr_expect_eq(it_scalar(c, "SELECT sum(value) * 1000 + count(*) FROM antt.tallies"), before);
    PQfinish(c);
    expect_exact(&w.db, n);
    world_down(&w);
}

Test(resilience, postgres_stopped_mid_stream_loses_nothing, .timeout = 400)
{
    const size_t n = 20000;
    /* A small queue, so that it fills while the database is down. */
    int hport = it_free_port();
    char http[32];
    snprintf(http, sizeof http, "127.0.0.1:%d", hport);
    const char *extra[] = {"--reconnect-max-ms",
                           "500",
                           "--queue-max-events",
                           "1500",
                           "--batch-max-events",
                           "200",
                           "--http-listen",
                           http,
                           NULL};
    static world_t w;
    world_up(&w, 1, extra, n, "pg");
    it_sender_t *s = it_sender_new(w.d.port, w.evs, n, 100);

    size_t first = it_sender_run(s, 120000, 16, 3000, n / 4);
    cr_assert_geq(first, n / 4);
    static char body[65536];
    cr_expect_eq(it_http_get(hport, "/healthz", body, sizeof body), 200, "%s", body);
    it_server_stop(&w.srv);
    size_t during = it_sender_run(s, 3000, 16, 3000, 0); /* nothing can commit now */
    cr_expect_eq(it_http_get(hport, "/healthz", body, sizeof body), 503, "not ready while down");
    it_http_get(hport, "/metrics", body, sizeof body);
    cr_expect(strstr(body, "antt_database_up 0\n"), "%s", body);
    it_server_start(&w.srv);
    size_t all = it_sender_run(s, 240000, 16, 3000, 0);
    cr_expect_eq(all, n, "answered %zu of %zu (before stop %zu, while down %zu)", all, n, first,
                 during);
    size_t acc, dup, rej, def;
    it_sender_counts(s, &acc, &dup, &rej, &def);
    cr_expect_eq(acc + dup, n);
    cr_expect_eq(rej, 0);
    cr_expect(it_log_has(&w.d, "database connection lost") ||
              it_log_has(&w.d, "database unavailable"));
    cr_expect(it_log_has(&w.d, "queue full"), "intake did not pause; see %s", w.d.log);
    cr_expect(it_log_has(&w.d, "queue drained"));
    cr_expect(it_daemon_alive(&w.d));
    expect_exact(&w.db, n);
    cr_expect_eq(it_http_get(hport, "/healthz", body, sizeof body), 200, "ready again");
    it_sender_free(&s);
    world_down(&w);
}

Test(resilience, sigkill_mid_stream_then_resend_gives_exact_totals, .timeout = 300)
{
    const size_t n = 20000;
    static world_t w;
    world_up(&w, 0, NULL, n, "k");
    it_sender_t *s = it_sender_new(w.d.port, w.evs, n, 100);

    size_t first = it_sender_run(s, 120000, 16, 2000, n / 3);
    cr_assert_geq(first, n / 3);
    cr_assert_eq(it_daemon_stop(&w.d, SIGKILL), 128 + SIGKILL);
    it_daemon_restart(&w.d, w.db.dsn, NULL);
    size_t all = it_sender_run(s, 240000, 16, 2000, 0);
    cr_expect_eq(all, n, "answered %zu of %zu", all, n);
    size_t acc, dup, rej, def;
    it_sender_counts(s, &acc, &dup, &rej, &def);
    cr_expect_eq(acc + dup, n);
    cr_expect_eq(rej, 0);
    expect_exact(&w.db, n);
    it_sender_free(&s);
    world_down(&w);
}

/* Send raw frames on a DEALER: a correlation frame, extra envelope frames,
 * then the payload; returns the reply's code, or -1 when none came. */
static int hostile(void *sock, int extra_frames, const void *p, size_t n)
{
    static uint32_t corr = 1000;
    corr++;
    zmq_send(sock, &corr, 4, ZMQ_SNDMORE);
    for (int i = 0; i < extra_frames; i++)
        zmq_send(sock, "x", 1, ZMQ_SNDMORE);
    zmq_send(sock, p, n, 0);
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    for (;;) {
        if (zmq_poll(&it, 1, 5000) <= 0) return -1;
        zmq_msg_t f;
        uint32_t got = 0;
        int code = -1, first = 1, first_only = 0, nf = 0;
        for (;;) {
            zmq_msg_init(&f);
            zmq_msg_recv(&f, sock, 0);
            int more = zmq_msg_more(&f);
            if (first && more && zmq_msg_size(&f) == 4) memcpy(&got, zmq_msg_data(&f), 4);
            nf++;
            if (!more) {
                first_only = nf == 1; /* no envelope echoed: a bad envelope */
                ack_reply_t rep;
                if (ack_open(&rep, zmq_msg_data(&f), zmq_msg_size(&f)) == 0) code = rep.code;
            }
            first = 0;
            zmq_msg_close(&f);
            if (!more) break;
        }
        if (got == corr || first_only) return code;
    }
}

Test(resilience, hostile_input_is_refused_with_codes_while_others_are_served, .timeout = 300)
{
    const size_t n = 4000;
    static world_t w;
    world_up(&w, 0, NULL, n, "h");
    it_daemon_t *d = &w.d;
    it_sender_t *good = it_sender_new(d->port, w.evs, n, 40);
    it_client_t bad;
    it_client_open(&bad, d->port);

    static const struct {
        const char *bytes;
        size_t n;
        int frames, code;
    } cases[] = {
        {"\xc1", 1, 0, ANTT_E_MALFORMED},
        {"\x81\xa1", 2, 0, ANTT_E_MALFORMED},             /* truncated */
        {"\xdd\xff\xff\xff\xff", 5, 0, ANTT_E_MALFORMED}, /* claims 4 billion events, has none */
        {"\xdb\xff\xff\xff\xff", 5, 0, ANTT_E_MALFORMED}, /* a 4 GiB string, claimed */
        {"\x2a", 1, 0, ANTT_E_NOT_EVENTS},
        {"\x90", 1, 0, ANTT_E_BATCH_EMPTY},
        {"\x80\x80", 2, 0, ANTT_E_TRAILING_BYTES},
        {"", 0, 0, ANTT_E_MALFORMED},
        {"\x80", 1, 4, ANTT_E_MALFORMED}, /* 1 + 4 envelope frames and a payload: too many */
    };
    size_t progress = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        progress = it_sender_run(good, 300, 8, 5000, 0);
        cr_expect_eq(hostile(bad.sock, cases[k].frames, cases[k].bytes, cases[k].n), cases[k].code,
                     "case %zu", k);
    }
    /* Nesting 200 deep. */
    char deep[201];
    memset(deep, 0x91, 200);
    deep[200] = 0x80;
    cr_expect_eq(hostile(bad.sock, 0, deep, sizeof deep), ANTT_E_TOO_DEEP);
    /* 1.5 MiB: refused with 101. */
    size_t big = 1536 * 1024;
    char *blob = calloc(1, big);
    blob[0] = (char)0xc6; /* bin32 */
    blob[1] = 0;
    blob[2] = 0x17;
    blob[3] = (char)0xff;
    blob[4] = (char)0xfb;
    cr_expect_eq(hostile(bad.sock, 0, blob, big), ANTT_E_MSG_TOO_LARGE);
    free(blob);
    /* 3 MiB: over ZMQ_MAXMSGSIZE, libzmq drops the connection: no reply. */
    size_t huge = 3 * 1024 * 1024;
    blob = calloc(1, huge);
    cr_expect_eq(hostile(bad.sock, 0, blob, huge), -1);
    free(blob);
    /* A batch with one event of invalid UTF-8 among good ones. */
    ev_t mix[3];
    it_incident(&mix[0], "U1", "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    it_incident(&mix[1], "U2", "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    mix[1].summary = ev_cstr("\xc3\x28 bad");
    mix[1].present |= EVB(EVF_SUMMARY);
    it_incident(&mix[2], "U3", "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    it_client_t c2;
    it_client_open(&c2, d->port);
    ack_t a[3];
    cr_assert_eq(it_submit(&c2, mix, 3, a, 10000), 0);
    cr_expect_eq(a[0].status, ACK_ACCEPTED);
    cr_expect_eq(a[1].status, ACK_REJECTED);
    cr_expect_eq(a[1].code, ANTT_E_BAD_UTF8);
    cr_expect_eq(a[2].status, ACK_ACCEPTED);
    /* A batch whose middle event carries an unknown key that is not text
     * ("a\0b"): that event is refused with 202, recorded, the others stored. */
    it_incident(&mix[0], "K1", "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    it_incident(&mix[1], "K2", "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    it_incident(&mix[2], "K3", "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 3);
    enc_event(&pk, &mix[0]);
    const size_t at = sb.size;
    enc_event(&pk, &mix[1]);
    cr_assert(sb.data[at] >= (char)0x80 && sb.data[at] < (char)0x8f, "a fixmap");
    sb.data[at]++; /* one more pair, appended after the event's own */
    msgpack_sbuffer_write(&sb,
                          "\xa3"
                          "a\0b"
                          "\xc0",
                          5);
    enc_event(&pk, &mix[2]);
    size_t na = 0;
    cr_assert_eq(it_send_raw(&c2, sb.data, sb.size, a, 3, &na, 10000), 0);
    cr_assert_eq(na, 3);
    cr_expect_eq(a[0].status, ACK_ACCEPTED);
    cr_expect_eq(a[1].status, ACK_REJECTED);
    cr_expect_eq(a[1].code, ANTT_E_BAD_KEY);
    cr_expect_eq(a[2].status, ACK_ACCEPTED);
    msgpack_sbuffer_destroy(&sb);
    it_client_close(&c2);

    progress = it_sender_run(good, 120000, 8, 5000, 0);
    cr_expect_eq(progress, n);
    cr_expect(it_daemon_alive(d));

    PGconn *c = it_pg(&w.db);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events"), (long long)n + 4);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.rejects WHERE code = 202"), 1);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.rejects WHERE code = 100"), 6);
    cr_expect_eq(
        it_scalar(c,
                  "SELECT count(*) FROM antt.rejects WHERE code IN (101, 102, 103, 104, 105, 106)"),
        5);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.rejects WHERE code = 208 AND raw_len > 0"),
                 1);
    cr_expect_eq(it_scalar(c, "SELECT max(length(raw)) FROM antt.rejects"), 4096); /* bounded */
    PQfinish(c);

    it_client_close(&bad);
    it_sender_free(&good);
    world_down(&w);
}

/* test_conns.c — anttd committing on several connections (store_connections):
 * many nodes sending at once, interleaved, each without waiting for its
 * answers; every event answered once, stored once, each node's answers and
 * rows in the order it sent them, and the figures exact after the fold. */
#include "harness.h"

#include "proto/encode.h"

#include <criterion/criterion.h>
#include <msgpack.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#define NODES  24
#define ROUNDS 30 /* per node: an incident, then its clearing, ROUNDS / 2 times */

static it_db_t db;
static it_daemon_t d;

static void down(void)
{
    if (d.pid) it_daemon_stop(&d, SIGTERM);
    it_daemon_forget(&d);
    it_db_drop(&db, NULL);
    it_strings_free();
}

TestSuite(conns, .fini = down, .timeout = 240);

static ev_t evs[NODES][ROUNDS];
static it_client_t cl[NODES];

static void send_one(it_client_t *c, uint32_t corr, const ev_t *ev)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    enc_event(&pk, ev);
    cr_assert_eq(zmq_send(c->sock, &corr, 4, ZMQ_SNDMORE), 4);
    cr_assert_eq(zmq_send(c->sock, sb.data, sb.size, 0), (int)sb.size);
    msgpack_sbuffer_destroy(&sb);
}

/* One reply of node k's socket: its correlation frame and its one ack. */
static void read_reply(int k, uint32_t *corr, ack_t *a, size_t *nacks)
{
    zmq_msg_t f;
    *corr = UINT32_MAX;
    *nacks = 0;
    for (int nf = 0;; nf++) {
        zmq_msg_init(&f);
        cr_assert_geq(zmq_msg_recv(&f, cl[k].sock, 0), 0);
        const int more = zmq_msg_more(&f);
        if (more && nf == 0 && zmq_msg_size(&f) == 4) memcpy(corr, zmq_msg_data(&f), 4);
        if (!more) {
            ack_reply_t rep;
            cr_assert_eq(ack_open(&rep, zmq_msg_data(&f), zmq_msg_size(&f)), 0);
            cr_assert_eq(rep.code, 0, "node %d: the message refused whole (%d)", k, rep.code);
            ack_t x;
            while (ack_next(&rep, &x) == 1)
                if ((*nacks)++ == 0) *a = x;
            /* the ack's strings point into f: only the status and id are kept */
            a->msg.p = NULL;
            a->msg.n = 0;
            a->field.p = NULL;
            a->field.n = 0;
        }
        zmq_msg_close(&f);
        if (!more) return;
    }
}

Test(conns, four_connections_keep_each_nodes_order_and_count_every_event_once)
{
    it_db_create(&db, NULL);
    PGconn *c = it_pg(&db);
    for (int k = 0; k < NODES; k++) {
        char sql[256];
        snprintf(
            sql, sizeof sql,
            "INSERT INTO antt.nodes (node_id, unit_code) VALUES ('ls-180-06040-t%02d', '06040')",
            k);
        PGresult *r = PQexec(c, sql);
        cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
        PQclear(r);
    }
    /* Small batches: many of them, on every lane at once. */
    const char *extra[] = {"--store-connections", "4", "--batch-max-events", "7", NULL};
    it_daemon_start(&d, db.dsn, extra);
    cr_assert(it_log_has(&d, "store_connections=4"), "see %s", d.log);
    for (int k = 0; k < NODES; k++) {
        it_client_open(&cl[k], d.port);
        const char *node = it_str("ls-180-06040-t%02d", k);
        for (int j = 0; j < ROUNDS; j++) {
            const char *ref = it_str("T%02d-%03d", k, j / 2);
            ev_t *ev = &evs[k][j];
            if (j % 2 == 0)
                it_incident(ev, ref, "social_order", SEV_SERIOUS, IT_NOW_US - 2 * IT_DAY_US);
            else /* needs its incident stored first: out of order, it would be deferred */
                it_cleared(ev, ref, IT_NOW_US - IT_DAY_US, 1);
            ev->node = ev_cstr(node);
        }
    }
    /* Interleaved: every node's message j before any node's j + 1; nobody waits. */
    for (int j = 0; j < ROUNDS; j++)
        for (int k = 0; k < NODES; k++)
            send_one(&cl[k], (uint32_t)j + 1, &evs[k][j]);

    int got[NODES] = {0}, total = 0;
    zmq_pollitem_t items[NODES];
    for (int k = 0; k < NODES; k++)
        items[k] = (zmq_pollitem_t){cl[k].sock, 0, ZMQ_POLLIN, 0};
    while (total < NODES * ROUNDS) {
        const int n = zmq_poll(items, NODES, 60000);
        cr_assert_gt(n, 0, "answered %d of %d", total, NODES * ROUNDS);
        for (int k = 0; k < NODES; k++) {
            if (!(items[k].revents & ZMQ_POLLIN)) continue;
            uint32_t corr;
            ack_t a;
            size_t nacks;
            read_reply(k, &corr, &a, &nacks);
            cr_assert_lt(got[k], ROUNDS, "node %d: more answers than messages", k);
            cr_assert_eq(corr, (uint32_t)got[k] + 1, "node %d: answer %u came as its %d-th", k,
                         corr, got[k] + 1);
            cr_assert_eq(nacks, 1);
            cr_expect_eq(a.status, ACK_ACCEPTED, "node %d message %u: status %d code %d", k, corr,
                         a.status, a.code);
            cr_expect(!memcmp(a.id, evs[k][got[k]].id, 16), "node %d: the ack names another event",
                      k);
            got[k]++;
            total++;
        }
    }
    /* and nothing more comes */
    cr_expect_eq(zmq_poll(items, NODES, 500), 0, "an event answered twice");

    const long long all = NODES * ROUNDS;
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.events"), all);
    cr_expect_eq(it_scalar(c, "SELECT count(DISTINCT id) FROM antt.events"), all);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.event_ids"), all);
    /* each node's rows in its order (n is the order of insertion) */
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM (SELECT seq, lag(seq) OVER (PARTITION BY node"
                              " ORDER BY n) AS prev FROM antt.events) x WHERE prev > seq"),
                 0);
    cr_expect_eq(it_tally(c, "incidents", NULL), all / 2);
    cr_expect_eq(it_tally(c, "cleared", NULL), all / 2);
    cr_expect_eq(it_tally(c, "suspects", NULL), all / 2);
    /* several connections did commit */
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.rejects"), 0);
    PQfinish(c);
    for (int k = 0; k < NODES; k++)
        it_client_close(&cl[k]);
    cr_expect_eq(it_daemon_stop(&d, SIGTERM), 0);
    d.pid = 0;
    cr_expect(it_log_has(&d, "accepted=720 "), "see %s", d.log);
}

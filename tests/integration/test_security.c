/* test_security.c — CURVE, node identity, per-unit authorisation, subscriber
 * scopes, revocation and the per-node rate limit, against the real anttd over
 * loopback with real keys (PROTOCOL.md section 15). */
#include "harness.h"

#include "lib/antt.h"
#include "proto/encode.h"
#include "proto/err.h"
#include "proto/ts.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static it_db_t db;
static it_daemon_t d;
static char dir[] = "/tmp/antt-sec-XXXXXX";
static int dir_made;
static char server_key[300];
static key_pair_t server, commune, district, caobang, stranger, sub_ls, sub_cb;
static char pub_ep[64], snap_ep[64];

static void down(void)
{
    if (d.pid) it_daemon_stop(&d, SIGTERM);
    it_daemon_forget(&d);
    if (db.name[0]) it_db_drop(&db, NULL);
    memset(&db, 0, sizeof db);
    if (dir_made) { /* (a random name may itself end in 'X': a flag, not the template) */
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        cr_expect_eq(system(cmd), 0);
    }
    it_strings_free();
}

static void keypair(const char *name, key_pair_t *k)
{
    char path[300], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cr_assert_eq(key_generate(path, k, err, sizeof err), 0, "%s", err);
}

static void exec_sql(PGconn *c, const char *sql, const char *a, const char *b)
{
    const char *p[2] = {a, b};
    PGresult *r = PQexecParams(c, sql, b ? 2 : a ? 1 : 0, NULL, p, NULL, NULL, 0);
    cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
}

/* Keys for: the commune node ls-180-06040, the district node ls-180, a Cao
 * Bằng commune node cb-01279 (unit 01279 under district 040), a stranger;
 * subscribers for Lạng Sơn's district 180 and for Cao Bằng. Then anttd with
 * CURVE, the tally stream on, and extra flags. */
static void start(const char *const *more)
{
    cr_assert_not_null(mkdtemp(dir));
    dir_made = 1;
    it_db_create(&db, NULL);
    keypair("server.key", &server);
    snprintf(server_key, sizeof server_key, "%s/server.key", dir);
    keypair("commune.key", &commune);
    keypair("district.key", &district);
    keypair("caobang.key", &caobang);
    keypair("stranger.key", &stranger);
    keypair("sub-ls.key", &sub_ls);
    keypair("sub-cb.key", &sub_cb);
    PGconn *c = it_pg(&db);
    exec_sql(c, "UPDATE antt.nodes SET public_key = $2 WHERE node_id = $1", "ls-180-06040",
             commune.pub);
    exec_sql(c, "UPDATE antt.nodes SET public_key = $2 WHERE node_id = $1", "ls-180", district.pub);
    exec_sql(c,
             "INSERT INTO antt.nodes (node_id, unit_code, public_key) VALUES ('cb-040', '040', $1)",
             caobang.pub, NULL);
    exec_sql(c,
             "INSERT INTO antt.subscribers (name, unit_code, public_key) VALUES ('ls-180-watch', "
             "'180', $1)",
             sub_ls.pub, NULL);
    exec_sql(
        c,
        "INSERT INTO antt.subscribers (name, unit_code, public_key) VALUES ('cb-watch', '04', $1)",
        sub_cb.pub, NULL);
    PQfinish(c);
    int pub = it_free_port(), snap;
    do
        snap = it_free_port();
    while (snap == pub);
    snprintf(pub_ep, sizeof pub_ep, "tcp://127.0.0.1:%d", pub);
    snprintf(snap_ep, sizeof snap_ep, "tcp://127.0.0.1:%d", snap);
    const char *extra[24] = {"--insecure=0", "--curve-key-file", server_key, "--tally-publish",
                             pub_ep,         "--tally-snapshot", snap_ep};
    int n = 7;
    for (int i = 0; more && more[i] && n < 22; i++)
        extra[n++] = more[i];
    it_daemon_start(&d, db.dsn, extra);
    cr_assert(it_log_has(&d, "CURVE on"));
}

TestSuite(security, .fini = down, .timeout = 120);

static ack_t send_as(const key_pair_t *k, const ev_t *ev, int *code)
{
    it_client_t c;
    it_client_open_curve(&c, d.port, server.pub, k);
    ack_t a;
    memset(&a, 0, sizeof a);
    *code = it_submit(&c, ev, 1, &a, 5000);
    it_client_close(&c);
    return a;
}

static long long count(const char *sql)
{
    PGconn *c = it_pg(&db);
    long long v = it_scalar(c, sql);
    PQfinish(c);
    return v;
}

Test(security, an_unknown_key_is_refused_at_the_handshake_and_recorded)
{
    start(NULL);
    ev_t ev;
    it_incident(&ev, "S1", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    int code;
    send_as(&stranger, &ev, &code);
    cr_expect_eq(code, -1, "a stranger got an answer");
    cr_expect_eq(count("SELECT count(*) FROM antt.events"), 0);
    for (int i = 0; i < 50 && !count("SELECT count(*) FROM antt.rejects WHERE code = 403"); i++)
        usleep(100000);
    cr_expect_eq(count("SELECT count(*) FROM antt.rejects WHERE code = 403 AND path = 'handshake'"
                       " AND status = 'rejected'"),
                 1, "the refusal is recorded once, not once per retry");
    cr_expect(it_log_has(&d, stranger.pub));
}

Test(security, a_commune_key_cannot_report_for_another_commune_or_pose_as_another_node)
{
    start(NULL);
    ev_t ev;
    int code;
    it_incident(&ev, "C1", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    ev.unit = ev_cstr("06043"); /* another commune of district 180 */
    ack_t a = send_as(&commune, &ev, &code);
    cr_assert_eq(code, 0);
    cr_expect_eq(a.status, ACK_REJECTED);
    cr_expect_eq(a.code, ANTT_E_UNIT_NOT_AUTHORISED, "code %d", a.code);
    /* the event claims the district node: the key says otherwise */
    it_incident(&ev, "C2", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    ev.node = ev_cstr("ls-180");
    a = send_as(&commune, &ev, &code);
    cr_expect_eq(a.status, ACK_REJECTED);
    cr_expect_eq(a.code, ANTT_E_NODE_MISMATCH, "code %d", a.code);
    /* its own commune: fine */
    it_incident(&ev, "C3", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    a = send_as(&commune, &ev, &code);
    cr_expect_eq(a.status, ACK_ACCEPTED, "code %d", a.code);
    cr_expect_eq(
        count("SELECT count(*) FROM antt.rejects WHERE code = 401 AND node = 'ls-180-06040'"
              " AND field = 'unit'"),
        1);
    cr_expect_eq(count("SELECT count(*) FROM antt.rejects WHERE code = 400"), 1);
    cr_expect_eq(count("SELECT count(*) FROM antt.events"), 1);
}

Test(security, a_district_key_reports_for_its_communes)
{
    start(NULL);
    ev_t ev;
    int code;
    it_incident(&ev, "D1", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    ev.node = ev_cstr("ls-180");
    ack_t a = send_as(&district, &ev, &code);
    cr_expect_eq(a.status, ACK_ACCEPTED, "code %d", a.code);
    it_incident(&ev, "D2", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    ev.node = ev_cstr("ls-180");
    ev.unit = ev_cstr("181"); /* a neighbouring district: not its subtree */
    a = send_as(&district, &ev, &code);
    cr_expect_eq(a.code, ANTT_E_UNIT_NOT_AUTHORISED, "code %d", a.code);
}

Test(security, a_replayed_event_is_harmless)
{
    start(NULL);
    ev_t ev;
    int code;
    it_incident(&ev, "R1", "drugs", SEV_SERIOUS, IT_NOW_US - IT_DAY_US);
    ack_t a = send_as(&commune, &ev, &code);
    cr_expect_eq(a.status, ACK_ACCEPTED);
    a = send_as(&commune, &ev, &code); /* the same id, recorded off the wire and sent again */
    cr_expect_eq(a.status, ACK_DUPLICATE);
    PGconn *c = it_pg(&db);
    cr_expect_eq(it_tally(c, "incidents", NULL), 1);
    PQfinish(c);
}

/* The client's connection events until timeout_ms: 1 when `want` was seen. */
static int saw_event(void *mon, uint16_t want, int timeout_ms)
{
    int64_t end = ts_now_us() + (int64_t)timeout_ms * 1000;
    while (ts_now_us() < end) {
        zmq_pollitem_t it = {mon, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) <= 0) continue;
        zmq_msg_t f;
        zmq_msg_init(&f);
        zmq_msg_recv(&f, mon, 0);
        uint16_t ev = 0;
        memcpy(&ev, zmq_msg_data(&f), 2);
        zmq_msg_close(&f);
        zmq_msg_init(&f);
        zmq_msg_recv(&f, mon, 0);
        zmq_msg_close(&f);
        if (ev == want) return 1;
    }
    return 0;
}

Test(security, a_revoked_key_is_refused_and_its_open_connection_cut)
{
    start(NULL);
    it_client_t c;
    it_client_open_curve(&c, d.port, server.pub, &commune);
    zmq_socket_monitor(c.sock, "inproc://sec-mon", ZMQ_EVENT_DISCONNECTED);
    void *mon = zmq_socket(c.ctx, ZMQ_PAIR);
    zmq_connect(mon, "inproc://sec-mon");
    ev_t ev;
    ack_t a;
    it_incident(&ev, "V1", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    cr_assert_eq(it_submit(&c, &ev, 1, &a, 5000), 0);
    cr_assert_eq(a.status, ACK_ACCEPTED);

    /* The operator revokes the node with the CLI; no restart, no SIGHUP. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s node revoke ls-180-06040 --db '%s' >/dev/null", ANTT_PATH,
             db.dsn);
    cr_assert_eq(system(cmd), 0);
    int64_t t0 = ts_now_us();
    cr_expect(saw_event(mon, ZMQ_EVENT_DISCONNECTED, 5000),
              "the connection was not cut within 5 s");
    cr_log_info("connection cut %.0f ms after the revocation", (double)(ts_now_us() - t0) / 1000);
    /* libzmq reconnects by itself: the handshake is refused now. */
    it_incident(&ev, "V2", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    cr_expect_eq(it_submit(&c, &ev, 1, &a, 2000), -1, "a revoked key got an answer");
    zmq_close(mon);
    zmq_socket_monitor(c.sock, NULL, 0);
    it_client_close(&c);
    cr_expect_eq(count("SELECT count(*) FROM antt.events"), 1);
    cr_expect(
        count("SELECT count(*) FROM antt.rejects WHERE code = 403 AND node = 'ls-180-06040'") >= 1);
    cr_expect(it_log_has(&d, "connections_cut=1"));
}

Test(security, nodes_enrolled_with_the_cli_connect_at_once)
{
    start(NULL);
    keypair("new.key", &(key_pair_t){0});
    char cmd[2048], out[1024];
    snprintf(cmd, sizeof cmd,
             "%s node add ls-180-06043 --unit 06043 --key %s/new.key.pub --db '%s' 2>&1 && "
             "%s node list --unit 180 --db '%s' 2>&1",
             ANTT_PATH, dir, db.dsn, ANTT_PATH, db.dsn);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    cr_assert_eq(pclose(p), 0, "%s", out);
    cr_expect(strstr(out, "ls-180-06043"), "%s", out);
    /* the same key for another node is refused */
    snprintf(cmd, sizeof cmd, "%s node add ls-181 --unit 181 --key %s/new.key.pub --db '%s' 2>&1",
             ANTT_PATH, dir, db.dsn);
    p = popen(cmd, "r");
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    cr_expect_neq(pclose(p), 0);
    cr_expect(strstr(out, "already belongs"), "%s", out);

    char path[300], err[256];
    key_pair_t k;
    snprintf(path, sizeof path, "%s/new.key", dir);
    cr_assert_eq(key_load_pair(path, &k, err, sizeof err), 0, "%s", err);
    ev_t ev;
    int code;
    it_incident(&ev, "N1", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    ev.node = ev_cstr("ls-180-06043");
    ev.unit = ev_cstr("06043");
    ack_t a = send_as(&k, &ev, &code);
    cr_expect_eq(code, 0);
    cr_expect_eq(a.status, ACK_ACCEPTED, "code %d", a.code);
}

/* A SUB as subscriber k, subscribed to "" (everything it may see). */
static void *subscriber(void *ctx, const key_pair_t *k)
{
    void *s = zmq_socket(ctx, ZMQ_SUB);
    char err[256];
    cr_assert_eq(key_apply_client(s, server.pub, k, err, sizeof err), 0);
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "20.", 3); /* asks for the whole province too */
    cr_assert_eq(zmq_connect(s, pub_ep), 0);
    return s;
}

/* Topics received within quiet_ms of silence, as "t1 t2 ...". */
static void topics(void *sub, char *out, size_t cap, int quiet_ms)
{
    out[0] = '\0';
    size_t o = 0;
    zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
    while (zmq_poll(&it, 1, quiet_ms) > 0) {
        char t[64];
        int n = zmq_recv(sub, t, sizeof t - 1, 0);
        int more;
        size_t ml = sizeof more;
        zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ml);
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            zmq_msg_recv(&m, sub, 0);
            more = zmq_msg_more(&m);
            zmq_msg_close(&m);
        }
        if (n > 0 && o + (size_t)n + 2 < cap) {
            memcpy(out + o, t, (size_t)n);
            o += (size_t)n;
            out[o++] = ' ';
            out[o] = '\0';
        }
    }
}

Test(security, subscribers_see_their_scope_only)
{
    start(NULL);
    void *ctx = zmq_ctx_new();
    void *ls = subscriber(ctx, &sub_ls), *cb = subscriber(ctx, &sub_cb);
    /* an unregistered subscriber (a node's key is not a subscriber's) */
    void *other = subscriber(ctx, &commune);
    usleep(500000);
    ev_t ev;
    int code;
    it_incident(&ev, "P1", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    cr_assert_eq(send_as(&commune, &ev, &code).status, ACK_ACCEPTED);
    it_incident(&ev, "P2", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    ev.node = ev_cstr("cb-040");
    ev.unit = ev_cstr("01279");
    ack_t a = send_as(&caobang, &ev, &code);
    cr_assert_eq(a.status, ACK_ACCEPTED, "code %d", a.code);
    /* today 06040 is Thất Khê, a commune of the province made of district
     * 180's communes (1 July 2025): its topic no longer names the district,
     * and the district's subscriber still gets it */
    const int64_t now = ts_now_us();
    it_incident(&ev, "P3", "social_order", SEV_LESS_SERIOUS, now - 3600 * 1000000LL);
    ev.time_us = now;
    cr_assert_eq(send_as(&commune, &ev, &code).status, ACK_ACCEPTED);
    char got_ls[512], got_cb[512], got_other[512];
    topics(ls, got_ls, sizeof got_ls, 1000);
    topics(cb, got_cb, sizeof got_cb, 200);
    topics(other, got_other, sizeof got_other, 200);
    cr_expect(strstr(got_ls, "20.180.06040."), "Lạng Sơn district 180 got: %s", got_ls);
    cr_expect(strstr(got_ls, "20.06040."), "district 180 got today's 06040: %s", got_ls);
    cr_expect(!strstr(got_cb, "20.06040."), "Cao Bằng got Thất Khê: %s", got_cb);
    cr_expect(!strstr(got_ls, "04."), "Lạng Sơn's subscriber saw Cao Bằng: %s", got_ls);
    cr_expect(strstr(got_cb, "04.040.01279."), "Cao Bằng got: %s", got_cb);
    cr_expect(!strstr(got_cb, "20."), "Cao Bằng's subscriber saw Lạng Sơn: %s", got_cb);
    cr_expect_str_empty(got_other, "an unregistered key got: %s", got_other);

    /* a snapshot of another province is refused */
    void *req = zmq_socket(ctx, ZMQ_REQ);
    char err[256];
    cr_assert_eq(key_apply_client(req, server.pub, &sub_cb, err, sizeof err), 0);
    zmq_connect(req, snap_ep);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    enc_str(&pk, "unit", 4);
    enc_str(&pk, "20", 2);
    zmq_send(req, sb.data, sb.size, 0);
    msgpack_sbuffer_destroy(&sb);
    char reply[256];
    int rcvto = 5000, zero = 0;
    zmq_setsockopt(req, ZMQ_RCVTIMEO, &rcvto, sizeof rcvto);
    int n = zmq_recv(req, reply, sizeof reply - 1, 0);
    cr_assert(n > 0);
    reply[n] = '\0';
    cr_expect(memmem(reply, (size_t)n, "outside", 7), "snapshot of 20 for Cao Bằng answered");
    /* the district's subscriber may ask for today's 06040, made of its communes */
    void *req2 = zmq_socket(ctx, ZMQ_REQ);
    cr_assert_eq(key_apply_client(req2, server.pub, &sub_ls, err, sizeof err), 0);
    zmq_connect(req2, snap_ep);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    enc_str(&pk, "unit", 4);
    enc_str(&pk, "06040", 5);
    zmq_send(req2, sb.data, sb.size, 0);
    msgpack_sbuffer_destroy(&sb);
    zmq_setsockopt(req2, ZMQ_RCVTIMEO, &rcvto, sizeof rcvto);
    char big[65536];
    n = zmq_recv(req2, big, sizeof big, 0);
    cr_assert(n > 0);
    cr_expect(!memmem(big, (size_t)n, "error", 5), "snapshot of 06040 for district 180 refused");
    zmq_setsockopt(req2, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(req2);
    void *socks[] = {ls, cb, other, req};
    for (int i = 0; i < 4; i++) {
        zmq_setsockopt(socks[i], ZMQ_LINGER, &zero, sizeof zero);
        zmq_close(socks[i]);
    }
    zmq_ctx_term(ctx);
}

Test(security, a_flooding_node_is_rate_limited_while_another_keeps_flowing)
{
    const char *more[] = {"--node-rate", "200", "--node-burst", "1000", NULL};
    start(more);
    /* The flood: the district node, 100-event messages as fast as it can. */
    it_client_t flood, calm;
    it_client_open_curve(&flood, d.port, server.pub, &district);
    it_client_open_curve(&calm, d.port, server.pub, &commune);
    size_t limited = 0, flood_acc = 0, calm_acc = 0;
    int64_t worst_us = 0;
    ev_t evs[100];
    ack_t acks[100];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 100; i++) {
            it_incident(&evs[i], it_str("F%d-%d", round, i), "social_order", SEV_LESS_SERIOUS,
                        IT_NOW_US - IT_DAY_US);
            evs[i].node = ev_cstr("ls-180");
        }
        int code = it_submit(&flood, evs, 100, acks, 5000);
        cr_assert_neq(code, -1, "the flood got no answer");
        if (code == ANTT_E_RATE_LIMITED)
            limited++;
        else
            for (int i = 0; i < 100; i++)
                flood_acc += acks[i].status == ACK_ACCEPTED;
        /* the calm station's one event a round */
        ev_t ev;
        ack_t a;
        it_incident(&ev, it_str("Q%d", round), "social_order", SEV_LESS_SERIOUS,
                    IT_NOW_US - IT_DAY_US);
        int64_t t0 = ts_now_us();
        cr_assert_eq(it_submit(&calm, &ev, 1, &a, 5000), 0);
        if (ts_now_us() - t0 > worst_us) worst_us = ts_now_us() - t0;
        calm_acc += a.status == ACK_ACCEPTED;
    }
    cr_log_info(
        "flood: %zu messages limited, %zu events accepted; calm: %zu of 20, worst ack %.1f ms",
        limited, flood_acc, calm_acc, (double)worst_us / 1000);
    cr_expect(limited >= 5, "only %zu flood messages limited", limited);
    cr_expect_eq(calm_acc, 20, "the calm station lost events");
    cr_expect(worst_us < 2000000, "the calm station waited %lld us", (long long)worst_us);
    it_client_close(&flood);
    it_client_close(&calm);
    /* refused messages store nothing; a flood is recorded once per 10 s, not per message */
    cr_expect_eq(count("SELECT count(*) FROM antt.events WHERE node = 'ls-180'"),
                 (long long)flood_acc);
    cr_expect_eq(
        count("SELECT count(*) FROM antt.rejects WHERE code = 402 AND status = 'deferred'"), 1);
}

/* libantt as the commune at ep, pinning server_pub: one event submitted, two
 * seconds of trying; its connection error copied into out ("" when it
 * connected). Returns the events still pending. */
static size_t conn_error_at(const char *ep, const char *server_pub_file, char *out, size_t cap)
{
    antt_opts_t o = antt_defaults();
    char spool[300], keyfile[300], err[256];
    snprintf(spool, sizeof spool, "%s/spool-%d", dir, rand());
    snprintf(keyfile, sizeof keyfile, "%s/commune.key", dir);
    o.endpoints = ep;
    o.node = "ls-180-06040";
    o.spool_path = spool;
    o.sec.server_key = server_pub_file;
    o.sec.key_file = keyfile;
    antt_t *cl;
    cr_assert_eq(antt_open(&cl, &o, err, sizeof err), 0, "%s", err);
    ev_t ev;
    it_incident(&ev, it_str("P%d", rand()), "social_order", SEV_LESS_SERIOUS,
                IT_NOW_US - IT_DAY_US);
    cr_assert_eq(antt_submit(cl, &ev, err, sizeof err), 0, "%s", err);
    for (int i = 0; i < 20 && antt_pending(cl); i++)
        antt_poll(cl, 100, NULL, NULL);
    snprintf(out, cap, "%s", antt_conn_error(cl) ? antt_conn_error(cl) : "");
    const size_t pending = antt_pending(cl);
    antt_close(&cl);
    return pending;
}

Test(security, a_wrong_server_key_fails_to_connect)
{
    start(NULL);
    key_pair_t imposter;
    keypair("imposter.key", &imposter);
    it_client_t c;
    it_client_open_curve(&c, d.port, imposter.pub, &commune); /* pins the wrong server key */
    ev_t ev;
    ack_t a;
    it_incident(&ev, "W1", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    cr_expect_eq(it_submit(&c, &ev, 1, &a, 2000), -1);
    it_client_close(&c);
    cr_expect_eq(count("SELECT count(*) FROM antt.events"), 0);

    /* libantt says why */
    char ep[64], wrong[300], msg[512];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", d.port);
    snprintf(wrong, sizeof wrong, "%s/imposter.key.pub", dir);
    cr_expect_eq(conn_error_at(ep, wrong, msg, sizeof msg), 1, "the event stays pending");
    cr_expect_str_neq(msg, "", "no reason given");
    cr_log_info("libantt: %s", msg);
}

Test(security, the_daemon_refuses_a_readable_secret_key_or_none)
{
    start(NULL);
    char out[4096];
    cr_assert_eq(chmod(server_key, 0640), 0);
    const char *args[] = {"--listen",
                          "tcp://127.0.0.1:0",
                          "--http-listen",
                          "",
                          "--tally-publish",
                          "",
                          "--tally-snapshot",
                          "",
                          "--curve-key-file",
                          server_key,
                          NULL};
    cr_expect_eq(it_anttd(db.dsn, args, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "readable by group or others"), "%s", out);
    const char *none[] = {"--listen",
                          "tcp://127.0.0.1:0",
                          "--http-listen",
                          "",
                          "--tally-publish",
                          "",
                          "--tally-snapshot",
                          "",
                          NULL};
    cr_expect_eq(it_anttd(db.dsn, none, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "no server key"), "%s", out);
}

/* A station pointed at the wrong one of anttd's ports is told which it found. */
Test(security, a_station_at_another_port_is_told_what_it_reached)
{
    start(NULL);
    char pub[300], ep[64], msg[512];
    snprintf(pub, sizeof pub, "%s/server.key.pub", dir);
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", d.pub_port);
    conn_error_at(ep, pub, msg, sizeof msg);
    cr_expect(strstr(msg, "is anttd's publish-only socket"), "publish-only port: %s", msg);
    conn_error_at(pub_ep, pub, msg, sizeof msg);
    cr_expect(strstr(msg, "is anttd's tally stream"), "tally stream: %s", msg);
    /* a wrong server key is not mistaken for a wrong port */
    key_pair_t imposter;
    keypair("imposter.key", &imposter);
    snprintf(pub, sizeof pub, "%s/imposter.key.pub", dir);
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", d.pub_port);
    conn_error_at(ep, pub, msg, sizeof msg);
    cr_expect(strstr(msg, "wrong server key") && !strstr(msg, "publish-only"), "%s", msg);
    snprintf(pub, sizeof pub, "%s/server.key.pub", dir);
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", d.port);
    conn_error_at(ep, pub, msg, sizeof msg);
    cr_expect_str_eq(msg, "", "the right port connects");
}

/* antt watch as an enrolled subscriber: it runs, exits 0, and leaves no
 * security warning in the daemon's log; without a key it says what it needs. */
Test(security, a_normal_watch_is_not_a_security_event)
{
    start(NULL);
    char cmd[2048], out[4096];
    snprintf(
        cmd, sizeof cmd,
        "%s --server-key %s/server.key.pub --key %s/sub-ls.key watch --unit 180 --for 2 --db '%s' "
        "--stream %s --snapshot %s 2>&1",
        ANTT_PATH, dir, dir, db.dsn, pub_ep, snap_ep);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    cr_expect_eq(pclose(p), 0, "%s", out);
    cr_expect(strstr(out, "06040"), "the table shows the district's communes: %s", out);
    struct timespec ts = {0, 300000000};
    nanosleep(&ts, NULL);
    cr_expect(!it_log_has(&d, "warn stream"), "anttd logged a warning for a normal exit");
    cr_expect(!it_log_has(&d, "connection cut"), "anttd cut a subscriber that only left");
    snprintf(cmd, sizeof cmd,
             "%s --server-key %s/server.key.pub watch --unit 180 --for 1 --db '%s' 2>&1", ANTT_PATH,
             dir, db.dsn);
    p = popen(cmd, "r");
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    cr_expect_eq(WEXITSTATUS(pclose(p)), 2, "%s", out);
    cr_expect(strstr(out, "subscriber's keypair") && !strstr(out, "station"), "%s", out);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Lines of anttd's log holding s. */
static int log_count(const char *s)
{
    FILE *f = fopen(d.log, "r");
    int n = 0;
    char line[4096];
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, s) != NULL;
    if (f) fclose(f);
    return n;
}

/* antt_handshakes_total{result="refused"} from /metrics. */
static long long refused_so_far(int http)
{
    static char body[65536];
    if (it_http_get(http, "/metrics", body, sizeof body) != 200) return -1;
    const char *p = strstr(body, "antt_handshakes_total{result=\"refused\"} ");
    return p ? atoll(p + strlen("antt_handshakes_total{result=\"refused\"} ")) : -1;
}

/* 10,000 fresh keys, in waves of 250 connections: each refused, but only a
 * bounded number recorded (refusal_records_per_min: a burst of 60, then one
 * a second), the rest counted and summed up; an enrolled station is served
 * all along. */
Test(security, a_flood_of_fresh_keys_cannot_fill_the_database_or_the_log, .timeout = 400)
{
    const int http = it_free_port();
    char hl[32];
    snprintf(hl, sizeof hl, "127.0.0.1:%d", http);
    const char *more[] = {"--http-listen", hl, "--refusal-records-per-min", "60", NULL};
    start(more);
    const int64_t t0 = mono_ms();
    void *ctx = zmq_ctx_new();
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 4096);
    enum { WAVES = 40, PER_WAVE = 250 };
    void *socks[PER_WAVE];
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", d.port);
    for (int w = 0; w < WAVES; w++) {
        for (int i = 0; i < PER_WAVE; i++) {
            key_pair_t k;
            char err[256];
            cr_assert_eq(zmq_curve_keypair(k.pub, k.sec), 0);
            socks[i] = zmq_socket(ctx, ZMQ_DEALER);
            int zero = 0, slow = 60000;
            zmq_setsockopt(socks[i], ZMQ_LINGER, &zero, sizeof zero);
            zmq_setsockopt(socks[i], ZMQ_RECONNECT_IVL, &slow, sizeof slow); /* one try each */
            cr_assert_eq(key_apply_client(socks[i], server.pub, &k, err, sizeof err), 0, "%s", err);
            cr_assert_eq(zmq_connect(socks[i], ep), 0);
        }
        /* the daemon answers this wave before the next arrives */
        long long want = (long long)(w + 1) * PER_WAVE, got = 0;
        for (int t = 0; t < 300 && (got = refused_so_far(http)) < want; t++) {
            struct timespec ts = {0, 50000000};
            nanosleep(&ts, NULL);
        }
        cr_assert_geq(got, want, "wave %d: %lld refusals answered", w, got);
        for (int i = 0; i < PER_WAVE; i++)
            zmq_close(socks[i]);
        if (w % 10 == 9) { /* an enrolled station is served meanwhile */
            ev_t ev;
            int code;
            it_incident(&ev, it_str("F%d", w), "social_order", SEV_LESS_SERIOUS,
                        IT_NOW_US - IT_DAY_US);
            ack_t a = send_as(&commune, &ev, &code);
            cr_expect_eq(code, 0);
            cr_expect_eq(a.status, ACK_ACCEPTED, "wave %d: code %d", w, a.code);
        }
    }
    zmq_ctx_term(ctx);
    const double secs = (double)(mono_ms() - t0) / 1000.0;
    /* let the last records and the summary line land */
    struct timespec ts = {11, 0};
    nanosleep(&ts, NULL);
    const long long bound = 60 + (long long)(secs + 12) + 1;
    const long long rows = count("SELECT count(*) FROM antt.rejects WHERE code = 403");
    const int lines = log_count("connection from");
    cr_log_info("10,000 fresh keys in %.1f s: %lld rows, %d log lines (bound %lld)", secs, rows,
                lines, bound);
    cr_expect_leq(rows, bound, "%lld rows recorded for the flood", rows);
    cr_expect_geq(rows, 60, "the first refusals are still recorded");
    cr_expect_leq(lines, bound, "%d log lines for the flood", lines);
    cr_expect(log_count("more refused handshakes not recorded") >= 1, "no summary line");
    cr_expect_geq(refused_so_far(http), WAVES * PER_WAVE, "every refusal is counted");
    cr_expect_eq(count("SELECT count(*) FROM antt.events"), WAVES / 10);
}

/* Wait (at most 5 s) until the query answers `want`. */
static long long await_count(const char *sql, long long want)
{
    long long v = -1;
    for (int i = 0; i < 100 && (v = count(sql)) != want; i++)
        it_sleep_ms(50);
    return v;
}

/* With CURVE a connection is a node: antt.node_status says whether each
 * station is connected now (quiet) or not (silent, once it has been quiet
 * too long), as connections open and close. */
Test(security, a_stations_connection_is_recorded_as_it_opens_and_closes)
{
    start(NULL);
    it_client_t c;
    it_client_open_curve(&c, d.port, server.pub, &commune);
    ev_t ev;
    it_incident(&ev, "C1", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    ack_t a;
    cr_assert_eq(it_submit(&c, &ev, 1, &a, 5000), 0);
    cr_assert_eq(a.status, ACK_ACCEPTED);
    cr_expect_eq(await_count("SELECT count(*) FROM antt.node_status WHERE node_id = 'ls-180-06040'"
                             " AND connected AND connected_via LIKE '% tcp://127.0.0.1:%'"
                             " AND last_message_at IS NOT NULL AND events_day = 1",
                             1),
                 1, "connected while its connection is open");
    cr_expect_eq(count("SELECT count(*) FROM antt.node_status WHERE node_id = 'ls-180'"), 0,
                 "the district never connected");
    it_client_close(&c);
    cr_expect_eq(await_count("SELECT count(*) FROM antt.node_status WHERE node_id = 'ls-180-06040'"
                             " AND NOT connected AND connection_changed_at IS NOT NULL",
                             1),
                 1, "not connected once it closed");
    /* a restarted daemon forgets what its previous run saw */
    it_client_open_curve(&c, d.port, server.pub, &commune);
    it_incident(&ev, "C2", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    cr_assert_eq(it_submit(&c, &ev, 1, &a, 5000), 0);
    cr_expect_eq(await_count("SELECT count(*) FROM antt.node_status WHERE connected", 1), 1);
    it_daemon_stop(&d, SIGKILL);
    it_client_close(&c);
    it_daemon_restart(&d, db.dsn,
                      (const char *[]){"--insecure=0", "--curve-key-file", server_key, NULL});
    cr_expect_eq(await_count("SELECT count(*) FROM antt.node_status WHERE connected", 0), 0,
                 "a daemon killed -9 left the station connected; its next run forgets it");
}

/* The Grafana dashboard and the alert rules query only metrics a live
 * anttd exposes (CURVE on, the stream on, a station heard). */
Test(security, the_dashboard_and_the_alerts_query_metrics_that_exist)
{
    int hport = it_free_port();
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", hport);
    start((const char *[]){"--http-listen", listen, NULL});
    ev_t ev;
    int code;
    it_incident(&ev, "G1", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    cr_assert_eq(send_as(&commune, &ev, &code).status, ACK_ACCEPTED);
    static char body[131072];
    int st = 0;
    for (int i = 0; i < 100; i++) {
        st = it_http_get(hport, "/metrics", body, sizeof body);
        if (strstr(body, "antt_province_last_message_seconds{")) break;
        it_sleep_ms(100);
    }
    cr_assert_eq(st, 200);
    char path[300], cmd[1024], out[4096];
    snprintf(path, sizeof path, "%s/metrics.txt", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(body, f); /* it_http_get gives the body alone */
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "python3 %s/tests/deploy/metric_names.py %s %s/deploy/grafana/antt.json"
             " %s/deploy/prometheus/antt-rules.yml 2>&1",
             ANTT_SOURCE_DIR, path, ANTT_SOURCE_DIR, ANTT_SOURCE_DIR);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    cr_expect_eq(pclose(p), 0, "%s", out);
    cr_expect(strstr(out, " 0 missing"), "%s", out);
}

/* A days-off file the daemon could not use (a day of 'infinity')
 * was committed by the loader, and every registry load failed after it: a
 * revoked key kept submitting. Now the loader refuses it whole, and a
 * registry that cannot be loaded (here: its table renamed away) fails
 * closed and loudly — the revoked key's connection cut, every event
 * deferred with 500 — until it loads again. */
Test(security, a_registry_that_cannot_load_fails_closed)
{
    const int http = it_free_port();
    char hl[32];
    snprintf(hl, sizeof hl, "127.0.0.1:%d", http);
    const char *more[] = {"--http-listen", hl, NULL};
    start(more);
    char path[300];
    snprintf(path, sizeof path, "%s/days-off.csv", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("day,off,name,source\n2026-09-02,true,Quốc khánh,test\ninfinity,true,a,b\n", f);
    fclose(f);
    const long long before = count("SELECT count(*) FROM antt.days_off");
    const char *load[] = {"--load-days-off", path, NULL};
    char out[4096];
    cr_expect_neq(it_anttd(db.dsn, load, out, sizeof out), 0, "%s", out);
    cr_expect_eq(count("SELECT count(*) FROM antt.days_off"), before, "the file changed nothing");
    cr_expect_eq(count("SELECT count(*) FROM antt.days_off WHERE NOT isfinite(day)"), 0);

    ev_t ev;
    int code;
    it_incident(&ev, "R1", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    ack_t a = send_as(&commune, &ev, &code);
    cr_assert_eq(a.status, ACK_ACCEPTED, "code %d", a.code);

    /* the registry cannot be read; the commune's key is revoked meanwhile */
    PGconn *c = it_pg(&db);
    exec_sql(c, "ALTER TABLE antt.days_off RENAME TO days_off_away", NULL, NULL);
    exec_sql(c, "UPDATE antt.nodes SET revoked_at = now() WHERE node_id = 'ls-180-06040'", NULL,
             NULL);
    for (int i = 0; i < 100 && !it_log_has(&d, "refusing every station"); i++)
        it_sleep_ms(50);
    cr_expect(it_log_has(&d, "refusing every station"), "the failure is said");
    it_incident(&ev, "R2", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    a = send_as(&commune, &ev, &code);
    cr_expect(code != 0 || a.status != ACK_ACCEPTED,
              "the revoked key is not taken: code %d status %d", code, a.status);
    it_incident(&ev, "R3", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    ev.node = ev_cstr("ls-180");
    a = send_as(&district, &ev, &code);
    cr_expect(code != 0 || a.status != ACK_ACCEPTED, "nobody's events are taken: code %d status %d",
              code, a.status);
    cr_expect_eq(count("SELECT count(*) FROM antt.events"), 1);
    char m[65536];
    cr_expect_eq(it_http_get(http, "/metrics", m, sizeof m), 200);
    cr_expect(strstr(m, "\nantt_registry_stale 1\n"), "%s", m);

    /* the table back: the district's events flow, the revoked key stays out */
    exec_sql(c, "ALTER TABLE antt.days_off_away RENAME TO days_off", NULL, NULL);
    for (int i = 0; i < 100 && !it_log_has(&d, "loaded again"); i++)
        it_sleep_ms(50);
    cr_expect(it_log_has(&d, "loaded again"));
    a = send_as(&district, &ev, &code);
    cr_expect_eq(a.status, ACK_ACCEPTED, "code %d %d", code, a.code);
    it_incident(&ev, "R4", "social_order", SEV_LESS_SERIOUS, IT_NOW_US - IT_DAY_US);
    a = send_as(&commune, &ev, &code);
    cr_expect(code != 0 || a.status != ACK_ACCEPTED, "code %d", code);
    cr_expect_eq(count("SELECT count(*) FROM antt.events"), 2);
    PQfinish(c);
}

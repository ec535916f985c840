/* antt.c — libantt (see antt.h). */
#include "lib/antt.h"

#include "lib/spool.h"
#include "proto/ack.h"
#include "proto/decode.h"
#include "proto/encode.h"
#include "net/key.h"
#include "proto/err.h"
#include "proto/ts.h"
#include "proto/uuid.h"
#include "net/zmon.h"

#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <zmq.h>

typedef struct {
    uint64_t corr;
    int64_t sent_ms;
    uint32_t n;
    uint8_t (*ids)[16];
} flight_t;

struct antt {
    antt_opts_t o;
    char *endpoints, *node, *spool_path;
    spool_t *sp;
    void *ctx, *sock;
    zmon_t mon; /* the connection's events */
    uint64_t seq, next_corr;
    flight_t *fl;
    int nfl;
    int lost;               /* a connection dropped since the last look */
    const char *conn_error; /* the last handshake's failure, NULL once one succeeds */
    char conn_buf[512];     /* conn_error, when it names the endpoint */
    int connecting;         /* connected, no handshake finished yet */
    int probed;             /* probe() ran (once per client) */
    size_t unrecorded;      /* answers known but not written to the spool (a full disk) */
    char spool_err[256];    /* why, for antt_spool_error */
    int dirty;              /* appended since the last sync (ANTT_FSYNC_BATCH) */
    msgpack_sbuffer sb;
    char *reply;
    size_t reply_cap;
};

antt_opts_t antt_defaults(void)
{
    antt_opts_t o = {0};
    o.spool_max_bytes = 64u << 20;
    o.fsync = ANTT_FSYNC_EACH;
    o.resend_ms = 30000;
    o.max_per_msg = 100;
    o.window = 8;
    return o;
}

static int64_t now_ms(void)
{
    return ts_now_us() / 1000;
}

static int fail(char *err, size_t errlen, int rc, const char *what, const char *detail)
{
    snprintf(err, errlen, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    return rc;
}

void antt_close(antt_t **ap)
{
    antt_t *a = *ap;
    if (!a) return;
    zmon_stop(&a->mon);
    if (a->sock) zmq_close(a->sock);
    if (a->ctx) zmq_ctx_term(a->ctx);
    spool_close(&a->sp);
    for (int i = 0; i < a->nfl; i++)
        free(a->fl[i].ids);
    free(a->fl);
    free(a->endpoints);
    free(a->node);
    free(a->spool_path);
    free(a->reply);
    msgpack_sbuffer_destroy(&a->sb);
    free(a);
    *ap = NULL;
}

int antt_sec_apply(void *zsock, const antt_sec_t *s, char *err, size_t errlen)
{
    if (s->insecure) return 0;
    if (!s->server_key || !*s->server_key || !s->key_file || !*s->key_file)
        return fail(err, errlen, ANTT_C_ARG,
                    "CURVE needs the daemon's public key (--server-key) and this station's "
                    "keypair file (--key, from antt keygen); --insecure only for a development "
                    "daemon",
                    NULL);
    key_pair_t mine;
    char server[KEY_Z85_LEN + 1];
    int rc = key_load_public(s->server_key, server, err, errlen) < 0 ||
                     key_load_pair(s->key_file, &mine, err, errlen) < 0 ||
                     key_apply_client(zsock, server, &mine, err, errlen) < 0
                 ? ANTT_C_ARG
                 : 0;
    memset(&mine, 0, sizeof mine); /* no copy of the secret lingers on the stack */
    return rc;
}

int antt_open(antt_t **out, const antt_opts_t *o, char *err, size_t errlen)
{
    *out = NULL;
    if (!o->endpoints || !*o->endpoints || !o->node || !*o->node || !o->spool_path)
        return fail(err, errlen, ANTT_C_ARG, "endpoints, node and spool_path are required", NULL);
    if (o->max_per_msg < 1 || o->max_per_msg > ANTT_MAX_BATCH || o->window < 1 || o->resend_ms < 1)
        return fail(err, errlen, ANTT_C_ARG, "max_per_msg 1..1000, window and resend_ms > 0", NULL);
    antt_t *a = calloc(1, sizeof *a);
    if (!a) return ANTT_C_NOMEM;
    a->o = *o;
    a->endpoints = strdup(o->endpoints);
    a->node = strdup(o->node);
    a->spool_path = strdup(o->spool_path);
    a->fl = calloc((size_t)o->window, sizeof *a->fl);
    msgpack_sbuffer_init(&a->sb);
    if (!a->endpoints || !a->node || !a->spool_path || !a->fl) {
        antt_close(&a);
        return ANTT_C_NOMEM;
    }
    const spool_sync_t sync = o->fsync == ANTT_FSYNC_EACH    ? SPOOL_SYNC_EACH
                              : o->fsync == ANTT_FSYNC_BATCH ? SPOOL_SYNC_BATCH
                                                             : SPOOL_SYNC_NONE;
    int rc = spool_open(&a->sp, o->spool_path, o->spool_max_bytes, sync, err, errlen);
    if (rc) {
        antt_close(&a);
        return rc == SPOOL_ENOMEM ? ANTT_C_NOMEM : ANTT_C_SPOOL_IO;
    }
    a->seq = spool_seq_high(a->sp);

    a->ctx = zmq_ctx_new();
    a->sock = a->ctx ? zmq_socket(a->ctx, ZMQ_DEALER) : NULL;
    if (!a->sock) {
        antt_close(&a);
        return fail(err, errlen, ANTT_C_ZMQ, "zmq", zmq_strerror(zmq_errno()));
    }
    if (antt_sec_apply(a->sock, &o->sec, err, errlen) < 0) {
        antt_close(&a);
        return ANTT_C_ARG;
    }
    /* PROTOCOL.md 1.3: what a node should set. */
    int v;
    v = 0, zmq_setsockopt(a->sock, ZMQ_LINGER, &v, sizeof v);
    v = 10000, zmq_setsockopt(a->sock, ZMQ_HEARTBEAT_IVL, &v, sizeof v);
    v = 30000, zmq_setsockopt(a->sock, ZMQ_HEARTBEAT_TIMEOUT, &v, sizeof v);
    v = 1000, zmq_setsockopt(a->sock, ZMQ_RECONNECT_IVL, &v, sizeof v);
    v = 60000, zmq_setsockopt(a->sock, ZMQ_RECONNECT_IVL_MAX, &v, sizeof v);
    v = 1000, zmq_setsockopt(a->sock, ZMQ_SNDHWM, &v, sizeof v);
    /* Without a monitor the client still works; it only explains less. */
    zmon_start(&a->mon, a->ctx, a->sock,
               ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                   ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                   ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
               0);
    char *list = strdup(a->endpoints), *save = NULL;
    for (char *e = strtok_r(list, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
        while (*e == ' ')
            e++;
        if (zmq_connect(a->sock, e) < 0) {
            int n = snprintf(err, errlen, "connect %s: ", e);
            snprintf(err + (n > 0 && (size_t)n < errlen ? n : 0),
                     errlen - (n > 0 && (size_t)n < errlen ? (size_t)n : 0), "%s",
                     zmq_strerror(zmq_errno()));
            free(list);
            antt_close(&a);
            return ANTT_C_ZMQ;
        }
    }
    free(list);
    *out = a;
    return 0;
}

int antt_submit(antt_t *a, ev_t *ev, char *err, size_t errlen)
{
    /* A field the caller never set is missing, not empty: name it (204)
     * rather than let the encoder write "" and the validator call it short. */
    const uint32_t own =
        EVB(EVF_V) | EVB(EVF_ID) | EVB(EVF_TYPE) | EVB(EVF_NODE) | EVB(EVF_SEQ) | EVB(EVF_TIME);
    const uint32_t missing = ev_required(ev->type) & ~ev->present & ~own;
    if (ev->type > EV_NONE && ev->type < EV_TYPE_COUNT && missing) {
        const char *name = ev_field_name((ev_field_t)__builtin_ctz(missing));
        snprintf(err, errlen, "%d %s: %s: is required for %s", ANTT_E_MISSING_FIELD,
                 antt_err_name(ANTT_E_MISSING_FIELD), name, ev_enum_name(&EV_TYPES, ev->type));
        return -ANTT_E_MISSING_FIELD;
    }
    uint8_t rnd[10];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return fail(err, errlen, ANTT_C_ARG, "no randomness for the event id", NULL);
    const int64_t now = ts_now_us();
    ev->version = ANTT_PROTO_VERSION;
    uuid_v7(ev->id, (uint64_t)(now / 1000), rnd);
    ev->node = ev_cstr(a->node);
    ev->seq = a->seq + 1;
    if (!ev->time_us) ev->time_us = now;
    msgpack_sbuffer_clear(&a->sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &a->sb, msgpack_sbuffer_write);
    if (enc_event(&pk, ev) < 0)
        return fail(err, errlen, -ANTT_E_UNKNOWN_TYPE, "unknown event type", NULL);
    /* The daemon's own validator, so a bad event fails here, at the station. */
    dec_msg_t m;
    dec_err_t de;
    ev_t check;
    int rc = dec_open(&m, a->sb.data, a->sb.size, now, &de);
    if (rc == 0) rc = dec_next(&m, &check, &de) == 1 ? 0 : -de.code;
    if (rc < 0) {
        snprintf(err, errlen, "%d %s: %s%s%s", de.code, antt_err_name(de.code),
                 de.field ? de.field : "", de.field ? ": " : "", de.msg);
        return -de.code;
    }
    rc = spool_append(a->sp, ev->id, a->sb.data, (uint32_t)a->sb.size, now / 1000, ev->seq);
    if (rc == SPOOL_EFULL) return fail(err, errlen, ANTT_C_SPOOL_FULL, spool_strerror(rc), NULL);
    if (rc)
        return fail(err, errlen, rc == SPOOL_ENOMEM ? ANTT_C_NOMEM : ANTT_C_SPOOL_IO, "spool",
                    strerror(errno));
    a->seq = ev->seq;
    a->dirty = 1;
    return 0;
}

int antt_submit_many(antt_t *a, ev_t *evs, size_t n, size_t *done, char *err, size_t errlen)
{
    *done = 0;
    const antt_fsync_t was = a->o.fsync;
    if (was == ANTT_FSYNC_EACH) spool_set_sync(a->sp, SPOOL_SYNC_BATCH);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if ((rc = antt_submit(a, &evs[i], err, errlen)) == 0) (*done)++;
    if (was == ANTT_FSYNC_EACH) {
        spool_set_sync(a->sp, SPOOL_SYNC_EACH);
        if (*done && spool_sync(a->sp) != SPOOL_OK && rc == 0)
            rc = fail(err, errlen, ANTT_C_SPOOL_IO, "spool", strerror(errno));
    }
    return rc;
}

const char *antt_conn_error(const antt_t *a)
{
    return a->conn_error;
}
const char *antt_spool_error(const antt_t *a)
{
    return a->spool_err[0] ? a->spool_err : NULL;
}

size_t antt_pending(const antt_t *a)
{
    return spool_pending(a->sp);
}
int64_t antt_oldest_ms(const antt_t *a)
{
    return spool_oldest_ms(a->sp);
}

static void forget_flight(antt_t *a, int i)
{
    free(a->fl[i].ids);
    a->fl[i] = a->fl[--a->nfl];
    memset(&a->fl[a->nfl], 0, sizeof a->fl[a->nfl]);
}

void antt_flush(antt_t *a)
{
    while (a->nfl)
        forget_flight(a, 0);
    for (spool_item_t *it = spool_first(a->sp); it; it = spool_next(a->sp, it))
        it->sent_ms = 0;
}

/* Which of anttd's other sockets is at ep, when ours (a DEALER) could not
 * finish a handshake there. libzmq reports a socket-type mismatch and a
 * wrong server key alike (the peer just closes), so ask the endpoint once
 * with the socket types that belong there: a PUSH that completes the
 * handshake found the publish-only PULL; a SUB that gets as far as
 * authentication found the tally stream. NULL: neither (a wrong server key,
 * or not anttd). Takes at most ~1 s, once per client. */
static const char *probe(antt_t *a, const char *ep)
{
    static const struct {
        int type;
        const char *what;
    } TRY[] = {
        {ZMQ_PUSH,
         "is anttd's publish-only socket (PULL; port 7721 by default), which never answers: "
         "acked submissions go to anttd's listen endpoint (port 7720 by default)"},
        {ZMQ_SUB,
         "is anttd's tally stream (port 7722 by default), not its intake: acked submissions go "
         "to anttd's listen endpoint (port 7720 by default)"},
    };
    for (size_t i = 0; i < sizeof TRY / sizeof TRY[0]; i++) {
        void *s = zmq_socket(a->ctx, TRY[i].type);
        char err[256];
        int zero = 0, found = 0;
        if (!s) continue;
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
        zmon_t mon = {0};
        if (antt_sec_apply(s, &a->o.sec, err, sizeof err) == 0 &&
            zmon_start(&mon, a->ctx, s,
                       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_DISCONNECTED,
                       0) == 0 &&
            zmq_connect(s, ep) == 0) {
            const int64_t end = now_ms() + 500;
            for (int64_t left; !found && (left = end - now_ms()) > 0;) {
                uint16_t e = zmon_next(&mon, (int)left, NULL, 0);
                if (e == ZMQ_EVENT_HANDSHAKE_SUCCEEDED ||
                    (e == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && i == 1))
                    found = 1;
                else if (e && e != 0xffff)
                    break; /* failed here too */
            }
        }
        zmon_stop(&mon);
        zmq_close(s);
        if (found) return TRY[i].what;
    }
    return NULL;
}

/* A handshake at ep failed without a word from the daemon: say why, as far
 * as can be found out. */
static void handshake_failed(antt_t *a, const char *ep)
{
    const char *what = a->probed ? NULL : probe(a, ep);
    a->probed = 1;
    if (what) {
        snprintf(a->conn_buf, sizeof a->conn_buf, "%s %s", ep, what);
        a->conn_error = a->conn_buf;
    } else if (!a->conn_error || a->conn_error != a->conn_buf) {
        a->conn_error =
            a->o.sec.insecure
                ? "the handshake failed (the daemon speaks CURVE, or this is not an anttd "
                  "acked endpoint)"
                : "the CURVE handshake failed (wrong server key, the daemon is not CURVE, or "
                  "this is not an anttd acked endpoint)";
    }
}

/* Watch the connection: after a reconnection, what was in flight goes again. */
static void watch(antt_t *a)
{
    char ep[256];
    for (uint16_t event; (event = zmon_next(&a->mon, 0, ep, sizeof ep));) {
        if (event == ZMQ_EVENT_DISCONNECTED) {
            a->lost = 1;
            /* Dropped before any handshake finished: a socket of another type
             * (NULL mechanism reports nothing else). */
            if (a->connecting) handshake_failed(a, ep);
            a->connecting = 0;
        }
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            a->conn_error = NULL;
            a->connecting = 0;
        }
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            a->conn_error =
                "the daemon refused this station's key (not enrolled, or revoked; or this is "
                "not an anttd acked endpoint)";
            a->connecting = 0;
        }
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
            event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
            handshake_failed(a, ep);
            a->connecting = 0;
        }
        if (event == ZMQ_EVENT_CONNECTED) {
            a->connecting = 1;
            if (a->lost) {
                a->lost = 0;
                antt_flush(a);
            }
        }
    }
}

static void send_due(antt_t *a, int64_t now)
{
    while (a->nfl < a->o.window) {
        uint8_t(*ids)[16] = malloc((size_t)a->o.max_per_msg * 16);
        if (!ids) return;
        uint32_t n = 0;
        size_t bytes = 0;
        for (spool_item_t *it = spool_first(a->sp); it && n < (uint32_t)a->o.max_per_msg;
             it = spool_next(a->sp, it)) {
            if (it->sent_ms && now - it->sent_ms < a->o.resend_ms) continue; /* in flight */
            if (bytes + it->len > ANTT_MAX_MSG_BYTES - 16) break;
            memcpy(ids[n++], it->id, 16);
            bytes += it->len;
        }
        if (!n) {
            free(ids);
            return;
        }
        msgpack_sbuffer_clear(&a->sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &a->sb, msgpack_sbuffer_write);
        if (n > 1) msgpack_pack_array(&pk, n);
        for (uint32_t k = 0; k < n; k++) {
            spool_item_t *it = spool_find(a->sp, ids[k]);
            msgpack_sbuffer_write(&a->sb, (const char *)it->bytes, it->len);
        }
        uint64_t corr = ++a->next_corr;
        if (zmq_send(a->sock, &corr, sizeof corr, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
            zmq_send(a->sock, a->sb.data, a->sb.size, ZMQ_DONTWAIT) < 0) {
            free(ids); /* not connected, or the queue is full: try at the next poll */
            return;
        }
        for (uint32_t k = 0; k < n; k++) {
            spool_item_t *it = spool_find(a->sp, ids[k]);
            it->sent_ms = now;
            it->attempts++;
        }
        a->fl[a->nfl++] = (flight_t){.corr = corr, .sent_ms = now, .n = n, .ids = ids};
    }
}

/* The spool could not record answers: say so (antt_spool_error). */
static void spool_failed(antt_t *a, size_t n, const char *what)
{
    a->unrecorded += n;
    snprintf(a->spool_err, sizeof a->spool_err,
             "%zu answer(s) could not be recorded in the spool %s (%s): the events are answered, "
             "but they will be sent again once the spool can be written, and answered duplicate",
             a->unrecorded, a->spool_path, what);
}

/* An event is answered for good: out of the spool, to the caller. An answer
 * the spool cannot record (a full disk) is still an answer: it is reported,
 * and the event is not sent again by this process. */
static int settle(antt_t *a, const uint8_t id[16], ack_status_t st, int code, ev_str_t field,
                  ev_str_t msg, antt_result_fn fn, void *ctx)
{
    if (!spool_find(a->sp, id)) return 0; /* answered already (a late duplicate reply) */
    if (spool_done(a->sp, id, (int)st, code) != SPOOL_OK) {
        spool_failed(a, 1, strerror(errno));
        spool_forget(a->sp, id);
    }
    if (fn) {
        char f[64], m[256];
        snprintf(f, sizeof f, "%.*s", (int)field.n, field.p ? field.p : "");
        snprintf(m, sizeof m, "%.*s", (int)msg.n, msg.p ? msg.p : "");
        antt_result_t r = {.status = st, .code = code, .field = f, .msg = m};
        memcpy(r.id, id, 16);
        fn(ctx, &r);
    }
    return 1;
}

static int take_reply(antt_t *a, antt_result_fn fn, void *ctx)
{
    uint64_t corr = 0;
    size_t len = 0;
    int nf = 0, got_corr = 0;
    for (;;) {
        zmq_msg_t f;
        zmq_msg_init(&f);
        if (zmq_msg_recv(&f, a->sock, nf ? 0 : ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&f);
            return nf ? 0 : -1;
        }
        int more = zmq_msg_more(&f);
        if (more && nf == 0 && zmq_msg_size(&f) == sizeof corr) {
            memcpy(&corr, zmq_msg_data(&f), sizeof corr);
            got_corr = 1;
        }
        if (!more) {
            len = zmq_msg_size(&f);
            if (len > a->reply_cap) {
                char *r = realloc(a->reply, len);
                if (!r) {
                    zmq_msg_close(&f);
                    return 0;
                }
                a->reply = r;
                a->reply_cap = len;
            }
            memcpy(a->reply, zmq_msg_data(&f), len);
        }
        zmq_msg_close(&f);
        nf++;
        if (!more) break;
    }
    int fi = -1;
    for (int i = 0; got_corr && i < a->nfl; i++)
        if (a->fl[i].corr == corr) fi = i;
    ack_reply_t rep;
    if (ack_open(&rep, a->reply, len) < 0) return 0;
    int settled = 0;
    if (rep.code) {
        /* Refused whole. 4xx (rate limited) and 5xx: resend later. Otherwise
         * our own bytes are refused and would be again: report each event
         * rejected. */
        if (fi >= 0 && rep.code < 400)
            for (uint32_t k = 0; k < a->fl[fi].n; k++)
                settled += settle(a, a->fl[fi].ids[k], ACK_REJECTED, rep.code, ev_cstr(""), rep.msg,
                                  fn, ctx);
        if (fi >= 0) forget_flight(a, fi);
        return settled;
    }
    ack_t ack;
    while (ack_next(&rep, &ack) == 1) {
        const uint8_t *id = ack.has_id                             ? ack.id
                            : (fi >= 0 && ack.index < a->fl[fi].n) ? a->fl[fi].ids[ack.index]
                                                                   : NULL;
        if (!id) continue;
        if (ack.status == ACK_ACCEPTED || ack.status == ACK_DUPLICATE || ack.status == ACK_REJECTED)
            settled += settle(a, id, ack.status, ack.code, ack.field, ack.msg, fn, ctx);
        /* deferred, or a status this library does not know: resend after resend_ms */
    }
    if (fi >= 0) forget_flight(a, fi);
    /* One sync for the answers of this reply, not one per answer: draining a
     * week-old spool is bound by the daemon, not by fdatasync. */
    if (settled && a->o.fsync != ANTT_FSYNC_NONE && spool_sync(a->sp) != SPOOL_OK)
        spool_failed(a, 0, strerror(errno));
    return settled;
}

int antt_poll(antt_t *a, int timeout_ms, antt_result_fn fn, void *ctx)
{
    if (a->dirty && a->o.fsync == ANTT_FSYNC_BATCH && spool_sync(a->sp) != SPOOL_OK)
        return ANTT_C_SPOOL_IO;
    a->dirty = 0;
    int64_t now = now_ms();
    watch(a);
    for (int i = 0; i < a->nfl;) /* a message unanswered for too long is given up */
        if (now - a->fl[i].sent_ms >= a->o.resend_ms)
            forget_flight(a, i);
        else
            i++;
    send_due(a, now);
    int settled = 0;
    zmq_pollitem_t items[2] = {{a->sock, 0, ZMQ_POLLIN, 0},
                               {zmon_socket(&a->mon), 0, ZMQ_POLLIN, 0}};
    int64_t end = now + timeout_ms;
    for (;;) {
        int left = (int)(end - now_ms());
        if (zmq_poll(items, zmon_socket(&a->mon) ? 2 : 1, left > 0 ? left : 0) < 0 &&
            zmq_errno() != EINTR)
            return ANTT_C_ZMQ;
        if (items[1].revents) watch(a);
        int got = 0, r;
        while ((r = take_reply(a, fn, ctx)) >= 0) {
            settled += r;
            got = 1;
        }
        if (got || now_ms() >= end) break;
    }
    send_due(a, now_ms());
    return settled;
}

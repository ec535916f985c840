/* stream.c — see stream.h. */
#include "daemon/stream.h"

#include "daemon/log.h"
#include "db/query.h"
#include "db/tallylog.h"
#include "proto/hindex.h"
#include "proto/util.h"
#include "proto/encode.h"
#include "proto/mp.h"
#include "proto/ev.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <zmq.h>

struct stream {
    void *pub;  /* an XPUB in manual mode (subscriptions pass through us) */
    int secure; /* CURVE on: subscribers are authenticated and scoped */
    msgpack_sbuffer sb;
    uint64_t subs_refused; /* subscriptions to no unit's topic, or outside the scope */
    uint64_t subs_cut;     /* connections cut for a subscription to no unit's topic */
};

/* The publishing XPUB: subscriptions pass through us (manual), bounded. */
static void *bind_pub(void *ctx, const char *ep, const key_pair_t *key, int sub_queue, char *err,
                      size_t errlen)
{
    void *z = zmq_socket(ctx, ZMQ_XPUB);
    int zero = 0, one = 1, hwm = 100000;
    zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(z, ZMQ_SNDHWM, &hwm, sizeof hwm);
    /* Manual: a subscription takes effect only when stream_subscriptions
     * applies it, narrowed to the subscriber's scope. */
    zmq_setsockopt(z, ZMQ_XPUB_MANUAL, &one, sizeof one);
    /* libzmq stores each subscription a connection sends before we see it:
     * a message longer than STREAM_SUB_MAX disconnects its sender at once
     * (before any memory grows); a shorter one that names no unit, stream_subscriptions
     * cuts. And it takes in what a connection's pipe holds each time we
     * touch the socket: a small pipe (sub_queue) bounds what a flood
     * stores before the cut. */
    const int64_t max = STREAM_SUB_MAX;
    zmq_setsockopt(z, ZMQ_MAXMSGSIZE, &max, sizeof max);
    zmq_setsockopt(z, ZMQ_RCVHWM, &sub_queue, sizeof sub_queue);
    /* A cut (shutdown) stops what arrives after it, not what the kernel
     * holds: Linux still delivers a connection's queued bytes, a window
     * of up to 128 KB by default, 5,000 short subscriptions that libzmq
     * stores before the connection is gone. Inbound, a stream connection
     * carries its handshake and its subscriptions, a few hundred bytes: a
     * small receive buffer bounds that tail (measured: 540 at most, against
     * 5,225 with the default). */
    int rcvbuf = STREAM_RCVBUF;
    zmq_setsockopt(z, ZMQ_RCVBUF, &rcvbuf, sizeof rcvbuf);
    return key_bind_server(z, key, AUTH_DOMAIN_STREAM, ep, err, errlen) < 0 ? NULL : z;
}

stream_t *stream_open(void *zctx, const char *pub_ep, const key_pair_t *key, int sub_queue,
                      char *err, size_t errlen)
{
    stream_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    msgpack_sbuffer_init(&s->sb);
    s->secure = key != NULL;
    if (pub_ep && *pub_ep && !(s->pub = bind_pub(zctx, pub_ep, key, sub_queue, err, errlen))) {
        stream_close(&s);
        return NULL;
    }
    return s;
}

void stream_close(stream_t **sp)
{
    stream_t *s = *sp;
    if (!s) return;
    if (s->pub) zmq_close(s->pub);
    msgpack_sbuffer_destroy(&s->sb);
    free(s);
    *sp = NULL;
}

void *stream_publish_socket(stream_t *s)
{
    return s ? s->pub : NULL;
}

int stream_scope_topic(const char *scope, const char *want, size_t wn, char *out, size_t cap)
{
    size_t sn = strlen(scope);
    const char *t = want;
    size_t tn = wn;
    if (wn >= sn && !memcmp(want, scope, sn)) {
        /* inside the scope: as asked */
    } else if (wn < sn && !memcmp(scope, want, wn)) {
        t = scope; /* broader than the scope: the scope */
        tn = sn;
    } else {
        return -1; /* another part of the country */
    }
    if (tn >= cap) return -1;
    memcpy(out, t, tn);
    out[tn] = '\0';
    return (int)tn;
}

typedef struct {
    void *pub;
    int opt; /* ZMQ_SUBSCRIBE or ZMQ_UNSUBSCRIBE */
} follow_t;

static void follow_one(void *ctx, const char *path)
{
    const follow_t *f = ctx;
    char t[40];
    int n = snprintf(t, sizeof t, "%s.", path);
    if (n > 0 && (size_t)n < sizeof t) zmq_setsockopt(f->pub, f->opt, t, (size_t)n);
}

/* (Un)subscribe the last subscriber to topic and, when topic is the area of
 * a dissolved unit ("20.180."), to the units made wholly of its units since:
 * a district's subscriber keeps its communes after 1 July 2025, whose
 * topics no longer name the district. */
static void apply(void *pub, const reg_t *reg, int opt, const char *topic)
{
    size_t n = strlen(topic);
    zmq_setsockopt(pub, opt, topic, n);
    if (n > 1 && topic[n - 1] == '.') {
        follow_t f = {pub, opt};
        reg_each_wholly_inside(reg, topic, n - 1, follow_one, &f);
    }
}

int stream_sub_decide(const reg_t *reg, const char *scope, const uint8_t *p, size_t n, char *out,
                      size_t cap)
{
    if (n < 1 || p[0] > 1) return STREAM_SUB_NOT_OURS;
    const int on = p[0] == 1;
    const char *want = (const char *)p + 1;
    const size_t wn = n - 1;
    int tn = stream_scope_topic(scope, want, wn, out, cap);
    if (tn < 0) { /* apart from the scope: a unit made of the scope's units, or nothing */
        if (wn >= cap || !reg_is_unit_topic(reg, want, wn)) return STREAM_SUB_JUNK;
        if (!reg_scope_holds(reg, scope, want, wn)) return STREAM_SUB_REFUSED;
        memcpy(out, want, wn);
        out[wn] = '\0';
        tn = (int)wn;
    }
    /* every unit ("" for a national scope), or one unit's topic: a prefix
     * that names no unit would be a subscription no message matches, kept
     * in memory for nothing (20,000 random 1 KB topics grew anttd 36 -> 674 MB) */
    if (tn && !reg_is_unit_topic(reg, out, (size_t)tn)) return STREAM_SUB_JUNK;
    return on ? STREAM_SUB_ON : STREAM_SUB_OFF;
}

void stream_subscriptions(stream_t *s, const reg_t *reg, auth_t *auth)
{
    if (!s || !s->pub) return;
    /* the connections cut in this pass: a cut connection's other pending
     * subscriptions come with the same descriptor, which must not be cut
     * twice (once closed, its number may be another connection's) */
    int cut[16], ncut = 0;
    for (int round = 0; round < 256; round++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->pub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        const uint8_t *p = zmq_msg_data(&m);
        const size_t n = zmq_msg_size(&m);
        char topic[64];
        /* {1, topic}: subscribe; {0, topic}: unsubscribe; anything else is not ours.
         * An unsubscription is never a reason to cut or to count: it also
         * arrives when a subscriber closes (its peer, and so its User-Id,
         * already gone; libzmq replays a closed pipe's subscriptions as
         * unsubscriptions), and libzmq drops those by itself. */
        const char *scope = NULL;
        if (zmq_msg_more(&m) || n < 1 || p[0] > 1) {
            /* not a subscription */
        } else if (p[0] == 0) {
            const char *user = s->secure ? zmq_msg_gets(&m, "User-Id") : NULL;
            scope = !s->secure ? "" : user ? reg_subscriber_scope(reg, user) : NULL;
        } else {
            scope = auth_subscriber_scope(auth, reg, s->secure, &m);
        }
        const int op =
            scope ? stream_sub_decide(reg, scope, p, n, topic, sizeof topic) : STREAM_SUB_NOT_OURS;
        if (op == STREAM_SUB_ON)
            apply(s->pub, reg, ZMQ_SUBSCRIBE, topic);
        else if (op == STREAM_SUB_OFF)
            apply(s->pub, reg, ZMQ_UNSUBSCRIBE, topic);
        else if ((op == STREAM_SUB_REFUSED || op == STREAM_SUB_JUNK) && p[0] == 1)
            s->subs_refused++;
        /* a topic of no unit is no client's of ours: libzmq keeps every
         * subscription a connection sends (to drop them when it closes),
         * so the connection goes, and its subscriptions with it */
        const int fd = zmq_msg_get(&m, ZMQ_SRCFD);
        int seen = 0;
        for (int i = 0; i < ncut; i++)
            seen |= cut[i] == fd;
        if (op == STREAM_SUB_JUNK && p[0] == 1 && fd >= 0 && !seen && ncut < 16) {
            cut[ncut++] = fd;
            if (auth)
                auth_cut_fd(auth, fd);
            else
                shutdown(fd, SHUT_RDWR);
            s->subs_cut++;
        }
        zmq_msg_close(&m);
    }
}

uint64_t stream_subs_refused(const stream_t *s)
{
    return s ? s->subs_refused : 0;
}

uint64_t stream_subs_cut(const stream_t *s)
{
    return s ? s->subs_cut : 0;
}

#define KEY(pk, lit) enc_str(pk, lit, sizeof(lit) - 1)

int stream_publish_log(stream_t *s, const reg_t *reg, uint64_t epoch, uint64_t seq,
                       const uint8_t *content, size_t len)
{
    if (!s || !s->pub) return 0;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &s->sb, msgpack_sbuffer_write);
    size_t pos = 0;
    tallylog_unit_t u;
    int rc, n = 0;
    while ((rc = tallylog_next(content, len, &pos, &u)) == 1) {
        /* the unit's area on the day its deltas count (a late correction
         * of 2024 under a code reused in 2025 goes to the old area's topic) */
        const int32_t day = tallylog_last_day(&u);
        const char *path = day == INT32_MIN ? reg_unit_path(reg, u.unit, u.unit_len)
                                            : reg_unit_path_on(reg, u.unit, u.unit_len, day);
        if (!path) continue; /* a unit loaded after the registry: the next reload knows it */
        msgpack_sbuffer_clear(&s->sb);
        msgpack_pack_map(&pk, 5);
        KEY(&pk, "epoch");
        msgpack_pack_uint64(&pk, epoch);
        KEY(&pk, "seq");
        msgpack_pack_uint64(&pk, seq);
        KEY(&pk, "useq");
        msgpack_pack_uint64(&pk, u.version);
        KEY(&pk, "unit");
        enc_str(&pk, u.unit, u.unit_len);
        KEY(&pk, "deltas");
        msgpack_sbuffer_write(&s->sb, (const char *)u.deltas, u.deltas_len); /* as logged */
        char topic[40];
        int tl = snprintf(topic, sizeof topic, "%s.", path);
        /* A PUB never blocks: a slow subscriber loses messages, sees the gap in useq. */
        zmq_send(s->pub, topic, (size_t)tl, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(s->pub, s->sb.data, s->sb.size, ZMQ_DONTWAIT);
        n++;
    }
    return rc < 0 ? -1 : n;
}

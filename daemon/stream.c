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
#include <time.h>
#include <zmq.h>

struct stream {
    void *pub, *snap; /* pub: an XPUB in manual mode (subscriptions pass through us) */
    int secure;       /* CURVE on: subscribers are authenticated and scoped */
    msgpack_sbuffer sb;
    msgpack_sbuffer rows, units; /* a snapshot's rows and versions, packed before their counts
                                    are known */
};

static void *bind_sock(void *ctx, int type, const char *ep, const key_pair_t *key, char *err,
                       size_t errlen)
{
    void *z = zmq_socket(ctx, type);
    int zero = 0, one = 1, hwm = 100000;
    zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(z, ZMQ_SNDHWM, &hwm, sizeof hwm);
    /* Manual: a subscription takes effect only when stream_subscriptions
     * applies it, narrowed to the subscriber's scope. */
    if (type == ZMQ_XPUB) zmq_setsockopt(z, ZMQ_XPUB_MANUAL, &one, sizeof one);
    return key_bind_server(z, key, AUTH_DOMAIN_STREAM, ep, err, errlen) < 0 ? NULL : z;
}

stream_t *stream_open(void *zctx, const char *pub_ep, const char *snap_ep, const key_pair_t *key,
                      char *err, size_t errlen)
{
    stream_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    msgpack_sbuffer_init(&s->sb);
    msgpack_sbuffer_init(&s->rows);
    msgpack_sbuffer_init(&s->units);
    s->secure = key != NULL;
    if ((pub_ep && *pub_ep && !(s->pub = bind_sock(zctx, ZMQ_XPUB, pub_ep, key, err, errlen))) ||
        (snap_ep && *snap_ep &&
         !(s->snap = bind_sock(zctx, ZMQ_ROUTER, snap_ep, key, err, errlen)))) {
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
    if (s->snap) zmq_close(s->snap);
    msgpack_sbuffer_destroy(&s->sb);
    msgpack_sbuffer_destroy(&s->rows);
    msgpack_sbuffer_destroy(&s->units);
    free(s);
    *sp = NULL;
}

void *stream_snapshot_socket(stream_t *s)
{
    return s ? s->snap : NULL;
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

/* The subscriber's scope: "" for every unit when not secure; NULL when it
 * may not subscribe (then its connection is cut). */
static const char *scope_of(stream_t *s, const reg_t *reg, auth_t *auth, zmq_msg_t *m)
{
    if (!s->secure) return "";
    int fd = zmq_msg_get(m, ZMQ_SRCFD);
    const char *user = zmq_msg_gets(m, "User-Id");
    const char *scope = user ? reg_subscriber_scope(reg, user) : NULL;
    if (!scope) {
        log_warn("stream", "subscriber %s may no longer subscribe: connection cut",
                 user ? user : "(unauthenticated)");
        auth_cut_fd(auth, fd);
        return NULL;
    }
    auth_seen(auth, fd, REG_SUBSCRIBERS, user);
    return scope;
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

void stream_subscriptions(stream_t *s, const reg_t *reg, auth_t *auth)
{
    if (!s || !s->pub) return;
    for (int round = 0; round < 256; round++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->pub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        const uint8_t *p = zmq_msg_data(&m);
        size_t n = zmq_msg_size(&m);
        const char *scope;
        char topic[64];
        /* {1, topic}: subscribe; {0, topic}: unsubscribe; anything else is not ours.
         * An unsubscription is never a reason to cut: it also arrives when a
         * subscriber closes (its peer, and so its User-Id, already gone), and
         * libzmq drops a closed pipe's subscriptions by itself. */
        if (n >= 1 && p[0] == 0 && !zmq_msg_more(&m)) {
            const char *user = s->secure ? zmq_msg_gets(&m, "User-Id") : NULL;
            scope = !s->secure ? "" : user ? reg_subscriber_scope(reg, user) : NULL;
            if (scope &&
                stream_scope_topic(scope, (const char *)p + 1, n - 1, topic, sizeof topic) >= 0)
                apply(s->pub, reg, ZMQ_UNSUBSCRIBE, topic);
            else if (scope && reg_scope_holds(reg, scope, (const char *)p + 1, n - 1))
                zmq_setsockopt(s->pub, ZMQ_UNSUBSCRIBE, p + 1, n - 1);
        } else if (n >= 1 && p[0] == 1 && !zmq_msg_more(&m) &&
                   (scope = scope_of(s, reg, auth, &m))) {
            if (stream_scope_topic(scope, (const char *)p + 1, n - 1, topic, sizeof topic) >= 0)
                apply(s->pub, reg, ZMQ_SUBSCRIBE, topic);
            else if (n - 1 < sizeof topic &&
                     reg_scope_holds(reg, scope, (const char *)p + 1, n - 1))
                zmq_setsockopt(s->pub, ZMQ_SUBSCRIBE, p + 1, n - 1); /* made of its units */
        }
        zmq_msg_close(&m);
    }
}
#define KEY(pk, lit) enc_str(pk, lit, sizeof(lit) - 1)

int stream_publish_log(stream_t *s, const reg_t *reg, uint64_t epoch, uint64_t lsn,
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
        msgpack_pack_uint64(&pk, lsn);
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

/* Read {"unit": str, "from": int, "to": int}. 0 or -1. */
static int parse_request(const void *buf, size_t len, char unit[16], int64_t *from, int64_t *to)
{
    mp_reader_t r;
    mp_init(&r, buf, len);
    mp_obj_t o;
    if (mp_next(&r, &o) < 0 || o.type != MP_MAP) return -1;
    uint32_t n = o.n;
    unit[0] = '\0';
    *from = 0;
    *to = 1000000;
    for (uint32_t i = 0; i < n; i++) {
        mp_obj_t k, v;
        if (mp_next(&r, &k) < 0 || mp_next(&r, &v) < 0 || k.type != MP_STR) return -1;
        if (k.n == 4 && !memcmp(k.p, "unit", 4) && v.type == MP_STR && v.n < 16) {
            memcpy(unit, v.p, v.n);
            unit[v.n] = '\0';
        } else if (k.n == 4 && !memcmp(k.p, "from", 4) && (v.type == MP_UINT || v.type == MP_INT)) {
            *from = v.type == MP_UINT ? (int64_t)v.v.u : v.v.i;
        } else if (k.n == 2 && !memcmp(k.p, "to", 2) && (v.type == MP_UINT || v.type == MP_INT)) {
            *to = v.type == MP_UINT ? (int64_t)v.v.u : v.v.i;
        }
    }
    return unit[0] ? 0 : -1;
}

static void reply(stream_t *s, zmq_msg_t *frames, int nf)
{
    for (int i = 0; i < nf - 1; i++)
        if (zmq_send(s->snap, zmq_msg_data(&frames[i]), zmq_msg_size(&frames[i]),
                     ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
            return;
    zmq_send(s->snap, s->sb.data, s->sb.size, ZMQ_DONTWAIT);
}

/* A snapshot row (unit, day, metric, grp, severity, value) packed into
 * the rows buffer. */
typedef struct {
    msgpack_packer pk;
    uint32_t n;
} rows_t;

static int snapshot_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    rows_t *r = ctx;
    msgpack_pack_array(&r->pk, 6);
    for (int col = 0; col < 6; col++) {
        const char *x = v[col] ? v[col] : "";
        if (col == 1)
            msgpack_pack_int32(&r->pk, atoi(x));
        else if (col == 5)
            msgpack_pack_int64(&r->pk, strtoll(x, NULL, 10));
        else
            enc_str(&r->pk, x, strlen(x));
    }
    r->n++;
    return 0;
}

/* A unit's version into the snapshot's "useq" map. */
static int version_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    rows_t *r = ctx;
    enc_str(&r->pk, v[0], strlen(v[0]));
    msgpack_pack_uint64(&r->pk, strtoull(v[1], NULL, 10));
    r->n++;
    return 0;
}

typedef struct {
    rows_t versions, tallies;
} snap_rows_t;

static int snap_version(void *ctx, int n, const char *const *names, const char *const *v)
{
    return version_row(&((snap_rows_t *)ctx)->versions, n, names, v);
}

static int snap_tally(void *ctx, int n, const char *const *names, const char *const *v)
{
    return snapshot_row(&((snap_rows_t *)ctx)->tallies, n, names, v);
}

void stream_answer(stream_t *s, const reg_t *reg, auth_t *auth, db_t *c)
{
    if (!s || !s->snap) return;
    for (int round = 0; round < 16; round++) {
        zmq_msg_t fr[6];
        int nf = 0, more = 1;
        while (more && nf < 6) {
            zmq_msg_init(&fr[nf]);
            if (zmq_msg_recv(&fr[nf], s->snap, nf ? 0 : ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&fr[nf]);
                return;
            }
            more = zmq_msg_more(&fr[nf]);
            nf++;
        }
        msgpack_packer pk;
        msgpack_packer_init(&pk, &s->sb, msgpack_sbuffer_write);
        msgpack_sbuffer_clear(&s->sb);
        char unit[16];
        int64_t from, to;
        const char *path = NULL;
        const char *scope = scope_of(s, reg, auth, &fr[nf - 1]);
        if (scope && !more &&
            parse_request(zmq_msg_data(&fr[nf - 1]), zmq_msg_size(&fr[nf - 1]), unit, &from, &to) ==
                0 &&
            (path = reg_unit_path(reg, unit, strlen(unit)))) {
            char want[40];
            int wl = snprintf(want, sizeof want, "%s.", path);
            if (wl < 0 || !reg_scope_holds(reg, scope, want, (size_t)wl)) {
                msgpack_pack_map(&pk, 1);
                KEY(&pk, "error");
                enc_str(&pk, "unit outside this subscriber's scope", 36);
                reply(s, fr, nf);
                for (int i = 0; i < nf; i++)
                    zmq_msg_close(&fr[i]);
                continue;
            }
        }
        if (!scope) {
            for (int i = 0; i < nf; i++)
                zmq_msg_close(&fr[i]);
            continue;
        }
        path = NULL;
        if (more ||
            parse_request(zmq_msg_data(&fr[nf - 1]), zmq_msg_size(&fr[nf - 1]), unit, &from, &to) <
                0 ||
            !(path = reg_unit_path(reg, unit, strlen(unit))) || !c) {
            msgpack_pack_map(&pk, 1);
            KEY(&pk, "error");
            const char *e = !c ? "database unavailable" : path ? "bad request" : "unknown unit";
            if (!path && !more) e = "unknown unit or bad request";
            enc_str(&pk, e, strlen(e));
        } else {
            snap_rows_t rows = {0};
            char qerr[256];
            msgpack_sbuffer_clear(&s->rows);
            msgpack_sbuffer_clear(&s->units);
            msgpack_packer_init(&rows.tallies.pk, &s->rows, msgpack_sbuffer_write);
            msgpack_packer_init(&rows.versions.pk, &s->units, msgpack_sbuffer_write);
            query_snapshot_t q = {.versions = snap_version, .tallies = snap_tally, .ctx = &rows};
            if (query_snapshot(c, unit, from, to, &q, qerr, sizeof qerr) < 0) {
                log_warn("stream", "snapshot of %s: %s", unit, qerr);
                msgpack_pack_map(&pk, 1);
                KEY(&pk, "error");
                enc_str(&pk, "query failed", 12);
            } else {
                msgpack_pack_map(&pk, 4);
                KEY(&pk, "epoch");
                msgpack_pack_uint64(&pk, q.epoch);
                KEY(&pk, "seq");
                msgpack_pack_uint64(&pk, q.seq);
                KEY(&pk, "useq");
                msgpack_pack_map(&pk, rows.versions.n);
                msgpack_sbuffer_write(&s->sb, s->units.data, s->units.size);
                KEY(&pk, "rows");
                msgpack_pack_array(&pk, rows.tallies.n);
                msgpack_sbuffer_write(&s->sb, s->rows.data, s->rows.size);
            }
        }
        reply(s, fr, nf);
        for (int i = 0; i < nf; i++)
            zmq_msg_close(&fr[i]);
    }
}

/* stream.c — see stream.h. */
#include "daemon/stream.h"

#include "daemon/log.h"
#include "db/query.h"
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

typedef struct {
    char unit[LEDGER_UNIT_CAP];
    uint64_t useq;
} ucount_t;

struct stream {
    void *pub, *snap; /* pub: an XPUB in manual mode (subscriptions pass through us) */
    int secure;       /* CURVE on: subscribers are authenticated and scoped */
    uint64_t epoch, seq;
    htab_t units;    /* unit code -> ucount_t */
    uint32_t *order; /* scratch: tally indexes sorted by unit */
    uint32_t cap_order;
    msgpack_sbuffer sb;
    msgpack_sbuffer rows; /* a snapshot's rows, packed before their count is known */
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
    s->units.size = sizeof(ucount_t);
    s->units.keycap = sizeof((ucount_t *)0)->unit;
    msgpack_sbuffer_init(&s->sb);
    msgpack_sbuffer_init(&s->rows);
    if (getrandom(&s->epoch, sizeof s->epoch, 0) != sizeof s->epoch)
        s->epoch = (uint64_t)time(NULL);
    s->epoch &= 0x7fffffffffffffffULL;
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
    htab_free(&s->units);
    free(s->order);
    msgpack_sbuffer_destroy(&s->sb);
    msgpack_sbuffer_destroy(&s->rows);
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
                zmq_setsockopt(s->pub, ZMQ_UNSUBSCRIBE, topic, strlen(topic));
        } else if (n >= 1 && p[0] == 1 && !zmq_msg_more(&m) &&
                   (scope = scope_of(s, reg, auth, &m)) &&
                   stream_scope_topic(scope, (const char *)p + 1, n - 1, topic, sizeof topic) >=
                       0) {
            zmq_setsockopt(s->pub, ZMQ_SUBSCRIBE, topic, strlen(topic));
        }
        zmq_msg_close(&m);
    }
}
uint64_t stream_seq(const stream_t *s)
{
    return s ? s->seq : 0;
}

#define KEY(pk, lit) enc_str(pk, lit, sizeof(lit) - 1)

static int by_unit(const void *a, const void *b, void *ctx)
{
    const tallymap_t *m = ctx;
    return strcmp(m->items[*(const uint32_t *)a].k.unit, m->items[*(const uint32_t *)b].k.unit);
}

void stream_publish(stream_t *s, const reg_t *reg, const tallymap_t *m)
{
    if (!s || !s->pub || !m->n) return;
    if (grow_array((void **)&s->order, &s->cap_order, m->n, sizeof *s->order) < 0) return;
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->n; i++)
        if (m->items[i].value) s->order[n++] = i;
    qsort_r(s->order, n, sizeof *s->order, by_unit, (void *)m);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &s->sb, msgpack_sbuffer_write);
    for (uint32_t a = 0; a < n;) {
        const char *unit = m->items[s->order[a]].k.unit;
        uint32_t b = a;
        while (b < n && !strcmp(m->items[s->order[b]].k.unit, unit))
            b++;
        ucount_t *uc = htab_get_or_add(&s->units, unit, strlen(unit));
        const char *path = reg_unit_path(reg, unit, strlen(unit));
        if (!uc || !path) {
            a = b;
            continue;
        }
        uc->useq++;
        s->seq++;
        msgpack_sbuffer_clear(&s->sb);
        msgpack_pack_map(&pk, 5);
        KEY(&pk, "epoch");
        msgpack_pack_uint64(&pk, s->epoch);
        KEY(&pk, "seq");
        msgpack_pack_uint64(&pk, s->seq);
        KEY(&pk, "useq");
        msgpack_pack_uint64(&pk, uc->useq);
        KEY(&pk, "unit");
        enc_str(&pk, unit, strlen(unit));
        KEY(&pk, "deltas");
        msgpack_pack_array(&pk, b - a);
        for (uint32_t k = a; k < b; k++) {
            const tally_t *t = &m->items[s->order[k]];
            const char *metric = ledger_metric_name(t->k.metric);
            const char *sev = ev_enum_name(&EV_SEVERITIES, t->k.severity);
            msgpack_pack_array(&pk, 5);
            msgpack_pack_int32(&pk, t->k.day);
            enc_str(&pk, metric, strlen(metric));
            enc_str(&pk, t->k.grp, strlen(t->k.grp));
            enc_str(&pk, sev, strlen(sev));
            msgpack_pack_int64(&pk, t->value);
        }
        char topic[40];
        int tl = snprintf(topic, sizeof topic, "%s.", path);
        /* A PUB never blocks: a slow subscriber loses messages, sees the gap in useq. */
        zmq_send(s->pub, topic, (size_t)tl, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(s->pub, s->sb.data, s->sb.size, ZMQ_DONTWAIT);
        a = b;
    }
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
            if (strncmp(want, scope, strlen(scope)) != 0 || wl < 0) {
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
            rows_t rows = {.n = 0};
            char qerr[256];
            msgpack_sbuffer_clear(&s->rows);
            msgpack_packer_init(&rows.pk, &s->rows, msgpack_sbuffer_write);
            if (query_tallies(c, unit, from, to, snapshot_row, &rows, qerr, sizeof qerr) < 0) {
                msgpack_pack_map(&pk, 1);
                KEY(&pk, "error");
                enc_str(&pk, "query failed", 12);
            } else {
                size_t pl = strlen(path);
                uint32_t nu = 0;
                for (uint32_t i = 0; i < s->units.n; i++) {
                    const ucount_t *u = htab_at(&s->units, i);
                    const char *up = reg_unit_path(reg, u->unit, strlen(u->unit));
                    if (up && !strncmp(up, path, pl) && (up[pl] == '\0' || up[pl] == '.')) nu++;
                }
                msgpack_pack_map(&pk, 4);
                KEY(&pk, "epoch");
                msgpack_pack_uint64(&pk, s->epoch);
                KEY(&pk, "seq");
                msgpack_pack_uint64(&pk, s->seq);
                KEY(&pk, "useq");
                msgpack_pack_map(&pk, nu);
                for (uint32_t i = 0; i < s->units.n; i++) {
                    const ucount_t *u = htab_at(&s->units, i);
                    const char *up = reg_unit_path(reg, u->unit, strlen(u->unit));
                    if (!(up && !strncmp(up, path, pl) && (up[pl] == '\0' || up[pl] == '.')))
                        continue;
                    enc_str(&pk, u->unit, strlen(u->unit));
                    msgpack_pack_uint64(&pk, u->useq);
                }
                KEY(&pk, "rows");
                msgpack_pack_array(&pk, rows.n);
                msgpack_sbuffer_write(&s->sb, s->rows.data, s->rows.size);
            }
        }
        reply(s, fr, nf);
        for (int i = 0; i < nf; i++)
            zmq_msg_close(&fr[i]);
    }
}

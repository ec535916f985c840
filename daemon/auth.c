/* auth.c — see auth.h. ZAP is RFC 27: a request of 6+ frames (version,
 * request id, domain, address, routing id, mechanism, credentials...), a
 * reply of 6 (version, request id, status code, status text, user id,
 * metadata). */
#include "daemon/auth.h"

#include "daemon/log.h"

#include "proto/hindex.h"
#include "proto/util.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <zmq.h>

#define ZAP_FRAMES 8

typedef struct {
    char user[REG_NAME_CAP]; /* "" when the slot is free */
    uint8_t dom;
    socklen_t plen;
    struct sockaddr_storage peer; /* who was on this descriptor when we saw it */
} conn_t;

struct auth {
    void *zap;
    conn_t *conn; /* indexed by descriptor */
    uint32_t cap;
    struct {
        uint64_t h;
        int64_t at_s;
    } recent[256]; /* refusals recorded lately, by key */
    double tokens; /* records the global bucket can still pay */
    double per_us; /* its refill rate */
    double burst;
    int64_t refilled_us;
    uint64_t unrecorded; /* since auth_take_unrecorded */
    auth_stats_t st;
    const char *closed; /* auth_close_all's reason, or NULL */
};

auth_t *auth_open(void *zctx, uint32_t records_per_min, char *err, size_t errlen)
{
    auth_t *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->burst = a->tokens = records_per_min;
    a->per_us = records_per_min / 60e6;
    a->refilled_us = mono_us();
    a->zap = zmq_socket(zctx, ZMQ_REP);
    int zero = 0;
    if (!a->zap || zmq_setsockopt(a->zap, ZMQ_LINGER, &zero, sizeof zero) < 0 ||
        zmq_bind(a->zap, "inproc://zeromq.zap.01") < 0) {
        snprintf(err, errlen, "ZAP handler: %s", zmq_strerror(zmq_errno()));
        auth_close(&a);
        return NULL;
    }
    return a;
}

void auth_close(auth_t **ap)
{
    auth_t *a = *ap;
    if (!a) return;
    if (a->zap) zmq_close(a->zap);
    free(a->conn);
    free(a);
    *ap = NULL;
}

void *auth_socket(auth_t *a)
{
    return a ? a->zap : NULL;
}
const auth_stats_t *auth_stats(const auth_t *a)
{
    return &a->st;
}

static int frame_is(zmq_msg_t *f, const char *s)
{
    size_t n = strlen(s);
    return zmq_msg_size(f) == n && !memcmp(zmq_msg_data(f), s, n);
}

static void copy_frame(zmq_msg_t *f, char *out, size_t cap)
{
    size_t n = zmq_msg_size(f) < cap - 1 ? zmq_msg_size(f) : cap - 1;
    memcpy(out, zmq_msg_data(f), n);
    out[n] = '\0';
}

static void reply(auth_t *a, zmq_msg_t *reqid, const char *code, const char *text, const char *user)
{
    zmq_send(a->zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(a->zap, zmq_msg_data(reqid), zmq_msg_size(reqid), ZMQ_SNDMORE);
    zmq_send(a->zap, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(a->zap, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(a->zap, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(a->zap, "", 0, 0);
}

/* 1 when this key's refusal was not recorded in the last minute. */
/* One token from the global bucket of records: 1, or 0 when it is empty. */
static int take_token(auth_t *a)
{
    const int64_t now = mono_us();
    a->tokens += (double)(now - a->refilled_us) * a->per_us;
    if (a->tokens > a->burst) a->tokens = a->burst;
    a->refilled_us = now;
    if (a->tokens < 1) return 0;
    a->tokens -= 1;
    return 1;
}

static int worth_recording(auth_t *a, const char *key)
{
    uint64_t h = hindex_hash(key, strlen(key));
    int64_t now = (int64_t)time(NULL);
    size_t i = h % (sizeof a->recent / sizeof a->recent[0]);
    if (a->recent[i].h == h && now - a->recent[i].at_s < 60) return 0;
    a->recent[i].h = h;
    a->recent[i].at_s = now;
    return 1;
}

int auth_serve(auth_t *a, const reg_t *reg, auth_refused_fn fn, void *ctx)
{
    int answered = 0;
    if (!a) return 0;
    for (;;) {
        zmq_msg_t f[ZAP_FRAMES];
        int n = 0, more = 1;
        while (more) {
            zmq_msg_t part;
            zmq_msg_init(&part);
            if (zmq_msg_recv(&part, a->zap, n ? 0 : ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&part);
                if (n == 0) return answered;
                break;
            }
            more = zmq_msg_more(&part);
            if (n < ZAP_FRAMES) {
                zmq_msg_init(&f[n]);
                zmq_msg_move(&f[n++], &part);
            }
            zmq_msg_close(&part);
        }
        if (n < 2) { /* not a request a REP can answer */
            for (int i = 0; i < n; i++)
                zmq_msg_close(&f[i]);
            continue;
        }
        auth_refusal_t r = {.why = NULL};
        const char *user = NULL;
        if (n < 7 || !frame_is(&f[0], "1.0")) {
            r.why = "malformed ZAP request";
        } else if (a->closed) { /* who may connect is not known: no one */
            copy_frame(&f[3], r.address, sizeof r.address);
            r.why = a->closed;
        } else {
            copy_frame(&f[3], r.address, sizeof r.address);
            if (frame_is(&f[2], AUTH_DOMAIN_INTAKE))
                r.dom = REG_NODES;
            else if (frame_is(&f[2], AUTH_DOMAIN_STREAM))
                r.dom = REG_SUBSCRIBERS;
            else
                r.why = "unknown ZAP domain";
            if (!r.why && (!frame_is(&f[5], "CURVE") || zmq_msg_size(&f[6]) != 32))
                r.why = "not a CURVE handshake";
            if (!r.why) {
                zmq_z85_encode(r.key, zmq_msg_data(&f[6]), 32);
                int rc = reg_key(reg, r.dom, r.key, &user);
                if (rc == -1)
                    r.why = r.dom == REG_NODES ? "key not registered to any node"
                                               : "key not registered to any subscriber";
                else if (rc == -2) {
                    r.why = "key revoked";
                    r.user = user;
                }
            }
        }
        if (r.why) {
            a->st.refused++;
            reply(a, &f[1], "400", r.why, "");
            r.record = r.key[0] ? worth_recording(a, r.key) : 1;
            if (r.record && !take_token(a)) {
                r.record = 0;
                a->st.unrecorded++;
                a->unrecorded++;
            }
            if (fn) fn(ctx, &r);
        } else {
            a->st.allowed++;
            reply(a, &f[1], "200", "OK", user);
        }
        answered++;
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
    }
}

void auth_seen(auth_t *a, int fd, reg_domain_t dom, const char *user)
{
    if (!a || fd < 0 || !user) return;
    if ((uint32_t)fd >= a->cap) {
        uint32_t cap = a->cap;
        if (grow_array((void **)&a->conn, &cap, (uint32_t)fd + 1, sizeof *a->conn) < 0) return;
        memset(a->conn + a->cap, 0, (size_t)(cap - a->cap) * sizeof *a->conn);
        a->cap = cap;
    }
    conn_t *c = &a->conn[fd];
    if (c->user[0] && c->dom == dom && !strcmp(c->user, user)) return;
    snprintf(c->user, sizeof c->user, "%s", user);
    c->dom = (uint8_t)dom;
    c->plen = sizeof c->peer;
    if (getpeername(fd, (struct sockaddr *)&c->peer, &c->plen) < 0) c->plen = 0;
}

void auth_cut_fd(auth_t *a, int fd)
{
    if (!a || fd < 0) return;
    if (shutdown(fd, SHUT_RDWR) == 0) a->st.cut++;
    if ((uint32_t)fd < a->cap) a->conn[fd].user[0] = '\0';
}

const char *auth_subscriber_scope(auth_t *a, const reg_t *reg, int secure, zmq_msg_t *m)
{
    if (!secure) return "";
    int fd = zmq_msg_get(m, ZMQ_SRCFD);
    const char *user = zmq_msg_gets(m, "User-Id");
    const char *scope = user ? reg_subscriber_scope(reg, user) : NULL;
    if (!scope) {
        log_warn("stream", "subscriber %s may no longer subscribe: connection cut",
                 user ? user : "(unauthenticated)");
        auth_cut_fd(a, fd);
        return NULL;
    }
    auth_seen(a, fd, REG_SUBSCRIBERS, user);
    return scope;
}

void auth_close_all(auth_t *a, const char *why)
{
    if (a) a->closed = why;
}

int auth_cut_revoked(auth_t *a, const reg_t *reg)
{
    int cut = 0;
    if (!a) return 0;
    for (uint32_t fd = 0; fd < a->cap; fd++) {
        conn_t *c = &a->conn[fd];
        if (!c->user[0] || (!a->closed && reg_user_ok(reg, (reg_domain_t)c->dom, c->user)))
            continue;
        struct sockaddr_storage now;
        socklen_t nl = sizeof now;
        /* Still the connection we saw? (the descriptor may have been reused) */
        if (c->plen && getpeername((int)fd, (struct sockaddr *)&now, &nl) == 0 && nl == c->plen &&
            !memcmp(&now, &c->peer, nl)) {
            auth_cut_fd(a, (int)fd);
            cut++;
        }
        c->user[0] = '\0';
    }
    return cut;
}

uint64_t auth_take_unrecorded(auth_t *a)
{
    if (!a) return 0;
    const uint64_t n = a->unrecorded;
    a->unrecorded = 0;
    return n;
}

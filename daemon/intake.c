/* intake.c — see intake.h. */
#include "daemon/intake.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int setopt(void *s, int opt, int v)
{
    return zmq_setsockopt(s, opt, &v, sizeof v);
}

/* Ask for enough descriptors for max_sockets connections (never lower it). */
static void raise_nofile(int want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return;
    rlim_t w = (rlim_t)want + 256;
    if (rl.rlim_cur >= w) return;
    rl.rlim_cur = w < rl.rlim_max ? w : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

static void *bind_socket(intake_t *in, int type, const char *ep, const cfg_t *cfg,
                         const key_pair_t *key, char *err, size_t errlen)
{
    void *s = zmq_socket(in->ctx, type);
    if (!s) {
        snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(zmq_errno()));
        return NULL;
    }
    int64_t maxmsg = 2 * 1024 * 1024;
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    setopt(s, ZMQ_RCVHWM, cfg->rcvhwm);
    setopt(s, ZMQ_SNDHWM, cfg->sndhwm);
    setopt(s, ZMQ_LINGER, 0);
    /* 10,000 stations reconnect at once after a restart: a short listen
     * queue drops their SYNs and they come back only after TCP's backoff. */
    setopt(s, ZMQ_BACKLOG, 4096);
    if (cfg->heartbeat_ivl_ms > 0) {
        setopt(s, ZMQ_HEARTBEAT_IVL, cfg->heartbeat_ivl_ms);
        setopt(s, ZMQ_HEARTBEAT_TIMEOUT, cfg->heartbeat_timeout_ms);
        setopt(s, ZMQ_HEARTBEAT_TTL, cfg->heartbeat_timeout_ms);
    }
    if (type == ZMQ_ROUTER) setopt(s, ZMQ_ROUTER_MANDATORY, 1);
    /* CURVE before bind: no peer ever reaches a socket in plaintext. (The
     * ZAP handler is bound before this socket: libzmq 4.3 lets CURVE peers in
     * unchecked when no handler exists, and ZMQ_ZAP_ENFORCE_DOMAIN is a
     * draft option Debian's build does not have.) */
    return key_bind_server(s, key, AUTH_DOMAIN_INTAKE, ep, err, errlen) < 0 ? NULL : s;
}

int intake_open(intake_t *in, const cfg_t *cfg, const key_pair_t *key, char *err, size_t errlen)
{
    memset(in, 0, sizeof *in);
    raise_nofile(cfg->max_sockets);
    in->ctx = zmq_ctx_new();
    if (!in->ctx) {
        snprintf(err, errlen, "zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    zmq_ctx_set(in->ctx, ZMQ_MAX_SOCKETS, cfg->max_sockets);
    /* The ZAP handler exists before any CURVE socket is bound. */
    if (key &&
        !(in->auth = auth_open(in->ctx, (uint32_t)cfg->refusal_records_per_min, err, errlen)))
        goto fail;
    if (!(in->router = bind_socket(in, ZMQ_ROUTER, cfg->listen, cfg, key, err, errlen))) goto fail;
    if (cfg->publish_listen[0] &&
        !(in->pull = bind_socket(in, ZMQ_PULL, cfg->publish_listen, cfg, key, err, errlen)))
        goto fail;
    return 0;
fail:
    intake_close(in, 0);
    return -1;
}

void intake_close(intake_t *in, int linger_ms)
{
    if (in->router) {
        setopt(in->router, ZMQ_LINGER, linger_ms);
        zmq_close(in->router);
    }
    if (in->pull) zmq_close(in->pull);
    auth_close(&in->auth);
    if (in->ctx) zmq_ctx_term(in->ctx);
    memset(in, 0, sizeof *in);
}

int intake_recv(void *sock, zmq_msg_t frames[INTAKE_MAX_FRAMES], int *toomany)
{
    int n = 0;
    *toomany = 0;
    for (;;) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, sock, n ? 0 : ZMQ_DONTWAIT) < 0) {
            int e = zmq_errno();
            zmq_msg_close(&part);
            if (n == 0 && e == EAGAIN) return 0;
            if (e == EINTR && n == 0) return 0;
            for (int i = 0; i < n; i++)
                zmq_msg_close(&frames[i]);
            return -1;
        }
        int more = zmq_msg_more(&part);
        if (n < INTAKE_MAX_FRAMES) {
            zmq_msg_init(&frames[n]);
            zmq_msg_move(&frames[n], &part);
            n++;
        } else {
            /* Keep the last frame as the payload slot so it can be answered. */
            *toomany = 1;
            zmq_msg_close(&frames[n - 1]);
            zmq_msg_init(&frames[n - 1]);
            zmq_msg_move(&frames[n - 1], &part);
        }
        zmq_msg_close(&part);
        if (!more) return n;
    }
}

int intake_reply(intake_t *in, const uint8_t *const *frames, const uint8_t *flen, int nframes,
                 const void *body, size_t len)
{
    for (int i = 0; i < nframes; i++) {
        if (zmq_send(in->router, frames[i], flen[i], ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
            /* Only the first frame can fail (ROUTER_MANDATORY): nothing was queued. */
            in->replies_dropped++;
            return -1;
        }
    }
    if (zmq_send(in->router, body, len, ZMQ_DONTWAIT) < 0) {
        in->replies_dropped++;
        return -1;
    }
    in->replies_sent++;
    return 0;
}

const char *intake_user(zmq_msg_t *payload, int *fd)
{
    *fd = zmq_msg_get(payload, ZMQ_SRCFD);
    return zmq_msg_gets(payload, "User-Id");
}

int intake_port(void *sock)
{
    char ep[256];
    size_t n = sizeof ep;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &n) < 0) return -1;
    const char *colon = strrchr(ep, ':');
    return colon ? atoi(colon + 1) : -1;
}

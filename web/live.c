/* live.c — see live.h. */
#include "web/live.h"

#include "proto/mp.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define RING 1024

struct live {
    void *ctx, *sub;
    pthread_t th;
    int stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    live_msg_t ring[RING];
    uint64_t last; /* the number of the newest message */
};

/* The "unit" of a stream message's body, or "". */
static void unit_of(const void *body, size_t len, char out[8])
{
    out[0] = '\0';
    mp_reader_t r;
    mp_obj_t o, k, v;
    mp_init(&r, body, len);
    if (mp_read(&r, &o) < 0 || o.type != MP_MAP) return;
    for (uint32_t i = 0; i < o.n; i++) {
        if (mp_read(&r, &k) < 0) return;
        if (k.type == MP_STR && k.n == 4 && !memcmp(k.p, "unit", 4)) {
            if (mp_read(&r, &v) < 0 || v.type != MP_STR) return;
            snprintf(out, 8, "%.*s", (int)(v.n < 7 ? v.n : 7), (const char *)v.p);
            return;
        }
        if (mp_skip(&r, 8) < 0) return;
    }
}

static void *follow(void *arg)
{
    live_t *l = arg;
    while (!l->stop) {
        zmq_pollitem_t it = {l->sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 200) <= 0) continue;
        zmq_msg_t t, b;
        zmq_msg_init(&t);
        zmq_msg_init(&b);
        if (zmq_msg_recv(&t, l->sub, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&t) &&
            zmq_msg_recv(&b, l->sub, 0) >= 0) {
            live_msg_t m = {0};
            snprintf(m.topic, sizeof m.topic, "%.*s", (int)zmq_msg_size(&t),
                     (const char *)zmq_msg_data(&t));
            unit_of(zmq_msg_data(&b), zmq_msg_size(&b), m.unit);
            pthread_mutex_lock(&l->mu);
            m.n = ++l->last;
            l->ring[m.n % RING] = m;
            pthread_cond_broadcast(&l->cv);
            pthread_mutex_unlock(&l->mu);
        }
        zmq_msg_close(&t);
        zmq_msg_close(&b);
    }
    return NULL;
}

live_t *live_start(const char *endpoints, const antt_sec_t *sec, char *err, size_t errlen)
{
    live_t *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->ctx = zmq_ctx_new();
    l->sub = l->ctx ? zmq_socket(l->ctx, ZMQ_SUB) : NULL;
    if (!l->sub || antt_sec_apply(l->sub, sec, err, errlen) < 0) goto fail;
    int zero = 0;
    zmq_setsockopt(l->sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(l->sub, ZMQ_SUBSCRIBE, "", 0); /* the daemon narrows it to our scope */
    char eps[1024], *save = NULL;
    snprintf(eps, sizeof eps, "%s", endpoints);
    for (char *ep = strtok_r(eps, ", ", &save); ep; ep = strtok_r(NULL, ", ", &save))
        if (zmq_connect(l->sub, ep) < 0) {
            snprintf(err, errlen, "stream %s: %s", ep, zmq_strerror(errno));
            goto fail;
        }
    if (pthread_create(&l->th, NULL, follow, l) != 0) {
        snprintf(err, errlen, "cannot start the stream's thread");
        goto fail;
    }
    return l;
fail:
    if (l->sub) zmq_close(l->sub);
    if (l->ctx) zmq_ctx_term(l->ctx);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l);
    return NULL;
}

void live_stop(live_t **lp)
{
    live_t *l = *lp;
    if (!l) return;
    l->stop = 1;
    pthread_join(l->th, NULL);
    zmq_close(l->sub);
    zmq_ctx_term(l->ctx);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l);
    *lp = NULL;
}

size_t live_wait(live_t *l, uint64_t after, int wait_ms, live_msg_t *out, size_t cap,
                 uint64_t *next)
{
    pthread_mutex_lock(&l->mu);
    if (l->last <= after) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += wait_ms / 1000;
        ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        while (l->last <= after && !l->stop)
            if (pthread_cond_timedwait(&l->cv, &l->mu, &ts) == ETIMEDOUT) break;
    }
    uint64_t from = after + 1;
    if (l->last >= RING && from <= l->last - RING) from = l->last - RING + 1; /* overrun */
    size_t n = 0;
    for (uint64_t i = from; i <= l->last && n < cap; i++)
        out[n++] = l->ring[i % RING];
    *next = n ? out[n - 1].n : after;
    pthread_mutex_unlock(&l->mu);
    return n;
}

uint64_t live_count(live_t *l)
{
    pthread_mutex_lock(&l->mu);
    uint64_t n = l->last;
    pthread_mutex_unlock(&l->mu);
    return n;
}

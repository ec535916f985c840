/* nodestatus.c — connections counted, nodes' presence written (see nodestatus.h). */
#include "daemon/nodestatus.h"

#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/presence.h"
#include "db/status.h"
#include "net/zmon.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct nodestatus {
    store_t *store;
    blanes_t *q;
    intake_t *in;
    void (*gauges)(void *ctx);
    void *ctx;
    zmon_t monitor;       /* connection events of the acked socket */
    int64_t connected;    /* connections open now */
    presence_t *presence; /* which nodes are connected (CURVE only) */
    char via[300];        /* this daemon in antt.node_status.connected_via */
    int reset;            /* its previous run's connections are forgotten */
    int64_t next_us;      /* after a failed write: not before */
};

nodestatus_t *nodestatus_new(store_t *store, blanes_t *q, intake_t *in, const char *listen,
                             void (*gauges)(void *ctx), void *ctx)
{
    nodestatus_t *s = calloc(1, sizeof *s);
    if (!s || !(s->presence = presence_new())) {
        free(s);
        return NULL;
    }
    s->store = store;
    s->q = q;
    s->in = in;
    s->gauges = gauges;
    s->ctx = ctx;
    /* who this daemon is to antt.node_status: its host and acked endpoint */
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    snprintf(s->via, sizeof s->via, "%.100s %.190s", host, listen);
    return s;
}

void nodestatus_free(nodestatus_t **s)
{
    if (!*s) return;
    presence_free(&(*s)->presence);
    free(*s);
    *s = NULL;
}

void nodestatus_watch(nodestatus_t *s, void *zctx, void *sock)
{
    zmon_start(&s->monitor, zctx, sock, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED, 1);
}

void nodestatus_unwatch(nodestatus_t *s)
{
    zmon_stop(&s->monitor);
}

void nodestatus_seen(nodestatus_t *s, int fd, const char *node)
{
    if (presence_seen(s->presence, fd, node) < 0)
        log_warn("presence", "out of memory: node %s not followed", node);
}

int64_t nodestatus_connected(const nodestatus_t *s)
{
    return s->connected;
}

int nodestatus_monitor_items(void *state, int64_t now, zmq_pollitem_t *it)
{
    (void)now;
    nodestatus_t *s = state;
    void *sock = zmon_socket(&s->monitor);
    if (!sock) return 0;
    it[0] = (zmq_pollitem_t){sock, -1, ZMQ_POLLIN, 0};
    return 1;
}

/* The monitor's pipe has no high-water mark and is drained whenever it
 * wakes the loop. */
int64_t nodestatus_monitor_run(void *state, int64_t now)
{
    (void)now;
    nodestatus_t *s = state;
    const int64_t before = s->connected;
    uint32_t fd;
    for (uint16_t ev; (ev = zmon_next_value(&s->monitor, 0, &fd, NULL, 0));) {
        if (ev == ZMQ_EVENT_ACCEPTED) {
            s->connected++;
        } else if (ev == ZMQ_EVENT_DISCONNECTED) {
            if (s->connected > 0) s->connected--;
            presence_closed(s->presence, (int)fd);
        }
    }
    if (s->connected != before) s->gauges(s->ctx);
    return LOOP_NEVER;
}

int64_t nodestatus_presence_when(void *state, int64_t now, int64_t due)
{
    (void)due;
    nodestatus_t *s = state;
    if (!s->in->auth || !store_connected(s->store)) return LOOP_NEVER;
    if (blanes_busy(s->q)) return LOOP_NEVER;
    if (s->reset && !presence_pending(s->presence)) return LOOP_NEVER;
    return now > s->next_us ? now : s->next_us;
}

static int write_presence(void *ctx, const char *const *nodes, const int *connected, int n)
{
    nodestatus_t *s = ctx;
    char err[256];
    if (status_connections(store_db(s->store), s->via, nodes, connected, n, err, sizeof err) < 0) {
        log_warn("presence", "not written (next time): %s", err);
        return -1;
    }
    return 0;
}

int64_t nodestatus_presence_run(void *state, int64_t now)
{
    nodestatus_t *s = state;
    char err[256];
    if (!s->reset) { /* the connections of this daemon's previous run are gone */
        if (status_forget(store_db(s->store), s->via, err, sizeof err) < 0) {
            log_warn("presence", "%s", err);
            s->next_us = now + 5000000;
            return s->next_us;
        }
        s->reset = 1;
    }
    if (presence_flush(s->presence, write_presence, s) < 0) s->next_us = now + 5000000;
    return s->next_us;
}

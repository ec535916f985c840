/* nodestatus.h — the acked socket's connections: counted for /metrics, and
 * with CURVE which nodes are connected, into antt.node_status (a station's
 * state, not its events: quiet vs silent).
 *
 * The socket's monitor says when a connection opens and closes; the intake
 * says which node each descriptor carries (nodestatus_seen); the changes are
 * written between batches, as this daemon (its host and acked endpoint), and
 * what its previous run left is forgotten first. Two rows of the loop:
 * "connections" (the monitor's socket) and "presence" (the writes). */
#ifndef ANTT_DAEMON_NODESTATUS_H
#define ANTT_DAEMON_NODESTATUS_H

#include "daemon/batch.h"
#include "daemon/intake.h"
#include "db/store.h"

#include <stdint.h>
#include <zmq.h>

typedef struct nodestatus nodestatus_t;

/* store, q and in are borrowed; listen: the acked endpoint, to name this
 * daemon. gauges(ctx) is called when the count of connections changed.
 * NULL: out of memory. */
nodestatus_t *nodestatus_new(store_t *store, blanes_t *q, intake_t *in, const char *listen,
                             void (*gauges)(void *ctx), void *ctx);
void nodestatus_free(nodestatus_t **s);

/* Start watching sock's connections (its monitor on zctx, unbounded: a
 * dropped DISCONNECTED would leave the count drifting up for ever). */
void nodestatus_watch(nodestatus_t *s, void *zctx, void *sock);
void nodestatus_unwatch(nodestatus_t *s);

/* A message from node on descriptor fd (CURVE only). */
void nodestatus_seen(nodestatus_t *s, int fd, const char *node);

/* Connections open now on the acked socket. */
int64_t nodestatus_connected(const nodestatus_t *s);

/* The loop's rows (state: the nodestatus_t). */
int nodestatus_monitor_items(void *s, int64_t now, zmq_pollitem_t *it);
int64_t nodestatus_monitor_run(void *s, int64_t now);
int64_t nodestatus_presence_when(void *s, int64_t now, int64_t due);
int64_t nodestatus_presence_run(void *s, int64_t now);

#endif

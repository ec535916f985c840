/* metrics.h — /metrics (Prometheus text format) and /healthz over HTTP
 * (libmicrohttpd, its own thread, loopback by default).
 *
 * The daemon's loop owns the figures and copies them here under a mutex once
 * per batch (metrics_update), and the two gauges that move between batches
 * as they change (metrics_update_gauges); the HTTP thread renders from that
 * copy.
 * Nothing on the hot path waits for HTTP. */
#ifndef ANTT_DAEMON_METRICS_H
#define ANTT_DAEMON_METRICS_H

#include "daemon/federator.h"
#include "daemon/folder.h"
#include "proto/ev.h"

#include <pthread.h>
#include <stdint.h>

#define METRICS_CODES     600
#define METRICS_PROVINCES 64

typedef struct {
    uint64_t events[EV_TYPE_COUNT][4]; /* by type and ack status */
    uint64_t rejects[METRICS_CODES];   /* by code, events and messages */
    uint64_t batch_hist[6];            /* events per batch: <=1,10,100,1000,10000,+Inf */
    uint64_t batch_sum, batches;
    uint64_t commit_hist[8]; /* store's buckets (ms) */
    double commit_sum_s;
    uint64_t queue_events;
    uint64_t queue_peak_events; /* the most queue_events has been since start */
    uint64_t queue_capacity;    /* queue_max_events */
    int intake_paused;          /* not reading: the queue is full or the database is down */
    int db_up, schema_ok;
    int64_t connected; /* connections on the acked socket */
    uint64_t replies_dropped;
    int insecure;          /* running without CURVE */
    int stream_publishing; /* this daemon folds and publishes the stream */
    int fold_leading;      /* this daemon folds the batches into the figures */
    uint64_t fold_windows, fold_rows, fold_errors;
    double fold_lag_s; /* the last window's oldest batch: how long it waited */
    uint64_t fold_lag_hist[FOLD_LAG_BUCKETS]; /* windows by that wait (folder.h's bounds) */
    double fold_lag_sum_s;
    int synchronous;    /* the database replicates synchronously: 1, 0, -1 unknown */
    int held_unsafe;    /* batches held: synchronous_acks = require and not synchronous */
    uint64_t failovers; /* reconnections that found another primary */
    int registry_stale; /* the registry failed to load: every station refused */
    uint64_t registry_failures;
    int days_off_last_year;   /* the last year antt.days_off lists; 0: none */
    uint64_t events_isolated; /* deferred alone: the database refused them, not their batch */
    /* the tally stream's budgets (daemon/snap.h, daemon/stream.h) */
    uint64_t snap_served, snap_failed, snap_bad, snap_scope, snap_busy, snap_peer, snap_dropped;
    uint64_t snap_inflight, snap_held_bytes;
    uint64_t subs_refused, subs_cut;
    uint64_t stream_windows, stream_dropped; /* windows published; not taken from the fold */
    uint64_t handshakes_allowed, handshakes_refused, connections_cut;
    uint64_t refusals_unrecorded; /* refused handshakes over refusal_records_per_min */
    int nprov;                    /* per province, refreshed every 30 s */
    char prov[METRICS_PROVINCES][8];
    double resolution_rate[METRICS_PROVINCES]; /* < 0: none */
    uint64_t overdue[METRICS_PROVINCES];
    uint64_t silent[METRICS_PROVINCES];      /* stations silent (node_silent_hours) */
    uint64_t losing[METRICS_PROVINCES];      /* stations with events never received */
    int64_t last_message[METRICS_PROVINCES]; /* from any station, Unix seconds; 0: never */
    federator_stats_t fed; /* a Ministry's provinces' feeds (n = 0 elsewhere; read when
                              rendered, metrics_watch_federator) */
} metrics_t;

typedef struct metrics_srv metrics_srv_t;

/* The HTTP side's bounds (settings http_max_connections, http_per_ip,
 * http_timeout_s: a request must arrive whole within it, from the
 * connection's start or the previous answer, however it trickles; at the
 * connection limit the oldest connection still arriving is cut for a
 * newcomer). What they refuse is counted in antt_http_connections_*_total. */
typedef struct {
    int max_connections, per_ip, timeout_s;
} metrics_limits_t;

/* Serve on "HOST:PORT" (IPv4). NULL with err when it cannot. */
metrics_srv_t *metrics_start(const char *listen, const metrics_limits_t *lim, char *err,
                             size_t errlen);
void metrics_stop(metrics_srv_t **m);

/* Replace the served figures. */
void metrics_update(metrics_srv_t *m, const metrics_t *now);
/* The federator whose stats each /metrics reads as it renders (the feeds
 * change between batches, and a Ministry may have none); NULL: none. Set
 * to NULL before freeing it. */
void metrics_watch_federator(metrics_srv_t *m, federator_t *f);

/* The two gauges that change between batches (every turn of the loop, under
 * load): set without copying the rest. */
void metrics_update_gauges(metrics_srv_t *m, uint64_t queue_events, int64_t connected);

/* Render the Prometheus text of m into buf (for tests too). Returns its length. */
size_t metrics_render(const metrics_t *m, char *buf, size_t cap);

#endif

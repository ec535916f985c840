/* daemon.h — anttd's loop: sockets in, batches, store, replies out.
 *
 * One thread, one zmq_poll loop:
 *   receive (non-blocking, while the queue has room)
 *     -> daemon_take: decode + validate (proto/), admit (reg), into the open batch
 *   when the oldest batch is full, old enough (batch_max_ms) or sealed:
 *     -> store_commit (one transaction) -> replies, only now
 *   database down: batches wait in the bounded queue; when it is full the
 *     loop stops reading, ZeroMQ's high-water marks push back on senders, and
 *     the store reconnects with back-off.
 * daemon_take is callable without sockets (tests, fuzzing). */
#ifndef ANTT_DAEMON_DAEMON_H
#define ANTT_DAEMON_DAEMON_H

#include "daemon/batch.h"
#include "daemon/config.h"
#include "daemon/intake.h"
#include "daemon/limit.h"
#include "daemon/metrics.h"
#include "daemon/reg.h"
#include "db/slot.h"
#include "db/pg.h"
#include "db/store.h"
#include "daemon/snap.h"
#include "daemon/stream.h"
#include "net/zmon.h"

#include "daemon/presence.h"

#include <msgpack.h>
#include <signal.h>

typedef struct {
    cfg_t cfg;
    const char *config_path; /* for SIGHUP; may be NULL */
    intake_t in;
    store_t *store;
    reg_t *reg;
    bqueue_t q;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    int db_up;          /* last state logged */
    int queue_full;     /* the queue had no room at the last look */
    int pause_reported; /* a "queue full" line is out, its "drained" line not yet */
    int64_t pause_logged_us;
    int64_t unrecorded_logged_us; /* last "N more refused handshakes" line */
    int64_t unrecorded_check_us;  /* next look at the count behind it */
    uint64_t pauses;              /* times intake paused for a full queue */
    int fatal;                    /* stopping because of an error that retrying cannot fix */
    int64_t next_connect_us, backoff_ms;
    int64_t reg_loaded_us;
    /* the registry could not be loaded since (0: it is current): events
     * are deferred and handshakes refused until it is (issue 24) */
    int64_t reg_stale_us, reg_stale_logged_us;
    uint64_t reg_failures;
    uint64_t msgs, refused_msgs, events_in;
    stream_t *stream; /* the tally stream; NULL when off */
    snap_t *snap;     /* its snapshots; NULL when off */
    slot_t *slot;     /* where it is read from (db/slot.h); NULL when not publishing */
    int64_t lead_next_us, lead_logged_us;
    char last_server[300];   /* the database server of the last connection (host:port) */
    int64_t down_since_us;   /* intake paused since (0: not paused) */
    int64_t unsafe_until_us; /* synchronous_acks = require and no synchronous replica: hold until */
    int64_t unsafe_logged_us;
    metrics_srv_t *http; /* NULL when http_listen is empty */
    metrics_t met;       /* the figures, copied to http after each batch */
    zmon_t monitor;      /* connection events of the acked socket */
    int64_t prov_refresh_us;
    db_t *figures_db; /* a connection of its own for /metrics' province figures */
    int figures_busy; /* their query is out; its rows come into `figures` */
    int64_t figures_sent_us;
    metrics_t figures;
    int64_t overdue_next_us; /* next record of today's overdue tip-offs */
    int64_t trim_next_us;    /* next look at the memory a burst left behind */
    int64_t ping_us;         /* next liveness check of an idle database connection */
    key_pair_t key;          /* the server's CURVE keypair (unless insecure) */
    limit_t *limit;          /* per-node event rate */
    uint64_t limited_msgs;   /* messages refused with 402 */
    int64_t limit_logged_us;
    presence_t *presence;     /* which nodes are connected (CURVE only) */
    char via[300];            /* this daemon in antt.node_status.connected_via */
    int presence_reset;       /* its previous run's connections are forgotten */
    int64_t presence_next_us; /* after a failed write: not before */
} daemon_t;

/* Set by the signal handlers; the loop acts on them. */
extern volatile sig_atomic_t daemon_stop, daemon_reload;

/* The ledger's settings from the configuration (the daemon and --verify). */
ledger_cfg_t daemon_ledger_cfg(const cfg_t *c);

/* Set up everything but the sockets' binding and the database connection. */
int daemon_init(daemon_t *d, const cfg_t *cfg, const char *config_path, char *err, size_t errlen);
void daemon_fini(daemon_t *d);

/* Take one received message (frames: envelope then payload, as received;
 * for PATH_ACKED frames[0] is the routing id). auth_node: the node whose key
 * opened the connection (its User-Id), or NULL without CURVE. Ownership of
 * the payload frame passes to the daemon; the caller closes the others. A
 * message refused whole is answered at once; the rest wait for their batch. */
void daemon_take(daemon_t *d, path_t path, zmq_msg_t *frames, int nframes, int toomany,
                 const char *auth_node);

/* The reply to message m of batch b (one ack per event, as its verdicts stand
 * now), encoded in the daemon's buffer: valid until the next call. The loop
 * sends it after COMMIT; the intake fuzzer decodes it. */
const msgpack_sbuffer *daemon_ack(daemon_t *d, const batch_t *b, const bmsg_t *m);

/* Bind and run until SIGTERM/SIGINT: 0 on a clean stop. */
int daemon_run(daemon_t *d);

#endif

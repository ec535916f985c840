/* daemon.h — anttd: sockets in, batches, store, replies out; the loop's table.
 *
 * The batch path, on the loop's thread but for the commit:
 *   receive (non-blocking, while the queue has room)
 *     -> daemon_take: decode + validate (proto/), the node's rate (limit),
 *        admit (regwatch, reg), into the open batch of the node's lane
 *   when a lane's oldest batch is full, old enough (batch_max_ms) or sealed,
 *   and the lane's committer is free:
 *     -> the committer's thread: store_commit (one transaction, its own
 *        connection) -> the loop: replies, only now
 *   database down: batches wait in the bounded queue; when it is full the
 *     loop stops reading, ZeroMQ's high-water marks push back on senders, and
 *     the link (dblink) reconnects with back-off.
 * Everything else is a service with state of its own, run by the loop
 * (daemon/loop.h) from the table of rows daemon.c builds at start; see
 * daemon/README.md. daemon_take is callable without sockets (tests, fuzzing). */
#ifndef ANTT_DAEMON_DAEMON_H
#define ANTT_DAEMON_DAEMON_H

#include "daemon/batch.h"
#include "daemon/committer.h"
#include "daemon/config.h"
#include "daemon/dblink.h"
#include "daemon/figures.h"
#include "daemon/housekeep.h"
#include "daemon/intake.h"
#include "daemon/limit.h"
#include "daemon/loop.h"
#include "daemon/metrics.h"
#include "daemon/nodestatus.h"
#include "daemon/publisher.h"
#include "daemon/reg.h"
#include "daemon/regwatch.h"
#include "daemon/federator.h"
#include "daemon/folder.h"
#include "daemon/snap.h"
#include "daemon/stream.h"
#include "db/store.h"

#include <msgpack.h>
#include <signal.h>

typedef struct {
    cfg_t cfg;
    const char *config_path; /* for SIGHUP; may be NULL */
    /* the batch path: take -> batch -> commit -> replies */
    intake_t in;
    reg_t *reg;
    store_t *store; /* the loop's own connection: the registry, reads, LISTEN (no batches) */
    blanes_t q;     /* one lane of batches per committer; a node's always in one */
    committer_t *committers[BLANES_MAX]; /* lane i's batches commit on committers[i] */
    int wake_fd;                         /* an eventfd: a committer is done */
    uint64_t db_epoch;                   /* times the database was lost (committers reconnect) */
    int db_was_up;
    int synchronous;    /* store_synchronous after the last commit; -1: the loop's store says */
    uint32_t last_lane; /* the last message's */
    int64_t lane_retry_us[BLANES_MAX]; /* a lane whose committer could not commit: not before */
    int64_t lane_backoff_ms[BLANES_MAX];
    /* when each lane's batch out was handed over: an answer about the
     * database's state (synchronous or not) counts only if it is newer than
     * the one that set the state */
    int64_t lane_given_us[BLANES_MAX];
    int64_t state_given_us; /* the hand-over of the answer the state came from */
    limit_t *limit;         /* per-node event rate */
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    uint64_t msgs, refused_msgs, events_in;
    uint64_t limited_msgs;   /* messages refused with 402 */
    int64_t limit_logged_us; /* the last "over its rate" line */
    int queue_full;          /* the queue had no room at the last look */
    int pause_reported;      /* a "queue full" line is out, its "drained" line not yet */
    int64_t pause_logged_us;
    uint64_t pauses;         /* times intake paused for a full queue */
    int64_t unsafe_until_us; /* synchronous_acks = require and no synchronous replica: hold until */
    int64_t unsafe_logged_us;
    key_pair_t key;      /* the server's CURVE keypair (unless insecure) */
    metrics_srv_t *http; /* NULL when http_listen is empty */
    metrics_t met;       /* the figures, copied to http after each batch */
    /* the loop and the services it runs (each with its own state) */
    loop_t loop;
    dblink_t *link;         /* the database connection kept up */
    regwatch_t *regwatch;   /* the registry kept current, failing closed */
    nodestatus_t *nodes;    /* connections counted, nodes' presence written */
    housekeep_t *housekeep; /* the clock's chores */
    figures_t *figures;     /* /metrics' province figures; NULL without http */
    publisher_t *publisher; /* the log read and published; NULL when not publishing */
    stream_t *stream;       /* the tally stream; NULL when off */
    snap_t *snap;           /* its snapshots; NULL when off */
    folder_t *folder;       /* the fold (daemon/folder.h): the figures from the batches */
    federator_t *federator; /* a Ministry's provinces' feeds (daemon/federator.h) */
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

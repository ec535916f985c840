/* stream.h — the tally stream: after each commit, what changed, on a PUB
 * socket, and snapshots to start from without a gap.
 *
 * One message per unit per committed batch:
 *   frame 1  topic: the unit's path from the root and a dot ("20.180.06040."),
 *            so a ZeroMQ prefix subscription to "20." selects Lạng Sơn's
 *            subtree and "20.180." one district's
 *   frame 2  msgpack map {"epoch": u64, "seq": u64, "useq": u64, "unit": str,
 *            "deltas": [[day, metric, group, severity, delta], ...]}
 *            day: days since 1970-01-01 (Hanoi); the others as in antt.tallies
 * epoch is drawn at start (a restarted daemon starts a new stream); seq counts
 * every message this daemon published; useq counts the messages of one unit,
 * so a subscriber of any subtree sees each unit's useq rise by exactly one:
 * a jump is a gap (resnapshot).
 *
 * Snapshot (a ROUTER socket; REQ or DEALER ask):
 *   request  {"unit": "20", "from": day, "to": day}   (days, [from, to))
 *   reply    {"epoch", "seq", "useq": {unit: useq, ...}, "rows": [[unit, day,
 *            metric, group, severity, value], ...]}  or {"error": str}
 * taken between commits, so it is exactly the state after the useq values it
 * gives: apply the stream's messages whose useq is higher. One daemon's
 * stream describes that daemon's commits only. */
#ifndef ANTT_DAEMON_STREAM_H
#define ANTT_DAEMON_STREAM_H

#include "daemon/reg.h"
#include "daemon/tallymap.h"

#include <libpq-fe.h>
#include <stdint.h>

typedef struct stream stream_t;

/* Bind the PUB and snapshot sockets (either may be empty: off). */
stream_t *stream_open(void *zctx, const char *pub_ep, const char *snap_ep, char *err, size_t errlen);
void stream_close(stream_t **s);

/* Publish a committed batch's deltas. */
void stream_publish(stream_t *s, const reg_t *reg, const tallymap_t *deltas);

/* The snapshot socket, for the caller's zmq_poll; NULL when off. */
void *stream_snapshot_socket(stream_t *s);

/* Answer the waiting snapshot requests from the database (between commits). */
void stream_answer(stream_t *s, const reg_t *reg, PGconn *c);

uint64_t stream_seq(const stream_t *s);

#endif

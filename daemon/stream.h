/* stream.h — the tally stream: every committed transaction's deltas, in the
 * database's commit order, on a PUB socket, and snapshots to start from
 * without a gap.
 *
 * The deltas come from the fold (daemon/folder.h, db/fold.h): the one daemon
 * that folds the log into the figures publishes each window it committed —
 * one stream whichever daemon acked the events. One message per unit per
 * window (an XPUB socket, read as a PUB):
 *   frame 1  topic: the unit's path from the root and a dot ("20.180.06040."),
 *            so a ZeroMQ prefix subscription to "20." selects Lạng Sơn's
 *            subtree and "20.180." one district's
 *   frame 2  msgpack map {"epoch": u64, "seq": u64, "useq": u64, "unit": str,
 *            "deltas": [[day, metric, group, severity, delta], ...]}
 *            day: days since 1970-01-01 (Hanoi); the others as in antt.tallies
 * epoch is the stream's (antt.stream_state, kept across takeovers and
 * failovers); seq the window's number; useq the unit's version
 * (antt.unit_versions), raised by one in each window that changes the unit:
 * a jump is a gap (resnapshot), a repeat after a takeover is skipped.
 *
 * With CURVE, every subscriber's key is registered (antt subscriber add) with
 * a unit scope, and the daemon applies subscriptions itself (XPUB manual):
 * a district's subscription to "" or to another province's "21." gives it
 * its own subtree, or nothing.
 *
 * Snapshots to start from are daemon/snap.h's. proto/PROTOCOL.md section
 * 16 is the specification, with annotated messages the tests check. */
#ifndef ANTT_DAEMON_STREAM_H
#define ANTT_DAEMON_STREAM_H

#include "daemon/auth.h"
#include "daemon/reg.h"
#include "db/pg.h"
#include "db/tallymap.h"

#include <stdint.h>

typedef struct stream stream_t;

/* Bind the publishing socket (pub_ep empty: off): a CURVE server in ZAP
 * domain "antt-stream" with key, plaintext when NULL; sub_queue: the
 * subscriptions one connection may have waiting (setting subscriber_queue). */
stream_t *stream_open(void *zctx, const char *pub_ep, const key_pair_t *key, int sub_queue,
                      char *err, size_t errlen);
void stream_close(stream_t **s);

/* Publish a committed window's deltas (db/tallylog.h's layout): one message
 * per unit, its useq the unit's version, seq the window's number. The
 * number of messages, or -1 when the content is not laid out as tallylog.h
 * says. */
int stream_publish_log(stream_t *s, const reg_t *reg, uint64_t epoch, uint64_t seq,
                       const uint8_t *content, size_t len);

/* The publishing socket (an XPUB), for the caller's zmq_poll; NULL when off. */
void *stream_publish_socket(stream_t *s);

/* Apply the waiting subscriptions, each narrowed to its subscriber's scope
 * (server-side: a ZeroMQ prefix alone is not access control). A subscriber
 * that is no longer registered has its connection cut. */
void stream_subscriptions(stream_t *s, const reg_t *reg, auth_t *auth);

/* What a subscription frame (p, n bytes: 1 or 0, then the topic) of a
 * subscriber with scope asks: STREAM_SUB_ON or _OFF with the topic to
 * apply in out (narrowed to the scope; "" or one unit's topic, at most
 * cap - 1 bytes), STREAM_SUB_REFUSED (a unit outside the scope),
 * STREAM_SUB_JUNK (no unit's topic), STREAM_SUB_NOT_OURS (not a
 * subscription). Pure but for reg. */
enum {
    STREAM_SUB_JUNK = -3,     /* no unit's topic: the connection is cut */
    STREAM_SUB_NOT_OURS = -2, /* not a subscription */
    STREAM_SUB_REFUSED = -1,  /* a unit outside the scope */
    STREAM_SUB_OFF = 0,
    STREAM_SUB_ON = 1
};
/* The longest message a subscriber may send. A subscription is 1 byte and
 * a unit's topic (at most 24 bytes), but the limit (ZMQ_MAXMSGSIZE) also
 * holds for the handshake's commands, and CURVE's INITIATE carries ~300
 * bytes and the peer's metadata: 1 KB lets every handshake through and
 * no long topic (a flood of 1 KB topics) in. */
#define STREAM_SUB_MAX 1024
/* A stream connection's kernel receive buffer (ZMQ_RCVBUF; Linux doubles
 * it): what a subscriber has sent when it is cut still reaches libzmq. */
#define STREAM_RCVBUF 4096
int stream_sub_decide(const reg_t *reg, const char *scope, const uint8_t *p, size_t n, char *out,
                      size_t cap);

/* Subscriptions refused, and connections cut for one to no unit's topic,
 * since the start (for /metrics). */
uint64_t stream_subs_refused(const stream_t *s);
uint64_t stream_subs_cut(const stream_t *s);

/* The topic a subscription to want (wn bytes) becomes under scope ("20.180."
 * or "" for all): want when inside the scope, the scope when want is
 * broader, -1 (nothing) when they are apart. Returns the length written. */
int stream_scope_topic(const char *scope, const char *want, size_t wn, char *out, size_t cap);

#endif

/* snap.h — tally snapshots (PROTOCOL.md section 16.3), answered off the
 * intake loop.
 *
 * A province's snapshot is ~274,000 rows, 11 MB, ~1.5 s of query and
 * encoding: on the loop it stalled every station's acks. The
 * loop only reads a request, checks its envelope and the requester's scope
 * (the registry is the loop's), and queues it; a thread of this module, on
 * a database connection of its own, reads the snapshot and encodes it; the
 * loop hands the answer to the requester (the bytes move, never copied).
 *
 * Budgets, each with a setting and a counter of what it refused:
 *   - queue: snapshots waiting or being read, over all requesters; past it a
 *     request is answered {"error": "busy ..."} at once;
 *   - per_peer: snapshots of one requester not yet answered (under CURVE a
 *     requester is its subscriber's name, however many connections it
 *     opens; otherwise a connection);
 *   - peer_hwm: answers queued to one requester that does not read them
 *     (the socket's high-water mark); an answer past it is dropped, not
 *     kept (a requester that never reads cannot grow the daemon);
 *   - bytes_max: the answers ZeroMQ holds for all requesters together
 *     (many connections that never read); past it a request is "busy".
 *
 * The envelope is read whole and exactly: ROUTER's routing id, then either
 * the request (DEALER) or an empty delimiter and the request (REQ); any
 * other shape is answered {"error"} to its true sender only. */
#ifndef ANTT_DAEMON_SNAP_H
#define ANTT_DAEMON_SNAP_H

#include "daemon/auth.h"
#include "daemon/reg.h"
#include "net/key.h"

#include <stddef.h>
#include <stdint.h>

typedef struct snap snap_t;

typedef struct {
    int queue, per_peer, peer_hwm;
    uint64_t bytes_max; /* answers ZeroMQ may hold over all requesters */
} snap_limits_t;

typedef struct {
    uint64_t served;     /* answered with a snapshot */
    uint64_t failed;     /* answered {"error"} by the reader: database down, query failed */
    uint64_t bad;        /* refused: malformed request or envelope, unknown unit */
    uint64_t scope;      /* refused: outside the subscriber's scope */
    uint64_t busy;       /* refused: the queue full, or the answers held over bytes_max */
    uint64_t busy_late;  /* the same, found by the reader (in busy for /metrics) */
    uint64_t peer;       /* refused: the requester had per_peer waiting */
    uint64_t dropped;    /* answers not queued: the requester does not read (peer_hwm) */
    uint64_t inflight;   /* now: queued or being read */
    uint64_t held_bytes; /* now: answers ZeroMQ holds, not yet written to their requesters */
} snap_stats_t;

/* Bind the snapshot ROUTER at ep (a CURVE server in domain antt-stream with
 * key; plaintext when NULL) and start the reader thread on conninfo. NULL
 * with err. */
snap_t *snap_open(void *zctx, const char *ep, const key_pair_t *key, const char *conninfo,
                  const snap_limits_t *lim, char *err, size_t errlen);
/* Stop the reader (waits for a snapshot being read) and close. */
void snap_close(snap_t **s);

/* The requests' socket and the finished answers' socket, for zmq_poll. */
void *snap_request_socket(snap_t *s);
void *snap_answer_socket(snap_t *s);

/* Read the waiting requests: refuse (at once) or queue each. */
void snap_take(snap_t *s, const reg_t *reg, auth_t *auth);

/* Hand the finished answers to their requesters. */
void snap_give(snap_t *s);

const snap_stats_t *snap_stats(const snap_t *s);

/* Parse a request {"unit": str, "from": int, "to": int} (len bytes): 0 with
 * the unit (at most 15 bytes) and the days; -1 when it is not one. Exactly
 * one msgpack map; keys other than these ignored; from/to default to the
 * whole range and are clamped to days 0 (1970) … 1,000,000. Pure (db/fuzz: fuzz_snapreq). */
int snap_parse_request(const void *buf, size_t len, char unit[16], int64_t *from, int64_t *to);

#endif

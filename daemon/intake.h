/* intake.h — the daemon's ZeroMQ sockets: ROUTER for acked submissions,
 * PULL for publish-only nodes (PROTOCOL.md section 1).
 *
 * Options, and why:
 *   ZMQ_ROUTER_MANDATORY  a reply to a peer that is gone or whose pipe is full
 *                         fails loudly (EHOSTUNREACH/EAGAIN) instead of being
 *                         dropped silently; we count it, and the node resends
 *                         what it did not see acked (ids make that safe).
 *   ZMQ_MAXMSGSIZE        2 MiB: libzmq drops a peer sending more, before any
 *                         allocation of that size reaches us.
 *   ZMQ_RCVHWM/SNDHWM     bounded per-peer queues: when the daemon stops
 *                         reading (database down, queue full) the pipes fill
 *                         and senders block or queue on their side.
 *   ZMQ_HEARTBEAT_*       dead mountain links are noticed and their pipes freed.
 *   ZMQ_MAX_SOCKETS       and RLIMIT_NOFILE raised: 10,000 connected nodes.
 * Replies are sent with ZMQ_DONTWAIT: a slow node never blocks the others. */
#ifndef ANTT_DAEMON_INTAKE_H
#define ANTT_DAEMON_INTAKE_H

#include "daemon/auth.h"
#include "daemon/config.h"
#include "net/key.h"

#include <stdint.h>
#include <zmq.h>

#define INTAKE_MAX_FRAMES 6 /* routing id + 4 envelope frames + payload */

typedef struct {
    void *ctx;
    void *router; /* acked submissions */
    void *pull;   /* publish-only; NULL when off */
    auth_t *auth; /* the ZAP handler; NULL without CURVE */
    uint64_t replies_sent, replies_dropped;
} intake_t;

/* Create the context and bind the sockets: CURVE servers with key (the ZAP
 * handler, in->auth, bound first), plaintext when key is NULL. 0, or -1 with err. */
int intake_open(intake_t *in, const cfg_t *cfg, const key_pair_t *key, char *err, size_t errlen);
void intake_close(intake_t *in, int linger_ms);

/* Receive one multipart message from sock without blocking. Frames beyond
 * INTAKE_MAX_FRAMES are read and dropped (*toomany set). Returns the number
 * of frames (the payload last), 0 when nothing is waiting, -1 on error.
 * The caller closes the frames it got. */
int intake_recv(void *sock, zmq_msg_t frames[INTAKE_MAX_FRAMES], int *toomany);

/* Send a reply: nframes envelope frames (routing id first), then body.
 * 0, or -1 when it could not be queued (peer gone, its pipe full). */
int intake_reply(intake_t *in, const uint8_t *const *frames, const uint8_t *flen, int nframes,
                 const void *body, size_t len);

/* The authenticated sender of a received message (its User-Id, which the ZAP
 * handler gave: a node id), or NULL without CURVE; *fd: the descriptor it
 * came from (ZMQ_SRCFD), for cutting the connection. */
const char *intake_user(zmq_msg_t *payload, int *fd);

/* The TCP port a socket ended up bound to (when bound to port 0), or -1. */
int intake_port(void *sock);

#endif

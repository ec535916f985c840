/* auth.h — who is on the other end of a connection (PROTOCOL.md section 15).
 *
 * With CURVE on, every socket anttd binds is a CURVE server in a ZAP domain
 * ("antt-intake" for nodes, "antt-stream" for tally subscribers), and this
 * module is the ZAP handler libzmq asks during each handshake: it answers
 * from the registry in memory (no database round trip per connection), gives
 * the owner's name as the connection's User-Id, and refuses keys that no one
 * registered or that were revoked. libzmq then stamps every message of the
 * connection with that User-Id, which is what the daemon trusts — never the
 * node an event names.
 *
 * Revocation: a key revoked later is refused at its next handshake, and the
 * connections it already has are cut (shutdown(2) of their descriptors; libzmq
 * notices and closes them). To find them, the daemon tells auth_seen() the
 * descriptor (ZMQ_SRCFD) and User-Id of the messages it reads; a connection
 * is remembered with its peer address, so a descriptor reused by another
 * connection since is left alone. */
#ifndef ANTT_DAEMON_AUTH_H
#define ANTT_DAEMON_AUTH_H

#include "daemon/reg.h"
#include "net/key.h"

#include <stdint.h>
#include <zmq.h>

#define AUTH_DOMAIN_INTAKE "antt-intake"
#define AUTH_DOMAIN_STREAM "antt-stream"

typedef struct auth auth_t;

/* A handshake refused, for the caller to count and record. */
typedef struct {
    reg_domain_t dom;
    char key[KEY_Z85_LEN + 1]; /* the client's public key, Z85 ("" when not CURVE) */
    char address[64];          /* the peer's IP address, as libzmq gives it */
    const char *user;          /* the key's owner when it was revoked, else NULL */
    const char *why;
    int record; /* 1: record it (row and log line); 0: count it only */
} auth_refusal_t;

typedef void (*auth_refused_fn)(void *ctx, const auth_refusal_t *r);

/* Bind the ZAP handler in zctx: call before binding the CURVE sockets.
 * A refusal is recorded (record = 1) at most once a minute per key and, over
 * all keys, at most records_per_min a minute (a token bucket holding as
 * many): a flood of fresh keys from anyone who can reach the port must not
 * fill antt.rejects and the log. The others are counted (auth_stats).
 * NULL with err on failure. */
auth_t *auth_open(void *zctx, uint32_t records_per_min, char *err, size_t errlen);
void auth_close(auth_t **a);

/* The handler's socket, for zmq_poll. */
void *auth_socket(auth_t *a);

/* Answer every waiting handshake from reg; refusals go to fn. Returns how
 * many were answered. */
int auth_serve(auth_t *a, const reg_t *reg, auth_refused_fn fn, void *ctx);

/* A message arrived on descriptor fd from user (its User-Id) in dom. */
void auth_seen(auth_t *a, int fd, reg_domain_t dom, const char *user);

/* Cut the connection on fd now (its owner may no longer connect). */
void auth_cut_fd(auth_t *a, int fd);

/* The scope of the subscriber whose message m is ("" for every unit when
 * not secure), remembering its connection; NULL when it may not subscribe
 * (no longer registered): its connection is cut. */
const char *auth_subscriber_scope(auth_t *a, const reg_t *reg, int secure, zmq_msg_t *m);

/* Fail closed (why != NULL: the reason every handshake is refused with, a
 * static string) or open again (NULL). The daemon closes while it cannot
 * load its registry: a revocation it cannot confirm must not leave the key
 * working. */
void auth_close_all(auth_t *a, const char *why);

/* Cut every remembered connection whose owner reg no longer lets in (every
 * one while closed). Returns how many were cut. */
int auth_cut_revoked(auth_t *a, const reg_t *reg);

/* Counters, for /metrics and logs. */
typedef struct {
    uint64_t allowed, refused, cut;
    uint64_t unrecorded; /* refusals over the global bound, not recorded */
} auth_stats_t;
const auth_stats_t *auth_stats(const auth_t *a);

/* Refusals left unrecorded by the global bound since the last call (for a
 * summary line); resets the count. */
uint64_t auth_take_unrecorded(auth_t *a);

#endif

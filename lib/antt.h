/* antt.h — libantt: what a station's software links to send reports to anttd
 * (its reference: the man page libantt(3)).
 *
 *   antt_opts_t o = antt_defaults();
 *   o.endpoints = "tcp://province.example:7720";   (several: comma-separated)
 *   o.node = "ls-180-06040";  o.spool_path = "/var/lib/station/antt.spool";
 *   antt_t *a; char err[256];
 *   if (antt_open(&a, &o, err, sizeof err)) ... err says why
 *   ev_t ev = {...}; (proto/ev.h: type, unit, case/ref and the body fields)
 *   if (antt_submit(a, &ev, err, sizeof err)) ... refused before sending: err says why
 *   while (antt_pending(a)) antt_poll(a, 1000, on_result, ctx);
 *
 * Store and forward: antt_submit gives the event its id (UUIDv7), node and
 * seq, checks it with the same validator as the daemon, and writes it to the
 * spool (lib/spool.h) before returning; only then is it sent. It stays in
 * the spool until the daemon answers accepted, duplicate or rejected; an
 * event without such an answer is sent again, with the same id and bytes,
 * after resend_ms, after a reconnection, and after the program restarts
 * (antt_open reloads the spool). Rejected events leave the spool and are
 * reported to on_result with their code and message.
 *
 * One antt_t is used from one thread. Functions return 0 or a negative
 * ANTT_C_* (or -ANTT_E_* for an event the protocol refuses) with err filled.
 */
#ifndef ANTT_LIB_ANTT_H
#define ANTT_LIB_ANTT_H

#include "proto/err.h"
#include "proto/ev.h"

#include <stddef.h>
#include <stdint.h>

typedef struct antt antt_t;

enum {
    ANTT_C_SPOOL_FULL = -1001, /* the spool file would pass spool_max_bytes on disk */
    ANTT_C_SPOOL_IO = -1002,   /* the spool file could not be written */
    ANTT_C_NOMEM = -1003,
    ANTT_C_ZMQ = -1004, /* a ZeroMQ call failed (bad endpoint ...) */
    ANTT_C_ARG = -1005, /* a missing or invalid option */
};

typedef enum { ANTT_FSYNC_EACH = 0, ANTT_FSYNC_BATCH, ANTT_FSYNC_NONE } antt_fsync_t;

/* CURVE (PROTOCOL.md section 15): the daemon's public key, pinned (Z85 text
 * or a .pub file), and this station's keypair file (antt keygen, mode 0600;
 * its public key enrolled with antt node add). Both are required unless
 * insecure is 1 (a development daemon run --insecure). */
typedef struct {
    const char *server_key;
    const char *key_file;
    int insecure;
} antt_sec_t;

/* Make a ZeroMQ socket a CURVE client per s (nothing when insecure), before
 * it connects. The CLI's other sockets (load, watch) use it too. 0, or
 * ANTT_C_ARG with err. */
int antt_sec_apply(void *zsock, const antt_sec_t *s, char *err, size_t errlen);

typedef struct {
    const char *endpoints; /* "tcp://host:7720[,tcp://host2:7720]" */
    const char *node;      /* this station's node id */
    const char *spool_path;
    uint64_t spool_max_bytes; /* the spool file's size on disk, at most; default 64 MiB */
    antt_fsync_t fsync;       /* default ANTT_FSYNC_EACH: see lib/spool.h */
    int resend_ms;            /* unanswered events go again after this; default 30000 */
    int max_per_msg;          /* events per message, default 100 (1..1000) */
    int window;               /* messages in flight, default 8 */
    antt_sec_t sec;           /* CURVE keys, or insecure */
} antt_opts_t;

antt_opts_t antt_defaults(void);

int antt_open(antt_t **out, const antt_opts_t *o, char *err, size_t errlen);
void antt_close(antt_t **a);

/* Spool and queue one event. Fills ev->id, ev->node, ev->seq and ev->version
 * (and ev->time_us when 0). */
int antt_submit(antt_t *a, ev_t *ev, char *err, size_t errlen);

/* Spool and queue n events (a batch): like antt_submit for each, with one
 * fsync for all of them under ANTT_FSYNC_EACH. Stops at the first event
 * refused; *done gets how many were spooled (those stay spooled). */
int antt_submit_many(antt_t *a, ev_t *evs, size_t n, size_t *done, char *err, size_t errlen);

/* An event answered for good. Strings are borrowed for the call only. */
typedef struct {
    uint8_t id[16];
    ack_status_t status; /* ACCEPTED, DUPLICATE or REJECTED */
    int code;
    const char *field;
    const char *msg;
} antt_result_t;

typedef void (*antt_result_fn)(void *ctx, const antt_result_t *r);

/* Send what is due, read replies, report events answered for good. Waits up
 * to timeout_ms for a reply. Returns how many events were answered, or < 0. */
int antt_poll(antt_t *a, int timeout_ms, antt_result_fn fn, void *ctx);

/* Send everything pending now, without waiting for resend_ms. */
void antt_flush(antt_t *a);

/* Why the connection is not up, when the last attempt failed its handshake
 * ("the daemon refused this station's key" ...), else NULL. */
const char *antt_conn_error(const antt_t *a);

/* When answers could not be recorded in the spool (a full disk): what
 * happened, else NULL. Those events were reported to on_result and are not
 * sent again by this antt_t; after a restart they go again and are answered
 * duplicate. */
const char *antt_spool_error(const antt_t *a);

size_t antt_pending(const antt_t *a);
int64_t antt_oldest_ms(const antt_t *a); /* when the oldest pending was submitted; 0 if none */

#endif

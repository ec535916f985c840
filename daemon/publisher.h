/* publisher.h — the tally stream's source in this daemon: the database's
 * log is read by one daemon at a time (db/slot.h), and the one that reads
 * it publishes what it reads (daemon/stream.h).
 *
 * Two rows of the loop: "stream reader" (while not reading, try to become
 * the reader every second, also after an error: a takeover waits for it) and
 * "stream log" (the replication connection's socket: what arrived, into the
 * stream). */
#ifndef ANTT_DAEMON_PUBLISHER_H
#define ANTT_DAEMON_PUBLISHER_H

#include "daemon/reg.h"
#include "daemon/stream.h"
#include "db/store.h"

#include <stdint.h>
#include <zmq.h>

typedef struct publisher publisher_t;

/* A reader of the log at conninfo, publishing into stream with reg's
 * scopes; store is asked whether the database is there. stream, reg and
 * store are borrowed. changed(ctx): the state /metrics shows changed (reading
 * or not). NULL: out of memory. */
publisher_t *publisher_new(const char *conninfo, stream_t *stream, const reg_t *reg, store_t *store,
                           void (*changed)(void *ctx), void *ctx);
/* Stops reading (another daemon may take over). */
void publisher_free(publisher_t **p);

/* 1 while this daemon reads the log and publishes (p may be NULL). */
int publisher_leading(const publisher_t *p);

/* Bytes of log the slot holds for this reader; -1 when not reading. */
int64_t publisher_lag(publisher_t *p);

/* The loop's rows (state: the publisher_t). */
int64_t publisher_lead_when(void *p, int64_t now, int64_t due);
int64_t publisher_lead_run(void *p, int64_t now);
int publisher_log_items(void *p, int64_t now, zmq_pollitem_t *it);
int64_t publisher_log_run(void *p, int64_t now);

#endif

/* publisher.h — the tally stream's source in this daemon: the windows the
 * fold commits (daemon/folder.h), published as they arrive from its thread
 * (daemon/stream.h). Only the daemon that holds the fold publishes; the
 * stream's epoch is the database's (antt.stream_state), so a takeover or a
 * failover keeps it.
 *
 * One row of the loop: "stream" (the fold's socket: what arrived, into the
 * stream). */
#ifndef ANTT_DAEMON_PUBLISHER_H
#define ANTT_DAEMON_PUBLISHER_H

#include "daemon/folder.h"
#include "daemon/reg.h"
#include "daemon/stream.h"

#include <stdint.h>
#include <zmq.h>

typedef struct publisher publisher_t;

/* Publish folder's windows into stream with reg's scopes (all borrowed).
 * NULL: out of memory. */
publisher_t *publisher_new(folder_t *folder, stream_t *stream, const reg_t *reg);
void publisher_free(publisher_t **p);

/* 1 while this daemon folds and so publishes (p may be NULL). */
int publisher_leading(const publisher_t *p);

/* Publish what the fold has handed over and not yet published (the loop
 * runs this as its row; a stopping daemon once more after the fold's last
 * windows). */
void publisher_drain(publisher_t *p);

/* Windows published since the start. */
uint64_t publisher_windows(const publisher_t *p);

/* The loop's row (state: the publisher_t). */
int publisher_items(void *p, int64_t now, zmq_pollitem_t *it);
int64_t publisher_run(void *p, int64_t now);

#endif

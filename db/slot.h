/* slot.h — the tally stream's source: the database's log, read from one
 * logical replication slot, by one daemon at a time.
 *
 * Every daemon's transactions write their deltas into the log (tallylog.h);
 * the daemon that holds the stream's advisory lock (a session of its own)
 * reads the slot with the replication protocol (pgoutput, with an empty
 * publication and messages on: only our messages and the transactions'
 * boundaries come, never the tables' rows) and publishes. When it dies, its
 * session ends, the lock is free, and another daemon takes over from the
 * slot's confirmed position: every committed message is read, in commit
 * order. What was handed to the caller is confirmed a second later (a
 * daemon's socket may not have sent it yet when it dies), so a takeover
 * repeats the messages of the last seconds — which carry their units'
 * versions, and subscribers skip versions they have.
 *
 * The slot is created by the first reader (it needs wal_level = logical),
 * and with it a new epoch (antt.stream_state): continuity is lost only when
 * the slot is (dropped, invalidated past max_slot_wal_keep_size, or not on a
 * promoted standby). Its name comes from the database's ("antt_" + name). */
#ifndef ANTT_DB_SLOT_H
#define ANTT_DB_SLOT_H

#include <stddef.h>
#include <stdint.h>

typedef struct slot slot_t;

slot_t *slot_new(const char *conninfo);
void slot_free(slot_t **s);

/* Try to become the reader. 1: reading; 0: another daemon reads (try again
 * later); -1 with err: it cannot be done here (wal_level is not logical, no
 * replication permission...), also to be tried again later. */
int slot_lead(slot_t *s, char *err, size_t errlen);

/* 1 while reading; the replication connection's socket (-1 when not). */
int slot_leading(const slot_t *s);
int slot_socket(const slot_t *s);

/* The stream's epoch (valid while reading). */
uint64_t slot_epoch(const slot_t *s);

/* A committed message with our prefix: the commit's position in the log
 * (the stream's seq) and the content. */
typedef void (*slot_msg_fn)(void *ctx, uint64_t lsn, const uint8_t *content, size_t len);

/* Read what has arrived, without waiting: each message to fn, then confirm
 * it. 0; -1 with err when reading stopped (this daemon no longer reads). */
int slot_read(slot_t *s, slot_msg_fn fn, void *ctx, char *err, size_t errlen);

/* What the operator should know about the slot's server (an unbounded
 * max_slot_wal_keep_size), or "". Valid while reading. */
const char *slot_warning(const slot_t *s);

/* Bytes of log the slot holds for its reader (for /metrics); -1 unknown. */
int64_t slot_lag(slot_t *s);

/* Stop reading, releasing the lock (another daemon may take over). */
void slot_stop(slot_t *s);

#endif

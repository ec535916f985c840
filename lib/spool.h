/* spool.h — the station's store-and-forward file: every event is written here
 * before it is sent, and stays until the daemon has answered it for good
 * (accepted, duplicate or rejected). It survives kill -9 and reboots.
 *
 * File format (little-endian), append-only:
 *   header   "ANTTSPL1"
 *   record   u32 body_len | u32 crc32(body) | body
 *   body     u8 kind | 16-byte event id | ...
 *              kind 1 EVENT: u64 enqueued (Unix ms) | u64 seq | the encoded event (msgpack)
 *              kind 2 DONE:  u8 ack status | u16 code
 *              kind 3 SEQ:   u64 seq (the highest used, written first when compacting)
 * On open the records are replayed: pending = EVENTs without a DONE, in the
 * order they were appended (so a case's events are resent in order). A torn
 * record at the end (a crash mid-write: short, or a bad checksum) is cut off;
 * everything before it is kept. The spool also remembers the highest
 * sequence number it was given, so a station's seq keeps rising across
 * restarts even when nothing is pending. When answered records make up most of the
 * file, it is rewritten with the pending ones only (write a new file, fsync,
 * rename, fsync the directory), so the file never loses a pending event.
 *
 * Durability (spool_sync_t): SPOOL_SYNC_EACH fsyncs after every append
 * before returning (the default: an event the caller was told is spooled
 * survives a power cut); SPOOL_SYNC_BATCH leaves it to spool_sync() (the
 * caller syncs once per batch it submits); SPOOL_SYNC_NONE never (tests,
 * load generation: the OS writes it out, a kill -9 loses nothing, a power
 * cut may). DONE records are never synced one by one: the caller syncs once
 * per reply it has recorded (spool_sync); a DONE lost to a power cut only
 * sends its event again, and the daemon answers it duplicate.
 *
 * The bound (max_bytes) is the file's size on disk, everything counted: the
 * header, record headers, events and answers. An append that would pass it
 * first compacts away answered records, then fails with SPOOL_EFULL.
 */
#ifndef ANTT_LIB_SPOOL_H
#define ANTT_LIB_SPOOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct spool spool_t;

typedef enum { SPOOL_SYNC_EACH = 0, SPOOL_SYNC_BATCH, SPOOL_SYNC_NONE } spool_sync_t;

enum {
    SPOOL_OK = 0,
    SPOOL_EFULL = -1, /* the pending events would exceed the spool's bound */
    SPOOL_EIO = -2,   /* the file could not be written or synced (errno kept) */
    SPOOL_ENOMEM = -3,
    SPOOL_EUNKNOWN = -4, /* spool_done for an id that is not pending */
};

typedef struct {
    uint8_t id[16];
    const uint8_t *bytes; /* the encoded event; borrowed, valid until the item is done */
    uint32_t len;
    int64_t enqueued_ms;
    /* The sender's bookkeeping, not stored: */
    int64_t sent_ms; /* 0: not sent since open */
    uint32_t attempts;
} spool_item_t;

/* Open (creating) the spool at path, at most max_bytes on disk. 0, or a
 * SPOOL_E* code with err filled. */
int spool_open(spool_t **out, const char *path, uint64_t max_bytes, spool_sync_t sync, char *err,
               size_t errlen);
void spool_close(spool_t **s);

/* Append an event. SPOOL_OK once it is in the file (and synced, by policy). */
int spool_append(spool_t *s, const uint8_t id[16], const void *bytes, uint32_t len, int64_t now_ms,
                 uint64_t seq);

/* The highest seq ever appended (0 for a new spool). */
uint64_t spool_seq_high(const spool_t *s);

/* The event with this id was answered for good: it leaves the pending set.
 * SPOOL_EIO when the answer could not be written (a full disk): the event
 * stays pending; spool_forget() drops it from memory all the same. */
int spool_done(spool_t *s, const uint8_t id[16], int status, int code);

/* Drop a pending event from memory only (its answer is known but could not
 * be recorded): it is not sent again by this process; after a reopen it is,
 * and is answered duplicate. */
void spool_forget(spool_t *s, const uint8_t id[16]);

/* Change the durability policy (antt_submit_many syncs a batch once). */
void spool_set_sync(spool_t *s, spool_sync_t sync);

/* fsync now (SPOOL_SYNC_BATCH). */
int spool_sync(spool_t *s);

/* Pending events in append order: spool_first()/spool_next() skip answered
 * ones. The item is the caller's to annotate (sent_ms, attempts). Items move
 * when events are appended or answered: keep ids, not pointers, across those
 * calls. */
spool_item_t *spool_first(spool_t *s);
spool_item_t *spool_next(spool_t *s, spool_item_t *it);
spool_item_t *spool_find(spool_t *s, const uint8_t id[16]);

size_t spool_pending(const spool_t *s);
uint64_t spool_pending_bytes(const spool_t *s);
uint64_t spool_file_bytes(const spool_t *s);
int64_t spool_oldest_ms(const spool_t *s); /* enqueued time of the oldest pending; 0 if none */

/* A line of English for a SPOOL_E* code. */
const char *spool_strerror(int code);

#endif

/* batch.h — messages and their events, from receipt until their replies go out.
 *
 * A batch is what one database transaction stores. It owns the ZeroMQ
 * payloads its events borrow from, the envelope frames its replies need, and
 * each event's verdict: fixed on arrival for events refused by the decoder or
 * the registry, fixed by the store for the rest. Batches hold whole messages
 * (a message's events commit together, so one reply can answer them all).
 *
 * The queue is a ring of batches: the oldest are sealed and wait for the
 * database, the newest is open and fills. Its bound (events held) is what
 * pauses intake while PostgreSQL is slow or down. Batches are kept and reused
 * once allocated, so the steady state does not allocate. */
#ifndef ANTT_DAEMON_BATCH_H
#define ANTT_DAEMON_BATCH_H

#include "db/store.h"
#include "proto/ev.h"

#include <stdint.h>
#include <zmq.h>

#define BATCH_MAX_FRAMES 5
#define BATCH_CHUNK      256 /* routing id + up to 4 echoed envelope frames */

typedef struct {
    path_t path;
    zmq_msg_t payload; /* owned; closed when the batch is cleared */
    int has_payload;
    uint32_t first, count; /* its events: ev[first .. first+count) */
    uint32_t env_off;      /* frames in the arena, lengths in flen */
    uint8_t nframes;
    uint8_t flen[BATCH_MAX_FRAMES];
    /* Refused as a whole (1xx): the reply went out at once; kept for antt.rejects. */
    int code;
    uint32_t raw_off, raw_len, raw_total;
    char msg[192];
    char node[ANTT_MAX_NODE_BYTES + 1];
} bmsg_t;

typedef struct {
    store_ev_t *ev; /* what the store reads and writes verdicts into */
    uint32_t nev, cap_ev;
    bmsg_t **chunks; /* messages in chunks of BATCH_CHUNK that never move:
                        a small zmq_msg_t keeps its bytes inside itself */
    uint32_t nmsg, nchunks;
    uint8_t *arena;
    size_t narena, cap_arena;
    int64_t opened_us;         /* monotonic time of the first message */
    uint32_t weight;           /* events + refused messages: what counts towards the limits */
    int sealed;                /* takes no more messages */
    store_refusal_t *refusals; /* batch_work's list of the messages refused whole */
    uint32_t cap_refusals;
} batch_t;

void batch_free(batch_t *b);

/* Close every payload and empty the batch (keeping its memory). */
void batch_clear(batch_t *b);

/* Start a message: takes ownership of *payload (leaving it empty) and copies
 * the frames. Returns the message, or NULL on allocation failure (the
 * payload is then closed). */
bmsg_t *batch_msg(batch_t *b, path_t path, zmq_msg_t *payload, const zmq_msg_t *frames, int nframes,
                  int64_t now_us);

/* Reserve the next event of message m (the last one started), adding one to
 * the batch's weight. NULL on OOM. A message refused whole adds its one unit
 * of weight with batch_weigh(). */
store_ev_t *batch_event(batch_t *b, bmsg_t *m);
void batch_weigh(batch_t *b, uint32_t w);

/* Keep the first `keep` bytes of raw in the arena as m's refused bytes. */
int batch_keep_raw(batch_t *b, bmsg_t *m, const void *raw, size_t len, size_t keep);

/* Message i of the batch. */
static inline bmsg_t *batch_msg_at(const batch_t *b, uint32_t i)
{
    return &b->chunks[i / BATCH_CHUNK][i % BATCH_CHUNK];
}

/* A message's echoed frames (routing id first). Borrowed. */
const uint8_t *batch_frame(const batch_t *b, const bmsg_t *m, int i);

/* The batch as the store sees it: its events (verdicts are written into
 * the batch) and its messages refused whole, valid until the batch changes.
 * 0, or -1 out of memory. */
int batch_work(batch_t *b, store_work_t *w);

/* ---- the queue ---- */
typedef struct {
    batch_t **ring;
    uint32_t cap, head, n; /* n batches in use: ring[head] oldest, ring[head+n-1] open */
    uint32_t max_weight;   /* a batch is sealed at this weight */
    uint32_t held;         /* weight in all batches */
    uint32_t max_held;
    uint32_t deep; /* the most batches in use since the last bqueue_shrink */
} bqueue_t;

int bqueue_init(bqueue_t *q, uint32_t batch_max, uint32_t queue_max);
void bqueue_free(bqueue_t *q);

/* The open batch, with room for `weight` more (sealing the current one and
 * opening the next when needed); the caller then adds exactly that weight
 * (batch_event per event, or batch_weigh). NULL when the queue is full. */
batch_t *bqueue_open(bqueue_t *q, uint32_t weight);

/* The oldest batch, or NULL when there is none. */
batch_t *bqueue_oldest(bqueue_t *q);

/* Seal the open batch so the next message starts a new one. */
void bqueue_seal(bqueue_t *q);

/* Done with the oldest batch: clear it and recycle it. */
void bqueue_pop(bqueue_t *q);

/* Free the recycled batches a burst left behind: every idle slot's batch
 * beyond the most that were in use since the last call (at least `keep`).
 * A queue that filled once keeps ~1 KiB an event of arrays otherwise, for
 * ever. Returns the bytes freed (to malloc; the caller may trim the heap). */
size_t bqueue_shrink(bqueue_t *q, uint32_t keep);

/* 1 when the open batch has reached its size (the next message starts
 * another). */
int bqueue_open_full(const bqueue_t *q);

/* 1 when the queue cannot take a message of the largest size. */
int bqueue_full(const bqueue_t *q);

/* ---- the lanes: queues committed side by side, under one bound ----
 *
 * One queue per store connection (setting store_connections): a node's
 * messages all go to one lane, whose batches commit one after another, so a
 * node's events are stored and answered in the order they came; the lanes
 * commit at once, each on its own connection (daemon/committer.h). The
 * bound, queue_max_events, is on the events of all lanes together. */
#define BLANES_MAX 16

typedef struct {
    bqueue_t lane[BLANES_MAX];
    uint32_t n;
    uint32_t max_held;
} blanes_t;

int blanes_init(blanes_t *l, uint32_t n, uint32_t batch_max, uint32_t queue_max);
void blanes_free(blanes_t *l);

/* The lane of a node (NULL or "": lane 0). */
uint32_t blanes_lane(const blanes_t *l, const char *node, size_t n);

/* bqueue_open on lane i, within the bound of all lanes. */
batch_t *blanes_open(blanes_t *l, uint32_t i, uint32_t weight);

/* Events held in all lanes. */
uint32_t blanes_held(const blanes_t *l);

/* 1 when a batch with events waits (or commits) in any lane. */
int blanes_busy(const blanes_t *l);

/* 1 when the lanes together cannot take a message of the largest size. */
int blanes_full(const blanes_t *l);

/* bqueue_shrink on every lane; the bytes freed. */
size_t blanes_shrink(blanes_t *l, uint32_t keep);

#endif

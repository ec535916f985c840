/* decode.h — bytes off the wire -> validated events, with coded refusals.
 *
 * A message is one msgpack object: an event map, or an array of 1..1000
 * event maps (a batch). dec_open() decides about the message as a whole —
 * size, shape, and one cheap structural pass over every byte (truncation,
 * the invalid byte 0xc1, impossible lengths, nesting, trailing bytes) — so
 * that a message is either refused whole or every event in it gets its own
 * verdict from dec_next(). Nothing is allocated: events borrow the buffer.
 *
 *   dec_msg_t m; dec_err_t e; ev_t ev;
 *   if (dec_open(&m, buf, len, ts_now_us(), &e) < 0) -> refuse message (e.code)
 *   while ((rc = dec_next(&m, &ev, &e)) != 0)
 *       rc > 0 ? accept(&ev) : refuse(m.index - 1, &ev, &e);
 */
#ifndef ANTT_PROTO_DECODE_H
#define ANTT_PROTO_DECODE_H

#include "proto/ev.h"
#include "proto/mp.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int code;          /* positive ANTT_E_* */
    const char *field; /* wire key at fault (static string), or NULL */
    char msg[192];     /* one line of English for the sender and the operator */
} dec_err_t;

typedef struct {
    mp_reader_t r;
    int64_t now_us; /* the clock for time-range checks, read once per message */
    uint32_t count; /* events in the message */
    uint32_t index; /* index of the next event */
    int batch;      /* 1 when the message is an array */
} dec_msg_t;

/* Check the message as a whole. 0 when its events can be read, else
 * -ANTT_E_* with err filled (MSG_TOO_LARGE, MALFORMED, NOT_EVENTS,
 * BATCH_EMPTY, BATCH_TOO_LARGE, TOO_DEEP, TRAILING_BYTES). */
int dec_open(dec_msg_t *m, const void *buf, size_t len, int64_t now_us, dec_err_t *err);

/* The message's bytes moved (same content, new address), e.g. a small
 * zmq_msg_t moved into its owner: carry on reading them there. */
void dec_move(dec_msg_t *m, const void *old_buf, const void *new_buf);

/* The first event's "node" value as it stands (not validated: dec_next
 * does that), for routing a message before its events are read: 0 with
 * *node and *n set, -1 when it has none that is a string. m does not move. */
int dec_node(const dec_msg_t *m, const char **node, size_t *n);

/* Decode and validate the next event. Returns 1 with *ev valid, 0 when no
 * events remain, or -ANTT_E_* with err filled; on refusal ev->present has
 * EVB(EVF_ID) set when ev->id could still be read (so the ack can name it),
 * and ev->raw spans the refused event. Either way the next call moves on. */
int dec_next(dec_msg_t *m, ev_t *ev, dec_err_t *err);

#endif

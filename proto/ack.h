/* ack.h — the daemon's reply to a submission: one verdict per event.
 *
 * Reply = { "v": 1, "code": 0 or a 1xx code, "msg": text when code != 0,
 *           "acks": [ { "i", "id", "status", "code", "field", "msg" } ... ] }
 * A message refused as a whole has a non-zero "code" and no acks; otherwise
 * "acks" holds one entry per event, in message order. See PROTOCOL.md.
 */
#ifndef ANTT_PROTO_ACK_H
#define ANTT_PROTO_ACK_H

#include "proto/ev.h"
#include "proto/mp.h"

#include <msgpack.h>
#include <stdint.h>

typedef struct {
    uint32_t index; /* position of the event in its message */
    int has_id;     /* id is known (0 when the event's id was unreadable) */
    uint8_t id[16];
    ack_status_t status;
    int code;       /* 0 for ACCEPTED and DUPLICATE */
    ev_str_t field; /* key at fault, may be empty; borrowed */
    ev_str_t msg;   /* may be empty; borrowed */
} ack_t;

/* Write the reply header; then call ack_pack() exactly nacks times.
 * msg may be NULL when code is 0. */
void ack_reply_begin(msgpack_packer *pk, int code, const char *msg, uint32_t nacks);
void ack_pack(msgpack_packer *pk, const ack_t *a);

/* Reading a reply (the client side). Bounded like the event decoder. */
typedef struct {
    mp_reader_t r;
    uint32_t version;
    int code; /* message-level code, 0 when the message was read */
    ev_str_t msg;
    uint32_t count; /* acks in the reply */
    uint32_t index;
} ack_reply_t;

/* 0, or -ANTT_E_MALFORMED when buf is not a reply. */
int ack_open(ack_reply_t *rep, const void *buf, size_t len);

/* 1 with *a filled, 0 at the end, -ANTT_E_MALFORMED on a bad entry. */
int ack_next(ack_reply_t *rep, ack_t *a);

#endif

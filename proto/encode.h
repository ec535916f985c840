/* encode.h — events -> msgpack, with msgpack-c's packer.
 *
 * The encoder writes what it is given: the envelope, every field the type
 * requires, and each optional field whose EVB() bit is set in ev->present.
 * It does not validate; the client decodes what it built before sending
 * (the same validator the daemon runs), so bad input fails at the station.
 * Ids go out as 16-byte bin, times as the timestamp extension; a version of 0
 * is written as ANTT_PROTO_VERSION.
 */
#ifndef ANTT_PROTO_ENCODE_H
#define ANTT_PROTO_ENCODE_H

#include "proto/ev.h"

#include <msgpack.h>

/* Pack one event map. 0, or -ANTT_E_UNKNOWN_TYPE when ev->type is not a type. */
int enc_event(msgpack_packer *pk, const ev_t *ev);

/* Pack n events as a batch (an array); nothing is written when one has no type. */
int enc_batch(msgpack_packer *pk, const ev_t *evs, size_t n);

/* Pack an instant as the smallest msgpack timestamp that holds it. */
void enc_time(msgpack_packer *pk, int64_t us);

/* Pack a string key or value. */
void enc_str(msgpack_packer *pk, const char *s, size_t n);

#endif

/* fixtures.h — sample events and helpers shared by the proto unit tests. */
#ifndef ANTT_TESTS_FIXTURES_H
#define ANTT_TESTS_FIXTURES_H

#include "proto/decode.h"
#include "proto/encode.h"
#include "proto/ev.h"

#include <msgpack.h>

/* The clock every test decodes with: 2023-06-15T03:00:00Z. */
#define FX_NOW_US 1686798000000000LL
#define FX_DAY_US (86400LL * 1000000)

/* A complete valid event of type t with every optional field it allows. */
void fx_event(ev_type_t t, ev_t *ev);

/* Encode ev (or n events as a batch) into sb, which the caller initialised
 * and destroys. */
void fx_encode(const ev_t *ev, msgpack_sbuffer *sb);
void fx_encode_batch(const ev_t *evs, size_t n, msgpack_sbuffer *sb);

/* Decode a one-event message: 1 when valid, else the negative code of the
 * message-level or event-level refusal. */
int fx_decode1(const void *buf, size_t len, ev_t *ev, dec_err_t *err);

/* Hex string ("de ad be ef", spaces and newlines ignored) to bytes; returns length. */
size_t fx_hex(const char *hex, unsigned char *out, size_t cap);

#endif

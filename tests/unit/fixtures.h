/* fixtures.h — sample events and helpers shared by the unit tests (and a
 * few integration tests that read the documents). */
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

/* Writes one replacement value (see fx_rewrite). */
typedef void (*fx_val_fn)(msgpack_packer *pk, const void *arg);

/* Re-pack the one-event message in[0..n) into out (initialised by the caller):
 * the value of key is written by fn instead (fn NULL drops the key); a key
 * that is absent is appended. Uses msgpack-c, independently of proto/. */
void fx_rewrite(const char *in, size_t n, const char *key, fx_val_fn fn, const void *arg,
                msgpack_sbuffer *out);

/* Encode a sample of type t with key rewritten, decode it: 1 or -code. */
int fx_try(ev_type_t t, const char *key, fx_val_fn fn, const void *arg, dec_err_t *err);

/* Ready-made value writers; arg is the value (string, int64_t *, ...). */
void fx_val_str(msgpack_packer *pk, const void *cstr);
void fx_val_u64(msgpack_packer *pk, const void *u64);
void fx_val_i64(msgpack_packer *pk, const void *i64);
void fx_val_raw(msgpack_packer *pk, const void *hex); /* bytes given as hex */

/* Hex string ("de ad be ef", spaces and newlines ignored) to bytes; returns length. */
size_t fx_hex(const char *hex, unsigned char *out, size_t cap);

/* The whole of a file, NUL-terminated (the caller frees it); the test fails
 * when it cannot be read. */
char *fx_slurp(const char *path);

#endif

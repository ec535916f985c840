/* mp.h — a bounded, zero-allocation msgpack reader (a cursor over a buffer).
 *
 * Why not msgpack-c's unpacker for input: msgpack_unpack_next() allocates
 * n * sizeof(msgpack_object) as soon as it reads an array or map header, with
 * n taken from the wire — a 5-byte array32 header makes it reserve up to
 * ~100 GB — and builds a whole object tree per message. This reader allocates
 * nothing, hands out pointers into the caller's buffer, and checks every
 * declared length against the bytes that remain before anything else:
 * a string or ext must fit, and an array of n (map of n pairs) needs at least
 * n (2n) more bytes, since every element takes at least one. msgpack-c is still
 * our encoder (ev_encode.c, ack.c) and the independent parser in the tests.
 */
#ifndef ANTT_PROTO_MP_H
#define ANTT_PROTO_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest nesting mp_skip() can track; callers pass their own, smaller limit. */
#define MP_DEPTH_CAP 32

typedef enum {
    MP_NIL = 1,
    MP_BOOL,
    MP_UINT,  /* any non-negative integer, whatever its encoding */
    MP_INT,   /* a negative integer */
    MP_FLOAT, /* float 32 or 64, widened */
    MP_STR,
    MP_BIN,
    MP_ARRAY,
    MP_MAP,
    MP_EXT,
} mp_type_t;

typedef struct {
    mp_type_t type;
    int8_t ext;       /* MP_EXT: the extension type */
    uint32_t n;       /* STR/BIN/EXT: payload bytes; ARRAY: elements; MAP: pairs */
    const uint8_t *p; /* STR/BIN/EXT: payload, borrowed from the reader's buffer */
    union {
        bool b;
        uint64_t u;
        int64_t i;
        double f;
    } v;
} mp_obj_t;

typedef struct {
    const uint8_t *p;   /* next byte to read */
    const uint8_t *end; /* one past the last byte */
} mp_reader_t;

static inline void mp_init(mp_reader_t *r, const void *buf, size_t len)
{
    r->p = (const uint8_t *)buf;
    r->end = r->p + len;
}

static inline size_t mp_left(const mp_reader_t *r)
{
    return (size_t)(r->end - r->p);
}

/* Read one object header. Scalars, strings, bins and exts are consumed whole;
 * for an array or map only the header is consumed and o->n tells how many
 * elements (pairs) follow. Returns 0, or -ANTT_E_MALFORMED on truncation,
 * the never-used byte 0xc1 or a declared length the buffer cannot hold; the
 * reader does not move on error. */
int mp_read(mp_reader_t *r, mp_obj_t *o);

/* mp_read() with the forms that make up most of an event — short strings
 * (keys, codes, names) and small positive integers — decoded inline. */
static inline int mp_next(mp_reader_t *r, mp_obj_t *o)
{
    if (r->p < r->end) {
        const uint8_t c = *r->p;
        if (c <= 0x7f) {
            o->type = MP_UINT;
            o->v.u = c;
            r->p++;
            return 0;
        }
        if ((c & 0xe0) == 0xa0 && (size_t)(c & 0x1f) < mp_left(r)) {
            o->type = MP_STR;
            o->n = c & 0x1f;
            o->p = r->p + 1;
            r->p += 1 + o->n;
            return 0;
        }
    }
    return mp_read(r, o);
}

/* Skip one complete object, containers included, without recursion. Nesting
 * deeper than max_depth (1 = a container of scalars) gives -ANTT_E_TOO_DEEP;
 * max_depth is clamped to MP_DEPTH_CAP. Returns 0 or a negative code. */
int mp_skip(mp_reader_t *r, int max_depth);

#endif

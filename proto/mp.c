/* mp.c — bounded msgpack cursor (see mp.h for why we read msgpack ourselves). */
#include "proto/mp.h"

#include "proto/err.h"

#include <string.h>

static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static inline void set_int(mp_obj_t *o, int64_t v)
{
    if (v >= 0) {
        o->type = MP_UINT;
        o->v.u = (uint64_t)v;
    } else {
        o->type = MP_INT;
        o->v.i = v;
    }
}

int mp_read(mp_reader_t *r, mp_obj_t *o)
{
    const uint8_t *p = r->p;
    const size_t left = mp_left(r);
    if (left < 1) return -ANTT_E_MALFORMED;
    const uint8_t c = p[0];
    size_t hdr = 1;     /* bytes of header, type byte included */
    size_t body = 0;    /* payload bytes that must follow the header */
    uint64_t elems = 0; /* for containers: minimum bytes the elements need */

    if (c <= 0x7f) {
        o->type = MP_UINT;
        o->v.u = c;
    } else if (c >= 0xe0) {
        o->type = MP_INT;
        o->v.i = (int8_t)c;
    } else if ((c & 0xe0) == 0xa0) {
        o->type = MP_STR;
        body = c & 0x1f;
    } else if ((c & 0xf0) == 0x90) {
        o->type = MP_ARRAY;
        o->n = c & 0x0f;
        elems = o->n;
    } else if ((c & 0xf0) == 0x80) {
        o->type = MP_MAP;
        o->n = c & 0x0f;
        elems = 2ull * o->n;
    } else {
        /* Every remaining form has a fixed-size header after the type byte. */
        static const uint8_t EXTRA[0x20] = {
            /* c0 nil */ 0,
            /* c1 */ 0,
            /* c2 c3 bool */ 0,
            0,
            /* c4-c6 bin 8/16/32 */ 1,
            2,
            4,
            /* c7-c9 ext 8/16/32 (len + type) */ 2,
            3,
            5,
            /* ca cb float */ 4,
            8,
            /* cc-cf uint */ 1,
            2,
            4,
            8,
            /* d0-d3 int */ 1,
            2,
            4,
            8,
            /* d4-d8 fixext (type) */ 1,
            1,
            1,
            1,
            1,
            /* d9-db str 8/16/32 */ 1,
            2,
            4,
            /* dc dd array 16/32 */ 2,
            4,
            /* de df map 16/32 */ 2,
            4,
        };
        if (c == 0xc1) return -ANTT_E_MALFORMED;
        hdr = 1 + (size_t)EXTRA[c - 0xc0];
        if (left < hdr) return -ANTT_E_MALFORMED;
        const uint8_t *h = p + 1;
        switch (c) {
        case 0xc0: o->type = MP_NIL; break;
        case 0xc2:
            o->type = MP_BOOL;
            o->v.b = false;
            break;
        case 0xc3:
            o->type = MP_BOOL;
            o->v.b = true;
            break;
        case 0xc4:
            o->type = MP_BIN;
            body = h[0];
            break;
        case 0xc5:
            o->type = MP_BIN;
            body = be16(h);
            break;
        case 0xc6:
            o->type = MP_BIN;
            body = be32(h);
            break;
        case 0xc7:
            o->type = MP_EXT;
            body = h[0];
            o->ext = (int8_t)h[1];
            break;
        case 0xc8:
            o->type = MP_EXT;
            body = be16(h);
            o->ext = (int8_t)h[2];
            break;
        case 0xc9:
            o->type = MP_EXT;
            body = be32(h);
            o->ext = (int8_t)h[4];
            break;
        case 0xca: {
            uint32_t u = be32(h);
            float f;
            memcpy(&f, &u, 4);
            o->type = MP_FLOAT;
            o->v.f = f;
            break;
        }
        case 0xcb: {
            uint64_t u = be64(h);
            o->type = MP_FLOAT;
            memcpy(&o->v.f, &u, 8);
            break;
        }
        case 0xcc:
            o->type = MP_UINT;
            o->v.u = h[0];
            break;
        case 0xcd:
            o->type = MP_UINT;
            o->v.u = be16(h);
            break;
        case 0xce:
            o->type = MP_UINT;
            o->v.u = be32(h);
            break;
        case 0xcf:
            o->type = MP_UINT;
            o->v.u = be64(h);
            break;
        case 0xd0: set_int(o, (int8_t)h[0]); break;
        case 0xd1: set_int(o, (int16_t)be16(h)); break;
        case 0xd2: set_int(o, (int32_t)be32(h)); break;
        case 0xd3: set_int(o, (int64_t)be64(h)); break;
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
            o->type = MP_EXT;
            o->ext = (int8_t)h[0];
            body = (size_t)1 << (c - 0xd4);
            break;
        case 0xd9:
            o->type = MP_STR;
            body = h[0];
            break;
        case 0xda:
            o->type = MP_STR;
            body = be16(h);
            break;
        case 0xdb:
            o->type = MP_STR;
            body = be32(h);
            break;
        case 0xdc:
            o->type = MP_ARRAY;
            o->n = be16(h);
            elems = o->n;
            break;
        case 0xdd:
            o->type = MP_ARRAY;
            o->n = be32(h);
            elems = o->n;
            break;
        case 0xde:
            o->type = MP_MAP;
            o->n = be16(h);
            elems = 2ull * o->n;
            break;
        case 0xdf:
            o->type = MP_MAP;
            o->n = be32(h);
            elems = 2ull * o->n;
            break;
        default: return -ANTT_E_MALFORMED; /* unreachable: all of c0..df handled */
        }
    }
    /* The declared length is checked against what remains before it is used. */
    if (body > left - hdr || elems > left - hdr) return -ANTT_E_MALFORMED;
    if (o->type == MP_STR || o->type == MP_BIN || o->type == MP_EXT) {
        o->p = p + hdr;
        o->n = (uint32_t)body;
    }
    r->p = p + hdr + body;
    return 0;
}

int mp_skip(mp_reader_t *r, int max_depth)
{
    /* left[d]: objects still to skip at depth d; left[0] is the object itself.
     * Counts fit in 64 bits: a map32 declares at most 2 * (2^32 - 1). */
    uint64_t left[MP_DEPTH_CAP + 1];
    if (max_depth > MP_DEPTH_CAP) max_depth = MP_DEPTH_CAP;
    int top = 0;
    left[0] = 1;
    while (top >= 0) {
        if (left[top] == 0) {
            top--;
            continue;
        }
        left[top]--;
        mp_obj_t o;
        int rc = mp_next(r, &o);
        if (rc < 0) return rc;
        if (o.type != MP_ARRAY && o.type != MP_MAP) continue;
        uint64_t k = o.type == MP_MAP ? 2ull * o.n : o.n;
        if (top + 1 > max_depth) return -ANTT_E_TOO_DEEP; /* empty ones count too */
        if (k == 0) continue;
        left[++top] = k;
    }
    return 0;
}

/* ack.c — encode and read replies (see ack.h). */
#include "proto/ack.h"

#include "proto/encode.h"
#include "proto/err.h"

#include <string.h>

#define KEY(pk, lit) enc_str(pk, lit, sizeof(lit) - 1)

void ack_reply_begin(msgpack_packer *pk, int code, const char *msg, uint32_t nacks)
{
    msgpack_pack_map(pk, code ? 4 : 3);
    KEY(pk, "v");
    msgpack_pack_uint32(pk, ANTT_PROTO_VERSION);
    KEY(pk, "code");
    msgpack_pack_uint32(pk, (uint32_t)code);
    if (code) {
        KEY(pk, "msg");
        enc_str(pk, msg ? msg : "", msg ? strlen(msg) : 0);
    }
    KEY(pk, "acks");
    msgpack_pack_array(pk, nacks);
}

void ack_pack(msgpack_packer *pk, const ack_t *a)
{
    const int detail = a->status == ACK_REJECTED || a->status == ACK_DEFERRED;
    msgpack_pack_map(pk, detail ? 6 : 4);
    KEY(pk, "i");
    msgpack_pack_uint32(pk, a->index);
    KEY(pk, "id");
    if (a->has_id) {
        msgpack_pack_bin(pk, 16);
        msgpack_pack_bin_body(pk, a->id, 16);
    } else {
        msgpack_pack_nil(pk);
    }
    KEY(pk, "status");
    msgpack_pack_uint32(pk, (uint32_t)a->status);
    KEY(pk, "code");
    msgpack_pack_uint32(pk, (uint32_t)a->code);
    if (detail) {
        KEY(pk, "field");
        enc_str(pk, a->field.p ? a->field.p : "", a->field.p ? a->field.n : 0);
        KEY(pk, "msg");
        enc_str(pk, a->msg.p ? a->msg.p : "", a->msg.p ? a->msg.n : 0);
    }
}

static int key_is(const mp_obj_t *k, const char *lit)
{
    size_t n = strlen(lit);
    return k->type == MP_STR && k->n == n && memcmp(k->p, lit, n) == 0;
}

int ack_open(ack_reply_t *rep, const void *buf, size_t len)
{
    memset(rep, 0, sizeof *rep);
    mp_init(&rep->r, buf, len);
    mp_reader_t scan = rep->r;
    if (mp_skip(&scan, 4) < 0 || mp_left(&scan) != 0) return -ANTT_E_MALFORMED;

    mp_reader_t *r = &rep->r;
    mp_obj_t top, k, v;
    if (mp_next(r, &top) < 0 || top.type != MP_MAP) return -ANTT_E_MALFORMED;
    mp_reader_t acks = {0};
    for (uint32_t i = 0; i < top.n; i++) {
        if (mp_next(r, &k) < 0) return -ANTT_E_MALFORMED;
        mp_reader_t at = *r;
        if (key_is(&k, "acks")) {
            if (mp_next(r, &v) < 0 || v.type != MP_ARRAY) return -ANTT_E_MALFORMED;
            acks = *r; /* the first entry */
            rep->count = v.n;
            *r = at;
            if (mp_skip(r, 3) < 0) return -ANTT_E_MALFORMED;
            continue;
        }
        if (mp_next(r, &v) < 0) return -ANTT_E_MALFORMED;
        if (key_is(&k, "v") && v.type == MP_UINT) {
            rep->version = (uint32_t)v.v.u;
        } else if (key_is(&k, "code") && v.type == MP_UINT && v.v.u < 1000) {
            rep->code = (int)v.v.u;
        } else if (key_is(&k, "msg") && v.type == MP_STR) {
            rep->msg = (ev_str_t){(const char *)v.p, v.n};
        } else if (key_is(&k, "v") || key_is(&k, "code") || key_is(&k, "msg")) {
            return -ANTT_E_MALFORMED;
        } else if (v.type == MP_ARRAY || v.type == MP_MAP) {
            *r = at; /* an unknown key: skip its value whole */
            if (mp_skip(r, 3) < 0) return -ANTT_E_MALFORMED;
        }
    }
    if (rep->version == 0) return -ANTT_E_MALFORMED;
    rep->r = acks;
    return 0;
}

int ack_next(ack_reply_t *rep, ack_t *a)
{
    if (rep->index >= rep->count) return 0;
    rep->index++;
    memset(a, 0, sizeof *a);
    mp_reader_t *r = &rep->r;
    mp_obj_t m, k, v;
    if (mp_next(r, &m) < 0 || m.type != MP_MAP) goto bad;
    int have_status = 0;
    for (uint32_t i = 0; i < m.n; i++) {
        if (mp_next(r, &k) < 0) goto bad;
        mp_reader_t at = *r;
        if (mp_next(r, &v) < 0) goto bad;
        if (v.type == MP_ARRAY || v.type == MP_MAP) {
            *r = at;
            if (mp_skip(r, 2) < 0) goto bad;
            continue; /* no known key holds a container */
        }
        if (key_is(&k, "i")) {
            if (v.type != MP_UINT || v.v.u > UINT32_MAX) goto bad;
            a->index = (uint32_t)v.v.u;
        } else if (key_is(&k, "id")) {
            if (v.type == MP_BIN && v.n == 16) {
                memcpy(a->id, v.p, 16);
                a->has_id = 1;
            } else if (v.type != MP_NIL) {
                goto bad;
            }
        } else if (key_is(&k, "status")) {
            if (v.type != MP_UINT || v.v.u >= ACK_STATUS_COUNT) goto bad;
            a->status = (ack_status_t)v.v.u;
            have_status = 1;
        } else if (key_is(&k, "code")) {
            if (v.type != MP_UINT || v.v.u >= 1000) goto bad;
            a->code = (int)v.v.u;
        } else if (key_is(&k, "field")) {
            if (v.type != MP_STR) goto bad;
            a->field = (ev_str_t){(const char *)v.p, v.n};
        } else if (key_is(&k, "msg")) {
            if (v.type != MP_STR) goto bad;
            a->msg = (ev_str_t){(const char *)v.p, v.n};
        }
    }
    if (!have_status) goto bad;
    return 1;
bad:
    rep->index = rep->count;
    return -ANTT_E_MALFORMED;
}

const char *ack_status_name(ack_status_t s)
{
    static const char *const N[ACK_STATUS_COUNT] = {"accepted", "duplicate", "rejected",
                                                    "deferred"};
    return (s >= 0 && s < ACK_STATUS_COUNT) ? N[s] : "?";
}

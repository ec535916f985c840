/* fixtures.c — sample events of every type (see fixtures.h). */
#include "fixtures.h"

#include "proto/uuid.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fx_event(ev_type_t t, ev_t *ev)
{
    static const uint8_t RND[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, (uint8_t)0xa0};
    memset(ev, 0, sizeof *ev);
    ev->version = 1;
    ev->type = t;
    uuid_v7(ev->id, (uint64_t)(FX_NOW_US / 1000) - 5000 + (uint64_t)t, RND);
    ev->node = ev_cstr("ls-183-06040");
    ev->unit = ev_cstr("06040");
    ev->seq = 1000 + (uint64_t)t;
    ev->time_us = FX_NOW_US - 60 * 1000000LL;
    const int incident = t <= EV_INCIDENT_VOIDED;
    if (t != EV_STATION_QUIET) ev->ref = ev_cstr(incident ? "12/VV-CAX" : "TG-2023-0042");
    switch (t) {
    case EV_INCIDENT_REPORTED:
        ev->group = ev_cstr("social_order");
        ev->severity = SEV_SERIOUS;
        ev->occurred_us = FX_NOW_US - 2 * FX_DAY_US;
        ev->occurred_unit = ev_cstr("06043");
        ev->deaths = 0;
        ev->injuries = 2;
        ev->summary = ev_cstr("Cố ý gây thương tích tại chợ Đồng Đăng; 2 người bị thương.");
        break;
    case EV_INCIDENT_CLEARED:
        ev->at_us = FX_NOW_US - FX_DAY_US;
        ev->suspects = 3;
        break;
    case EV_INCIDENT_CORRECTED:
        ev->group = ev_cstr("drugs");
        ev->severity = SEV_VERY_SERIOUS;
        ev->occurred_us = FX_NOW_US - 3 * FX_DAY_US;
        ev->occurred_unit = ev_cstr("06046");
        ev->deaths = 1;
        ev->injuries = 0;
        ev->reason = ev_cstr("Giám định xác định là ma túy tổng hợp");
        break;
    case EV_INCIDENT_VOIDED: ev->reason = ev_cstr("Nhập trùng"); break;
    case EV_TIPOFF_RECEIVED:
        ev->kind = TIPKIND_DENUNCIATION;
        ev->source = SRC_CITIZEN;
        ev->at_us = FX_NOW_US - 4 * FX_DAY_US;
        ev->group = ev_cstr("economic");
        break;
    case EV_TIPOFF_EXTENDED:
        ev->deadline_us = FX_NOW_US + 60 * FX_DAY_US;
        ev->basis = BASIS_COMPLEX;
        ev->reason = ev_cstr("Cần trưng cầu giám định");
        break;
    case EV_TIPOFF_RESOLVED:
        ev->outcome = OUT_PROSECUTE;
        ev->at_us = FX_NOW_US - 3600 * 1000000LL;
        ev->reason = ev_cstr("Khởi tố vụ án");
        break;
    case EV_TIPOFF_RESUMED:
        ev->at_us = FX_NOW_US - 7200 * 1000000LL;
        ev->deadline_us = FX_NOW_US + 20 * FX_DAY_US;
        ev->reason = ev_cstr("Đã có kết quả giám định");
        break;
    case EV_WANTED_FOUND:
        ev->ref = ev_cstr("15/QĐTN-CSHS");
        ev->issuer = ev_cstr("20");
        ev->how = HOW_SURRENDERED;
        ev->category = CAT_DANGEROUS;
        ev->at_us = FX_NOW_US - 5 * 3600 * 1000000LL;
        break;
    case EV_WANTED_WITHDRAWN:
        ev->ref = ev_cstr("15/QĐTN-CSHS");
        ev->issuer = ev_cstr("20");
        ev->at_us = FX_NOW_US - 3600 * 1000000LL;
        ev->reason = ev_cstr("Bị can đã chết");
        break;
    default: break;
    }
    ev->present = ev_allowed(t);
}

void fx_encode(const ev_t *ev, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    enc_event(&pk, ev);
}

void fx_encode_batch(const ev_t *evs, size_t n, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    enc_batch(&pk, evs, n);
}

int fx_decode1(const void *buf, size_t len, ev_t *ev, dec_err_t *err)
{
    dec_msg_t m;
    int rc = dec_open(&m, buf, len, FX_NOW_US, err);
    if (rc < 0) return rc;
    rc = dec_next(&m, ev, err);
    return rc;
}

size_t fx_hex(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p && n < cap; p++) {
        if (!isxdigit((unsigned char)*p)) continue;
        int v = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

void fx_rewrite(const char *in, size_t n, const char *key, fx_val_fn fn, const void *arg,
                msgpack_sbuffer *out)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    if (msgpack_unpack_next(&u, in, n, &off) != MSGPACK_UNPACK_SUCCESS ||
        u.data.type != MSGPACK_OBJECT_MAP)
        abort();
    const msgpack_object_map *m = &u.data.via.map;
    const size_t klen = strlen(key);
    int found = 0;
    for (uint32_t i = 0; i < m->size; i++)
        if (m->ptr[i].key.type == MSGPACK_OBJECT_STR && m->ptr[i].key.via.str.size == klen &&
            !memcmp(m->ptr[i].key.via.str.ptr, key, klen))
            found = 1;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, m->size + (found ? 0 : 1) - (fn ? 0 : (size_t)found));
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object_kv *kv = &m->ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == klen &&
            !memcmp(kv->key.via.str.ptr, key, klen)) {
            if (!fn) continue;
            msgpack_pack_object(&pk, kv->key);
            fn(&pk, arg);
            continue;
        }
        msgpack_pack_object(&pk, kv->key);
        msgpack_pack_object(&pk, kv->val);
    }
    if (!found && fn) {
        enc_str(&pk, key, klen);
        fn(&pk, arg);
    }
    msgpack_unpacked_destroy(&u);
}

int fx_try(ev_type_t t, const char *key, fx_val_fn fn, const void *arg, dec_err_t *err)
{
    ev_t ev, out;
    fx_event(t, &ev);
    msgpack_sbuffer a, b;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&b);
    fx_encode(&ev, &a);
    fx_rewrite(a.data, a.size, key, fn, arg, &b);
    memset(err, 0, sizeof *err);
    int rc = fx_decode1(b.data, b.size, &out, err);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
    return rc;
}

void fx_val_str(msgpack_packer *pk, const void *cstr)
{
    enc_str(pk, cstr, strlen(cstr));
}

void fx_val_u64(msgpack_packer *pk, const void *u64)
{
    msgpack_pack_uint64(pk, *(const uint64_t *)u64);
}

void fx_val_i64(msgpack_packer *pk, const void *i64)
{
    msgpack_pack_int64(pk, *(const int64_t *)i64);
}

void fx_val_raw(msgpack_packer *pk, const void *hex)
{
    unsigned char buf[4096];
    size_t n = fx_hex(hex, buf, sizeof buf);
    msgpack_sbuffer_write(pk->data, (const char *)buf, n);
}

char *fx_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert(s, "out of memory reading %s", path);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* encode.c — pack protocol v1 events with msgpack-c (see encode.h). */
#include "proto/encode.h"

#include "proto/err.h"
#include "proto/ts.h"

#include <string.h>

void enc_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void key(msgpack_packer *pk, ev_field_t f)
{
    const char *k = ev_field_name(f);
    enc_str(pk, k, strlen(k));
}

static void str(msgpack_packer *pk, ev_str_t s)
{
    enc_str(pk, s.p ? s.p : "", s.p ? s.n : 0);
}

static void enum_val(msgpack_packer *pk, const ev_enum_t *e, int v)
{
    const char *s = ev_enum_name(e, v);
    enc_str(pk, s, strlen(s));
}

void enc_time(msgpack_packer *pk, int64_t us)
{
    int64_t sec;
    uint32_t nsec;
    ts_split(us, &sec, &nsec);
    msgpack_timestamp t = {sec, nsec};
    msgpack_pack_timestamp(pk, &t);
}

static void value(msgpack_packer *pk, const ev_t *ev, ev_field_t f)
{
    switch (f) {
    case EVF_V: msgpack_pack_uint32(pk, ev->version ? ev->version : ANTT_PROTO_VERSION); break;
    case EVF_ID:
        msgpack_pack_bin(pk, 16);
        msgpack_pack_bin_body(pk, ev->id, 16);
        break;
    case EVF_TYPE: enum_val(pk, &EV_TYPES, ev->type); break;
    case EVF_NODE: str(pk, ev->node); break;
    case EVF_UNIT: str(pk, ev->unit); break;
    case EVF_SEQ: msgpack_pack_uint64(pk, ev->seq); break;
    case EVF_TIME: enc_time(pk, ev->time_us); break;
    case EVF_CASE:
    case EVF_REF: str(pk, ev->ref); break;
    case EVF_GROUP: str(pk, ev->group); break;
    case EVF_SEVERITY: enum_val(pk, &EV_SEVERITIES, ev->severity); break;
    case EVF_OCCURRED_AT: enc_time(pk, ev->occurred_us); break;
    case EVF_OCCURRED_UNIT: str(pk, ev->occurred_unit); break;
    case EVF_DEATHS: msgpack_pack_uint32(pk, ev->deaths); break;
    case EVF_INJURIES: msgpack_pack_uint32(pk, ev->injuries); break;
    case EVF_SUMMARY: str(pk, ev->summary); break;
    case EVF_SUSPECTS: msgpack_pack_uint32(pk, ev->suspects); break;
    case EVF_CLEARED_AT:
    case EVF_RECEIVED_AT:
    case EVF_RESOLVED_AT:
    case EVF_RESUMED_AT:
    case EVF_FOUND_AT:
    case EVF_WITHDRAWN_AT: enc_time(pk, ev->at_us); break;
    case EVF_ISSUER: str(pk, ev->issuer); break;
    case EVF_HOW: enum_val(pk, &EV_HOWS, ev->how); break;
    case EVF_CATEGORY: enum_val(pk, &EV_CATEGORIES, ev->category); break;
    case EVF_REASON: str(pk, ev->reason); break;
    case EVF_KIND: enum_val(pk, &EV_TIPKINDS, ev->kind); break;
    case EVF_SOURCE: enum_val(pk, &EV_SOURCES, ev->source); break;
    case EVF_DEADLINE: enc_time(pk, ev->deadline_us); break;
    case EVF_BASIS: enum_val(pk, &EV_BASES, ev->basis); break;
    case EVF_OUTCOME: enum_val(pk, &EV_OUTCOMES, ev->outcome); break;
    case EVF_COUNT: break;
    }
}

int enc_event(msgpack_packer *pk, const ev_t *ev)
{
    if (ev->type <= EV_NONE || ev->type >= EV_TYPE_COUNT) return -ANTT_E_UNKNOWN_TYPE;
    const uint32_t fields = ev_required(ev->type) | (ev->present & ev_allowed(ev->type));
    msgpack_pack_map(pk, (size_t)__builtin_popcount(fields));
    for (int f = 0; f < EVF_COUNT; f++) {
        if (!(fields & EVB(f))) continue;
        key(pk, (ev_field_t)f);
        value(pk, ev, (ev_field_t)f);
    }
    return 0;
}

int enc_batch(msgpack_packer *pk, const ev_t *evs, size_t n)
{
    for (size_t i = 0; i < n; i++) /* refuse before writing anything */
        if (evs[i].type <= EV_NONE || evs[i].type >= EV_TYPE_COUNT) return -ANTT_E_UNKNOWN_TYPE;
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        enc_event(pk, &evs[i]);
    return 0;
}

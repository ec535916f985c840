/* test_roundtrip.c — every event type survives encode -> decode unchanged,
 * in every encoding the protocol allows. */
#include "fixtures.h"

#include "proto/err.h"
#include "proto/uuid.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void expect_str_eq(ev_str_t a, ev_str_t b, const char *what)
{
    cr_expect_eq(a.n, b.n, "%s length %u != %u", what, a.n, b.n);
    if (a.n == b.n && a.n) cr_expect(memcmp(a.p, b.p, a.n) == 0, "%s differs", what);
}

static void expect_same(const ev_t *a, const ev_t *b)
{
    cr_expect_eq(a->type, b->type);
    cr_expect_eq(a->version, b->version);
    cr_expect(memcmp(a->id, b->id, 16) == 0, "id differs");
    expect_str_eq(a->node, b->node, "node");
    expect_str_eq(a->unit, b->unit, "unit");
    cr_expect_eq(a->seq, b->seq);
    cr_expect_eq(a->time_us, b->time_us);
    expect_str_eq(a->ref, b->ref, "ref");
    expect_str_eq(a->group, b->group, "group");
    cr_expect_eq(a->severity, b->severity);
    cr_expect_eq(a->occurred_us, b->occurred_us);
    expect_str_eq(a->occurred_unit, b->occurred_unit, "occurred_unit");
    cr_expect_eq(a->deaths, b->deaths);
    cr_expect_eq(a->injuries, b->injuries);
    expect_str_eq(a->summary, b->summary, "summary");
    cr_expect_eq(a->suspects, b->suspects);
    expect_str_eq(a->reason, b->reason, "reason");
    cr_expect_eq(a->kind, b->kind);
    cr_expect_eq(a->source, b->source);
    cr_expect_eq(a->at_us, b->at_us);
    cr_expect_eq(a->deadline_us, b->deadline_us);
    cr_expect_eq(a->basis, b->basis);
    cr_expect_eq(a->outcome, b->outcome);
    cr_expect_eq(a->present, b->present, "present %#x != %#x", a->present, b->present);
}

Test(roundtrip, every_type_with_every_optional_field)
{
    for (int t = 1; t < EV_TYPE_COUNT; t++) {
        ev_t in, out;
        fx_event((ev_type_t)t, &in);
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        fx_encode(&in, &sb);
        dec_err_t err;
        int rc = fx_decode1(sb.data, sb.size, &out, &err);
        cr_assert_eq(rc, 1, "%s: rc %d (%s)", ev_enum_name(&EV_TYPES, t), rc, err.msg);
        expect_same(&in, &out);
        cr_expect_eq(out.raw_len, sb.size, "a single event spans the whole message");
        cr_expect_eq((const char *)out.raw, sb.data);
        msgpack_sbuffer_destroy(&sb);
    }
}

Test(roundtrip, every_type_with_required_fields_only)
{
    for (int t = 1; t < EV_TYPE_COUNT; t++) {
        ev_t in, out;
        fx_event((ev_type_t)t, &in);
        in.present = ev_required((ev_type_t)t);
        if (t == EV_INCIDENT_CORRECTED) in.present |= EVB(EVF_SEVERITY); /* needs one */
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        fx_encode(&in, &sb);
        dec_err_t err;
        int rc = fx_decode1(sb.data, sb.size, &out, &err);
        cr_assert_eq(rc, 1, "%s: %s", ev_enum_name(&EV_TYPES, t), err.msg);
        cr_expect_eq(out.present, in.present);
        msgpack_sbuffer_destroy(&sb);
    }
}

Test(roundtrip, batch_of_all_types_keeps_order_and_spans)
{
    ev_t in[EV_TYPE_COUNT - 1], out;
    for (int t = 1; t < EV_TYPE_COUNT; t++)
        fx_event((ev_type_t)t, &in[t - 1]);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    fx_encode_batch(in, EV_TYPE_COUNT - 1, &sb);
    dec_msg_t m;
    dec_err_t err;
    cr_assert_eq(dec_open(&m, sb.data, sb.size, FX_NOW_US, &err), 0, "%s", err.msg);
    cr_expect_eq(m.count, EV_TYPE_COUNT - 1);
    cr_expect_eq(m.batch, 1);
    size_t spanned = 0;
    for (int i = 0; i < EV_TYPE_COUNT - 1; i++) {
        cr_assert_eq(dec_next(&m, &out, &err), 1, "event %d: %s", i, err.msg);
        expect_same(&in[i], &out);
        /* each raw span re-decodes alone as the same event */
        ev_t again;
        cr_assert_eq(fx_decode1(out.raw, out.raw_len, &again, &err), 1, "%s", err.msg);
        expect_same(&in[i], &again);
        spanned += out.raw_len;
    }
    cr_expect_eq(dec_next(&m, &out, &err), 0, "no event after the last");
    cr_expect_eq(spanned + 1, sb.size, "spans cover everything but the array header");
    msgpack_sbuffer_destroy(&sb);
}

Test(roundtrip, encoder_output_is_read_alike_by_msgpack_c)
{
    ev_t in;
    fx_event(EV_INCIDENT_REPORTED, &in);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    fx_encode(&in, &sb);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    cr_assert_eq(msgpack_unpack_next(&u, sb.data, sb.size, &off), MSGPACK_UNPACK_SUCCESS);
    cr_expect_eq(off, sb.size);
    cr_assert_eq(u.data.type, MSGPACK_OBJECT_MAP);
    cr_expect_eq(u.data.via.map.size, (uint32_t)__builtin_popcount(in.present));
    int found_summary = 0;
    for (uint32_t i = 0; i < u.data.via.map.size; i++) {
        msgpack_object_kv *kv = &u.data.via.map.ptr[i];
        cr_assert_eq(kv->key.type, MSGPACK_OBJECT_STR, "keys are strings");
        if (kv->key.via.str.size == 7 && !memcmp(kv->key.via.str.ptr, "summary", 7)) {
            found_summary = 1;
            cr_expect_eq(kv->val.via.str.size, in.summary.n);
        }
        if (kv->key.via.str.size == 4 && !memcmp(kv->key.via.str.ptr, "time", 4)) {
            msgpack_timestamp ts;
            cr_assert(msgpack_object_to_timestamp(&kv->val, &ts), "time is a timestamp ext");
            cr_expect_eq(ts.tv_sec * 1000000 + ts.tv_nsec / 1000, in.time_us);
        }
    }
    cr_expect(found_summary);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sb);
}

/* Pack a reported incident by hand so each test can choose the id and time forms. */
static void pack_reported(msgpack_packer *pk, int id_as_string, int time_form, int64_t time_us)
{
    msgpack_pack_map(pk, 10); /* the ten required keys of incident.reported */
    enc_str(pk, "v", 1), msgpack_pack_uint8(pk, 1);
    enc_str(pk, "type", 4), enc_str(pk, "incident.reported", 17);
    enc_str(pk, "node", 4), enc_str(pk, "n1", 2);
    enc_str(pk, "unit", 4), enc_str(pk, "183", 3);
    enc_str(pk, "seq", 3), msgpack_pack_uint8(pk, 7);
    enc_str(pk, "case", 4), enc_str(pk, "1/VV", 4);
    enc_str(pk, "group", 5), enc_str(pk, "drugs", 5);
    enc_str(pk, "occurred_at", 11), msgpack_pack_uint64(pk, (uint64_t)(FX_NOW_US / 1000));
    enc_str(pk, "id", 2);
    if (id_as_string) {
        enc_str(pk, "0188F1B2-3C4D-7E5F-8A9B-0C1D2E3F4A5B", 36);
    } else {
        static const uint8_t ID[16] = {0x01, 0x88, 0xf1, 0xb2, 0x3c, 0x4d, 0x7e, 0x5f,
                                       0x8a, 0x9b, 0x0c, 0x1d, 0x2e, 0x3f, 0x4a, 0x5b};
        msgpack_pack_bin(pk, 16), msgpack_pack_bin_body(pk, ID, 16);
    }
    enc_str(pk, "time", 4);
    int64_t sec = time_us / 1000000;
    uint32_t nsec = (uint32_t)(time_us % 1000000) * 1000;
    unsigned char b[12];
    switch (time_form) {
    case 0: /* integer milliseconds */ msgpack_pack_uint64(pk, (uint64_t)(time_us / 1000)); break;
    case 4: /* timestamp 32 */
        for (int i = 0; i < 4; i++)
            b[i] = (unsigned char)(sec >> (24 - 8 * i));
        msgpack_pack_ext(pk, 4, -1), msgpack_pack_ext_body(pk, b, 4);
        break;
    case 8: { /* timestamp 64 */
        uint64_t w = (uint64_t)nsec << 34 | (uint64_t)sec;
        for (int i = 0; i < 8; i++)
            b[i] = (unsigned char)(w >> (56 - 8 * i));
        msgpack_pack_ext(pk, 8, -1), msgpack_pack_ext_body(pk, b, 8);
        break;
    }
    case 12: /* timestamp 96 */
        for (int i = 0; i < 4; i++)
            b[i] = (unsigned char)(nsec >> (24 - 8 * i));
        for (int i = 0; i < 8; i++)
            b[4 + i] = (unsigned char)((uint64_t)sec >> (56 - 8 * i));
        msgpack_pack_ext(pk, 12, -1), msgpack_pack_ext_body(pk, b, 12);
        break;
    }
}

static ev_t decode_packed(int id_as_string, int time_form, int64_t time_us)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    pack_reported(&pk, id_as_string, time_form, time_us);
    ev_t ev;
    dec_err_t err;
    int rc = fx_decode1(sb.data, sb.size, &ev, &err);
    cr_assert_eq(rc, 1, "form %d: %s", time_form, err.msg);
    msgpack_sbuffer_destroy(&sb);
    return ev;
}

Test(roundtrip, all_four_time_encodings_give_the_same_instant)
{
    const int64_t t = FX_NOW_US - 123456789; /* not on a second: 0.456789 s */
    ev_t ms = decode_packed(0, 0, t), t32 = decode_packed(0, 4, t);
    ev_t t64 = decode_packed(0, 8, t), t96 = decode_packed(0, 12, t);
    cr_expect_eq(ms.time_us, t / 1000 * 1000, "milliseconds keep milliseconds");
    cr_expect_eq(t32.time_us, t / 1000000 * 1000000, "timestamp 32 holds whole seconds");
    cr_expect_eq(t64.time_us, t, "timestamp 64 keeps microseconds");
    cr_expect_eq(t96.time_us, t, "timestamp 96 keeps microseconds");
}

Test(roundtrip, string_and_binary_ids_are_the_same_id)
{
    ev_t s = decode_packed(1, 0, FX_NOW_US), b = decode_packed(0, 0, FX_NOW_US);
    cr_expect(memcmp(s.id, b.id, 16) == 0, "upper-case text id equals the bin id");
    char txt[37];
    uuid_format(b.id, txt);
    cr_expect_str_eq(txt, "0188f1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b");
}

Test(roundtrip, unknown_keys_are_ignored_even_when_nested)
{
    ev_t in, out;
    fx_event(EV_TIPOFF_RECEIVED, &in);
    msgpack_sbuffer a;
    msgpack_sbuffer_init(&a);
    fx_encode(&in, &a);
    /* re-pack the map with two extra keys in front (a v1.x sender's additions) */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    unsigned char first = (unsigned char)a.data[0]; /* fixmap header */
    cr_assert((first & 0xf0) == 0x80 && (first & 0x0f) <= 13);
    msgpack_pack_map(&pk, (size_t)(first & 0x0f) + 2);
    enc_str(&pk, "x_officer_note", 14), enc_str(&pk, "ghi chú", 8);
    enc_str(&pk, "x_geo", 5), msgpack_pack_map(&pk, 2);
    enc_str(&pk, "lat", 3), msgpack_pack_double(&pk, 21.85);
    enc_str(&pk, "lon", 3), msgpack_pack_array(&pk, 1), msgpack_pack_double(&pk, 106.76);
    msgpack_sbuffer_write(&sb, a.data + 1, a.size - 1);
    dec_err_t err;
    cr_assert_eq(fx_decode1(sb.data, sb.size, &out, &err), 1, "%s", err.msg);
    expect_same(&in, &out);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&sb);
}

Test(roundtrip, positive_values_in_signed_encodings_are_accepted)
{
    /* Some msgpack libraries write every integer as int64 (0xd3): patch the
     * encoder's fixint 3 for "suspects" into an int64 5. */
    ev_t in, out;
    fx_event(EV_INCIDENT_CLEARED, &in);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    fx_encode(&in, &sb);
    static const char KEY[] = "\xa8suspects\x03";
    char *at = memmem(sb.data, sb.size, KEY, sizeof KEY - 1);
    cr_assert(at, "encoded event holds suspects = 3 as a fixint");
    size_t head = (size_t)(at - sb.data) + sizeof KEY - 2, tail = sb.size - head - 1;
    char buf[512];
    cr_assert(head + 9 + tail <= sizeof buf);
    memcpy(buf, sb.data, head);
    static const unsigned char I64[9] = {0xd3, 0, 0, 0, 0, 0, 0, 0, 5};
    memcpy(buf + head, I64, 9);
    memcpy(buf + head + 9, sb.data + head + 1, tail);
    dec_err_t err;
    cr_assert_eq(fx_decode1(buf, head + 9 + tail, &out, &err), 1, "%s", err.msg);
    cr_expect_eq(out.suspects, 5);
    msgpack_sbuffer_destroy(&sb);
}

Test(roundtrip, every_field_name_maps_back_to_its_field)
{
    for (int f = 0; f < EVF_COUNT; f++) {
        const char *k = ev_field_name((ev_field_t)f);
        cr_expect_eq(ev_field_lookup(k, strlen(k)), f, "%s", k);
    }
    cr_expect_eq(ev_field_lookup("cases", 5), -1);
    cr_expect_eq(ev_field_lookup("", 0), -1);
    cr_expect_eq(ev_field_lookup("occurred_units", 14), -1);
    cr_expect_eq(ev_enum_parse(&EV_SEVERITIES, "serious\0x", 9), 0, "a NUL inside is no match");
    cr_expect_eq(ev_enum_parse(&EV_SEVERITIES, "serious", 7), SEV_SERIOUS);
}

Test(roundtrip, a_key_with_a_nul_where_a_name_ends_is_unknown)
{
    cr_expect_eq(ev_field_lookup("v", 1), EVF_V);
    cr_expect_eq(ev_field_lookup("id\0", 3), -1);
    cr_expect_eq(ev_field_lookup("seq\0", 4), -1);
    cr_expect_eq(ev_field_lookup("type\0\0\0\0", 8), -1);
}

Test(roundtrip, reading_goes_on_after_the_bytes_move)
{
    ev_t evs[2];
    fx_event(EV_INCIDENT_REPORTED, &evs[0]);
    fx_event(EV_TIPOFF_RECEIVED, &evs[1]);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    fx_encode_batch(evs, 2, &sb);
    dec_msg_t m;
    dec_err_t e;
    cr_assert_eq(dec_open(&m, sb.data, sb.size, FX_NOW_US, &e), 0);
    ev_t a;
    cr_assert_eq(dec_next(&m, &a, &e), 1);
    /* The buffer moves (a zmq_msg_t handed to its owner); the old one is gone. */
    char *moved = malloc(sb.size);
    memcpy(moved, sb.data, sb.size);
    dec_move(&m, sb.data, moved);
    memset(sb.data, 0xc1, sb.size);
    ev_t b;
    cr_assert_eq(dec_next(&m, &b, &e), 1, "%s", e.msg);
    cr_expect_eq(b.type, EV_TIPOFF_RECEIVED);
    cr_expect(b.raw >= (const uint8_t *)moved && b.raw < (const uint8_t *)moved + sb.size);
    cr_expect_eq(dec_next(&m, &b, &e), 0);
    free(moved);
    msgpack_sbuffer_destroy(&sb);
}

/* The node a message is routed by (store lanes) is its first event's, in a
 * batch as in a single event: a batch that gave none went to lane 0 always,
 * so 100-event messages used one of the store connections only. */
Test(roundtrip, the_first_events_node_routes_single_events_and_batches)
{
    ev_t evs[2];
    fx_event(EV_INCIDENT_REPORTED, &evs[0]);
    fx_event(EV_TIPOFF_RECEIVED, &evs[1]);
    evs[0].node = ev_cstr("ls-first");
    evs[1].node = ev_cstr("ls-second");
    for (int batch = 0; batch < 2; batch++) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        if (batch)
            fx_encode_batch(evs, 2, &sb);
        else
            fx_encode(&evs[0], &sb);
        dec_msg_t m;
        dec_err_t e;
        cr_assert_eq(dec_open(&m, sb.data, sb.size, FX_NOW_US, &e), 0, "%s", e.msg);
        const char *node = NULL;
        size_t n = 0;
        cr_assert_eq(dec_node(&m, &node, &n), 0, "batch=%d: no node found", batch);
        cr_expect_eq(n, strlen("ls-first"), "batch=%d", batch);
        cr_expect(node && !memcmp(node, "ls-first", n), "batch=%d", batch);
        ev_t a;
        cr_expect_eq(dec_next(&m, &a, &e), 1, "dec_node left the reader where it was");
        cr_expect(a.node.n == n && !memcmp(a.node.p, "ls-first", n), "the first event read");
        msgpack_sbuffer_destroy(&sb);
    }
}

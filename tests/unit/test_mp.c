/* test_mp.c — the bounded msgpack reader against msgpack-c's own packer. */
#include "fixtures.h"

#include "proto/err.h"
#include "proto/mp.h"

#include <criterion/criterion.h>
#include <string.h>

static mp_obj_t read1(const msgpack_sbuffer *sb)
{
    mp_reader_t r;
    mp_obj_t o;
    mp_init(&r, sb->data, sb->size);
    cr_assert_eq(mp_next(&r, &o), 0);
    cr_assert_eq(mp_left(&r), 0, "one object consumed whole");
    return o;
}

Test(mp, reads_every_scalar_form_msgpack_c_writes)
{
    const int64_t ints[] = {
        0,         1,  127, 128, 255,  256,  65535,  65536,  4294967295LL, 4294967296LL,
        INT64_MAX, -1, -32, -33, -128, -129, -32768, -32769, INT64_MIN};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_int64(&pk, ints[i]);
        mp_obj_t o = read1(&sb);
        if (ints[i] >= 0) {
            cr_expect_eq(o.type, MP_UINT);
            cr_expect_eq(o.v.u, (uint64_t)ints[i]);
        } else {
            cr_expect_eq(o.type, MP_INT);
            cr_expect_eq(o.v.i, ints[i]);
        }
        msgpack_sbuffer_destroy(&sb);
    }
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_uint64(&pk, UINT64_MAX);
    cr_expect_eq(read1(&sb).v.u, UINT64_MAX);
    sb.size = 0;
    msgpack_pack_double(&pk, 2.5);
    cr_expect_eq(read1(&sb).v.f, 2.5);
    sb.size = 0;
    msgpack_pack_float(&pk, 0.25f);
    cr_expect_eq(read1(&sb).v.f, 0.25);
    sb.size = 0;
    msgpack_pack_true(&pk);
    cr_expect(read1(&sb).v.b);
    sb.size = 0;
    msgpack_pack_nil(&pk);
    cr_expect_eq(read1(&sb).type, MP_NIL);
    msgpack_sbuffer_destroy(&sb);
}

Test(mp, string_bin_and_ext_lengths_at_every_width)
{
    static char big[70000];
    memset(big, 'q', sizeof big);
    const size_t lens[] = {0, 31, 32, 255, 256, 65535, 65536};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (int kind = 0; kind < 3; kind++) {
            msgpack_sbuffer sb;
            msgpack_sbuffer_init(&sb);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
            if (kind == 0) msgpack_pack_str_with_body(&pk, big, lens[i]);
            if (kind == 1) msgpack_pack_bin_with_body(&pk, big, lens[i]);
            if (kind == 2) msgpack_pack_ext_with_body(&pk, big, lens[i], 42);
            mp_obj_t o = read1(&sb);
            cr_expect_eq(o.type, kind == 0 ? MP_STR : kind == 1 ? MP_BIN : MP_EXT);
            cr_expect_eq(o.n, lens[i]);
            if (kind == 2) cr_expect_eq(o.ext, 42);
            if (lens[i]) cr_expect_eq(o.p[lens[i] - 1], 'q');
            msgpack_sbuffer_destroy(&sb);
        }
    }
}

Test(mp, a_declared_length_beyond_the_buffer_is_refused_and_the_reader_stays)
{
    static const unsigned char STR[] = {0xd9, 10, 'a', 'b'};
    mp_reader_t r;
    mp_obj_t o;
    mp_init(&r, STR, sizeof STR);
    cr_expect_eq(mp_next(&r, &o), -ANTT_E_MALFORMED);
    cr_expect_eq(mp_left(&r), sizeof STR, "the reader did not move");
    /* An array of n needs n more bytes, a map of n pairs 2n. */
    static const unsigned char ARR[] = {0x93, 1, 2};
    mp_init(&r, ARR, sizeof ARR);
    cr_expect_eq(mp_next(&r, &o), -ANTT_E_MALFORMED);
    static const unsigned char MAP[] = {0x82, 1, 2, 3};
    mp_init(&r, MAP, sizeof MAP);
    cr_expect_eq(mp_next(&r, &o), -ANTT_E_MALFORMED);
    static const unsigned char C1[] = {0xc1};
    mp_init(&r, C1, 1);
    cr_expect_eq(mp_next(&r, &o), -ANTT_E_MALFORMED);
    mp_init(&r, C1, 0);
    cr_expect_eq(mp_next(&r, &o), -ANTT_E_MALFORMED, "nothing to read");
}

Test(mp, skip_counts_depth_including_empty_containers)
{
    static const unsigned char D3[] = {0x91, 0x91, 0x90};      /* [[[]]] */
    static const unsigned char M2[] = {0x81, 0xa1, 'k', 0x80}; /* {"k": {}} */
    mp_reader_t r;
    mp_init(&r, D3, sizeof D3);
    cr_expect_eq(mp_skip(&r, 3), 0);
    cr_expect_eq(mp_left(&r), 0);
    mp_init(&r, D3, sizeof D3);
    cr_expect_eq(mp_skip(&r, 2), -ANTT_E_TOO_DEEP);
    mp_init(&r, M2, sizeof M2);
    cr_expect_eq(mp_skip(&r, 2), 0);
    mp_init(&r, M2, sizeof M2);
    cr_expect_eq(mp_skip(&r, 1), -ANTT_E_TOO_DEEP);
}

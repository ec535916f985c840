/* test_ack.c — replies: what the daemon writes, the client reads back. */
#include "fixtures.h"

#include "proto/ack.h"
#include "proto/err.h"

#include <criterion/criterion.h>
#include <string.h>

Test(ack, per_event_verdicts_round_trip_in_order)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    ack_t in[4] = {
        {.index = 0, .has_id = 1, .id = {1}, .status = ACK_ACCEPTED},
        {.index = 1, .has_id = 1, .id = {2}, .status = ACK_DUPLICATE},
        {.index = 2,
         .has_id = 1,
         .id = {3},
         .status = ACK_REJECTED,
         .code = ANTT_E_BAD_ENUM,
         .field = ev_cstr("severity"),
         .msg = ev_cstr("severity: not one of ...")},
        {.index = 3,
         .has_id = 0,
         .status = ACK_REJECTED,
         .code = ANTT_E_EVENT_NOT_MAP,
         .msg = ev_cstr("event 3 is a integer, not a map")},
    };
    ack_reply_begin(&pk, 0, NULL, 4);
    for (int i = 0; i < 4; i++)
        ack_pack(&pk, &in[i]);

    ack_reply_t rep;
    cr_assert_eq(ack_open(&rep, sb.data, sb.size), 0);
    cr_expect_eq(rep.version, 1);
    cr_expect_eq(rep.code, 0);
    cr_expect_eq(rep.count, 4);
    ack_t a;
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(ack_next(&rep, &a), 1);
        cr_expect_eq(a.index, in[i].index);
        cr_expect_eq(a.status, in[i].status);
        cr_expect_eq(a.code, in[i].code);
        cr_expect_eq(a.has_id, in[i].has_id);
        if (a.has_id) cr_expect(memcmp(a.id, in[i].id, 16) == 0);
        cr_expect_eq(a.field.n, in[i].field.n);
        cr_expect_eq(a.msg.n, in[i].msg.n);
    }
    cr_expect_eq(ack_next(&rep, &a), 0);
    msgpack_sbuffer_destroy(&sb);
}

Test(ack, message_level_refusal_has_a_code_and_no_acks)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    ack_reply_begin(&pk, ANTT_E_MALFORMED, "message is not valid msgpack", 0);
    ack_reply_t rep;
    cr_assert_eq(ack_open(&rep, sb.data, sb.size), 0);
    cr_expect_eq(rep.code, ANTT_E_MALFORMED);
    cr_expect_eq(rep.count, 0);
    cr_expect_eq(rep.msg.n, strlen("message is not valid msgpack"));
    msgpack_sbuffer_destroy(&sb);
}

Test(ack, broken_replies_are_refused_at_every_truncation)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    ack_t a = {.index = 0,
               .has_id = 1,
               .id = {9},
               .status = ACK_REJECTED,
               .code = 210,
               .field = ev_cstr("kind"),
               .msg = ev_cstr("bad")};
    ack_reply_begin(&pk, 0, NULL, 1);
    ack_pack(&pk, &a);
    for (size_t cut = 0; cut < sb.size; cut++) {
        ack_reply_t rep;
        ack_t out;
        int rc = ack_open(&rep, sb.data, cut);
        if (rc == 0) rc = ack_next(&rep, &out);
        cr_expect_lt(rc, 0, "cut at %zu", cut);
    }
    /* a status outside the list */
    ack_reply_t rep;
    ack_t out;
    unsigned char bad[] = {0x83, 0xa1, 'v',  1,    0xa4, 'c', 'o', 'd', 'e', 0,   0xa4, 'a', 'c',
                           'k',  's',  0x91, 0x81, 0xa6, 's', 't', 'a', 't', 'u', 's',  9};
    cr_assert_eq(ack_open(&rep, bad, sizeof bad), 0);
    cr_expect_eq(ack_next(&rep, &out), -ANTT_E_MALFORMED);
    msgpack_sbuffer_destroy(&sb);
}

/* test_tview.c — a subscriber applies stream messages after its snapshot,
 * skips what the snapshot holds, and detects a missed message or a restart. */
#include "lib/tview.h"
#include "proto/encode.h"

#include <criterion/criterion.h>
#include <msgpack.h>
#include <string.h>

static msgpack_sbuffer sb;

static void snapshot(uint64_t epoch, uint64_t useq_06040, int64_t incidents)
{
    msgpack_sbuffer_clear(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    enc_str(&pk, "epoch", 5);
    msgpack_pack_uint64(&pk, epoch);
    enc_str(&pk, "seq", 3);
    msgpack_pack_uint64(&pk, 99);
    enc_str(&pk, "useq", 4);
    msgpack_pack_map(&pk, 1);
    enc_str(&pk, "06040", 5);
    msgpack_pack_uint64(&pk, useq_06040);
    enc_str(&pk, "rows", 4);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 6);
    enc_str(&pk, "06040", 5);
    msgpack_pack_int32(&pk, 19520);
    enc_str(&pk, "incidents", 9);
    enc_str(&pk, "drugs", 5);
    enc_str(&pk, "serious", 7);
    msgpack_pack_int64(&pk, incidents);
}

static void message(uint64_t epoch, uint64_t useq, int64_t delta)
{
    msgpack_sbuffer_clear(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    enc_str(&pk, "epoch", 5);
    msgpack_pack_uint64(&pk, epoch);
    enc_str(&pk, "seq", 3);
    msgpack_pack_uint64(&pk, 100 + useq);
    enc_str(&pk, "useq", 4);
    msgpack_pack_uint64(&pk, useq);
    enc_str(&pk, "unit", 4);
    enc_str(&pk, "06040", 5);
    enc_str(&pk, "deltas", 6);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 5);
    msgpack_pack_int32(&pk, 19520);
    enc_str(&pk, "incidents", 9);
    enc_str(&pk, "drugs", 5);
    enc_str(&pk, "serious", 7);
    msgpack_pack_int64(&pk, delta);
}

Test(tview, applies_after_the_snapshot_and_detects_gaps_and_restarts)
{
    msgpack_sbuffer_init(&sb);
    tview_t *tv = tview_new();
    char err[128];
    snapshot(7, 5, 40);
    cr_assert_eq(tview_snapshot(tv, sb.data, sb.size, err, sizeof err), 0, "%s", err);
    cr_expect_eq(tview_get(tv, "06040", 19520, "incidents", "drugs", "serious"), 40);
    message(7, 5, 3);
    cr_expect_eq(tview_apply(tv, sb.data, sb.size), TV_OLD, "already in the snapshot");
    message(7, 6, 3);
    cr_expect_eq(tview_apply(tv, sb.data, sb.size), TV_APPLIED);
    cr_expect_eq(tview_get(tv, "06040", 19520, "incidents", "drugs", "serious"), 43);
    message(7, 8, 1); /* 7 was lost */
    cr_expect_eq(tview_apply(tv, sb.data, sb.size), TV_GAP);
    cr_expect_eq(tview_gaps(tv), 1);
    cr_expect_eq(tview_get(tv, "06040", 19520, "incidents", "drugs", "serious"), 43,
                 "nothing applied");
    message(8, 1, 1); /* the daemon restarted */
    cr_expect_eq(tview_apply(tv, sb.data, sb.size), TV_EPOCH);
    cr_expect_eq(tview_apply(tv, "\xc1", 1), TV_BAD);
    /* A refused snapshot says why. */
    msgpack_sbuffer_clear(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    enc_str(&pk, "error", 5);
    enc_str(&pk, "unknown unit", 12);
    cr_expect_eq(tview_snapshot(tv, sb.data, sb.size, err, sizeof err), -1);
    cr_expect(strstr(err, "unknown unit"), "%s", err);
    tview_free(&tv);
    msgpack_sbuffer_destroy(&sb);
}

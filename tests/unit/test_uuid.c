/* test_uuid.c — id text forms and the v7 layout. */
#include "proto/uuid.h"

#include <criterion/criterion.h>
#include <string.h>

Test(uuid, text_round_trip_any_case)
{
    uint8_t a[16], b[16];
    char out[37];
    cr_assert_eq(uuid_parse("0188f1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b", 36, a), 0);
    cr_assert_eq(uuid_parse("0188F1B2-3C4D-7E5F-8A9B-0C1D2E3F4A5B", 36, b), 0);
    cr_expect(memcmp(a, b, 16) == 0);
    uuid_format(a, out);
    cr_expect_str_eq(out, "0188f1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b");
}

Test(uuid, malformed_text_is_refused)
{
    uint8_t id[16];
    static const char *const BAD[] = {
        "0188f1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5",   "0188f1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5bb",
        "0188f1b2+3c4d-7e5f-8a9b-0c1d2e3f4a5b",  "0188f1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5g",
        "{188f1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b}", "0188f1b23c4d7e5f8a9b0c1d2e3f4a5b----",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        cr_expect_eq(uuid_parse(BAD[i], strlen(BAD[i]), id), -1, "%s", BAD[i]);
}

Test(uuid, v7_carries_time_version_and_variant_and_sorts_by_time)
{
    const uint8_t rnd[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t a[16], b[16];
    uuid_v7(a, 1686798000000ull, rnd);
    uuid_v7(b, 1686798000001ull, rnd);
    cr_expect_eq(a[6] >> 4, 7, "version 7");
    cr_expect_eq(a[8] >> 6, 2, "variant 10");
    uint64_t ms = 0;
    for (int i = 0; i < 6; i++)
        ms = ms << 8 | a[i];
    cr_expect_eq(ms, 1686798000000ull);
    cr_expect(memcmp(a, b, 16) < 0, "later ids sort after earlier ones");
    cr_expect(!uuid_is_nil(a));
    const uint8_t zero[16] = {0};
    cr_expect(uuid_is_nil(zero));
}

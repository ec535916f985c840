/* test_utf8.c — strict UTF-8, including the SWAR fast path's edges. */
#include "proto/utf8.h"

#include <criterion/criterion.h>
#include <string.h>

static int check(const char *s, int flags)
{
    return utf8_check((const uint8_t *)s, strlen(s), flags);
}

Test(utf8, accepts_vietnamese_in_every_position_of_the_fast_path)
{
    const char *base = "Công an xã Đồng Đăng tiếp nhận tố giác về tội phạm";
    for (size_t pad = 0; pad < 9; pad++) {
        char buf[128];
        memset(buf, 'a', pad);
        strcpy(buf + pad, base);
        cr_expect_eq(check(buf, 0), 0, "pad %zu", pad);
    }
    cr_expect_eq(check("\xf0\x9f\x9a\x93", 0), 0, "4-byte sequence (emoji)");
    cr_expect_eq(check("\xef\xbf\xbf", 0), 0, "U+FFFF");
    cr_expect_eq(check("\xf4\x8f\xbf\xbf", 0), 0, "U+10FFFF");
}

Test(utf8, refuses_control_characters_hidden_in_an_ascii_run)
{
    for (size_t at = 0; at < 16; at++) {
        char buf[17];
        memset(buf, 'x', 16);
        buf[16] = 0;
        buf[at] = 0x1b;
        cr_expect_eq(check(buf, 0), -1, "ESC at %zu", at);
        buf[at] = 0x7f;
        cr_expect_eq(check(buf, 0), -1, "DEL at %zu", at);
        buf[at] = '\n';
        cr_expect_eq(check(buf, 0), -1, "newline at %zu on one line", at);
        cr_expect_eq(check(buf, UTF8_ALLOW_NEWLINES), 0, "newline at %zu in text", at);
    }
    cr_expect_eq(utf8_check((const uint8_t *)"ab\0cd", 5, UTF8_ALLOW_NEWLINES), -1, "NUL");
}

Test(utf8, refuses_every_class_of_bad_sequence)
{
    static const char *const BAD[] = {
        "\x80",
        "\xbf",
        "\xc0\xaf",
        "\xc1\xbf",
        "\xe0\x80\xaf",
        "\xe0\x9f\xbf",
        "\xed\xa0\x80",
        "\xed\xbf\xbf",
        "\xf0\x80\x80\xaf",
        "\xf0\x8f\xbf\xbf",
        "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80",
        "\xff",
        "\xfe",
        "\xc3",
        "\xe1\xbb",
        "\xc3\x28",
        "\xe1\x28\xa1",
        "\xc2\x80",
        "\xc2\x9f",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        cr_expect_eq(check(BAD[i], UTF8_ALLOW_NEWLINES), -1, "case %zu", i);
    cr_expect_eq(check("\xc2\xa0", 0), 0, "U+00A0 is the first after C1");
}

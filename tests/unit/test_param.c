/* test_param.c — the console's parameters, login form and proxy address
 * (web/param.c): whole values only, no NUL, ranges, UTF-8, names each
 * endpoint knows, given once. The hostile cases among them. */
#include "web/param.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#pragma GCC diagnostic ignored "-Wmissing-field-initializers" /* {"k", "v"}: vlen 0 */

/* Take "k=v" pairs (already decoded; lengths given so NULs may be inside)
 * and finish: 0 or -1, with why. */
typedef struct {
    const char *k, *v;
    size_t vlen; /* 0: strlen(v) */
} kv_t;

static int take(const char *endpoint, const kv_t *kv, size_t n, param_t *p, char *why)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < n; i++)
        if (param_take(p, endpoint, kv[i].k, strlen(kv[i].k), kv[i].v,
                       kv[i].vlen ? kv[i].vlen : strlen(kv[i].v), why, 200) < 0)
            return -1;
    return param_finish(p, endpoint, why, 200);
}

#define KV(...) ((const kv_t[]){__VA_ARGS__}), sizeof((const kv_t[]){__VA_ARGS__}) / sizeof(kv_t)

Test(param, a_report_takes_whole_values_only)
{
    param_t p;
    char why[200];
    cr_assert_eq(take("report", KV({"unit", "20"}, {"year", "2023"}), &p, why), 0, "%s", why);
    cr_expect_eq(p.year, 2023);
    cr_expect_str_eq(p.unit, "20");
    cr_expect_eq(take("report", KV({"unit", "20"}, {"year", "2023 OR 1=1"}), &p, why), -1);
    cr_expect(strstr(why, "year"), "%s", why);
    cr_expect_eq(take("report", KV({"unit", "20"}, {"year", "2023.5"}), &p, why), -1);
    cr_expect_eq(take("report", KV({"unit", "20"}, {"year", "2023"}, {"cmp", "abc"}), &p, why), -1);
    cr_expect_eq(take("report", KV({"unit", "20"}, {"year", "1999"}), &p, why), -1);
    cr_expect_eq(take("report", KV({"unit", "20"}, {"year", "+2023"}), &p, why), -1);
    cr_expect_eq(take("report", KV({"unit", "20"}, {"year", ""}), &p, why), -1);
    cr_expect_eq(take("report", KV({"unit", "20"}, {"year", "99999999999999999999"}), &p, why), -1);
    cr_expect_eq(take("report", KV({"unit", "20"}, {"year", "2023"}, {"lang", "fr"}), &p, why), -1);
    cr_expect_eq(take("report", KV({"unit", "20"}, {"year", "2023"}, {"stat", "2"}), &p, why), -1);
    cr_expect_eq(take("report", KV({"unit", "20"}, {"year", "2023"}, {"format", "xml"}), &p, why),
                 -1);
    cr_assert_eq(take("report",
                      KV({"unit", "20"}, {"year", "2023"}, {"cmp", "2022"}, {"lang", "en"},
                         {"stat", "1"}, {"format", "json"}),
                      &p, why),
                 0, "%s", why);
    cr_expect(p.cmp == 2022 && p.stat == 1 && !strcmp(p.lang, "en") && !strcmp(p.format, "json"));
    cr_expect_eq(take("report", KV({"unit", "20"}), &p, why), -1, "year is needed");
    cr_expect(strstr(why, "year: missing"), "%s", why);
}

Test(param, a_nul_inside_a_value_is_refused)
{
    param_t p;
    char why[200];
    cr_expect_eq(take("overview",
                      KV({"unit", "20"}, {"from", "2023-01-01\0junk", 15}, {"to", "2024-01-01"}),
                      &p, why),
                 -1);
    cr_expect(strstr(why, "NUL"), "%s", why);
    cr_expect_eq(take("stations", KV({"unit", "20\0", 3}), &p, why), -1);
}

Test(param, unknown_and_repeated_names_are_refused)
{
    param_t p;
    char why[200];
    cr_expect_eq(take("stations", KV({"unit", "20"}, {"year", "2023"}), &p, why), -1,
                 "stations takes no year");
    cr_expect(strstr(why, "unknown parameter 'year'"), "%s", why);
    cr_expect_eq(take("stations", KV({"unit", "20"}, {"unit", "04"}), &p, why), -1);
    cr_expect(strstr(why, "twice"), "%s", why);
    cr_expect_eq(take("me", KV({"x", "1"}), &p, why), -1);
    cr_expect_eq(take("stations", KV({"\x01\xff", "1"}), &p, why), -1);
    cr_expect(strstr(why, "unprintable"), "%s", why);
    cr_expect(!param_known("nothing"));
    cr_expect(param_known("units"));
}

Test(param, periods_are_real_days_in_order_within_ten_years)
{
    param_t p;
    char why[200];
    cr_expect_eq(
        take("months", KV({"unit", "04"}, {"from", "2024-02-29"}, {"to", "2024-03-01"}), &p, why),
        0, "%s", why);
    cr_expect_eq(
        take("months", KV({"unit", "04"}, {"from", "2023-02-29"}, {"to", "2024-03-01"}), &p, why),
        -1);
    cr_expect_eq(
        take("months", KV({"unit", "04"}, {"from", "2024-01-01"}, {"to", "2024-01-01"}), &p, why),
        -1);
    cr_expect_eq(
        take("months", KV({"unit", "04"}, {"from", "2000-01-01"}, {"to", "2024-01-01"}), &p, why),
        -1);
    cr_expect_eq(
        take("months", KV({"unit", "04"}, {"from", "2023-1-01"}, {"to", "2024-01-01"}), &p, why),
        -1);
    cr_expect_eq(take("overview",
                      KV({"unit", "04"}, {"from", "2023-01-01"}, {"to", "2024-01-01"},
                         {"cfrom", "2022-01-01"}),
                      &p, why),
                 -1, "cfrom without cto");
    cr_expect_eq(
        take("tipoffs",
             KV({"unit", "04"}, {"from", "2023-01-01"}, {"to", "2024-01-01"}, {"within", "0"}), &p,
             why),
        -1);
    cr_expect_eq(
        take("tipoffs",
             KV({"unit", "04"}, {"from", "2023-01-01"}, {"to", "2024-01-01"}, {"within", "7"}), &p,
             why),
        0, "%s", why);
    cr_expect_eq(p.within, 7);
    cr_expect(param_day_valid("2000-02-29", 10));
    cr_expect(!param_day_valid("1900-02-29", 10));
    cr_expect(!param_day_valid("2023-04-31", 10));
    cr_expect_eq(param_day_number("1970-01-01"), 0);
    cr_expect_eq(param_day_number("2024-01-01") - param_day_number("2023-01-01"), 365);
}

Test(param, units_and_the_pickers_text)
{
    param_t p;
    char why[200];
    cr_expect(param_unit_valid("all", 3));
    cr_expect(param_unit_valid("group:cluster2", 14));
    cr_expect(!param_unit_valid("group:", 6));
    cr_expect(!param_unit_valid("04;drop", 7));
    cr_expect(!param_unit_valid("0404", 4));
    cr_expect_eq(take("units", KV({"q", "L\xe1\xba\xa1ng"}), &p, why), 0, "%s", why);
    cr_expect_eq(take("units", KV({"q", ""}), &p, why), 0, "%s", why);
    cr_expect_eq(take("units", KV({"q", "\xff\xfe"}), &p, why), -1, "not UTF-8");
    cr_expect(strstr(why, "UTF-8"), "%s", why);
    cr_expect_eq(take("units", KV({"q", "a\x01"}), &p, why), -1, "a control character");
    char long_q[80];
    memset(long_q, 'a', 65);
    long_q[65] = '\0';
    cr_expect_eq(take("units", KV({"q", long_q}), &p, why), -1);
}

/* The login form's fields as libmicrohttpd's post processor hands them
 * over: "key=value" pairs, each value in one piece; 0 or -1 (finish). */
static int form(const char *const *kv, size_t n, param_login_t *f)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i + 1 < n; i += 2)
        if (param_login_take(f, kv[i], kv[i + 1], 0, strlen(kv[i + 1])) < 0) return -1;
    return param_login_finish(f);
}

#define FORM(...)                                                                                  \
    ((const char *const[]){__VA_ARGS__}),                                                          \
        sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)

Test(param, the_login_form_is_read_strictly)
{
    param_login_t f;
    cr_expect_eq(form(FORM("name", "tinh20", "password", "a long secret"), &f), 0);
    cr_expect_str_eq(f.name, "tinh20");
    cr_expect_str_eq(f.password, "a long secret");
    cr_expect_eq(f.password_len, 13);
    cr_expect_eq(form(FORM("name", "a", "password", "b", "admin", "1"), &f), -1, "another field");
    cr_expect_eq(form(FORM("nam", "a", "password", "b"), &f), -1, "a prefix is not the field");
    cr_expect_eq(form(FORM("name", "a", "password", "b", "name", "c"), &f), -1, "twice");
    cr_expect_eq(form(FORM("name", "a"), &f), -1, "no password");
    cr_expect_eq(form(FORM("name", "", "password", "b"), &f), -1, "an empty name");
    cr_expect_eq(form(FORM("name", "\xff\xfe", "password", "b"), &f), -1, "not UTF-8");
    cr_expect_eq(form(FORM("name", "a\x01", "password", "b"), &f), -1, "a control character");
    char big[PARAM_PASSWORD_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_expect_eq(form(FORM("name", "a", "password", big), &f), -1, "too long is refused, not cut");
    big[PARAM_PASSWORD_MAX] = '\0';
    cr_expect_eq(form(FORM("name", "a", "password", big), &f), 0, "the longest password");
    big[PARAM_NAME_MAX + 1] = '\0';
    cr_expect_eq(form(FORM("name", big, "password", "b"), &f), -1, "a name of 65 bytes");
    big[PARAM_NAME_MAX] = '\0';
    cr_expect_eq(form(FORM("name", big, "password", "b"), &f), 0, "a name of 64 bytes");
    /* a NUL inside (a decoded %00): the length says so */
    memset(&f, 0, sizeof f);
    cr_expect_eq(param_login_take(&f, "name", "a\0b", 0, 3), -1);
    cr_expect_eq(param_login_take(&f, "password", "b", 0, 1), -1, "refused, it stays refused");
    cr_expect_eq(param_login_finish(&f), -1);
}

Test(param, a_login_field_may_come_in_pieces)
{
    param_login_t f = {0};
    cr_assert_eq(param_login_take(&f, "name", "tin", 0, 3), 0);
    cr_assert_eq(param_login_take(&f, "name", "h20", 3, 3), 0);
    cr_assert_eq(param_login_take(&f, "password", "a long", 0, 6), 0);
    cr_assert_eq(param_login_take(&f, "password", " secret", 6, 7), 0);
    cr_expect_eq(param_login_finish(&f), 0);
    cr_expect_str_eq(f.name, "tinh20");
    cr_expect_str_eq(f.password, "a long secret");
    cr_expect_eq(param_login_take(&f, "name", "x", 6, 1), -1, "the name is not the field going on");
    memset(&f, 0, sizeof f);
    cr_assert_eq(param_login_take(&f, "name", "ab", 0, 2), 0);
    cr_expect_eq(param_login_take(&f, "name", "c", 5, 1), -1, "a gap");
}

Test(param, the_client_behind_a_proxy_is_the_last_hop)
{
    char a[64];
    const char *x = "6.6.6.6, 10.1.2.3";
    cr_expect_eq(param_forwarded_for(x, strlen(x), a), 0);
    cr_expect_str_eq(a, "10.1.2.3", "the client's own claim (6.6.6.6) is not believed");
    cr_expect_eq(param_forwarded_for("10.1.2.3", 8, a), 0);
    cr_expect_eq(param_forwarded_for("2001:DB8::1", 11, a), 0);
    cr_expect_str_eq(a, "2001:db8::1", "one spelling per address");
    cr_expect_eq(param_forwarded_for("10.1.2.3, ", 10, a), -1, "an empty last hop");
    cr_expect_eq(param_forwarded_for("unknown", 7, a), -1);
    cr_expect_eq(param_forwarded_for("10.1.2.3\0x", 10, a), -1);
    cr_expect_eq(param_forwarded_for(NULL, 0, a), -1);
}

Test(param, every_question_answers_a_file_and_text_is_the_reports)
{
    param_t p;
    char why[200];
    cr_assert_eq(
        take("children",
             KV({"unit", "20"}, {"from", "2023-01-01"}, {"to", "2024-01-01"}, {"format", "csv"}),
             &p, why),
        0, "%s", why);
    cr_expect_str_eq(p.format, "csv");
    cr_expect_eq(
        take("children",
             KV({"unit", "20"}, {"from", "2023-01-01"}, {"to", "2024-01-01"}, {"format", "text"}),
             &p, why),
        -1);
    cr_expect(strstr(why, "format: csv or json"), "%s", why);
    cr_assert_eq(take("tipoffs",
                      KV({"unit", "20"}, {"from", "2023-01-01"}, {"to", "2024-01-01"},
                         {"part", "times"}, {"format", "csv"}),
                      &p, why),
                 0, "%s", why);
    cr_expect_str_eq(p.part, "times");
    cr_expect_eq(
        take("tipoffs",
             KV({"unit", "20"}, {"from", "2023-01-01"}, {"to", "2024-01-01"}, {"part", "overdues"}),
             &p, why),
        -1);
    cr_expect_eq(
        take("months",
             KV({"unit", "20"}, {"from", "2023-01-01"}, {"to", "2024-01-01"}, {"part", "due"}), &p,
             why),
        -1, "part is the tip-offs' alone");
    cr_assert_eq(take("report", KV({"unit", "20"}, {"year", "2023"}, {"format", "text"}), &p, why),
                 0, "%s", why);
}

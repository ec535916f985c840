/* test_cliopt.c — the antt command line's parser (cmd/opt.c) and terminal
 * columns by display width (cli/term.c). */
#include "cmd/opt.h"
#include "cli/term.h"

#include <criterion/criterion.h>
#include <string.h>
#include <unistr.h>

typedef struct {
    const char *unit;
    long year;
    double target;
    int verbose;
} args_t;

static int parse(args_t *a, int in_order, int *first, char *err, size_t errlen, int argc,
                 char **argv)
{
    const opt_t opts[] = {
        {"unit", 'u', OPT_STR, &a->unit, 0, 0, "CODE", "a unit", NULL},
        {"year", 'y', OPT_INT, &a->year, 2000, 2100, "YYYY", "a year", NULL},
        {"target", 0, OPT_NUM, &a->target, 0, 100, "N", "a target", NULL},
        {"verbose", 'v', OPT_FLAG, &a->verbose, 0, 0, NULL, "more", NULL},
    };
    return opt_parse(opts, 4, argc, argv, in_order, first, err, errlen);
}

#define ARGV(...) ((char *[]){"cmd", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"cmd", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(a, ord, first, err, ...)                                                             \
    parse(a, ord, first, err, sizeof err, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

Test(opt, both_forms_short_letters_and_flags)
{
    args_t a = {0};
    char err[256] = "";
    int first;
    cr_assert_eq(PARSE(&a, 0, &first, err, "--unit", "20", "--year=2023", "-v", "--target", "92.5"),
                 OPT_OK, "%s", err);
    cr_expect_str_eq(a.unit, "20");
    cr_expect_eq(a.year, 2023);
    cr_expect_eq(a.verbose, 1);
    cr_expect(a.target > 92.49 && a.target < 92.51);
    args_t b = {0};
    cr_assert_eq(PARSE(&b, 0, &first, err, "-u", "06040", "-y2024"), OPT_OK, "%s", err);
    cr_expect_str_eq(b.unit, "06040");
    cr_expect_eq(b.year, 2024);
}

Test(opt, numbers_are_checked_whole)
{
    const char *bad_int[] = {"abc", "2023x", "", " 2023", "1999", "2101", "0x7e7", "20 23"};
    for (size_t i = 0; i < sizeof bad_int / sizeof *bad_int; i++) {
        args_t a = {0};
        char err[256] = "";
        int first;
        char *v = (char *)bad_int[i];
        cr_expect_eq(PARSE(&a, 0, &first, err, "--year", v), OPT_ERR, "'%s' accepted", v);
        cr_expect(strstr(err, "--year: '") && strstr(err, "is not a whole number in 2000..2100"),
                  "%s", err);
    }
    const char *bad_num[] = {"inf", "nan", "1e2", "1.", ".5", "-1", "101", "5%", "9,5"};
    for (size_t i = 0; i < sizeof bad_num / sizeof *bad_num; i++) {
        args_t a = {0};
        char err[256] = "";
        int first;
        char *v = (char *)bad_num[i];
        cr_expect_eq(PARSE(&a, 0, &first, err, "--target", v), OPT_ERR, "'%s' accepted", v);
    }
    long l;
    double d;
    cr_expect_eq(opt_long("-5", -10, 10, &l), 0);
    cr_expect_eq(l, -5);
    cr_expect_eq(opt_double("0", 0, 100, &d), 0);
    cr_expect_eq(opt_double("100.00", 0, 100, &d), 0);
}

Test(opt, errors_name_the_option)
{
    args_t a = {0};
    char err[256] = "";
    int first;
    cr_expect_eq(PARSE(&a, 0, &first, err, "--unit"), OPT_ERR);
    cr_expect_str_eq(err, "--unit needs a value");
    cr_expect_eq(PARSE(&a, 0, &first, err, "--colour", "red"), OPT_ERR);
    cr_expect_str_eq(err, "unknown or ambiguous option '--colour'");
    cr_expect_eq(PARSE(&a, 0, &first, err, "-x"), OPT_ERR);
    cr_expect_str_eq(err, "unknown option '-x'");
    cr_expect_eq(PARSE(&a, 0, &first, err, "--verbose=yes"), OPT_ERR);
    cr_expect_str_eq(err, "--verbose=yes takes no value");
    cr_expect_eq(PARSE(&a, 0, &first, err, "--year", "2023", "--help"), OPT_HELP);
    cr_expect_eq(PARSE(&a, 0, &first, err, "-h"), OPT_HELP);
}

Test(opt, operands_in_order_or_anywhere)
{
    args_t a = {0};
    char err[256] = "";
    int first;
    char **argv = ARGV("-v", "report", "--unit", "20");
    cr_assert_eq(parse(&a, 1, &first, err, sizeof err, 4, argv), OPT_OK, "%s", err);
    cr_expect_eq(first, 2, "stops at the subcommand");
    cr_expect_null(a.unit, "the subcommand's options are not the global ones");
    args_t b = {0};
    char **argv2 = ARGV("add", "--unit", "20", "NAME");
    cr_assert_eq(parse(&b, 0, &first, err, sizeof err, 5, argv2), OPT_OK, "%s", err);
    cr_expect_str_eq(b.unit, "20");
    cr_expect_eq(first, 3);
    cr_expect_str_eq(argv2[first], "add");
    cr_expect_str_eq(argv2[first + 1], "NAME");
}

Test(term, widths_are_display_cells)
{
    cr_expect_eq(term_width("Thị trấn Điện Biên Đông"), 23);
    cr_expect_eq(term_width("Xa\xcc\x83"), 2, "a combining tilde takes no cell");
    cr_expect_eq(term_width("\xe4\xb8\xad"), 2, "a CJK character takes two");
    char out[256];
    term_cell(out, sizeof out, "Thị trấn Điện Biên Đông", 28, 0);
    cr_expect_eq(term_width(out), 28);
    cr_expect_str_eq(out + strlen("Thị trấn Điện Biên Đông"), "     ");
    term_cell(out, sizeof out, "Đông", 6, 1);
    cr_expect_str_eq(out, "  Đông");
}

Test(term, cutting_keeps_whole_characters)
{
    char out[256];
    const char *name = "Thị trấn Điện Biên Đông";
    for (int w = 1; w < 23; w++) {
        term_cell(out, sizeof out, name, w, 0);
        cr_expect_eq(term_width(out), w, "width %d: '%s'", w, out);
        cr_expect_null(u8_check((const uint8_t *)out, strlen(out)), "width %d: invalid UTF-8 '%s'",
                       w, out);
        cr_expect(strstr(out, "…"), "width %d: '%s'", w, out);
    }
    term_cell(out, sizeof out, name, 10, 0);
    cr_expect_str_eq(out, "Thị trấn …");
}

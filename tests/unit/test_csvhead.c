/* test_csvhead.c — the header line of the reference-data files
 * (db/csvhead.h): the overrun of an earlier reader (a header of 17 repeated column sets
 * crashed anttd), exact names, duplicates, bounds, a byte-order mark. */
#include "db/csvhead.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static int parse(csv_kind_t k, const char *line, char *cols, size_t cap, char *err)
{
    const csv_format_t *f = &CSV_FORMATS[k];
    return csvhead_parse(line, strlen(line), f->allowed, f->required, cols, cap, err, 200);
}

Test(csvhead, every_shipped_header_is_read)
{
    char cols[256], err[200];
    cr_assert_eq(parse(CSV_UNITS, "code,name,level,kind,parent_code\n", cols, sizeof cols, err), 0,
                 "%s", err);
    cr_expect_str_eq(cols, "code, name, level, kind, parent_code");
    cr_assert_eq(
        parse(CSV_SUCCESSORS, "old_code,new_code,effective,share_note,note\r\n", cols, 256, err), 0,
        "%s", err);
    cr_expect_str_eq(cols, "old_code, new_code, effective, share_note, note");
    cr_expect_eq(parse(CSV_DAYS_OFF,
                       "\xef\xbb\xbf"
                       "day,off,name,source",
                       cols, 256, err),
                 0, "a byte-order mark is skipped: %s", err);
    cr_expect_str_eq(cols, "day, off, name, source");
}

Test(csvhead, seventeen_repeated_column_sets_are_refused_not_an_overrun)
{
    char line[1024] = "", err[200];
    for (int i = 0; i < 17; i++)
        strcat(line, i ? ",day,off,name,source" : "day,off,name,source");
    struct {
        char cols[128];
        char guard[64];
    } b;
    memset(&b, 0x5a, sizeof b);
    cr_expect_eq(parse(CSV_DAYS_OFF, line, b.cols, sizeof b.cols, err), -1);
    cr_expect(strstr(err, "'day' appears twice"), "%s", err);
    for (size_t i = 0; i < sizeof b.guard; i++)
        cr_assert_eq(b.guard[i], 0x5a, "written past the buffer at %zu", i);
    /* a list too long for its buffer is refused, never cut */
    cr_expect_eq(
        parse(CSV_UNITS, "code,name,level,kind,parent_code,valid_from,valid_to", b.cols, 16, err),
        -1);
    cr_expect(strstr(err, "too many columns"), "%s", err);
    for (size_t i = 0; i < sizeof b.guard; i++)
        cr_assert_eq(b.guard[i], 0x5a);
}

Test(csvhead, names_are_exact_and_required_ones_present)
{
    char cols[256], err[200];
    /* "parent_code" holds "code": the old check (strstr) took it for code */
    cr_expect_eq(parse(CSV_UNITS, "name,level,kind,parent_code", cols, 256, err), -1);
    cr_expect(strstr(err, "column 'code' is missing"), "%s", err);
    cr_expect_eq(parse(CSV_CLUSTERS, "cluster,cod", cols, 256, err), -1);
    cr_expect(strstr(err, "unknown column 'cod'"), "%s", err);
    cr_expect_eq(parse(CSV_CLUSTERS, "cluster,code,", cols, 256, err), -1, "an empty name");
    cr_expect_eq(parse(CSV_CLUSTERS, "\"cluster\",code", cols, 256, err), -1, "quoted");
    cr_expect_eq(parse(CSV_CLUSTERS, "", cols, 256, err), -1);
    cr_expect(strstr(err, "empty"), "%s", err);
    char nul[] = "cluster\0,code";
    const csv_format_t *f = &CSV_FORMATS[CSV_CLUSTERS];
    cr_expect_eq(csvhead_parse(nul, sizeof nul - 1, f->allowed, f->required, cols, 256, err, 200),
                 -1, "a NUL inside a name");
    char big[CSVHEAD_MAX + 10];
    memset(big, 'a', sizeof big);
    cr_expect_eq(csvhead_parse(big, sizeof big, f->allowed, f->required, cols, 256, err, 200), -1);
    cr_expect(strstr(err, "over 1024 bytes"), "%s", err);
}

Test(csvhead, a_file_of_one_long_line_is_refused)
{
    char path[] = "/tmp/antt-csvhead-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < 400; i++)
        fputs("code,", f);
    fclose(f);
    char cols[256], err[300];
    const csv_format_t *fm = &CSV_FORMATS[CSV_CLUSTERS];
    cr_expect_eq(csvhead_read(path, fm->allowed, fm->required, cols, sizeof cols, err, sizeof err),
                 -1);
    cr_expect(strstr(err, "over 1024 bytes"), "%s", err);
    remove(path);
}

/* test_fields.c — events from text (CLI flags, JSON Lines) and numbers as
 * reports write them. */
#include "lib/fields.h"
#include "report/report.h"

#include <criterion/criterion.h>
#include <string.h>

Test(fields, vietnamese_names_with_or_without_diacritics)
{
    ev_t ev;
    fields_buf_t b = {.used = 0};
    char err[256];
    memset(&ev, 0, sizeof ev);
    cr_assert_eq(fields_set(&ev, &b, "severity", "Rất nghiêm trọng", err, sizeof err), 0, "%s",
                 err);
    cr_expect_eq(ev.severity, SEV_VERY_SERIOUS);
    cr_assert_eq(fields_set(&ev, &b, "severity", "it-nghiem-trong", err, sizeof err), 0, "%s", err);
    cr_expect_eq(ev.severity, SEV_LESS_SERIOUS);
    cr_assert_eq(fields_set(&ev, &b, "severity", "especially_serious", err, sizeof err), 0);
    cr_expect_eq(ev.severity, SEV_ESPECIALLY_SERIOUS);
    cr_assert_eq(fields_set(&ev, &b, "kind", "tố giác", err, sizeof err), 0, "%s", err);
    cr_expect_eq(ev.kind, TIPKIND_DENUNCIATION);
    cr_assert_eq(fields_set(&ev, &b, "source", "Viện kiểm sát", err, sizeof err), 0, "%s", err);
    cr_expect_eq(ev.source, SRC_PROCURACY);
    cr_assert_eq(fields_set(&ev, &b, "outcome", "tạm đình chỉ", err, sizeof err), 0, "%s", err);
    cr_expect_eq(ev.outcome, OUT_SUSPEND);
    cr_expect_eq(fields_set(&ev, &b, "severity", "grave", err, sizeof err), -1);
    cr_expect(strstr(err, "severity") && strstr(err, "grave"), "%s", err);
    cr_expect_eq(fields_type("vụ việc"), EV_INCIDENT_REPORTED);
    cr_expect_eq(fields_type("kham-pha"), EV_INCIDENT_CLEARED);
    cr_expect_eq(fields_type("tipoff.resumed"), EV_TIPOFF_RESUMED);
    cr_expect_eq(fields_type("nothing"), EV_NONE);
}

Test(fields, times_need_an_offset_or_are_hanoi_dates)
{
    int64_t us;
    cr_assert_eq(fields_time("2023-06-13T10:00:00+07:00", &us), 0);
    cr_expect_eq(us, 1686625200000000LL);
    cr_assert_eq(fields_time("2023-06-13T03:00:00Z", &us), 0);
    cr_expect_eq(us, 1686625200000000LL);
    cr_assert_eq(fields_time("2023-06-13T03:00:00.25Z", &us), 0);
    cr_expect_eq(us, 1686625200250000LL);
    cr_assert_eq(fields_time("2023-06-13", &us), 0);
    cr_expect_eq(us, 1686589200000000LL, "midnight in Hanoi is 17:00 UTC the day before");
    cr_expect_eq(fields_time("2023-06-13T10:00:00", &us), -1, "no offset, no guess");
    cr_expect_eq(fields_time("13/06/2023", &us), -1);
    cr_expect_eq(fields_time("2023-13-01", &us), -1);
}

Test(fields, counts_and_client_owned_keys)
{
    ev_t ev;
    fields_buf_t b = {.used = 0};
    char err[256];
    memset(&ev, 0, sizeof ev);
    cr_assert_eq(fields_set(&ev, &b, "deaths", "2", err, sizeof err), 0);
    cr_expect_eq(ev.deaths, 2);
    cr_expect(ev.present & EVB(EVF_DEATHS));
    cr_expect_eq(fields_set(&ev, &b, "deaths", "-1", err, sizeof err), -1);
    cr_expect_eq(fields_set(&ev, &b, "deaths", "2x", err, sizeof err), -1);
    cr_expect_eq(fields_set(&ev, &b, "id", "x", err, sizeof err), -1);
    cr_expect(strstr(err, "set by antt"), "%s", err);
    cr_expect_eq(fields_set(&ev, &b, "colour", "red", err, sizeof err), -1);
    cr_assert_eq(fields_set(&ev, &b, "summary", "Trộm cắp tài sản", err, sizeof err), 0);
    cr_expect_eq(ev.summary.n, strlen("Trộm cắp tài sản"));
}

Test(report, numbers_in_vietnamese_and_english)
{
    char s[32];
    report_num(s, sizeof s, 1315, -1, 1);
    cr_expect_str_eq(s, "1.315");
    report_num(s, sizeof s, 1315, -1, 0);
    cr_expect_str_eq(s, "1,315");
    report_num(s, sizeof s, 23.25, 2, 1);
    cr_expect_str_eq(s, "23,25");
    report_num(s, sizeof s, 1234567.5, 2, 1);
    cr_expect_str_eq(s, "1.234.567,50");
    report_num(s, sizeof s, -83, -1, 0);
    cr_expect_str_eq(s, "-83");
    report_num(s, sizeof s, 97.72, 2, 0);
    cr_expect_str_eq(s, "97.72");
}

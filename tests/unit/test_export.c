/* test_export.c — a question's answer as a CSV file (web/export.c): the
 * conventions of antt report's CSV, quoting, formulas a station could
 * plant, the overview's figure rows and their change. */
#include "web/export.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *csv(const char *endpoint, const char *json, const char *part, int *rc)
{
    static char err[200];
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    *rc = export_csv(endpoint, json, part, m, err, sizeof err);
    fclose(m);
    return buf;
}

Test(export, a_list_is_a_row_per_element_in_the_answers_order)
{
    int rc;
    char *s = csv("children",
                  "[{\"code\": \"180\", \"name\": \"Huyện Tràng Định\", \"occurred\": 3,"
                  " \"clearance_plain\": 97.72, \"ok\": true, \"none\": null},"
                  " {\"code\": \"181\", \"name\": \"Văn Lãng, \\\"x\\\"\", \"occurred\": 0,"
                  " \"clearance_plain\": null, \"ok\": false, \"none\": [1, 2]}]",
                  "", &rc);
    cr_assert_eq(rc, 0);
    cr_expect_str_eq(s, "code,name,occurred,clearance_plain,ok,none\n"
                        "180,Huyện Tràng Định,3,97.72,true,\n"
                        "181,\"Văn Lãng, \"\"x\"\"\",0,,false,\"[1,2]\"\n");
    free(s);
    s = csv("stations", "[]", "", &rc);
    cr_expect_eq(rc, 0);
    cr_expect_str_eq(s,
                     "node,unit,unit_name,last_message_at,seq_max,missing,events_today,connected,"
                     "state\n",
                     "an empty list is its header");
    free(s);
    s = csv("tipoffs", "{\"overdue\": [], \"due\": [], \"times\": []}", "times", &rc);
    cr_expect_eq(rc, 0);
    cr_expect_str_eq(s, "unit,name,decided,p50_days,p90_days,max_days\n");
    free(s);
    cr_expect_null(export_header("overview", ""));
    cr_expect_str_eq(export_header("tipoffs", ""), export_header("tipoffs", "overdue"));
}

Test(export, text_a_spreadsheet_would_run_is_written_after_a_quote)
{
    int rc;
    char *s =
        csv("tipoffs",
            "{\"overdue\": [{\"ref\": \"=HYPERLINK(1)\"}, {\"ref\": \"+1\"}, {\"ref\": \"-1\"},"
            " {\"ref\": \"@x\"}, {\"ref\": \"\\tx\"}, {\"ref\": \"\\rx\"}, {\"ref\": \"TG-1\"}],"
            " \"due\": [{\"ref\": \"D\", \"days_left\": -2}], \"times\": []}",
            "", &rc);
    cr_assert_eq(rc, 0);
    cr_expect_str_eq(
        s, "ref\n\"'=HYPERLINK(1)\"\n\"'+1\"\n\"'-1\"\n\"'@x\"\n\"'\tx\"\n\"'\rx\"\nTG-1\n");
    free(s);
    s = csv("tipoffs", "{\"overdue\": [], \"due\": [{\"ref\": \"D\", \"days_left\": -2}]}", "due",
            &rc);
    cr_assert_eq(rc, 0);
    cr_expect_str_eq(s, "ref,days_left\nD,-2\n", "a negative number is a number, not a formula");
    free(s);
    s = csv("tipoffs", "{\"overdue\": []}", "times", &rc);
    cr_expect_eq(rc, -1, "a list the answer does not have");
    free(s);
}

Test(export, the_overview_is_a_row_per_figure_with_its_change)
{
    int rc;
    const char *j =
        "{\"unit\": \"20\", \"name\": \"Tỉnh Lạng Sơn\", \"from\": \"2023-01-01\","
        " \"to\": \"2024-01-01\", \"cfrom\": \"2022-01-01\", \"cto\": \"2023-01-01\","
        " \"figures\": {\"code\": \"20\", \"occurred\": 274, \"clearance_plain\": 97.72,"
        " \"resolution_rate\": null, \"tipoffs_overdue\": 3}, \"compare\": {\"code\": \"20\","
        " \"occurred\": 357, \"clearance_plain\": 90.5, \"resolution_rate\": 80,"
        " \"tipoffs_overdue\": 3}, \"wanted\": {\"code\": \"20\", \"wanted_found\": 5},"
        " \"targets\": {\"tipoff\": 90}, \"partial_units\": [{\"code\": \"181\", \"name\": "
        "\"x\"}]}";
    char *s = csv("overview", j, "", &rc);
    cr_assert_eq(rc, 0);
    cr_expect_str_eq(s, "figure,value,compare,change\n"
                        "unit,20,,\n"
                        "name,Tỉnh Lạng Sơn,,\n"
                        "from,2023-01-01,2022-01-01,\n"
                        "to,2024-01-01,2023-01-01,\n"
                        "occurred,274,357,-83\n"
                        "clearance_plain,97.72,90.5,7.22\n"
                        "resolution_rate,,80,\n"
                        "tipoffs_overdue,3,,\n"
                        "wanted_found,5,,\n"
                        "target_tipoff,90,,\n"
                        "partial_unit,181,,\n");
    free(s);
    s = csv("overview", "{\"unit\": \"20\", \"figures\": {\"occurred\": 1}, \"compare\": null}", "",
            &rc);
    cr_assert_eq(rc, 0);
    cr_expect_str_eq(s, "figure,value\nunit,20\nname,\nfrom,\nto,\noccurred,1\n");
    free(s);
    s = csv("overview", "{\"compare\": null}", "", &rc);
    cr_expect_eq(rc, -1);
    free(s);
    s = csv("months", "not json", "", &rc);
    cr_expect_eq(rc, -1);
    free(s);
    s = csv("months", "{\"a\": 1}", "", &rc);
    cr_expect_eq(rc, -1, "a list question answered with no list");
    free(s);
}

Test(export, the_file_is_named_by_question_unit_and_period)
{
    char n[128];
    export_filename(n, sizeof n, "children", "20", "2023-01-01", "2024-01-01", "csv");
    cr_expect_str_eq(n, "children-20-2023-01-01-2024-01-01.csv");
    export_filename(n, sizeof n, "months", "group:cluster2", "2023-01-01", "2024-01-01", "json");
    cr_expect_str_eq(n, "months-group-cluster2-2023-01-01-2024-01-01.json");
    export_filename(n, sizeof n, "units", "", "", "", "csv");
    cr_expect_str_eq(n, "units-all.csv");
    export_filename(n, sizeof n, "stations", "20", "", "", "csv");
    cr_expect_str_eq(n, "stations-20.csv");
}

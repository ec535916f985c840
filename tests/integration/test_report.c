/* test_report.c — `antt report` in the corners where figures go wrong: an
 * empty year, a year with incidents but no tip-offs and no major cases, a
 * comparison with a year of zero cases, counts past a million, one case
 * (English grammar). Each rendering (vi/en text, CSV, JSON) is checked figure
 * by figure against the same expectations, and names that do not exist are
 * errors, not reports of zeros. */
#include "db/fold.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static it_db_t db;

static void exec_ok(const char *sql)
{
    PGconn *c = it_pg(&db);
    PGresult *r = PQexec(c, sql);
    cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
}

static void up(void)
{
    it_db_create(&db, NULL);
    exec_ok(
        "INSERT INTO antt.tallies VALUES"
        /* 06040, 2024: 5 social-order cases (none major), 4 cleared, 1 suspect; a traffic
         * accident with 1 death; no tip-offs at all. 2023: nothing. */
        " ('06040', '2024-03-01', 'incidents', 'social_order', 'serious', 5),"
        " ('06040', '2024-04-01', 'cleared', 'social_order', 'serious', 4),"
        " ('06040', '2024-04-01', 'suspects', 'social_order', 'serious', 1),"
        " ('06040', '2024-05-01', 'incidents', 'traffic', '', 1),"
        " ('06040', '2024-05-01', 'deaths', 'traffic', '', 1),"
        " ('06040', '2024-05-01', 'injuries', 'traffic', '', 2),"
        /* 06043, 2022: 1,234,567 drug cases (a count a spreadsheet must not round), 1 cleared */
        " ('06043', '2022-02-01', 'incidents', 'drugs', 'serious', 1234567),"
        " ('06043', '2022-03-01', 'cleared', 'drugs', 'serious', 1),"
        " ('06043', '2022-03-01', 'suspects', 'drugs', 'serious', 1)");
}

static void down(void)
{
    it_db_drop(&db, NULL);
}

TestSuite(report, .init = up, .fini = down, .timeout = 60);

/* Run antt report; stdout in out, stderr in err; the exit status. */
static int report(const char *env, const char *args, char *out, size_t cap, char *err, size_t ecap)
{
    char o[] = "/tmp/antt-report-out-XXXXXX", e[] = "/tmp/antt-report-err-XXXXXX";
    close(mkstemp(o));
    close(mkstemp(e));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s report %s >%s 2>%s", env ? env : "", ANTT_PATH, args, o, e);
    int st = system(cmd);
    FILE *f = fopen(o, "r");
    size_t n = f ? fread(out, 1, cap - 1, f) : 0;
    out[n] = '\0';
    if (f) fclose(f);
    f = fopen(e, "r");
    n = f ? fread(err, 1, ecap - 1, f) : 0;
    err[n] = '\0';
    if (f) fclose(f);
    unlink(o);
    unlink(e);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run_ok(const char *args, char *out, size_t cap)
{
    char err[4096];
    char full[1024];
    snprintf(full, sizeof full, "--db '%s' %s", db.dsn, args);
    int rc = report(NULL, full, out, cap, err, sizeof err);
    cr_assert_eq(rc, 0, "antt report %s: exit %d: %s", args, rc, err);
    return rc;
}

/* A figure as CSV and JSON must give it: "" for no data. */
typedef struct {
    const char *name, *value;
    int rate;
} fig_t;

#define NFIG 25

static void check_csv(const char *csv, const char *prefix, const fig_t *f, size_t n, int col)
{
    for (size_t i = 0; i < n; i++) {
        char key[96];
        snprintf(key, sizeof key, "\n%s%s,", prefix, f[i].name);
        const char *p = strstr(csv, key);
        cr_assert(p, "CSV has no row %s%s:\n%s", prefix, f[i].name, csv);
        p += strlen(key);
        for (int k = 1; k < col; k++)
            p = strchr(p, ',') + 1;
        size_t len = strcspn(p, ",\n");
        cr_expect(len == strlen(f[i].value) && !strncmp(p, f[i].value, len),
                  "CSV %s%s: '%.*s', not '%s'", prefix, f[i].name, (int)len, p, f[i].value);
        cr_expect(!memchr(p, 'e', len), "CSV %s%s in exponent form: %.*s", prefix, f[i].name,
                  (int)len, p);
    }
}

static void check_json(json_object *figs, const fig_t *f, size_t n)
{
    cr_assert(figs && json_object_is_type(figs, json_type_object));
    for (size_t i = 0; i < n; i++) {
        json_object *v;
        cr_assert(json_object_object_get_ex(figs, f[i].name, &v), "JSON has no %s", f[i].name);
        if (!*f[i].value) {
            cr_expect(v == NULL, "JSON %s: %s, not null", f[i].name, json_object_to_json_string(v));
        } else if (f[i].rate) {
            cr_expect(json_object_is_type(v, json_type_double), "JSON %s is not a number",
                      f[i].name);
            cr_expect_str_eq(json_object_to_json_string(v), f[i].value, "JSON %s", f[i].name);
        } else {
            cr_expect(json_object_is_type(v, json_type_int), "JSON %s: %s is not an integer",
                      f[i].name, json_object_to_json_string(v));
            cr_expect_eq(json_object_get_int64(v), atoll(f[i].value), "JSON %s", f[i].name);
            /* the text itself: 274, never 274.0 */
            cr_expect_str_eq(json_object_to_json_string(v), f[i].value, "JSON %s", f[i].name);
        }
    }
}

static json_object *get(json_object *o, const char *path)
{
    char copy[128];
    snprintf(copy, sizeof copy, "%s", path);
    char *save = NULL;
    for (char *k = strtok_r(copy, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
        if (!json_object_object_get_ex(o, k, &o)) return NULL;
    return o;
}

static json_object *parse(const char *text)
{
    json_object *o = json_tokener_parse(text);
    cr_assert(o, "not JSON:\n%s", text);
    return o;
}

#define LINE(out, s) cr_expect(strstr(out, s "\n"), "no line \"%s\" in:\n%s", s, out)

/* Everything zero: no rate, no target verdict, JSON nulls, CSV blanks. */
Test(report, an_empty_year_prints_no_rate_it_did_not_compute)
{
    static char out[16384];
    run_ok("--unit 20 --year 2019 --targets clearance=80,tipoff=90", out, sizeof out);
    LINE(out, "Tội phạm: xảy ra 0 vụ");
    LINE(out, "Tỷ lệ khám phá: — (có tính tồn; tồn đầu kỳ 0 vụ); — (trên số xảy ra)");
    LINE(out, "  chỉ tiêu 80%: —");
    LINE(out, "Trọng án: xảy ra 0 vụ, khám phá 0; tỷ lệ — (có tính tồn; tồn đầu kỳ 0 vụ); — (trên "
              "số xảy ra)");
    LINE(out,
         "Tỷ lệ giải quyết: — (trên số phải giải quyết); — (trên số tiếp nhận) — chỉ tiêu 90%: —");
    LINE(out, "—: không có số liệu (không có vụ việc nào để tính tỷ lệ)");
    cr_expect(!strstr(out, "100,00%") && !strstr(out, "0,00%") && !strstr(out, "đạt"), "%s", out);
    cr_expect(!strstr(out, "Theo nhóm tội phạm"), "no group has figures: %s", out);
    run_ok("--unit 20 --year 2019 --lang en --targets clearance=80,tipoff=90", out, sizeof out);
    LINE(out, "Crimes: 0 cases occurred");
    LINE(out, "Cleared 0 cases (including earlier ones), 0 suspects");
    LINE(out, "Clearance rate: — (with carry-over; 0 carried over); — (plain)");
    LINE(out, "  target 80%: —");
    LINE(out,
         "Resolution rate: — (of those to be resolved); — (of those received) — target 90%: —");
    LINE(out, "—: no data (nothing to compute the rate from)");
    cr_expect(!strstr(out, " met"), "%s", out);

    static const fig_t zero[NFIG] = {{"occurred", "0", 0},
                                     {"cleared", "0", 0},
                                     {"suspects", "0", 0},
                                     {"carried_over", "0", 0},
                                     {"clearance_plain", "", 1},
                                     {"clearance_carry", "", 1},
                                     {"major_occurred", "0", 0},
                                     {"major_cleared", "0", 0},
                                     {"major_carried_over", "0", 0},
                                     {"major_clearance_plain", "", 1},
                                     {"major_clearance_carry", "", 1},
                                     {"tipoffs_received", "0", 0},
                                     {"tipoffs_transferred", "0", 0},
                                     {"tipoffs_resumed", "0", 0},
                                     {"tipoffs_carried_over", "0", 0},
                                     {"tipoffs_to_resolve", "0", 0},
                                     {"tipoffs_resolved", "0", 0},
                                     {"resolution_rate", "", 1},
                                     {"resolution_plain", "", 1},
                                     {"tipoffs_overdue", "0", 0},
                                     {"traffic_accidents", "0", 0},
                                     {"traffic_deaths", "0", 0},
                                     {"traffic_injuries", "0", 0},
                                     {"drug_cases", "0", 0},
                                     {"drug_suspects", "0", 0}};
    run_ok("--unit 20 --year 2019 --format csv --targets clearance=80,tipoff=90", out, sizeof out);
    cr_expect(!strncmp(out, "figure,2019\n", 12), "%s", out);
    check_csv(out, "", zero, NFIG, 1);
    cr_expect(strstr(out,
                     "\ntarget_clearance,80\ntarget_clearance_figure,clearance_carry\ntarget_"
                     "clearance_met,\ntarget_clearance_margin,\ntarget_clearance_source,flag\n"),
              "%s", out);
    cr_expect(
        strstr(out, "\ntarget_tipoff,90\ntarget_tipoff_figure,resolution_rate\ntarget_tipoff_met,\n"
                    "target_tipoff_margin,\n"),
        "%s", out);
    run_ok("--unit 20 --year 2019 --format json --targets clearance=80,tipoff=90", out, sizeof out);
    json_object *o = parse(out);
    check_json(get(o, "figures"), zero, NFIG);
    cr_expect_null(get(o, "targets.clearance.met"));
    cr_expect_null(get(o, "targets.clearance.value"));
    cr_expect_null(get(o, "targets.clearance.margin"));
    cr_expect_str_eq(json_object_to_json_string(get(o, "targets.tipoff.target")), "90");
    cr_expect_eq(json_object_array_length(get(o, "groups")), 0);
    cr_expect_str_eq(json_object_get_string(get(o, "from")), "2019-01-01");
    cr_expect_str_eq(json_object_get_string(get(o, "to")), "2019-12-31");
    json_object_put(o);
}

/* Incidents but no tip-offs and no major cases, compared with a year of none. */
static const fig_t Y2024[NFIG] = {{"occurred", "5", 0},
                                  {"cleared", "4", 0},
                                  {"suspects", "1", 0},
                                  {"carried_over", "0", 0},
                                  {"clearance_plain", "80.00", 1},
                                  {"clearance_carry", "80.00", 1},
                                  {"major_occurred", "0", 0},
                                  {"major_cleared", "0", 0},
                                  {"major_carried_over", "0", 0},
                                  {"major_clearance_plain", "", 1},
                                  {"major_clearance_carry", "", 1},
                                  {"tipoffs_received", "0", 0},
                                  {"tipoffs_transferred", "0", 0},
                                  {"tipoffs_resumed", "0", 0},
                                  {"tipoffs_carried_over", "0", 0},
                                  {"tipoffs_to_resolve", "0", 0},
                                  {"tipoffs_resolved", "0", 0},
                                  {"resolution_rate", "", 1},
                                  {"resolution_plain", "", 1},
                                  {"tipoffs_overdue", "0", 0},
                                  {"traffic_accidents", "1", 0},
                                  {"traffic_deaths", "1", 0},
                                  {"traffic_injuries", "2", 0},
                                  {"drug_cases", "0", 0},
                                  {"drug_suspects", "0", 0}};

#define ARGS_2024 "--unit 06040 --year 2024 --compare 2023 --targets clearance=90,tipoff=90"

Test(report, incidents_without_tipoffs_or_major_cases_against_a_year_of_none_vi)
{
    static char out[16384];
    run_ok(ARGS_2024, out, sizeof out);
    LINE(out, "Báo cáo năm 2024 — Xã Đại Đồng (06040)");
    LINE(out, "Kỳ báo cáo: 2024-01-01 đến 2024-12-31");
    LINE(out, "Tội phạm: xảy ra 5 vụ, so với năm 2023 tăng 5 vụ (năm 2023 không có vụ nào)");
    LINE(out, "Điều tra làm rõ 4 vụ (kể cả vụ năm trước), 1 đối tượng");
    LINE(out, "Tỷ lệ khám phá: 80,00% (có tính tồn; tồn đầu kỳ 0 vụ); 80,00% (trên số xảy ra)");
    LINE(out, "  chỉ tiêu 90%: không đạt (80,00%, thấp hơn 10,00% so với chỉ tiêu)");
    LINE(out, "Trọng án: xảy ra 0 vụ, khám phá 0; tỷ lệ — (có tính tồn; tồn đầu kỳ 0 vụ); — (trên "
              "số xảy ra)");
    LINE(out, "Tố giác, tin báo, kiến nghị khởi tố: tiếp nhận 0, chuyển 0, phải giải quyết 0, đã "
              "giải quyết 0 "
              "(tồn kỳ trước 0, phục hồi 0)");
    LINE(out,
         "Tỷ lệ giải quyết: — (trên số phải giải quyết); — (trên số tiếp nhận) — chỉ tiêu 90%: —");
    LINE(out, "Tai nạn giao thông: 1 vụ, 1 người chết, 2 người bị thương");
    LINE(out, "Theo nhóm tội phạm:");
    LINE(out, "  Tội phạm về trật tự xã hội: xảy ra 5, khám phá 4, tỷ lệ 80,00% (có tính tồn; tồn "
              "đầu kỳ 0 vụ); "
              "80,00% (trên số xảy ra); trọng án: xảy ra 0, khám phá 0, tỷ lệ — (có tính tồn; tồn "
              "đầu kỳ 0 "
              "vụ); — (trên số xảy ra)");
    LINE(out, "—: không có số liệu (không có vụ việc nào để tính tỷ lệ)");
}

Test(report, incidents_without_tipoffs_or_major_cases_against_a_year_of_none_en)
{
    static char out[16384];
    run_ok(ARGS_2024 " --lang en --convention plain", out, sizeof out);
    LINE(out, "Year 2024 report — Xã Đại Đồng (06040)");
    LINE(out, "Crimes: 5 cases occurred, up 5 on 2023, which had no cases");
    LINE(out, "Cleared 4 cases (including earlier ones), 1 suspect");
    LINE(out, "Clearance rate: 80.00% (plain); 80.00% (with carry-over; 0 carried over)");
    LINE(out, "  target 90%: not met (80.00%, 10.00 points below the target)");
    LINE(out,
         "Major cases: 0 occurred, 0 cleared; rate — (plain); — (with carry-over; 0 carried over)");
    LINE(out,
         "Resolution rate: — (of those received); — (of those to be resolved) — target 90%: —");
    LINE(out, "Traffic accidents: 1, 1 death, 2 injured");
    LINE(out, "Drugs: 0 cases, 0 suspects");
    LINE(out,
         "  Crimes against social order: 5 occurred, 4 cleared, rate 80.00% (plain); 80.00% (with "
         "carry-over; 0 carried over); major cases: 0 occurred, 0 cleared, rate — (plain); — (with "
         "carry-over; 0 carried over)");
}

Test(report, incidents_without_tipoffs_csv_and_json_carry_every_figure)
{
    static char out[32768];
    static const fig_t none[] = {
        {"occurred", "0", 0}, {"clearance_plain", "", 1}, {"drug_cases", "0", 0}};
    run_ok(ARGS_2024 " --format csv", out, sizeof out);
    cr_expect(!strncmp(out, "figure,2024,2023\n", 17), "%s", out);
    check_csv(out, "", Y2024, NFIG, 1);
    check_csv(out, "", none, 3, 2);
    cr_expect(strstr(out, "\noccurred_change,5\noccurred_change_percent,\n"), "%s", out);
    cr_expect(strstr(out, "\ntarget_clearance,90\ntarget_clearance_figure,clearance_carry\ntarget_"
                          "clearance_met,false\n"),
              "%s", out);
    cr_expect(strstr(out, "\ntarget_tipoff_met,\n"), "%s", out);
    check_csv(out, "social_order.", Y2024, 7, 1); /* the group's crime figures are the unit's */
    run_ok(ARGS_2024 " --format json --lang en", out, sizeof out);
    json_object *o = parse(out);
    check_json(get(o, "figures"), Y2024, NFIG);
    check_json(get(o, "compare"), none, 3);
    cr_expect_eq(json_object_get_int64(get(o, "change.occurred.difference")), 5);
    cr_expect(json_object_object_get_ex(get(o, "change.occurred"), "percent", NULL));
    cr_expect_null(get(o, "change.occurred.percent"));
    cr_expect_eq(json_object_get_boolean(get(o, "targets.clearance.met")), 0);
    cr_expect(json_object_is_type(get(o, "targets.clearance.met"), json_type_boolean));
    cr_expect_str_eq(json_object_to_json_string(get(o, "targets.clearance.value")), "80.00");
    cr_expect_null(get(o, "targets.tipoff.met"));
    json_object *groups = get(o, "groups");
    cr_assert_eq(json_object_array_length(groups), 1);
    json_object *g = json_object_array_get_idx(groups, 0);
    cr_expect_str_eq(json_object_get_string(get(g, "slug")), "social_order");
    check_json(get(g, "figures"), Y2024, 11);
    json_object_put(o);
}

/* A million-case count is an integer in every format; one case is singular. */
Test(report, large_counts_stay_integers_and_one_case_is_singular)
{
    static char out[32768];
    run_ok("--unit 06043 --year 2022", out, sizeof out);
    LINE(out, "Tội phạm: xảy ra 1.234.567 vụ");
    LINE(out, "Ma túy: 1.234.567 vụ, 1 đối tượng");
    run_ok("--unit 06043 --year 2022 --lang en", out, sizeof out);
    LINE(out, "Crimes: 1,234,567 cases occurred");
    LINE(out, "Cleared 1 case (including earlier ones), 1 suspect");
    LINE(out, "Drugs: 1,234,567 cases, 1 suspect");
    LINE(out, "Clearance rate: 0.00% (with carry-over; 0 carried over); 0.00% (plain)");
    run_ok("--unit 06043 --year 2022 --format csv", out, sizeof out);
    static const fig_t big[] = {{"occurred", "1234567", 0},
                                {"drug_cases", "1234567", 0},
                                {"cleared", "1", 0},
                                {"clearance_plain", "0.00", 1}};
    check_csv(out, "", big, 4, 1);
    check_csv(out, "drugs.", big, 1, 1);
    run_ok("--unit 06043 --year 2022 --format json", out, sizeof out);
    json_object *o = parse(out);
    check_json(get(o, "figures"), big, 4);
    json_object_put(o);
    /* and as the comparison year: down by almost everything, with its percentage */
    run_ok("--unit 06043 --year 2023 --compare 2022 --lang en", out, sizeof out);
    LINE(out, "Crimes: 0 cases occurred, down 1,234,567 (-100.00%) on 2022");
    run_ok("--unit 06043 --year 2023 --compare 2022 --format csv", out, sizeof out);
    cr_expect(strstr(out, "\noccurred,0,1234567\n"), "%s", out);
    cr_expect(strstr(out, "\noccurred_change,-1234567\noccurred_change_percent,-100.00\n"), "%s",
              out);
}

/* Names that do not exist are errors that name them; nothing on stdout. */
Test(report, unknown_names_are_errors_not_zeros)
{
    static char out[8192], err[8192];
    char args[1024];
    struct {
        const char *args, *says;
    } cases[] = {
        {"--unit 99999 --year 2023", "unit '99999' is not in antt.units"},
        {"--unit group:nope --year 2023", "no unit group 'nope'"},
        {"--unit 20 --year 2023 --group nope", "'nope' is not a crime group"},
        {"--unit 20 --year 2023 --group traffic", "'traffic' is not a crime group"},
        {"--unit 20 --year 2023 --targets clearance=abc", "--targets: 'clearance=abc'"},
        {"--unit 20 --year 20x3", "--year: '20x3' is not a whole number"},
        {"--unit 20 --year 2023 --year-start 02-30", "--year-start: '02-30'"},
        {"--unit 20 --year 2023 --format xml", "--format: 'xml'"},
        {"--unit 20 --year 2023 --colour", "unknown or ambiguous option '--colour'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(args, sizeof args, "--db '%s' %s", db.dsn, cases[i].args);
        cr_expect_eq(report(NULL, args, out, sizeof out, err, sizeof err), 2, "%s", cases[i].args);
        cr_expect(strstr(err, cases[i].says), "%s: %s", cases[i].args, err);
        cr_expect_str_eq(out, "", "%s printed a report", cases[i].args);
    }
    /* a database that cannot be reached has its own code */
    cr_expect_eq(report(NULL,
                        "--db 'host=127.0.0.1 port=1 connect_timeout=2' --unit 20 --year 2023", out,
                        sizeof out, err, sizeof err),
                 5, "%s", err);
}

/* The cluster of docs/operations.md's examples, and ANTT_DB instead of --db. */
Test(report, a_cluster_by_name_and_the_database_from_antt_db)
{
    static char out[8192], err[8192];
    char env[700];
    snprintf(env, sizeof env, "ANTT_DB='%s'", db.dsn);
    cr_assert_eq(report(env, "--unit group:cluster2 --year 2024 --lang en", out, sizeof out, err,
                        sizeof err),
                 0, "%s", err);
    LINE(out, "Year 2024 report — group cluster2, 7 units (group:cluster2)");
    LINE(out, "Crimes: 5 cases occurred");
    cr_assert_eq(report(env, "--unit group:cluster2 --year 2022 --format csv", out, sizeof out, err,
                        sizeof err),
                 0, "%s", err);
    cr_expect(strstr(out, "\noccurred,1234567\n"), "%s", out);
}

/* The whole country ("all": every province of the year, with the units
 * merged into them): the same figures as the one province that has any,
 * and in 2025 the same again across the reorganisation. */
/* Each rate against its target as year-end reports put it: the margin in
 * percentage points, above, below and exactly on target, compared on the
 * rates as printed; targets on record (anttd --load-targets) with no flag,
 * and a flag that replaces one of them. 06040 in 2024: 80,00%. */
Test(report, targets_state_the_margin_in_the_reports_own_words)
{
    static char out[16384];
    run_ok("--unit 06040 --year 2024 --targets clearance=75", out, sizeof out);
    LINE(out, "  chỉ tiêu 75%: đạt (80,00%, vượt 5,00% chỉ tiêu)");
    run_ok("--unit 06040 --year 2024 --targets clearance=80", out, sizeof out);
    LINE(out, "  chỉ tiêu 80%: đạt (80,00%, đúng chỉ tiêu)");
    run_ok("--unit 06040 --year 2024 --targets clearance=82.1", out, sizeof out);
    LINE(out, "  chỉ tiêu 82,1%: không đạt (80,00%, thấp hơn 2,10% so với chỉ tiêu)");
    run_ok("--unit 06040 --year 2024 --lang en --targets clearance=66.5", out, sizeof out);
    LINE(out, "  target 66.5%: met (80.00%, 13.50 points above the target)");
    run_ok("--unit 06040 --year 2024 --lang en --targets clearance=80", out, sizeof out);
    LINE(out, "  target 80%: met (80.00%, exactly on the target)");
    run_ok("--unit 06040 --year 2024 --lang en --targets clearance=82.1", out, sizeof out);
    LINE(out, "  target 82.1%: not met (80.00%, 2.10 points below the target)");
    /* no major case: the major-case target has nothing to compare */
    run_ok("--unit 06040 --year 2024 --targets major=95", out, sizeof out);
    LINE(out, "  chỉ tiêu 95%: —");

    /* on record: no flag needed; a flag replaces the figure it names */
    char path[] = "/tmp/antt-targets-XXXXXX";
    int fd = mkstemp(path);
    dprintf(fd, "unit,year,figure,target,source\n06040,2024,clearance,90,Nghị quyết 96/2019/QH14\n"
                "06040,2024,tipoff,90,Nghị quyết 96/2019/QH14\n06040,2023,clearance,50,\n");
    close(fd);
    char log[4096];
    const char *load[] = {"--load-targets", path, NULL};
    cr_assert_eq(it_anttd(db.dsn, load, log, sizeof log), 0, "%s", log);
    run_ok("--unit 06040 --year 2024", out, sizeof out);
    LINE(out, "  chỉ tiêu 90%: không đạt (80,00%, thấp hơn 10,00% so với chỉ tiêu)");
    cr_expect(strstr(out, "— chỉ tiêu 90%: —\n"), "the tip-off target on record: %s", out);
    run_ok("--unit 06040 --year 2024 --targets clearance=70", out, sizeof out);
    LINE(out, "  chỉ tiêu 70%: đạt (80,00%, vượt 10,00% chỉ tiêu)");
    cr_expect(strstr(out, "— chỉ tiêu 90%: —\n"), "the other target stays: %s", out);
    run_ok("--unit 06040 --year 2024 --format json", out, sizeof out);
    json_object *o = parse(out);
    cr_expect_str_eq(json_object_to_json_string(get(o, "targets.clearance.margin")), "-10.00");
    cr_expect_str_eq(json_object_get_string(get(o, "targets.clearance.source")), "table");
    cr_expect_eq(json_object_get_boolean(get(o, "targets.clearance.met")), 0);
    json_object_put(o);
    run_ok("--unit 06040 --year 2024 --format csv --targets clearance=80", out, sizeof out);
    cr_expect(strstr(out, "\ntarget_clearance_met,true\ntarget_clearance_margin,0.00\n"
                          "target_clearance_source,flag\n"),
              "%s", out);
    run_ok("--unit 06040 --year 2025", out, sizeof out);
    cr_expect(!strstr(out, "chỉ tiêu"), "no target on record for 2025: %s", out);

    /* a unit that does not exist refuses the file, and nothing of it is kept */
    fd = open(path, O_WRONLY | O_TRUNC);
    dprintf(fd, "unit,year,figure,target\n06040,2026,clearance,90\n99999,2026,clearance,90\n");
    close(fd);
    cr_expect_eq(it_anttd(db.dsn, load, log, sizeof log), 2, "%s", log);
    cr_expect(strstr(log, "99999"), "%s", log);
    PGconn *c = it_pg(&db);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.targets WHERE year = 2026"), 0);
    PQfinish(c);
    unlink(path);
}

Test(report, the_whole_country)
{
    char out[8192], prov[8192];
    run_ok("--unit all --year 2024 --lang vi", out, sizeof out);
    cr_expect(strstr(out, "Báo cáo năm 2024 — toàn quốc (all)"), "%s", out);
    cr_expect(strstr(out, "Tội phạm: xảy ra 5 vụ"), "%s", out);
    run_ok("--unit 20 --year 2024 --lang vi", prov, sizeof prov);
    cr_expect_str_eq(strchr(out, '\n'), strchr(prov, '\n'), "the country is Lạng Sơn's figures");
    run_ok("--unit all --year 2024 --lang en", out, sizeof out);
    cr_expect(strstr(out, "the whole country (all)"), "%s", out);
}

/* A crime group's figures are that group's — its tip-offs (a
 * tip-off names its group when known), the drug figures in the drugs group
 * only — and absent (JSON null, CSV blank) where the figure has no group:
 * the overdue count, traffic accidents. Each group against figures worked
 * out by hand from the rows seeded in up() for 06040, 2020. */
static const fig_t G_SOCIAL[NFIG] = {{"occurred", "5", 0},
                                     {"cleared", "4", 0},
                                     {"suspects", "5", 0},
                                     {"carried_over", "1", 0},
                                     {"clearance_plain", "80.00", 1},
                                     {"clearance_carry", "66.67", 1},
                                     {"major_occurred", "2", 0},
                                     {"major_cleared", "2", 0},
                                     {"major_carried_over", "0", 0},
                                     {"major_clearance_plain", "100.00", 1},
                                     {"major_clearance_carry", "100.00", 1},
                                     {"tipoffs_received", "5", 0},
                                     {"tipoffs_transferred", "0", 0},
                                     {"tipoffs_resumed", "0", 0},
                                     {"tipoffs_carried_over", "1", 0},
                                     {"tipoffs_to_resolve", "6", 0},
                                     {"tipoffs_resolved", "4", 0},
                                     {"resolution_rate", "66.67", 1},
                                     {"resolution_plain", "80.00", 1},
                                     {"tipoffs_overdue", "", 0},
                                     {"traffic_accidents", "", 0},
                                     {"traffic_deaths", "", 0},
                                     {"traffic_injuries", "", 0},
                                     {"drug_cases", "", 0},
                                     {"drug_suspects", "", 0}};
static const fig_t G_DRUGS[NFIG] = {{"occurred", "4", 0},
                                    {"cleared", "3", 0},
                                    {"suspects", "6", 0},
                                    {"carried_over", "0", 0},
                                    {"clearance_plain", "75.00", 1},
                                    {"clearance_carry", "75.00", 1},
                                    {"major_occurred", "0", 0},
                                    {"major_cleared", "0", 0},
                                    {"major_carried_over", "0", 0},
                                    {"major_clearance_plain", "", 1},
                                    {"major_clearance_carry", "", 1},
                                    {"tipoffs_received", "2", 0},
                                    {"tipoffs_transferred", "0", 0},
                                    {"tipoffs_resumed", "0", 0},
                                    {"tipoffs_carried_over", "0", 0},
                                    {"tipoffs_to_resolve", "2", 0},
                                    {"tipoffs_resolved", "0", 0},
                                    {"resolution_rate", "0.00", 1},
                                    {"resolution_plain", "0.00", 1},
                                    {"tipoffs_overdue", "", 0},
                                    {"traffic_accidents", "", 0},
                                    {"traffic_deaths", "", 0},
                                    {"traffic_injuries", "", 0},
                                    {"drug_cases", "4", 0},
                                    {"drug_suspects", "6", 0}};
static const fig_t G_ECONOMIC[NFIG] = {{"occurred", "1", 0},
                                       {"cleared", "0", 0},
                                       {"suspects", "0", 0},
                                       {"carried_over", "0", 0},
                                       {"clearance_plain", "0.00", 1},
                                       {"clearance_carry", "0.00", 1},
                                       {"major_occurred", "1", 0},
                                       {"major_cleared", "0", 0},
                                       {"major_carried_over", "0", 0},
                                       {"major_clearance_plain", "0.00", 1},
                                       {"major_clearance_carry", "0.00", 1},
                                       {"tipoffs_received", "0", 0},
                                       {"tipoffs_transferred", "0", 0},
                                       {"tipoffs_resumed", "0", 0},
                                       {"tipoffs_carried_over", "0", 0},
                                       {"tipoffs_to_resolve", "0", 0},
                                       {"tipoffs_resolved", "0", 0},
                                       {"resolution_rate", "", 1},
                                       {"resolution_plain", "", 1},
                                       {"tipoffs_overdue", "", 0},
                                       {"traffic_accidents", "", 0},
                                       {"traffic_deaths", "", 0},
                                       {"traffic_injuries", "", 0},
                                       {"drug_cases", "", 0},
                                       {"drug_suspects", "", 0}};
/* the unit's own, for the figures the groups leave out */
static const fig_t G_UNIT[] = {
    {"occurred", "10", 0},        {"tipoffs_received", "10", 0}, {"tipoffs_resolved", "5", 0},
    {"tipoffs_overdue", "0", 0},  {"traffic_accidents", "2", 0}, {"traffic_deaths", "1", 0},
    {"traffic_injuries", "3", 0}, {"drug_cases", "4", 0},        {"drug_suspects", "6", 0}};

Test(report, each_crime_group_has_its_own_figures)
{
    static char out[32768];
    exec_ok("INSERT INTO antt.tallies VALUES"
            " ('06040', '2019-06-01', 'incidents', 'social_order', 'serious', 1),"
            " ('06040', '2019-06-01', 'tipoffs_received', 'social_order', '', 1),"
            " ('06040', '2020-02-01', 'incidents', 'social_order', 'serious', 3),"
            " ('06040', '2020-02-01', 'incidents', 'social_order', 'very_serious', 2),"
            " ('06040', '2020-03-01', 'cleared', 'social_order', 'serious', 2),"
            " ('06040', '2020-03-01', 'cleared', 'social_order', 'very_serious', 2),"
            " ('06040', '2020-03-01', 'suspects', 'social_order', 'very_serious', 5),"
            " ('06040', '2020-02-02', 'incidents', 'drugs', 'serious', 4),"
            " ('06040', '2020-03-02', 'cleared', 'drugs', 'serious', 3),"
            " ('06040', '2020-03-02', 'suspects', 'drugs', 'serious', 6),"
            " ('06040', '2020-02-03', 'incidents', 'economic', 'especially_serious', 1),"
            " ('06040', '2020-04-01', 'tipoffs_received', 'social_order', '', 5),"
            " ('06040', '2020-04-01', 'tipoffs_received', 'drugs', '', 2),"
            " ('06040', '2020-04-01', 'tipoffs_received', '', '', 3),"
            " ('06040', '2020-05-01', 'tipoffs_resolved', 'social_order', '', 4),"
            " ('06040', '2020-05-01', 'tipoffs_resolved', '', '', 1),"
            " ('06040', '2020-06-01', 'incidents', 'traffic', '', 2),"
            " ('06040', '2020-06-01', 'deaths', 'traffic', '', 1),"
            " ('06040', '2020-06-01', 'injuries', 'traffic', '', 3)");
    run_ok("--unit 06040 --year 2020 --format json", out, sizeof out);
    json_object *o = parse(out);
    check_json(get(o, "figures"), G_UNIT, sizeof G_UNIT / sizeof *G_UNIT);
    json_object *groups = get(o, "groups");
    cr_assert_eq(json_object_array_length(groups), 3, "%s", out);
    const char *slugs[3] = {"drugs", "economic", "social_order"};
    const fig_t *want[3] = {G_DRUGS, G_ECONOMIC, G_SOCIAL};
    for (int i = 0; i < 3; i++) {
        json_object *g = json_object_array_get_idx(groups, (size_t)i);
        cr_expect_str_eq(json_object_get_string(get(g, "slug")), slugs[i]);
        check_json(get(g, "figures"), want[i], NFIG);
    }
    json_object_put(o);
    run_ok("--unit 06040 --year 2020 --format csv", out, sizeof out);
    check_csv(out, "", G_UNIT, sizeof G_UNIT / sizeof *G_UNIT, 1);
    check_csv(out, "drugs.", G_DRUGS, NFIG, 1);
    check_csv(out, "economic.", G_ECONOMIC, NFIG, 1);
    check_csv(out, "social_order.", G_SOCIAL, NFIG, 1);
    /* one group's report: its own figures, and no line for what it has none of */
    run_ok("--unit 06040 --year 2020 --group social_order --format json", out, sizeof out);
    o = parse(out);
    check_json(get(o, "figures"), G_SOCIAL, NFIG);
    json_object_put(o);
    run_ok("--unit 06040 --year 2020 --group social_order --lang en", out, sizeof out);
    LINE(out, "Tip-offs: 5 received, 0 transferred, 6 to be resolved, 4 resolved (1 carried "
              "over, 0 resumed)");
    cr_expect(!strstr(out, "Overdue now"), "%s", out);
    cr_expect(!strstr(out, "Traffic accidents"), "%s", out);
    cr_expect(!strstr(out, "Drugs:"), "%s", out);
    run_ok("--unit 06040 --year 2020 --group drugs --lang en", out, sizeof out);
    LINE(out, "Drugs: 4 cases, 6 suspects");
}

/* A target of NaN loaded (NaN passed "target >= 0") and printed
 * as -9.2e18 with "nan" in the JSON. Every value no report can state is
 * refused whole, the targets on record unchanged. */
Test(report, targets_that_are_not_numbers_are_refused_whole)
{
    static const char *const BAD[] = {
        "06040,2024,wanted,NaN\n",         "06040,2024,clearance,NaN\n",
        "06040,2024,clearance,Infinity\n", "06040,2024,clearance,-1\n",
        "06040,2024,clearance,100.5\n",    "06040,2024,wanted,2.5\n",
        "06040,2024,wanted,1e12\n",        "06040,1999,clearance,90\n",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        char path[] = "/tmp/antt-targets-XXXXXX";
        int fd = mkstemp(path);
        dprintf(fd, "unit,year,figure,target\n06040,2024,tipoff,90\n%s", BAD[i]);
        close(fd);
        char log[4096];
        const char *load[] = {"--load-targets", path, NULL};
        cr_expect_neq(it_anttd(db.dsn, load, log, sizeof log), 0, "%s took: %s", BAD[i], log);
        unlink(path);
        PGconn *c = it_pg(&db);
        cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.targets"), 0, "%s left a row", BAD[i]);
        PQfinish(c);
    }
    static char out[32768];
    run_ok("--unit 06040 --year 2024 --format json", out, sizeof out);
    json_object *o = parse(out);
    json_object_put(o);
}

/* ---- reading one's own writes ------------------------------------------ */

/* A batch committed before the report (a row of the fold's input, as the
 * ack path writes it) and folded only a second later: the report waits for
 * it rather than answer without it. */
static void *fold_later(void *arg)
{
    (void)arg;
    usleep(1000000);
    char err[512];
    db_t *c = db_connect(db.dsn, "test-report-fold", err, sizeof err);
    if (c) fold_catch_up(c, 10000, NULL, NULL, err, sizeof err);
    db_close(&c);
    return NULL;
}

static void committed_batch(void)
{
    exec_ok("INSERT INTO antt.fold_input (units, days, metrics, grps, severities, vals) VALUES"
            " ('{06040}', '{2024-06-01}', '{incidents}', '{social_order}', '{serious}', '{3}')");
}

Test(report, a_report_waits_for_the_batches_committed_before_it)
{
    static char out[32768];
    committed_batch();
    pthread_t t;
    pthread_create(&t, NULL, fold_later, NULL);
    run_ok(ARGS_2024 " --format csv", out, sizeof out);
    pthread_join(t, NULL);
    cr_expect(strstr(out, "\noccurred,8,"), "the batch folded a second later is counted: %s", out);
}

/* With nobody folding, the report answers after its wait with the figures
 * there are, and says how old they are. */
Test(report, a_report_says_how_old_its_figures_are_when_the_fold_lags)
{
    static char out[32768], err[4096];
    committed_batch();
    char args[1024];
    snprintf(args, sizeof args, "--db '%s' " ARGS_2024 " --format csv", db.dsn);
    cr_assert_eq(report(NULL, args, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_expect(strstr(out, "\noccurred,5,"), "%s", out);
    cr_expect(strstr(err, "figures as of"), "%s", err);
}

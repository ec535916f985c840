/* test_rollups.c — the SQL roll-ups and rates (db/schema/functions/) on seeded
 * tallies, with report figures computed by hand (Lạng Sơn 2023: 274 cases,
 * 300 cleared "including earlier cases" = 97.72% with 33 carried over). */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static it_db_t db;
static PGconn *c;

static void exec_ok(const char *sql)
{
    PGresult *r = PQexec(c, sql);
    cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
              "%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
}

static void up(void)
{
    it_db_create(&db, NULL);
    c = it_pg(&db);
    /* 2022: 357 social-order crimes, 324 of them cleared in 2022 (33 carried into 2023). */
    exec_ok("INSERT INTO antt.tallies VALUES"
            " ('06040', '2022-03-01', 'incidents', 'social_order', 'serious', 300),"
            " ('06043', '2022-11-20', 'incidents', 'social_order', 'very_serious', 57),"
            " ('06040', '2022-12-01', 'cleared', 'social_order', 'serious', 280),"
            " ('06043', '2022-12-20', 'cleared', 'social_order', 'very_serious', 44),"
            /* 2023: 274 cases (20 of them major), 300 cleared (incl. earlier), 530 suspects. */
            " ('06040', '2023-02-01', 'incidents', 'social_order', 'serious', 254),"
            " ('06043', '2023-05-01', 'incidents', 'social_order', 'especially_serious', 20),"
            " ('06040', '2023-06-01', 'cleared', 'social_order', 'serious', 270),"
            " ('06043', '2023-07-01', 'cleared', 'social_order', 'especially_serious', 30),"
            " ('06040', '2023-06-01', 'suspects', 'social_order', 'serious', 500),"
            " ('06043', '2023-07-01', 'suspects', 'social_order', 'especially_serious', 30),"
            /* not crimes: never in crime totals */
            " ('06040', '2023-03-01', 'incidents', 'traffic', '', 12),"
            " ('06040', '2023-03-01', 'deaths', 'traffic', '', 5),"
            " ('06040', '2023-03-01', 'injuries', 'traffic', '', 9),"
            /* drugs */
            " ('06046', '2023-04-01', 'incidents', 'drugs', 'serious', 7),"
            " ('06046', '2023-04-02', 'cleared', 'drugs', 'serious', 7),"
            " ('06046', '2023-04-02', 'suspects', 'drugs', 'serious', 11),"
            /* tip-offs: 10 pending from 2022; 611 received in 2023, 6 transferred, 600 resolved */
            " ('06040', '2022-12-10', 'tipoffs_received', '', '', 10),"
            " ('06040', '2023-01-10', 'tipoffs_received', '', '', 611),"
            " ('06040', '2023-08-10', 'tipoffs_transferred', '', '', 6),"
            " ('06040', '2023-09-10', 'tipoffs_resolved', '', '', 600),"
            /* another province, outside Lạng Sơn */
            " ('01234', '2023-02-01', 'incidents', 'social_order', 'serious', 1000)");
}

static void down(void)
{
    PQfinish(c);
    it_db_drop(&db, NULL);
}

TestSuite(rollups, .init = up, .fini = down, .timeout = 60);

/* One column of antt.rates(...) as text ("" for NULL). */
static char *rate(const char *args, const char *col)
{
    static char out[64];
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM antt.rates(%s)", col, args);
    PGresult *r = PQexec(c, sql);
    cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(r));
    snprintf(out, sizeof out, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return out;
}

#define Y2023 "'20', '2023-01-01', '2024-01-01'"

Test(rollups, lang_son_2023_clearance_both_conventions)
{
    cr_expect_str_eq(rate(Y2023 ", 'social_order'", "occurred"), "274");
    cr_expect_str_eq(rate(Y2023 ", 'social_order'", "cleared"), "300");
    cr_expect_str_eq(rate(Y2023 ", 'social_order'", "suspects"), "530");
    cr_expect_str_eq(rate(Y2023 ", 'social_order'", "carried_over"), "33");
    cr_expect_str_eq(rate(Y2023 ", 'social_order'", "clearance_carry"), "97.72");
    cr_expect_str_eq(rate(Y2023 ", 'social_order'", "clearance_plain"), "109.49");
    /* Major cases: 20 occurred, 30 cleared, 13 carried over. */
    cr_expect_str_eq(rate(Y2023 ", 'social_order'", "major_carried_over"), "13");
    cr_expect_str_eq(rate(Y2023 ", 'social_order'", "major_clearance_carry"), "90.91");
    cr_expect_str_eq(rate(Y2023 ", 'social_order'", "major_clearance_plain"), "150.00");
    /* All crime groups: drugs added, traffic never. */
    cr_expect_str_eq(rate(Y2023, "occurred"), "281");
    cr_expect_str_eq(rate(Y2023, "drug_cases"), "7");
    cr_expect_str_eq(rate(Y2023, "drug_suspects"), "11");
    cr_expect_str_eq(rate(Y2023, "traffic_accidents"), "12");
    cr_expect_str_eq(rate(Y2023, "traffic_deaths"), "5");
    cr_expect_str_eq(rate(Y2023, "traffic_injuries"), "9");
    /* The comparison year. */
    cr_expect_str_eq(rate("'20', '2022-01-01', '2023-01-01', 'social_order'", "occurred"), "357");
}

Test(rollups, tipoff_resolution_with_carry_over_and_transfers)
{
    cr_expect_str_eq(rate(Y2023, "tipoffs_received"), "611");
    cr_expect_str_eq(rate(Y2023, "tipoffs_carried_over"), "10");
    cr_expect_str_eq(rate(Y2023, "tipoffs_to_resolve"), "615"); /* 611 + 10 - 6 */
    cr_expect_str_eq(rate(Y2023, "resolution_rate"), "97.56");  /* 600 / 615 */
    cr_expect_str_eq(rate(Y2023, "resolution_plain"), "98.20"); /* 600 / 611 */
}

Test(rollups, subtrees_children_and_clusters)
{
    /* A district's subtree, a commune alone, a range with nothing. */
    cr_expect_str_eq(rate("'180', '2023-01-01', '2024-01-01', 'social_order'", "occurred"), "274");
    cr_expect_str_eq(rate("'06043', '2023-01-01', '2024-01-01'", "occurred"), "20");
    cr_expect_str_eq(rate("'20', '2021-01-01', '2022-01-01'", "occurred"), "0");
    cr_expect_str_eq(rate("'20', '2021-01-01', '2022-01-01'", "clearance_plain"), "");
    /* Children of the province: district 180 carries everything. */
    cr_expect_eq(it_scalar(c, "SELECT sum(value) FROM antt.rollup_children('20', '2023-01-01', "
                              "'2024-01-01') WHERE unit = '180' AND metric = 'incidents'"),
                 254 + 20 + 12 + 7);
    cr_expect_eq(it_scalar(c, "SELECT count(DISTINCT unit) FROM antt.rollup_children('20', "
                              "'2023-01-01', '2024-01-01')"),
                 1);
    /* An emulation cluster is a named group of units: the template loads
     * cluster II (data/clusters.csv), whose seven provinces include 01234's;
     * any other group works alike. */
    cr_expect_str_eq(
        rate("'group:cluster2', '2023-01-01', '2024-01-01', 'social_order'", "occurred"), "1274");
    exec_ok("INSERT INTO antt.unit_groups VALUES ('pair', '20'), ('pair', '04')");
    cr_expect_str_eq(rate("'group:pair', '2023-01-01', '2024-01-01', 'social_order'", "occurred"),
                     "274");
    cr_expect_eq(it_scalar(c, "SELECT sum(value) FROM antt.rollup('20', '2023-01-01', '2024-01-01')"
                              " WHERE metric = 'cleared'"),
                 307);
}

Test(rollups, overdue_counts_pending_tipoffs_past_their_deadline)
{
    exec_ok(
        "INSERT INTO antt.tipoffs (unit, ref, report_id, kind, source, received_at, deadline,"
        " status, version) VALUES"
        " ('06040', 'late', gen_random_uuid(), 'denunciation', 'citizen', now() - interval '30 "
        "days',"
        "  now() - interval '10 days', 'pending', 1),"
        " ('06040', 'due', gen_random_uuid(), 'denunciation', 'citizen', now() - interval '5 days',"
        "  now() + interval '15 days', 'pending', 1),"
        " ('06040', 'done', gen_random_uuid(), 'denunciation', 'citizen', now() - interval '30 "
        "days',"
        "  now() - interval '10 days', 'resolved', 2)");
    cr_expect_str_eq(rate(Y2023, "tipoffs_overdue"), "1");
}

/* antt report on the same seeded tallies. */
static void report(const char *args, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s report --db '%s' %s 2>&1", ANTT_PATH, db.dsn, args);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    cr_expect_eq(pclose(p), 0, "%s", out);
}

Test(rollups, antt_report_states_the_figures_as_reports_do)
{
    static char out[8192];
    report("--unit 20 --year 2023 --compare 2022 --group social_order --lang vi "
           "--targets clearance=80,tipoff=90",
           out, sizeof out);
    cr_expect(strstr(out, "xảy ra 274 vụ, so với năm 2022 giảm 83 vụ (23,25%)"), "%s", out);
    cr_expect(strstr(out, "Điều tra làm rõ 300 vụ"), "%s", out);
    cr_expect(strstr(out, "530 đối tượng"), "%s", out);
    cr_expect(strstr(out, "97,72% (có tính tồn; tồn đầu kỳ 33 vụ); 109,49% (trên số xảy ra)"), "%s",
              out);
    cr_expect(strstr(out, "chỉ tiêu 80%: đạt (97,72%, vượt 17,72% chỉ tiêu)"), "%s", out);
    report("--unit 20 --year 2023 --compare 2022 --group social_order --lang en --convention plain",
           out, sizeof out);
    cr_expect(strstr(out, "274 cases occurred, down 83 (-23.25%) on 2022"), "%s", out);
    cr_expect(
        strstr(out, "Clearance rate: 109.49% (plain); 97.72% (with carry-over; 33 carried over)"),
        "%s", out);
    /* Tip-offs: 10 carried over, 611 received, 6 transferred, 600 resolved. */
    report("--unit 20 --year 2023 --lang en --targets tipoff=99", out, sizeof out);
    cr_expect(strstr(out, "611 received, 6 transferred, 615 to be resolved, 600 resolved"), "%s",
              out);
    cr_expect(
        strstr(out,
               "97.56% (of those to be resolved); 98.20% (of those received) — target 99%: not met "
               "(97.56%, 1.44 points below the target)"),
        "%s", out);
    cr_expect(strstr(out, "Traffic accidents: 12, 5 deaths, 9 injured"), "%s", out);
    cr_expect(strstr(out, "Drugs: 7 cases, 11 suspects"), "%s", out);
    cr_expect(strstr(out, "Crimes against social order: 274 occurred, 300 cleared"), "%s", out);
    /* The police statistical year: "2023" is 15 Dec 2022 - 14 Dec 2023, so the
     * 44 clearances of 20 Dec 2022 belong to it. */
    report("--unit 20 --year 2023 --group social_order --year-start 12-15 --format csv", out,
           sizeof out);
    cr_expect(strstr(out, "occurred,274\n"), "%s", out);
    cr_expect(strstr(out, "cleared,344\n"), "%s", out);
    cr_expect(strstr(out, "carried_over,77\n"), "%s", out);
    report("--unit 20 --year 2023 --format json", out, sizeof out);
    cr_expect(strstr(out, "\"occurred\":281") || strstr(out, "\"occurred\": 281"), "%s", out);
}

Test(rollups, a_merged_unit_counts_under_its_successor)
{
    /* 2023 as the units were: Xã Đại Đồng (old 06040) alone. */
    cr_expect_str_eq(rate("'06040', '2023-01-01', '2024-01-01', 'social_order'", "occurred"),
                     "254");
    /* The same year read with today's units (the 2025 map in the template):
     * new 06058 = old 06043 (20 cases) + old 06058; new 06040 Thất Khê =
     * old 05995, 06013, 06034 and part of old 06040 — counted whole (254),
     * as in Đội Cấn 06004, which took its other part. */
    const char *now = "'2023-01-01', '2024-01-01', 'social_order', current_date";
    char args[256];
    snprintf(args, sizeof args, "'06058', %s", now);
    cr_expect_str_eq(rate(args, "occurred"), "20");
    snprintf(args, sizeof args, "'06040', %s", now);
    cr_expect_str_eq(rate(args, "occurred"), "254");
    snprintf(args, sizeof args, "'06004', %s", now);
    cr_expect_str_eq(rate(args, "occurred"), "254");
    PGresult *r = PQexec(c, "SELECT string_agg(code || ':' || successors, ' ') FROM"
                            " antt.scope_partials('06004', current_date)");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
    cr_expect_str_eq(PQgetvalue(r, 0, 0), "06040:06040, 06004", "the split unit is named");
    PQclear(r);
    /* The province counts each unit once, whichever map it is read with. */
    cr_expect_str_eq(rate(Y2023 ", 'social_order'", "occurred"), "274");
    cr_expect_str_eq(rate(Y2023 ", 'social_order', current_date", "occurred"), "274");
}

/* antt.tallies_before is the days' sums before antt.tallies_before_at, and
 * antt.scope_sums sums what the days sum for any period, unit and day. */
static void sums_equal_the_days(void)
{
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM (SELECT unit, metric, grp, severity,"
                              " sum(value) AS v FROM antt.tallies"
                              " WHERE day < (SELECT at FROM antt.tallies_before_at)"
                              " GROUP BY 1, 2, 3, 4) d"
                              " FULL JOIN antt.tallies_before b USING (unit, metric, grp, severity)"
                              " WHERE coalesce(d.v, 0) <> coalesce(b.value, 0)"),
                 0, "the sums before 1 January are the days' sums");
    /* periods: open-ended, whole years, whole months, ragged both ends,
     * inside one month, statistical years across 1 July 2025, units and
     * days of either era */
    static const char *const periods[] = {
        "'-infinity', '2023-01-01'",  "'2023-01-01', '2024-01-01'", "'2019-03-01', '2024-06-01'",
        "'2019-03-07', '2024-06-19'", "'2021-05-11', '2021-05-12'", "'2021-05-11', '2021-05-29'",
        "'2024-12-15', '2025-12-15'", "'2025-06-15', '2025-07-15'", "'2020-01-01', '2026-12-31'",
        "'-infinity', 'infinity'",    "'2020-12-31', '2021-01-02'", "'2023-02-01', '2023-03-01'"};
    static const char *const units[] = {"'06040'", "'180'", "'20'",
                                        "(SELECT successor FROM"
                                        " antt.unit_successors WHERE code = '06040' ORDER BY"
                                        " ord LIMIT 1)",
                                        "'group:cluster2'"};
    static const char *const ons[] = {"'2024-06-30'", "'2025-12-31'"};
    for (size_t p = 0; p < sizeof periods / sizeof *periods; p++)
        for (size_t u = 0; u < sizeof units / sizeof *units; u++)
            for (size_t o = 0; o < 2; o++)
                for (int years = 0; years < 2; years++) {
                    char sql[2048];
                    /* (the same sums: a key may come as 0 where the days have
                     * none — the history before 1 January less the years
                     * since) */
                    snprintf(
                        sql, sizeof sql,
                        "SELECT count(*) FROM (SELECT metric, grp, severity, sum(value) AS v"
                        " FROM antt.scope_tallies(%s, %s, %s) GROUP BY 1, 2, 3) a"
                        " FULL JOIN (SELECT metric, grp, severity, sum(value) AS v"
                        " FROM antt.scope_sums(%s, %s, %s, %s) GROUP BY 1, 2, 3) b"
                        " USING (metric, grp, severity) WHERE coalesce(a.v, 0) <> coalesce(b.v, 0)",
                        units[u], periods[p], ons[o], units[u], periods[p], ons[o],
                        years ? "true" : "false");
                    cr_expect_eq(it_scalar(c, sql), 0, "%s", sql);
                }
}

/* antt.scope_sums reads whole years and months from the tables the triggers
 * keep and the ragged ends from the days: for any period, any unit and any
 * writer (insert, upsert, update, delete) it sums what the days sum. */
/* ~40 s alone on this machine: its own timeout, above the suite's minute, so a
 * loaded CI machine does not fail it for time */
Test(rollups, month_and_year_sums_equal_the_days_for_any_period, .timeout = 300)
{
    /* seven years of an old commune and its district, then the new commune
     * that took it (06040 Đại Đồng until 30 June 2025), by several writers */
    exec_ok("INSERT INTO antt.tallies SELECT u, d::date, m, 'social_order', 'serious',"
            " 1 + (extract(doy FROM d)::int % 5)"
            " FROM (VALUES ('06040'), ('06043'), ('06046')) x(u),"
            " generate_series('2019-01-01'::date, '2025-06-30', interval '3 days') d,"
            " (VALUES ('incidents'), ('cleared')) y(m) ON CONFLICT DO NOTHING");
    exec_ok("INSERT INTO antt.tallies SELECT s.successor, d::date, 'incidents', 'social_order',"
            " 'serious', 2 FROM (SELECT successor FROM antt.unit_successors WHERE code = '06040'"
            " ORDER BY ord LIMIT 1) s,"
            " generate_series('2025-07-01'::date, '2026-03-31', interval '2 days') d");
    exec_ok("INSERT INTO antt.tallies VALUES ('06040', '2023-02-01', 'incidents', 'social_order',"
            " 'serious', 3) ON CONFLICT (unit, day, metric, grp, severity)"
            " DO UPDATE SET value = antt.tallies.value + excluded.value");
    exec_ok("UPDATE antt.tallies SET value = value * 2 WHERE day BETWEEN '2021-05-10' AND"
            " '2021-09-03'");
    exec_ok("UPDATE antt.tallies SET day = day + 20 WHERE day = '2020-12-20'"); /* a key moves */
    exec_ok("DELETE FROM antt.tallies WHERE day BETWEEN '2022-07-15' AND '2022-08-02'");
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM (SELECT unit, date_trunc('month', day)::date"
                              " AS month, metric, grp, severity, sum(value) AS v"
                              " FROM antt.tallies GROUP BY 1, 2, 3, 4, 5) d"
                              " FULL JOIN antt.tallies_month m USING (unit, month, metric, grp,"
                              " severity) WHERE coalesce(d.v, 0) <> coalesce(m.value, 0)"),
                 0, "the month table is the days' sums");
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM (SELECT unit, date_trunc('year', day)::date"
                              " AS year, metric, grp, severity, sum(value) AS v"
                              " FROM antt.tallies GROUP BY 1, 2, 3, 4, 5) d"
                              " FULL JOIN antt.tallies_year y USING (unit, year, metric, grp,"
                              " severity) WHERE coalesce(d.v, 0) <> coalesce(y.value, 0)"),
                 0, "the year table is the days' sums");

    sums_equal_the_days();
    /* antt.tallies_before sums the days before `at`, whatever `at` is: set
     * back (a database whose anttd has not run since 2022) and summed again,
     * moved forward as anttd does when the year turns, and kept by the
     * triggers for a late day written after */
    exec_ok("UPDATE antt.tallies_before_at SET at = '2022-01-01'");
    exec_ok("SELECT antt.tallies_reroll()");
    sums_equal_the_days();
    cr_expect_eq(it_scalar(c, "SELECT antt.tallies_before_advance('2024-01-01')::int"), 1);
    cr_expect_eq(it_scalar(c, "SELECT antt.tallies_before_advance('2023-01-01')::int"), 0,
                 "never backwards");
    exec_ok("INSERT INTO antt.tallies VALUES ('06040', '2023-05-05', 'incidents', 'drugs',"
            " 'serious', 4) ON CONFLICT (unit, day, metric, grp, severity)"
            " DO UPDATE SET value = antt.tallies.value + excluded.value");
    sums_equal_the_days();
    /* moving `at` waits for a writer still in its transaction and counts
     * what it wrote (a day of 2024, after the old `at`, before the new) */
    PGconn *w = it_pg(&db);
    PQclear(PQexec(w, "BEGIN"));
    PQclear(PQexec(w, "INSERT INTO antt.tallies VALUES ('06043', '2024-03-03', 'incidents',"
                      " 'drugs', 'serious', 5)"));
    cr_assert(PQsendQuery(c, "SELECT antt.tallies_before_advance('2025-01-01')::int"));
    usleep(300000);
    PQconsumeInput(c);
    cr_expect(PQisBusy(c), "the advance waits for the writer");
    PQclear(PQexec(w, "COMMIT"));
    PGresult *r;
    while ((r = PQgetResult(c)))
        PQclear(r);
    PQfinish(w);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.tallies_before WHERE unit = '06043'"
                              " AND metric = 'incidents' AND grp = 'drugs' AND value = 5"),
                 1);
    sums_equal_the_days();
    /* the test sees something: a period of several years has figures */
    cr_expect_gt(it_scalar(c, "SELECT sum(value) FROM antt.scope_sums('20', '2019-03-07',"
                              " '2024-06-19', '2024-06-18')"),
                 1000);
    /* with p_years false, no row stands for more than a month */
    cr_expect_eq(it_scalar(c, "SELECT count(DISTINCT day) FROM antt.scope_sums('06040',"
                              " '2023-01-01', '2024-01-01', '2023-12-31', false)"),
                 12);
}

/* The console's children, rollup_children and /metrics ask for many units in
 * one call (antt.scopes_sums, antt.rates_many): each unit's answer is the
 * one it gets alone, whatever else is asked beside it — the same unit twice,
 * a unit and its parent, a cluster, the whole country, a dissolved unit. */
Test(rollups, many_units_at_once_answer_as_each_alone)
{
    static const char *const sets[] = {
        "ARRAY(SELECT code FROM antt.children_on('20', '2023-12-31'))",
        "ARRAY(SELECT code FROM antt.children_on('20', current_date))",
        "ARRAY['20', '180', '06040', '06040', 'group:cluster2', 'all', '10']"};
    static const char *const periods[] = {
        "'2023-01-01', '2024-01-01'", "'2022-12-15', '2023-12-15'", "'2025-06-15', '2025-07-15'"};
    for (size_t s = 0; s < sizeof sets / sizeof *sets; s++)
        for (size_t p = 0; p < sizeof periods / sizeof *periods; p++) {
            char sql[2048];
            /* every column of every unit's row (and its groups' rows), as
             * text, against the same unit asked alone */
            snprintf(sql, sizeof sql,
                     "SELECT count(*) FROM (SELECT DISTINCT unnest(%s) AS code) k,"
                     " LATERAL (SELECT array_agg(m::text ORDER BY m.grp NULLS FIRST) AS a"
                     "  FROM antt.rates_many(%s, %s, NULL, true) m WHERE m.code = k.code) x,"
                     " LATERAL (SELECT array_agg(m::text ORDER BY m.grp NULLS FIRST) AS a"
                     "  FROM antt.rates_many(ARRAY[k.code], %s, NULL, true) m) y"
                     " WHERE x.a IS DISTINCT FROM y.a OR x.a IS NULL",
                     sets[s], sets[s], periods[p], periods[p]);
            cr_expect_eq(it_scalar(c, sql), 0, "%s", sql);
            snprintf(sql, sizeof sql,
                     "SELECT count(*) FROM (SELECT DISTINCT unnest(%s) AS code) k,"
                     " LATERAL (SELECT sum(value) AS v FROM antt.scopes_sums(%s, %s, '2025-12-31')"
                     "  t WHERE t.root = k.code) x,"
                     " LATERAL (SELECT sum(value) AS v FROM antt.scope_sums(k.code, %s,"
                     "  '2025-12-31')) y WHERE x.v IS DISTINCT FROM y.v",
                     sets[s], sets[s], periods[p], periods[p]);
            cr_expect_eq(it_scalar(c, sql), 0, "%s", sql);
        }
    /* the test sees something, and the children add up to the province
     * (Lạng Sơn's seeded 2023 is all in its districts' communes) */
    const long long y2023 = it_scalar(c, "SELECT occurred FROM antt.rates(" Y2023 ")");
    cr_expect_gt(y2023, 200);
    cr_expect_eq(it_scalar(c,
                           "SELECT sum(occurred) FROM antt.rates_many(ARRAY(SELECT code FROM"
                           " antt.children_on('20', '2023-12-31')), '2023-01-01', '2024-01-01')"),
                 y2023);
    cr_expect_eq(it_scalar(c, "SELECT sum(value) FROM antt.rollup_children(" Y2023 ")"
                              " WHERE metric = 'incidents' AND grp IN (SELECT slug"
                              " FROM antt.crime_groups WHERE is_crime)"),
                 y2023);
}

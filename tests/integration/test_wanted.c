/* test_wanted.c — wanted persons end to end: the real anttd and
 * antt, a real PostgreSQL. A notice is closed once (found or withdrawn), a
 * second arrest refused with 315 naming the first; the figures count at the
 * unit that found the person, on the day; --verify replays them. */
#include "harness.h"

#include "proto/err.h"
#include "proto/ts.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static it_db_t db;
static it_daemon_t d;
static it_client_t cl;

static void up(void)
{
    it_up(&db, &d, &cl);
}

static void down(void)
{
    it_down(&db, &d, &cl);
}

TestSuite(wanted, .init = up, .fini = down, .timeout = 120);

#define ACCEPTED(ev) IT_ACCEPTED(&cl, ev)

/* An instant in Hanoi (UTC+7). */
static int64_t hanoi(int y, int mo, int dd, int h, int mi)
{
    return ((int64_t)ts_days_from_civil(y, mo, dd) * 86400 + h * 3600 + mi * 60 - 7 * 3600) *
           1000000;
}

static long long q(const char *sql)
{
    PGconn *c = it_pg(&db);
    long long v = it_scalar(c, sql);
    PQfinish(c);
    return v;
}

static void expect_verified(void)
{
    char out[4096];
    const char *args[] = {"--verify", NULL};
    cr_expect_eq(it_anttd(db.dsn, args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, " 0 differences"), "%s", out);
}

Test(wanted, a_notice_is_closed_once_and_counted_where_the_person_was_found)
{
    ev_t ev;
    /* 06040 arrests the person of Lạng Sơn's notice 15/QĐTN on 14 June (Hanoi) */
    it_wanted_found(&ev, "20", "15/QĐTN", HOW_ARRESTED, CAT_DANGEROUS, hanoi(2023, 6, 14, 23, 30));
    ACCEPTED(&ev);
    ack_t a = it_one(&cl, &ev);
    cr_expect_eq(a.status, ACK_DUPLICATE, "the same event again");
    /* district 181's node reports the same person found: refused, naming the first */
    it_wanted_found(&ev, "20", "15/QĐTN", HOW_SURRENDERED, CAT_DANGEROUS, hanoi(2023, 6, 15, 8, 0));
    ev.node = ev_cstr("ls-181");
    ev.unit = ev_cstr("181");
    a = it_one(&cl, &ev);
    cr_expect_eq(a.status, ACK_REJECTED);
    cr_expect_eq(a.code, ANTT_E_WANTED_CLOSED);
    cr_expect(a.msg.p && memmem(a.msg.p, a.msg.n, "found by 06040 on 2023-06-14", 28), "%.*s",
              (int)a.msg.n, a.msg.p);
    /* nor can it be withdrawn now */
    it_wanted_withdrawn(&ev, "20", "15/QĐTN", hanoi(2023, 6, 15, 9, 0));
    cr_expect_eq(it_one(&cl, &ev).code, ANTT_E_WANTED_CLOSED);
    /* another notice, of Hà Nội (01, not on this map): a surrender, ordinary */
    it_wanted_found(&ev, "01", "7/QĐ-PC02", HOW_SURRENDERED, CAT_ORDINARY,
                    hanoi(2023, 6, 10, 10, 0));
    ACCEPTED(&ev);
    /* a third withdrawn by district 181, then found: refused */
    it_wanted_withdrawn(&ev, "181", "3/QĐTN", hanoi(2023, 6, 12, 9, 0));
    ev.node = ev_cstr("ls-181");
    ev.unit = ev_cstr("181");
    ACCEPTED(&ev);
    it_wanted_found(&ev, "181", "3/QĐTN", HOW_ARRESTED, CAT_ORDINARY, hanoi(2023, 6, 13, 9, 0));
    a = it_one(&cl, &ev);
    cr_expect_eq(a.code, ANTT_E_WANTED_CLOSED);
    cr_expect(a.msg.p && memmem(a.msg.p, a.msg.n, "withdrawn by 181", 16), "%.*s", (int)a.msg.n,
              a.msg.p);

    cr_expect_eq(q("SELECT count(*) FROM antt.wanted"), 3);
    cr_expect_eq(q("SELECT count(*) FROM antt.wanted WHERE issuer = '20' AND ref = '15/QĐTN'"
                   " AND status = 'found' AND unit = '06040' AND how = 'arrested'"
                   " AND category = 'dangerous'"),
                 1);
    cr_expect_eq(q("SELECT value FROM antt.tallies WHERE unit = '06040' AND day = '2023-06-14'"
                   " AND metric = 'wanted_found' AND grp = 'arrested'"),
                 1, "the day found, in Hanoi (23:30 on 14 June)");
    cr_expect_eq(q("SELECT value FROM antt.tallies WHERE unit = '06040' AND day = '2023-06-14'"
                   " AND metric = 'wanted_dangerous'"),
                 1);
    cr_expect_eq(q("SELECT value FROM antt.tallies WHERE unit = '06040' AND day = '2023-06-10'"
                   " AND metric = 'wanted_found' AND grp = 'surrendered'"),
                 1);
    cr_expect_eq(q("SELECT value FROM antt.tallies WHERE unit = '181' AND day = '2023-06-12'"
                   " AND metric = 'wanted_withdrawn'"),
                 1);
    cr_expect_eq(q("SELECT coalesce(sum(value), 0) FROM antt.tallies WHERE metric LIKE 'wanted%'"),
                 4, "nothing else counted");
    cr_expect_eq(q("SELECT count(*) FROM antt.events WHERE type LIKE 'wanted.%'"), 3,
                 "the log holds the three accepted events");
    expect_verified();
}

/* A command's standard output and exit status. */
static int run(char *out, size_t cap, const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s report --db '%s' %s 2>&1", ANTT_PATH, db.dsn, args);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    return pclose(p);
}

#define LINE(out, s) cr_expect(strstr(out, s "\n"), "no line \"%s\" in:\n%s", s, out)

/* The year-end report states the wanted persons found as reports do, with
 * the comparison year, in vi and en, text, CSV and JSON, and a count target
 * with its margin — above, on and below, from the flag and from the table. */
Test(wanted, the_report_states_wanted_persons_found_and_the_target)
{
    ev_t ev;
    /* 06040: an arrest (dangerous) and a surrender; 181 withdraws a notice */
    const struct {
        const char *issuer, *ref, *node, *unit;
        ev_type_t type;
        ev_how_t how;
        ev_category_t cat;
        int day;
    } SEED[] = {
        {"20", "15/QĐTN", "ls-180-06040", "06040", EV_WANTED_FOUND, HOW_ARRESTED, CAT_DANGEROUS,
         14},
        {"01", "7/QĐ-PC02", "ls-180-06040", "06040", EV_WANTED_FOUND, HOW_SURRENDERED, CAT_ORDINARY,
         10},
        {"181", "3/QĐTN", "ls-181", "181", EV_WANTED_WITHDRAWN, HOW_NONE, CAT_NONE, 12},
    };
    for (size_t i = 0; i < sizeof SEED / sizeof SEED[0]; i++) {
        if (SEED[i].type == EV_WANTED_FOUND)
            it_wanted_found(&ev, SEED[i].issuer, SEED[i].ref, SEED[i].how, SEED[i].cat,
                            hanoi(2023, 6, SEED[i].day, 9, 0));
        else
            it_wanted_withdrawn(&ev, SEED[i].issuer, SEED[i].ref,
                                hanoi(2023, 6, SEED[i].day, 9, 0));
        ev.node = ev_cstr(SEED[i].node);
        ev.unit = ev_cstr(SEED[i].unit);
        ACCEPTED(&ev);
    }
    /* commune 06043, through its district's node */
    it_wanted_found(&ev, "180", "4/QĐTN", HOW_ARRESTED, CAT_ORDINARY, hanoi(2023, 7, 1, 9, 0));
    ev.node = ev_cstr("ls-180");
    ev.unit = ev_cstr("06043");
    ACCEPTED(&ev);
    it_wanted_found(&ev, "20", "2/QĐTN", HOW_ARRESTED, CAT_ORDINARY, hanoi(2022, 5, 1, 9, 0));
    ACCEPTED(&ev);
    static char out[16384];
    cr_assert_eq(run(out, sizeof out, "--unit 20 --year 2023 --compare 2022 --targets wanted=3"), 0,
                 "%s", out);
    LINE(out, "Truy nã: bắt, vận động đầu thú 3 đối tượng truy nã (1 đặc biệt nguy hiểm; bắt giữ "
              "2, đầu thú 1); đình nã 1 — chỉ tiêu 3 đối tượng: đạt (3, đúng chỉ tiêu)");
    cr_assert_eq(run(out, sizeof out, "--unit 20 --year 2023 --lang en --targets wanted=1"), 0,
                 "%s", out);
    LINE(out, "Wanted persons: 3 arrested or surrendered (1 wanted for very serious or especially "
              "serious crimes; 2 arrested, 1 surrendered); 1 notice withdrawn — target 1: met (3, "
              "2 above the target)");
    cr_assert_eq(run(out, sizeof out, "--unit 180 --year 2023"), 0, "%s", out);
    LINE(out, "Truy nã: bắt, vận động đầu thú 3 đối tượng truy nã (1 đặc biệt nguy hiểm; bắt giữ "
              "2, đầu thú 1); đình nã 0");
    /* the target on record, below */
    PGconn *c = it_pg(&db);
    PQclear(PQexec(c, "INSERT INTO antt.targets VALUES ('20', 2023, 'wanted', 5, 'test')"));
    PQfinish(c);
    cr_assert_eq(run(out, sizeof out, "--unit 20 --year 2023"), 0, "%s", out);
    cr_expect(strstr(out, "; đình nã 1 — chỉ tiêu 5 đối tượng: không đạt (3, thấp hơn 2 so với "
                          "chỉ tiêu)\n"),
              "%s", out);
    cr_assert_eq(run(out, sizeof out, "--unit 20 --year 2023 --compare 2022 --format csv"), 0, "%s",
                 out);
    cr_expect(strstr(out, "\nwanted_found,3,1\nwanted_arrested,2,1\nwanted_surrendered,1,0\n"
                          "wanted_dangerous,1,0\nwanted_withdrawn,1,0\n"),
              "%s", out);
    cr_expect(strstr(out, "\ntarget_wanted,5\ntarget_wanted_figure,wanted_found\n"
                          "target_wanted_met,false\ntarget_wanted_margin,-2\n"
                          "target_wanted_source,table\n"),
              "%s", out);
    cr_assert_eq(run(out, sizeof out, "--unit 20 --year 2023 --compare 2022 --format json"), 0,
                 "%s", out);
    json_object *o = json_tokener_parse(out), *v;
    cr_assert(o, "not JSON: %s", out);
    const char *keys[][2] = {{"wanted", "found"},
                             {"wanted", "arrested"},
                             {"wanted", "surrendered"},
                             {"wanted", "dangerous"},
                             {"wanted", "withdrawn"},
                             {"compare_wanted", "found"},
                             {"compare_wanted", "dangerous"}};
    const long long want[] = {3, 2, 1, 1, 1, 1, 0};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        json_object *w;
        cr_assert(json_object_object_get_ex(o, keys[i][0], &w) &&
                      json_object_object_get_ex(w, keys[i][1], &v),
                  "no %s.%s", keys[i][0], keys[i][1]);
        cr_expect(json_object_is_type(v, json_type_int) && json_object_get_int64(v) == want[i],
                  "%s.%s: %s", keys[i][0], keys[i][1], json_object_to_json_string(v));
    }
    json_object *t, *tw;
    cr_assert(json_object_object_get_ex(o, "targets", &t) &&
              json_object_object_get_ex(t, "wanted", &tw));
    cr_expect(json_object_object_get_ex(tw, "margin", &v) && json_object_get_int64(v) == -2);
    cr_expect(json_object_object_get_ex(tw, "met", &v) && !json_object_get_boolean(v));
    cr_expect(json_object_object_get_ex(tw, "source", &v) &&
              !strcmp(json_object_get_string(v), "table"));
    json_object_put(o);
    /* a crime group's report says nothing of wanted persons */
    cr_assert_eq(run(out, sizeof out, "--unit 20 --year 2023 --group drugs"), 0, "%s", out);
    cr_expect(!strstr(out, "Truy nã"), "%s", out);
}

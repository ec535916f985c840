/* test_deadlines.c — tip-off limits counted as CPC Art. 134 counts them
 * end to end: the real anttd and antt, a real PostgreSQL with
 * data/days-off.csv loaded (the test template). Each test has its own
 * database and daemon. */
#include "harness.h"

#include "proto/err.h"
#include "proto/ts.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

TestSuite(deadlines, .init = up, .fini = down, .timeout = 120);

/* An instant in Hanoi (UTC+7). */
static int64_t hanoi(int y, int mo, int dd, int h, int mi, int sec)
{
    return ((int64_t)ts_days_from_civil(y, mo, dd) * 86400 + h * 3600 + mi * 60 + sec - 7 * 3600) *
           1000000;
}

static ack_t one(const ev_t *ev)
{
    return it_one(&cl, ev);
}

#define ACCEPTED(ev) IT_ACCEPTED(&cl, ev)

static void received(const char *ref, int64_t at)
{
    ev_t ev;
    it_tipoff(&ev, ref, at);
    ev.time_us = at;
    ACCEPTED(&ev);
}

static void extension(ev_t *ev, const char *ref, ev_basis_t basis, int64_t until)
{
    it_tipoff(ev, ref, 0);
    ev->type = EV_TIPOFF_EXTENDED;
    ev->present = ev_required(EV_TIPOFF_EXTENDED);
    ev->time_us = IT_NOW_US;
    ev->deadline_us = until;
    ev->basis = basis;
}

/* A command's standard output and exit status. */
static int run(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int run(char *out, size_t cap, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    return pclose(p);
}

static void it_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

static long long deadline_is(PGconn *c, const char *ref, const char *when)
{
    return it_scalar(c, it_str("SELECT count(*) FROM antt.tipoffs WHERE ref = '%s' AND deadline = "
                               "timestamptz '%s'",
                               ref, when));
}

/* The report's overdue figure (JSON), as of an instant. */
static long report_overdue(const char *at)
{
    char out[16384];
    cr_assert_eq(run(out, sizeof out,
                     "%s report --db '%s' --unit 20 --year 2023 --format json --at '%s' 2>&1",
                     ANTT_PATH, db.dsn, at),
                 0, "%s", out);
    const char *k = strstr(out, "\"tipoffs_overdue\"");
    cr_assert(k, "%s", out);
    k += strlen("\"tipoffs_overdue\"");
    while (*k == ':' || *k == ' ')
        k++;
    return atol(k);
}

/* Received at 00:00, 16:00 and 23:59 on 3 March: each is due at 24:00 on 23
 * March; at 23:59:59 none is overdue, at 00:00:00 on 24 March all three are
 * — in antt tipoffs and in the report's overdue count. */
Test(deadlines, the_twenty_days_end_at_midnight_in_tipoffs_and_the_report)
{
    received("M00", hanoi(2023, 3, 3, 0, 0, 0));
    received("M16", hanoi(2023, 3, 3, 16, 0, 0));
    received("M2359", hanoi(2023, 3, 3, 23, 59, 0));
    received("APR", hanoi(2023, 3, 12, 9, 0, 0)); /* 20 days: 1 April */
    PGconn *c = it_pg(&db);
    for (const char *const *r = (const char *const[]){"M00", "M16", "M2359", NULL}; *r; r++)
        cr_expect_eq(deadline_is(c, *r, "2023-03-23 23:59:59.999999+07"), 1, "%s", *r);
    cr_expect_eq(deadline_is(c, "APR", "2023-04-01 23:59:59.999999+07"), 1);
    PQfinish(c);

    char out[8192];
    cr_assert_eq(run(out, sizeof out,
                     "%s tipoffs --db '%s' --unit 20 --overdue --at 2023-03-23T16:00:00+07:00 2>&1",
                     ANTT_PATH, db.dsn),
                 0, "%s", out);
    cr_expect(strstr(out, "0 tip-off(s) overdue") && !strstr(out, "M16"),
              "20 x 24 hours after 16:00 is not the end of the limit: %s", out);
    cr_assert_eq(run(out, sizeof out,
                     "%s tipoffs --db '%s' --unit 20 --overdue --at 2023-03-23T23:59:59+07:00 2>&1",
                     ANTT_PATH, db.dsn),
                 0, "%s", out);
    cr_expect(strstr(out, "0 tip-off(s) overdue"), "23:59:59: %s", out);
    cr_assert_eq(run(out, sizeof out,
                     "%s tipoffs --db '%s' --unit 20 --overdue --at 2023-03-24T00:00:00+07:00 2>&1",
                     ANTT_PATH, db.dsn),
                 0, "%s", out);
    cr_expect(strstr(out, "3 tip-off(s) overdue") && strstr(out, "M00") && strstr(out, "M16") &&
                  strstr(out, "M2359") && !strstr(out, "APR"),
              "00:00:00: %s", out);
    /* due today (0 days left) at 23:59:59 */
    cr_assert_eq(run(out, sizeof out,
                     "%s tipoffs --db '%s' --unit 20 --due-within 1 --at "
                     "2023-03-23T23:59:59+07:00 2>&1",
                     ANTT_PATH, db.dsn),
                 0, "%s", out);
    cr_expect(strstr(out, "M16"), "%s", out);

    cr_expect_eq(report_overdue("2023-03-23T23:59:59+07:00"), 0);
    cr_expect_eq(report_overdue("2023-03-24T00:00:00+07:00"), 3);
    cr_expect_eq(report_overdue("2023-04-01T23:59:59+07:00"), 3);
    cr_expect_eq(report_overdue("2023-04-02"), 4, "a date alone: midnight in Hanoi");
}

/* Extensions in months from receipt (Art. 134's month rule, the days off of
 * data/days-off.csv), refused beyond with 312. */
Test(deadlines, extensions_are_months_moved_past_days_off_and_refused_beyond)
{
    ev_t ev;
    /* 9 December 2023 + 2 months = Friday 9 February 2024, in Tết (8-14
     * February): the limit is Thursday 15 February */
    received("TET", hanoi(2023, 12, 9, 10, 0, 0));
    extension(&ev, "TET", BASIS_COMPLEX, hanoi(2024, 2, 16, 9, 0, 0));
    ack_t a = one(&ev);
    cr_expect_eq(a.status, ACK_REJECTED);
    cr_expect_eq(a.code, ANTT_E_BAD_DEADLINE);
    cr_expect(a.msg.p && memmem(a.msg.p, a.msg.n, "2024-02-15 24:00", 16), "%.*s", (int)a.msg.n,
              a.msg.p);
    extension(&ev, "TET", BASIS_COMPLEX, hanoi(2024, 2, 15, 9, 0, 0));
    ACCEPTED(&ev);
    /* 2 January 2024 + 2 months = Saturday 2 March: Monday 4 March */
    received("SAT", hanoi(2024, 1, 2, 10, 0, 0));
    extension(&ev, "SAT", BASIS_COMPLEX, hanoi(2024, 3, 5, 0, 0, 0)); /* 24:00 on 4 March */
    ACCEPTED(&ev);
    /* 31 December + 2 months: 29 February 2024 (leap), 28 February 2023 */
    received("LEAP", hanoi(2023, 12, 31, 10, 0, 0));
    extension(&ev, "LEAP", BASIS_COMPLEX, hanoi(2024, 3, 1, 9, 0, 0));
    a = one(&ev);
    cr_expect_eq(a.code, ANTT_E_BAD_DEADLINE, "1 March is past 2 months from 31 December 2023");
    extension(&ev, "LEAP", BASIS_COMPLEX, hanoi(2024, 2, 29, 9, 0, 0));
    ACCEPTED(&ev);
    received("NOLEAP", hanoi(2022, 12, 31, 10, 0, 0));
    extension(&ev, "NOLEAP", BASIS_COMPLEX, hanoi(2023, 3, 1, 9, 0, 0));
    a = one(&ev);
    cr_expect_eq(a.code, ANTT_E_BAD_DEADLINE, "60 days (1 March) is past 2 months");
    extension(&ev, "NOLEAP", BASIS_COMPLEX, hanoi(2023, 2, 28, 9, 0, 0));
    ACCEPTED(&ev);
    /* the procuracy: 4 months from 31 December 2023 = 30 April 2024, a
     * holiday, then 1 May: Thursday 2 May */
    extension(&ev, "LEAP", BASIS_PROCURACY, hanoi(2024, 5, 3, 9, 0, 0));
    cr_expect_eq(one(&ev).code, ANTT_E_BAD_DEADLINE);
    extension(&ev, "LEAP", BASIS_PROCURACY, hanoi(2024, 5, 2, 9, 0, 0));
    ACCEPTED(&ev);

    PGconn *c = it_pg(&db);
    cr_expect_eq(deadline_is(c, "TET", "2024-02-15 23:59:59.999999+07"), 1);
    cr_expect_eq(deadline_is(c, "SAT", "2024-03-04 23:59:59.999999+07"), 1);
    cr_expect_eq(deadline_is(c, "LEAP", "2024-05-02 23:59:59.999999+07"), 1);
    cr_expect_eq(deadline_is(c, "NOLEAP", "2023-02-28 23:59:59.999999+07"), 1);
    PQfinish(c);
    char out[4096];
    const char *verify[] = {"--verify", NULL};
    cr_expect_eq(it_anttd(db.dsn, verify, out, sizeof out), 0, "%s", out);
}

/* Deadlines stored under the old count (receipt + 20 x 24 h), as migration
 * 014 finds them: --verify names them, and anttd --migrate (or a daemon
 * starting) recomputes every pending one through the ledger; a change of the
 * days off or of a setting does the same. */
Test(deadlines, old_deadlines_are_found_by_verify_and_recomputed)
{
    received("OLD1", hanoi(2023, 3, 3, 16, 0, 0));
    received("OLD2", hanoi(2023, 12, 9, 10, 0, 0));
    ev_t ev;
    extension(&ev, "OLD2", BASIS_COMPLEX, hanoi(2024, 2, 15, 9, 0, 0));
    ACCEPTED(&ev);
    received("DONE", hanoi(2023, 3, 1, 8, 0, 0));
    it_resolved(&ev, "DONE", OUT_NOT_PROSECUTE, hanoi(2023, 3, 5, 8, 0, 0));
    ACCEPTED(&ev);
    it_daemon_stop(&d, SIGTERM);
    PGconn *c = it_pg(&db);
    /* what 013's anttd stored, and what 014 leaves */
    it_exec(c, "UPDATE antt.tipoffs SET deadline = received_at + interval '20 days'"
               " WHERE ref = 'OLD1'");
    it_exec(c, "UPDATE antt.tipoffs SET deadline = received_at + interval '60 days'"
               " WHERE ref = 'OLD2'");
    it_exec(c, "UPDATE antt.tipoffs SET deadline = received_at + interval '20 days'"
               " WHERE ref = 'DONE'");
    const long long done_before = it_scalar(
        c, "SELECT extract(epoch FROM deadline)::bigint FROM antt.tipoffs WHERE ref = 'DONE'");
    it_exec(c, "UPDATE antt.deadline_rules SET rules = NULL");
    char out[8192];
    const char *verify[] = {"--verify", NULL};
    cr_expect_eq(it_anttd(db.dsn, verify, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "OLD1") && strstr(out, "deadline"), "%s", out);
    const char *migrate[] = {"--migrate", NULL};
    cr_expect_eq(it_anttd(db.dsn, migrate, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "2 changed"), "%s", out);
    cr_expect_eq(deadline_is(c, "OLD1", "2023-03-23 23:59:59.999999+07"), 1);
    cr_expect_eq(deadline_is(c, "OLD2", "2024-02-15 23:59:59.999999+07"), 1,
                 "60 days (7 February) was inside Tết's month rule; the extension stands");
    cr_expect_eq(it_scalar(c, "SELECT extract(epoch FROM deadline)::bigint FROM antt.tipoffs"
                              " WHERE ref = 'DONE'"),
                 done_before, "a decided tip-off is left as it was");
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.deadline_rules WHERE rules LIKE"
                              " 'limit_days=20 receipt_day_counts=0 complex_months=2%'"),
                 1);
    /* nothing more to do under the same rules */
    cr_expect_eq(it_anttd(db.dsn, migrate, out, sizeof out), 0, "%s", out);
    cr_expect(!strstr(out, "changed"), "%s", out);

    /* the day of receipt counted as day 1: a daemon started so recomputes */
    const char *counts[] = {"--tipoff-receipt-day-counts", "1", NULL};
    it_daemon_restart(&d, db.dsn, counts);
    it_client_close(&cl);
    it_client_open(&cl, d.port);
    received("NEW", hanoi(2023, 3, 3, 16, 0, 0)); /* taken after the recomputation */
    cr_expect_eq(deadline_is(c, "OLD1", "2023-03-22 23:59:59.999999+07"), 1);
    cr_expect_eq(deadline_is(c, "NEW", "2023-03-22 23:59:59.999999+07"), 1);
    cr_expect(it_log_has(&d, "deadlines recomputed"));
    it_daemon_stop(&d, SIGTERM);

    /* a holiday struck out (a file for 2024 without Tết): OLD2's month limit
     * is Friday 9 February again, and its extension to the 15th is held to it */
    char path[] = "/tmp/antt-days-off-XXXXXX";
    int fd = mkstemp(path);
    dprintf(fd, "day,off,name,source\n2024-01-01,true,Tết Dương lịch,test\n");
    close(fd);
    const char *load[] = {"--load-days-off", path, NULL};
    cr_expect_eq(it_anttd(db.dsn, load, out, sizeof out), 0, "%s", out);
    unlink(path);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.days_off WHERE day >= '2024-01-01'"
                              " AND day < '2025-01-01'"),
                 1, "the file's year replaces the year on record");
    cr_expect_eq(deadline_is(c, "OLD2", "2024-02-09 23:59:59.999999+07"), 1);
    const char *again[] = {"--load-days-off", ANTT_SOURCE_DIR "/data/days-off.csv", NULL};
    cr_expect_eq(it_anttd(db.dsn, again, out, sizeof out), 0, "%s", out);
    cr_expect_eq(deadline_is(c, "OLD2", "2024-02-15 23:59:59.999999+07"), 1,
                 "Tết back: the extension the station gave stands again");
    cr_expect_eq(it_anttd(db.dsn, verify, out, sizeof out), 0, "%s", out);
    PQfinish(c);
    d.pid = 0;
}

/* A database kept since 2024 has no days off for 2025 and 2026: the upgrade
 * (migration 020) brings them, leaves a year the operator loaded as it is,
 * and the pending deadlines they touch are recomputed. */
Test(deadlines, an_upgrade_brings_2025_and_2026_and_moves_the_deadlines_they_touch)
{
    /* 17 December 2025 + 2 months = Tuesday 17 February 2026, in Tết (14-22
     * February 2026): the limit is Monday 23 February */
    received("TET26", hanoi(2025, 12, 17, 10, 0, 0));
    ev_t ev;
    extension(&ev, "TET26", BASIS_COMPLEX, hanoi(2026, 2, 23, 9, 0, 0));
    ev.time_us = hanoi(2026, 1, 5, 9, 0, 0); /* sent in the new map's time */
    ACCEPTED(&ev);
    it_daemon_stop(&d, SIGTERM);
    PGconn *c = it_pg(&db);
    cr_expect_eq(deadline_is(c, "TET26", "2026-02-23 23:59:59.999999+07"), 1);

    /* the database as 019 left it, with the operator's own 2025 (one day) */
    it_exec(c, "DELETE FROM antt.days_off WHERE day >= '2025-01-01'");
    char path[] = "/tmp/antt-days-off-XXXXXX";
    int fd = mkstemp(path);
    dprintf(fd, "day,off,name,source\n2025-01-01,true,Tết Dương lịch,the operator's file\n");
    close(fd);
    char out[8192];
    const char *load[] = {"--load-days-off", path, NULL};
    cr_expect_eq(it_anttd(db.dsn, load, out, sizeof out), 0, "%s", out);
    unlink(path);
    cr_expect_eq(deadline_is(c, "TET26", "2026-02-17 23:59:59.999999+07"), 1,
                 "no 2026 on record: the month limit ends on Tết's Tuesday");
    /* a daemon started so says which year is missing, and /metrics the last */
    char listen[64], body[65536], want[160];
    const int http = it_free_port();
    snprintf(listen, sizeof listen, "127.0.0.1:%d", http);
    const char *with_http[] = {"--http-listen", listen, NULL};
    it_daemon_restart(&d, db.dsn, with_http);
    time_t now = time(NULL) + 7 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(want, sizeof want, "no days off on record for %d", tm.tm_year + 1900);
    cr_expect(it_log_has(&d, want), "the log says '%s'", want);
    cr_assert_eq(it_http_get(http, "/metrics", body, sizeof body), 200);
    cr_expect(strstr(body, "\nantt_calendar_last_year 2025\n"), "%s", body);
    it_daemon_stop(&d, SIGTERM);
    /* the schema as 019 left it: 020 and what came after it undone (a later
     * migration that cannot run twice is undone here too) */
    it_exec(c, "DELETE FROM antt.schema_migrations WHERE version >= 20");
    it_exec(c, "ALTER TABLE antt.schema_migrations DROP COLUMN oldest_binary");

    const char *migrate[] = {"--migrate", NULL};
    cr_expect_eq(it_anttd(db.dsn, migrate, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "1 changed"), "%s", out);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.schema_migrations WHERE version = 20"), 1,
                 "020 applied again");
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.days_off WHERE extract(year FROM day) ="
                              " 2026"),
                 25, "2026 as data/days-off.csv lists it");
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.days_off WHERE extract(year FROM day) ="
                              " 2025 AND source = 'the operator''s file'"),
                 1);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.days_off WHERE extract(year FROM day) ="
                              " 2025"),
                 1, "the operator's 2025 is left as it was");
    cr_expect_eq(deadline_is(c, "TET26", "2026-02-23 23:59:59.999999+07"), 1,
                 "Tết 2026 on record: the extension the station gave stands again");
    const char *verify[] = {"--verify", NULL};
    cr_expect_eq(it_anttd(db.dsn, verify, out, sizeof out), 0, "%s", out);
    it_daemon_restart(&d, db.dsn, with_http);
    cr_assert_eq(it_http_get(http, "/metrics", body, sizeof body), 200);
    cr_expect(strstr(body, "\nantt_calendar_last_year 2026\n"), "%s", body);
    it_daemon_stop(&d, SIGTERM);
    PQfinish(c);
    d.pid = 0;
}

/* The settings that were days are gone: a config still naming them is told
 * what replaced them. */
Test(deadlines, the_old_day_settings_are_refused_with_their_replacement)
{
    char out[4096];
    const char *old[] = {"--tipoff-complex-max-days", "60", "--print-config", NULL};
    cr_expect_eq(it_anttd(db.dsn, old, out, sizeof out), 2, "%s", out);
    const char *now[] = {"--tipoff-complex-months", "3", "--print-config", NULL};
    cr_expect_eq(it_anttd(db.dsn, now, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "tipoff_complex_months = 3"), "%s", out);
}

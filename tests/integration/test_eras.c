/* test_eras.c — two maps of the country (issue 15, first part): the units as
 * they stood until 30 June 2025 and as they are since 1 July 2025 load side
 * by side, a reused code being two units (code + validity), the official
 * successors with their splits; admission takes the version valid when the
 * node recorded the event, at the exact boundary. */
#include "harness.h"

#include "proto/err.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

static it_db_t db;
static it_daemon_t d;
static it_client_t cl;

/* 2025-07-01T00:00:00+07:00 */
#define BOUNDARY_US 1751302800000000LL
#define SECOND_US   1000000LL

static void setup(void)
{
    it_db_create(&db, NULL);
    const char *load[] = {"--load-units", ANTT_SOURCE_DIR "/db/units-2025.csv", "--load-successors",
                          ANTT_SOURCE_DIR "/db/successors-2025.csv", NULL};
    char out[4096];
    cr_assert_eq(it_anttd(db.dsn, load, out, sizeof out), 0, "%s", out);
    it_daemon_start(&d, db.dsn, NULL);
    it_client_open(&cl, d.port);
}

static void teardown(void)
{
    it_client_close(&cl);
    if (d.pid) it_daemon_stop(&d, SIGTERM);
    it_daemon_forget(&d);
    if (db.name[0]) it_db_drop(&db, NULL);
    memset(&db, 0, sizeof db);
    it_strings_free();
}

TestSuite(eras, .init = setup, .fini = teardown);

static long long q(const char *sql)
{
    PGconn *c = it_pg(&db);
    long long v = it_scalar(c, sql);
    PQfinish(c);
    return v;
}

Test(eras, both_maps_load_side_by_side_and_a_reused_code_is_two_units)
{
    cr_expect_eq(q("SELECT count(*) FROM antt.units WHERE valid_to = '2025-07-01'"), 1223,
                 "every old unit ends on 1 July 2025");
    cr_expect_eq(q("SELECT count(*) FROM antt.units WHERE valid_from = '2025-07-01'"
                   " AND valid_to IS NULL"),
                 509);
    /* 06040: Đại Đồng under district 180 until then, Thất Khê under the
     * province since, its code reused. */
    cr_expect_eq(q("SELECT count(*) FROM antt.units WHERE code = '06040' AND path = '20.180.06040'"
                   " AND valid_to = '2025-07-01' AND name = 'Xã Đại Đồng'"),
                 1);
    cr_expect_eq(q("SELECT count(*) FROM antt.units WHERE code = '06040' AND path = '20.06040'"
                   " AND valid_from = '2025-07-01' AND name = 'Xã Thất Khê'"),
                 1);
    /* Hà Giang went into Tuyên Quang 08; Lào Cai took Yên Bái's code 15. */
    cr_expect_eq(
        q("SELECT count(*) FROM antt.unit_successors WHERE code = '02' AND successor = '08'"), 1);
    cr_expect_eq(
        q("SELECT count(*) FROM antt.unit_successors WHERE code = '10' AND successor = '15'"), 1);
    /* A split keeps its successors and the office's words; an untraced
     * commune has none but is dissolved all the same. */
    cr_expect_eq(q("SELECT count(*) FROM antt.unit_successors WHERE code = '06040'"
                   " AND share_note LIKE 'partial%'"),
                 2);
    cr_expect_eq(q("SELECT count(*) FROM antt.unit_successors WHERE code = '03988'"), 0);
    cr_expect_eq(q("SELECT count(*) FROM antt.units WHERE code = '03988'"
                   " AND valid_to = '2025-07-01'"),
                 1);
    /* Two versions of a code can never be valid on the same day. */
    PGconn *c = it_pg(&db);
    PGresult *r = PQexec(c, "INSERT INTO antt.units (code, name, level, kind, path, valid_from,"
                            " source) VALUES ('06040', 'x', 'commune', 'xa', '20.06040',"
                            " '2025-08-01', 'test')");
    cr_expect_neq(PQresultStatus(r), PGRES_COMMAND_OK, "an overlapping version was accepted");
    PQclear(r);
    PQfinish(c);
    /* Loading the files again changes nothing. */
    const char *load[] = {"--load-units", ANTT_SOURCE_DIR "/db/units-2025.csv", "--load-successors",
                          ANTT_SOURCE_DIR "/db/successors-2025.csv", NULL};
    cr_assert_eq(it_anttd(db.dsn, load, NULL, 0), 0);
    cr_expect_eq(q("SELECT count(*) FROM antt.units"), 1223 + 509);
}

static ack_t send_at(const char *ref, const char *unit, int64_t time_us)
{
    ev_t ev;
    it_incident(&ev, ref, "social_order", SEV_SERIOUS, time_us - 3600 * SECOND_US);
    ev.unit = ev_cstr(unit);
    ev.time_us = time_us;
    ack_t a = {0};
    cr_assert_eq(it_submit(&cl, &ev, 1, &a, 10000), 0);
    return a;
}

/* Node ls-180-06040 reports for 06040: Đại Đồng until 30 June 2025 at
 * 23:59:59 (Hanoi), Thất Khê from 1 July at 00:00:00. A commune dissolved
 * that day (05995, merged into Thất Khê) is refused from the boundary on. */
Test(eras, admission_takes_the_version_valid_when_the_event_was_recorded)
{
    ack_t a = send_at("E1", "06040", BOUNDARY_US - SECOND_US);
    cr_expect_eq(a.status, ACK_ACCEPTED, "the last second of the old map: %d %.*s", a.code,
                 (int)a.msg.n, a.msg.p);
    a = send_at("E2", "06040", BOUNDARY_US);
    cr_expect_eq(a.status, ACK_ACCEPTED, "the first second of the new map: %d %.*s", a.code,
                 (int)a.msg.n, a.msg.p);
    /* 05995 was in district 180, next to 06040 — not in 06040's area */
    a = send_at("E3", "05995", BOUNDARY_US - SECOND_US);
    cr_expect_eq(a.code, ANTT_E_OUT_OF_SCOPE, "%d %.*s", a.code, (int)a.msg.n, a.msg.p);
    /* the district's node: 05995 in its area until the boundary, gone after */
    it_client_close(&cl);
    it_client_open(&cl, d.port);
    ev_t ev;
    it_incident(&ev, "E4", "social_order", SEV_SERIOUS, BOUNDARY_US - 7200 * SECOND_US);
    ev.node = ev_cstr("ls-180");
    ev.unit = ev_cstr("05995");
    ev.time_us = BOUNDARY_US - SECOND_US;
    ack_t b = {0};
    cr_assert_eq(it_submit(&cl, &ev, 1, &b, 10000), 0);
    cr_expect_eq(b.status, ACK_ACCEPTED, "%d %.*s", b.code, (int)b.msg.n, b.msg.p);
    it_incident(&ev, "E5", "social_order", SEV_SERIOUS, BOUNDARY_US - 7200 * SECOND_US);
    ev.node = ev_cstr("ls-180");
    ev.unit = ev_cstr("05995");
    ev.time_us = BOUNDARY_US;
    cr_assert_eq(it_submit(&cl, &ev, 1, &b, 10000), 0);
    cr_expect_eq(b.status, ACK_REJECTED);
    cr_expect_eq(b.code, ANTT_E_UNKNOWN_UNIT, "dissolved at the boundary: %d %.*s", b.code,
                 (int)b.msg.n, b.msg.p);
    char msg[256];
    snprintf(msg, sizeof msg, "%.*s", (int)b.msg.n, b.msg.p);
    cr_expect(strstr(msg, "dissolved") && strstr(msg, "2025-07-01") && strstr(msg, "06040"),
              "the refusal names the successor: %s", msg);
    cr_expect_eq(q("SELECT count(*) FROM antt.events"), 3);
}

/* antt node list says which nodes report for a dissolved unit: district
 * 180's node does; 06040's (a reused code, valid today) does not. */
Test(eras, node_list_flags_nodes_of_dissolved_units)
{
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd, "%s node list --db '%s' 2>&1", ANTT_PATH, db.dsn);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    cr_assert_eq(pclose(p), 0, "%s", out);
    const char *l180 = strstr(out, "ls-180 "), *l06040 = strstr(out, "ls-180-06040");
    cr_assert(l180 && l06040, "%s", out);
    char a[256], b[256];
    sscanf(l180, "%255[^\n]", a);
    sscanf(l06040, "%255[^\n]", b);
    cr_expect(strstr(a, "unit dissolved 2025-07-01"), "%s", a);
    cr_expect(!strstr(b, "dissolved"), "%s", b);
}

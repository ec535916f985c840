/* test_eras_reg.c — the registry across the 1 July 2025 reorganisation
 * (daemon/reg.c), without a database: which units a node may report for
 * when units were dissolved, merged and split, where a dissolved unit's work
 * goes (reg_heir), and which new units a dissolved district's subscribers
 * keep. A small map shaped like Lạng Sơn's:
 *
 *   until 30 June 2025           from 1 July 2025
 *   20 (province)                20
 *   180: 06040, 06043, 06101  -> 06040 = 06043 + part of old 06040
 *                                06004 = the other part of old 06040
 *   181: 06100, 06102, 06055  -> 06200 = 06100 + 06101 (across two districts)
 *                                   + part of 06055; 06201 = its other part
 *                                06102 traced nowhere (UNMAPPED)
 */
#include "daemon/reg.h"
#include "proto/err.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define JULY1  20270 /* 2025-07-01, days since 1970 */
#define S      1000000LL
#define T2024  (1714532400LL * S) /* 2024-05-01 10:00 Hanoi */
#define T2025  (1754017200LL * S) /* 2025-08-01 10:00 Hanoi */
#define T2026  (1772334000LL * S) /* 2026-03-01 10:00 Hanoi */
#define LAST_S (1751302799LL * S) /* 2025-06-30 23:59:59 Hanoi */
#define OFFSET (7 * 3600LL * S)

static reg_t *r;

static void up(void)
{
    r = reg_new(OFFSET);
    reg_build_t *b = reg_build_new();
    const int N = REG_DAY_NONE;
    reg_build_unit(b, "20", "20", N, JULY1);
    reg_build_unit(b, "20", "20", JULY1, N);
    reg_build_unit(b, "180", "20.180", N, JULY1);
    reg_build_unit(b, "181", "20.181", N, JULY1);
    reg_build_unit(b, "06040", "20.180.06040", N, JULY1);
    reg_build_unit(b, "06043", "20.180.06043", N, JULY1);
    reg_build_unit(b, "06101", "20.180.06101", N, JULY1);
    reg_build_unit(b, "06100", "20.181.06100", N, JULY1);
    reg_build_unit(b, "06102", "20.181.06102", N, JULY1);
    reg_build_unit(b, "06055", "20.181.06055", N, JULY1);
    reg_build_unit(b, "06040", "20.06040", JULY1, N);
    reg_build_unit(b, "06004", "20.06004", JULY1, N);
    reg_build_unit(b, "06200", "20.06200", JULY1, N);
    reg_build_unit(b, "06201", "20.06201", JULY1, N);
    /* a unit's rows together, in the conversion table's order */
    reg_build_successor(b, "06040", "06040", 1);
    reg_build_successor(b, "06040", "06004", 1);
    reg_build_successor(b, "06043", "06040", 0);
    reg_build_successor(b, "06055", "06200", 1);
    reg_build_successor(b, "06055", "06201", 1);
    reg_build_successor(b, "06100", "06200", 0);
    reg_build_successor(b, "06101", "06200", 0);
    reg_build_successor(b, "180", "20", 0);
    reg_build_successor(b, "181", "20", 0);
    reg_build_successor(b, "20", "20", 0);
    reg_build_node(b, "d180", "180", 0, NULL);
    reg_build_node(b, "c06043", "06043", 0, NULL);
    reg_build_node(b, "c06040", "06040", 0, NULL);
    reg_build_node(b, "c06004", "06004", 0, NULL);
    reg_build_node(b, "prov", "20", 0, NULL);
    reg_build_group(b, "theft", 1);
    char err[256];
    cr_assert_eq(reg_build_finish(r, &b, err, sizeof err), 0, "%s", err);
}

static void down(void)
{
    reg_free(&r);
}

TestSuite(eras_reg, .init = up, .fini = down);

static void collect(void *ctx, const char *path)
{
    strcat(ctx, path);
    strcat(ctx, " ");
}

Test(eras_reg, a_dissolved_district_keeps_the_new_units_made_wholly_of_its_own)
{
    char got[256] = "";
    cr_expect_eq(reg_each_wholly_inside(r, "20.180", 6, collect, got), 2, "%s", got);
    cr_expect(strstr(got, "20.06040 ") && strstr(got, "20.06004 "), "%s", got);
    cr_expect(!strstr(got, "06200"), "06200 is half district 181's: %s", got);
    got[0] = '\0';
    cr_expect_eq(reg_each_wholly_inside(r, "20.181", 6, collect, got), 1, "%s", got);
    cr_expect_str_eq(got, "20.06201 ", "06201 is a part of 181's 06055");
    cr_expect_eq(reg_each_wholly_inside(r, "20", 2, collect, got), 0,
                 "the province holds them by path already");
    /* A single predecessor: the new unit is inside it (06004 is part of old 06040). */
    got[0] = '\0';
    cr_expect_eq(reg_each_wholly_inside(r, "20.180.06040", 12, collect, got), 1, "%s", got);
    cr_expect_str_eq(got, "20.06004 ");
}

Test(eras_reg, a_dissolved_units_work_passes_to_its_heir)
{
    char out[LEDGER_UNIT_CAP];
    const int32_t before = JULY1 - 1, after = JULY1 + 30;
    cr_assert_eq(reg_heir(r, "06043", before, before, NULL, out), 0);
    cr_expect_str_eq(out, "06043", "valid that day: itself");
    cr_assert_eq(reg_heir(r, "06043", before, after, NULL, out), 0);
    cr_expect_str_eq(out, "06040", "merged whole");
    cr_assert_eq(reg_heir(r, "06040", after, after, NULL, out), 0);
    cr_expect_str_eq(out, "06040", "named after the reorganisation: the new unit");
    cr_assert_eq(reg_heir(r, "06040", before, after, "06004", out), 0);
    cr_expect_str_eq(out, "06004", "old 06040's work, cleared by Đội Cấn: there");
    cr_assert_eq(reg_heir(r, "06040", JULY1 - 400, before, "06004", out), 0);
    cr_expect_str_eq(out, "06040", "before the split, the old unit");
    cr_assert_eq(reg_heir(r, "180", before, after, NULL, out), 0);
    cr_expect_str_eq(out, "20", "a district's work goes to the province");
    cr_assert_eq(reg_heir(r, "06102", before, after, NULL, out), 0);
    cr_expect_str_eq(out, "20", "traced nowhere: its district's heir");
    cr_assert_eq(reg_heir(r, "06101", before, after, "06040", out), 0);
    cr_expect_str_eq(out, "06200", "a preference that is not a successor is ignored");
    cr_expect_eq(reg_heir(r, "06004", before, before, NULL, out), -1, "06004 did not exist yet");
    cr_expect_eq(reg_heir(r, "99999", after, after, NULL, out), -1);
}

Test(eras_reg, a_split_units_work_goes_to_the_clearing_nodes_unit_or_the_first)
{
    /* old 06040 split into 06040 (first) and 06004 */
    ledger_cfg_t l = {0};
    reg_ledger_hooks(r, &l);
    char out[LEDGER_UNIT_CAP];
    const int32_t occ = JULY1 - 100;
    cr_assert_eq(
        l.heir(l.heir_ctx, "06040", occ, JULY1 + 1, l.node_unit(l.heir_ctx, "c06004", 6), out), 0);
    cr_expect_str_eq(out, "06004");
    cr_assert_eq(
        l.heir(l.heir_ctx, "06040", occ, JULY1 + 1, l.node_unit(l.heir_ctx, "prov", 4), out), 0);
    cr_expect_str_eq(out, "06040", "the province names no successor: the first");
}

static int admit(const char *node, ev_type_t type, const char *unit, int64_t dated, int64_t time,
                 verdict_t *v)
{
    ev_t ev = {.type = type, .node = ev_cstr(node), .unit = ev_cstr(unit), .time_us = time};
    ev.occurred_us = ev.at_us = dated;
    return reg_admit(r, &ev, NULL, v);
}

Test(eras_reg, admission_takes_the_units_of_the_day_an_event_is_about)
{
    verdict_t v;
    /* a 2024 incident of an old commune, reported today */
    cr_expect_eq(admit("c06043", EV_INCIDENT_REPORTED, "06043", T2024, T2026, &v), 0, "%s", v.msg);
    /* the last second of the old map, and the first of the new */
    cr_expect_eq(admit("c06043", EV_TIPOFF_RECEIVED, "06043", LAST_S, LAST_S, &v), 0, "%s", v.msg);
    cr_expect_eq(admit("c06043", EV_TIPOFF_RECEIVED, "06043", LAST_S + S, LAST_S + S, &v),
                 -ANTT_E_UNKNOWN_UNIT);
    cr_expect(strstr(v.msg, "unit dissolved: 06043 (from 2025-07-01; successor: 06040)"), "%s",
              v.msg);
    /* an incident of August 2025 in a dissolved commune */
    cr_expect_eq(admit("c06043", EV_INCIDENT_REPORTED, "06043", T2025, T2025, &v),
                 -ANTT_E_UNKNOWN_UNIT);
    cr_expect(strstr(v.msg, "successor: 06040"), "%s", v.msg);
    admit("c06040", EV_INCIDENT_REPORTED, "06040", T2025, T2025, &v);
    cr_expect_eq(admit("c06040", EV_INCIDENT_REPORTED, "06040", T2025, T2025, &v), 0, "%s", v.msg);
    /* a split's refusal names both successors; an untraced unit says so */
    cr_expect_eq(admit("prov", EV_INCIDENT_REPORTED, "06055", T2025, T2025, &v),
                 -ANTT_E_UNKNOWN_UNIT);
    cr_expect(strstr(v.msg, "successor: 06200 in part, 06201 in part)"), "%s", v.msg);
    cr_expect_eq(admit("d180", EV_INCIDENT_REPORTED, "06102", T2025, T2025, &v),
                 -ANTT_E_UNKNOWN_UNIT);
    cr_expect(strstr(v.msg, "successor: none traced"), "%s", v.msg);
}

Test(eras_reg, who_may_report_for_a_dissolved_units_open_cases)
{
    verdict_t v;
    /* follow-ups name the case's unit, dissolved or not */
    cr_expect_eq(admit("c06040", EV_INCIDENT_CLEARED, "06043", T2025, T2025, &v), 0,
                 "the successor commune: %s", v.msg);
    cr_expect_eq(admit("d180", EV_INCIDENT_CLEARED, "06043", T2025, T2025, &v), 0,
                 "the old district, for its own: %s", v.msg);
    cr_expect_eq(admit("c06043", EV_TIPOFF_RESOLVED, "06043", T2025, T2026, &v), 0,
                 "the old commune's own node: %s", v.msg);
    cr_expect_eq(admit("prov", EV_TIPOFF_RESOLVED, "180", T2025, T2026, &v), 0,
                 "the province, the district's heir: %s", v.msg);
    cr_expect_eq(admit("c06004", EV_INCIDENT_CLEARED, "06043", T2025, T2025, &v),
                 -ANTT_E_OUT_OF_SCOPE, "06043 went whole to 06040, not 06004");
    cr_expect_eq(admit("c06004", EV_INCIDENT_CLEARED, "06040", T2024, T2025, &v), 0,
                 "06004 took part of old 06040: %s", v.msg);
    /* a new commune reports what happened on its territory before it existed */
    ev_t ev = {.type = EV_INCIDENT_REPORTED,
               .node = ev_cstr("c06040"),
               .unit = ev_cstr("06040"),
               .occurred_unit = ev_cstr("06043"),
               .present = EVB(EVF_OCCURRED_UNIT) | EVB(EVF_OCCURRED_AT),
               .occurred_us = T2024,
               .time_us = T2026};
    cr_expect_eq(reg_admit(r, &ev, NULL, &v), 0, "%s", v.msg);
    ev.occurred_unit = ev_cstr("06100");
    cr_expect_eq(reg_admit(r, &ev, NULL, &v), -ANTT_E_OUT_OF_SCOPE, "06100 became 06200");
    /* a dissolved district's node keeps the new communes made of its own */
    cr_expect_eq(admit("d180", EV_INCIDENT_REPORTED, "06004", T2026, T2026, &v), 0, "%s", v.msg);
    cr_expect_eq(admit("d180", EV_INCIDENT_REPORTED, "06200", T2026, T2026, &v),
                 -ANTT_E_OUT_OF_SCOPE, "06200 is half district 181's");
}

/* test_ledger.c — what each event does to its case and to the tallies. */
#include "fixtures.h"

#include "rules/ledger.h"
#include "proto/ts.h"
#include "proto/err.h"

#include <criterion/criterion.h>
#include <string.h>

#define H (3600LL * 1000000)
#define D (24 * H)

/* A tiny tally sink: sums deltas per key. */
typedef struct {
    tally_key_t k[64];
    int64_t v[64];
    int n;
} sink_t;

static void emit(void *ctx, const tally_key_t *k, int64_t d)
{
    sink_t *s = ctx;
    for (int i = 0; i < s->n; i++)
        if (!memcmp(&s->k[i], k, sizeof *k)) {
            s->v[i] += d;
            return;
        }
    cr_assert_lt(s->n, 64);
    s->k[s->n] = *k;
    s->v[s->n++] = d;
}

/* Sum of a metric at (unit, day) over every group and severity, or for one severity. */
static int64_t get(const sink_t *s, const char *unit, int32_t day, metric_t m, int sev)
{
    int64_t t = 0;
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->k[i].unit, unit) && s->k[i].day == day && s->k[i].metric == m &&
            (sev < 0 || (int)s->k[i].severity == sev))
            t += s->v[i];
    return t;
}

static int all_zero(const sink_t *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i]) return 0;
    return 1;
}

static int is_crime(void *ctx, const char *g)
{
    (void)ctx;
    return strcmp(g, "traffic") && strcmp(g, "fire");
}

static ledger_cfg_t cfg(void)
{
    ledger_cfg_t c = {
        .utc_offset_us = 7 * H,
        .law = {.utc_offset_us = 7 * H,
                .limit_days = 20,
                .complex_months = 2,
                .procuracy_months = 2},
        .orphan_max_age_us = 30 * D,
        .is_crime = is_crime,
    };
    return c;
}

static ev_t ev_of(ev_type_t t)
{
    ev_t e;
    fx_event(t, &e);
    return e;
}

/* FX_NOW is 2023-06-15T03:00Z = 10:00 local: "today" for the tests. */
static int32_t today(void)
{
    ledger_cfg_t c = cfg();
    return ledger_day(&c, FX_NOW_US);
}

Test(ledger, statistics_days_turn_at_local_midnight_utc_plus_7)
{
    ledger_cfg_t c = cfg();
    const int64_t midnight_local = 1686762000000000LL; /* 2023-06-14T17:00:00Z */
    cr_expect_eq(ledger_day(&c, midnight_local), ledger_day(&c, midnight_local - 1) + 1);
    cr_expect_eq(ledger_day(&c, midnight_local), 19523, "2023-06-15 is day 19523 since 1970");
}

Test(ledger, a_report_counts_on_its_occurrence_day_in_its_place)
{
    ledger_cfg_t c = cfg();
    sink_t s = {0};
    inc_state_t st = {0};
    verdict_t v;
    ev_t e = ev_of(EV_INCIDENT_REPORTED); /* occurred two days ago at 06043, 2 injured */
    cr_assert_eq(ledger_incident(&c, &st, &e, FX_NOW_US, emit, &s, &v), 0, "%s", v.msg);
    cr_expect_eq(get(&s, "06043", today() - 2, M_INCIDENTS, SEV_SERIOUS), 1);
    cr_expect_eq(get(&s, "06043", today() - 2, M_INJURIES, -1), 2);
    cr_expect_eq(get(&s, "06043", today() - 2, M_DEATHS, -1), 0);
    cr_expect_eq(get(&s, "06040", today() - 2, M_INCIDENTS, -1), 0, "not at the reporter");
    cr_expect_eq(st.version, 1);
}

Test(ledger, a_late_report_lands_on_the_day_it_happened)
{
    ledger_cfg_t c = cfg();
    sink_t s = {0};
    inc_state_t st = {0};
    verdict_t v;
    ev_t e = ev_of(EV_INCIDENT_REPORTED);
    e.occurred_us = FX_NOW_US - 9 * D; /* a commune offline for nine days */
    cr_assert_eq(ledger_incident(&c, &st, &e, FX_NOW_US, emit, &s, &v), 0);
    cr_expect_eq(get(&s, "06043", today() - 9, M_INCIDENTS, -1), 1);
    cr_expect_eq(get(&s, "06043", today(), M_INCIDENTS, -1), 0);
}

Test(ledger, a_clearance_counts_on_its_own_day_with_its_suspects)
{
    ledger_cfg_t c = cfg();
    sink_t s = {0};
    inc_state_t st = {0};
    verdict_t v;
    ev_t r = ev_of(EV_INCIDENT_REPORTED), k = ev_of(EV_INCIDENT_CLEARED);
    k.at_us = FX_NOW_US; /* cleared today, occurred two days ago */
    cr_assert_eq(ledger_incident(&c, &st, &r, FX_NOW_US, emit, &s, &v), 0);
    cr_assert_eq(ledger_incident(&c, &st, &k, FX_NOW_US, emit, &s, &v), 0, "%s", v.msg);
    cr_expect_eq(get(&s, "06043", today(), M_CLEARED, SEV_SERIOUS), 1);
    cr_expect_eq(get(&s, "06043", today(), M_SUSPECTS, -1), 3);
    cr_expect_eq(get(&s, "06043", today() - 2, M_CLEARED, -1), 0);
    cr_expect_eq(get(&s, "06043", today() - 2, M_INCIDENTS, -1), 1, "the report stays");
}

Test(ledger, a_correction_moves_every_count_of_the_case)
{
    ledger_cfg_t c = cfg();
    sink_t s = {0};
    inc_state_t st = {0};
    verdict_t v;
    ev_t r = ev_of(EV_INCIDENT_REPORTED), k = ev_of(EV_INCIDENT_CLEARED);
    k.at_us = FX_NOW_US;
    ev_t x = ev_of(EV_INCIDENT_CORRECTED); /* drugs, very serious, 3 days ago, at 06046, 1 death */
    cr_assert_eq(ledger_incident(&c, &st, &r, FX_NOW_US, emit, &s, &v), 0);
    cr_assert_eq(ledger_incident(&c, &st, &k, FX_NOW_US, emit, &s, &v), 0);
    cr_assert_eq(ledger_incident(&c, &st, &x, FX_NOW_US, emit, &s, &v), 0, "%s", v.msg);
    cr_expect_eq(get(&s, "06043", today() - 2, M_INCIDENTS, -1), 0, "moved away");
    cr_expect_eq(get(&s, "06043", today(), M_CLEARED, -1), 0, "the clearance moved too");
    cr_expect_eq(get(&s, "06046", today() - 3, M_INCIDENTS, SEV_VERY_SERIOUS), 1);
    cr_expect_eq(get(&s, "06046", today() - 3, M_DEATHS, -1), 1);
    cr_expect_eq(get(&s, "06046", today() - 3, M_INJURIES, -1), 0, "injuries corrected to 0");
    cr_expect_eq(get(&s, "06046", today(), M_CLEARED, SEV_VERY_SERIOUS), 1,
                 "clearance keeps its day, takes the new class");
    cr_expect_eq(st.version, 3);
}

Test(ledger, a_void_removes_everything_and_closes_the_case)
{
    ledger_cfg_t c = cfg();
    sink_t s = {0};
    inc_state_t st = {0};
    verdict_t v;
    ev_t r = ev_of(EV_INCIDENT_REPORTED), k = ev_of(EV_INCIDENT_CLEARED),
         x = ev_of(EV_INCIDENT_VOIDED);
    cr_assert_eq(ledger_incident(&c, &st, &r, FX_NOW_US, emit, &s, &v), 0);
    cr_assert_eq(ledger_incident(&c, &st, &k, FX_NOW_US, emit, &s, &v), 0);
    cr_assert_eq(ledger_incident(&c, &st, &x, FX_NOW_US, emit, &s, &v), 0);
    cr_expect(all_zero(&s), "every count the case made is gone");
    ev_t again = ev_of(EV_INCIDENT_CORRECTED);
    cr_expect_eq(ledger_incident(&c, &st, &again, FX_NOW_US, emit, &s, &v), -ANTT_E_CASE_VOIDED);
    cr_expect_eq(v.status, ACK_REJECTED);
}

Test(ledger, refusals_leave_state_and_tallies_untouched)
{
    ledger_cfg_t c = cfg();
    sink_t s = {0};
    inc_state_t st = {0};
    verdict_t v;
    ev_t r = ev_of(EV_INCIDENT_REPORTED), k = ev_of(EV_INCIDENT_CLEARED);
    cr_assert_eq(ledger_incident(&c, &st, &r, FX_NOW_US, emit, &s, &v), 0);
    cr_assert_eq(ledger_incident(&c, &st, &k, FX_NOW_US, emit, &s, &v), 0);
    inc_state_t before = st;
    sink_t snap = s;
    cr_expect_eq(ledger_incident(&c, &st, &k, FX_NOW_US, emit, &s, &v), -ANTT_E_ALREADY_CLEARED);
    cr_expect_eq(ledger_incident(&c, &st, &r, FX_NOW_US, emit, &s, &v), -ANTT_E_CASE_EXISTS);
    ev_t early = ev_of(EV_INCIDENT_CORRECTED);
    early.present = ev_required(EV_INCIDENT_CORRECTED) | EVB(EVF_OCCURRED_AT);
    early.occurred_us = FX_NOW_US + H; /* after the clearance */
    cr_expect_eq(ledger_incident(&c, &st, &early, FX_NOW_US, emit, &s, &v), -ANTT_E_TIME_ORDER);
    cr_expect(!memcmp(&before, &st, sizeof st), "state unchanged");
    cr_expect(!memcmp(&snap, &s, sizeof s), "no delta emitted");
}

Test(ledger, a_clearance_before_the_occurrence_is_refused)
{
    ledger_cfg_t c = cfg();
    sink_t s = {0};
    inc_state_t st = {0};
    verdict_t v;
    ev_t r = ev_of(EV_INCIDENT_REPORTED), k = ev_of(EV_INCIDENT_CLEARED);
    k.at_us = r.occurred_us - 1;
    cr_assert_eq(ledger_incident(&c, &st, &r, FX_NOW_US, emit, &s, &v), 0);
    cr_expect_eq(ledger_incident(&c, &st, &k, FX_NOW_US, emit, &s, &v), -ANTT_E_TIME_ORDER);
    cr_expect_str_eq(v.field, "cleared_at");
}

Test(ledger, an_unknown_case_is_deferred_while_young_then_rejected)
{
    ledger_cfg_t c = cfg();
    sink_t s = {0};
    inc_state_t st = {0};
    verdict_t v;
    ev_t k = ev_of(EV_INCIDENT_CLEARED);
    cr_expect_eq(ledger_incident(&c, &st, &k, FX_NOW_US, emit, &s, &v), -ANTT_E_UNKNOWN_CASE);
    cr_expect_eq(v.status, ACK_DEFERRED, "the report may still be on its way");
    cr_expect_eq(ledger_incident(&c, &st, &k, k.time_us + 31 * D, emit, &s, &v),
                 -ANTT_E_UNKNOWN_CASE);
    cr_expect_eq(v.status, ACK_REJECTED, "a month later it is not coming");
    cr_expect_eq(s.n, 0);
}

Test(ledger, a_crime_needs_a_severity_a_traffic_accident_does_not)
{
    ledger_cfg_t c = cfg();
    sink_t s = {0};
    inc_state_t st = {0};
    verdict_t v;
    ev_t r = ev_of(EV_INCIDENT_REPORTED);
    r.present &= ~EVB(EVF_SEVERITY);
    r.severity = SEV_NONE;
    cr_expect_eq(ledger_incident(&c, &st, &r, FX_NOW_US, emit, &s, &v), -ANTT_E_SEVERITY_REQUIRED);
    r.group = ev_cstr("traffic");
    r.deaths = 1;
    cr_assert_eq(ledger_incident(&c, &st, &r, FX_NOW_US, emit, &s, &v), 0, "%s", v.msg);
    cr_expect_eq(get(&s, "06043", today() - 2, M_DEATHS, SEV_NONE), 1);
    /* and reclassifying it as a crime without a severity is refused */
    ev_t x = ev_of(EV_INCIDENT_CORRECTED);
    x.present = ev_required(EV_INCIDENT_CORRECTED) | EVB(EVF_GROUP);
    cr_expect_eq(ledger_incident(&c, &st, &x, FX_NOW_US, emit, &s, &v), -ANTT_E_SEVERITY_REQUIRED);
}

/* ---- tip-offs ---------------------------------------------------------- */

/* An instant in Hanoi (UTC+7), and the last instant of a Hanoi day. */
static int64_t hanoi(int y, int mo, int d, int h, int mi, int sec)
{
    return ((int64_t)ts_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - 7 * 3600) *
           1000000;
}
static int64_t end_of(int y, int mo, int d)
{
    return hanoi(y, mo, d, 23, 59, 59) + 999999;
}

Test(ledger, a_tipoff_gets_its_legal_deadline_and_counts_on_receipt)
{
    ledger_cfg_t c = cfg();
    sink_t s = {0};
    tip_state_t st = {0};
    verdict_t v;
    ev_t r = ev_of(EV_TIPOFF_RECEIVED); /* received four days ago */
    cr_assert_eq(ledger_tipoff(&c, &st, &r, FX_NOW_US, emit, &s, &v), 0, "%s", v.msg);
    /* 20 calendar days after the day of receipt, to 24:00 (Art. 134) */
    cr_expect_eq(st.deadline_us, lawtime_day_end(&c.law, lawtime_day(&c.law, r.at_us) + 20));
    cr_expect_eq(st.status, TIP_PENDING);
    cr_expect_eq(get(&s, "06040", today() - 4, M_TIP_RECEIVED, -1), 1);
    cr_expect_eq(ledger_tipoff(&c, &st, &r, FX_NOW_US, emit, &s, &v), -ANTT_E_TIPOFF_EXISTS);
}

/* Art. 134: a limit in days ends at 24:00 of its last day, whatever the hour
 * of receipt; the day of receipt is not day 1 unless the setting says so. */
Test(ledger, the_twenty_days_end_at_midnight_of_the_last_day)
{
    ledger_cfg_t c = cfg();
    const int hours[3][2] = {{0, 0}, {16, 0}, {23, 59}};
    for (int i = 0; i < 3; i++) {
        const int64_t at = hanoi(2023, 3, 3, hours[i][0], hours[i][1], 0);
        cr_expect_eq(lawtime_days_limit(&c.law, at), end_of(2023, 3, 23), "received %02d:%02d",
                     hours[i][0], hours[i][1]);
        tip_state_t st = {0};
        sink_t s = {0};
        verdict_t v;
        ev_t r = ev_of(EV_TIPOFF_RECEIVED);
        r.at_us = at;
        cr_assert_eq(ledger_tipoff(&c, &st, &r, at, emit, &s, &v), 0, "%s", v.msg);
        cr_expect_eq(st.deadline_us, end_of(2023, 3, 23));
        /* 16:00 on 23 March (20 x 24 h after a 16:00 receipt) is not overdue */
        cr_expect(hanoi(2023, 3, 23, 16, 0, 0) <= st.deadline_us);
        cr_expect(hanoi(2023, 3, 23, 23, 59, 59) <= st.deadline_us, "23:59:59: not overdue");
        cr_expect(hanoi(2023, 3, 24, 0, 0, 0) > st.deadline_us, "00:00:00 next day: overdue");
    }
    c.law.receipt_day_counts = 1;
    cr_expect_eq(lawtime_days_limit(&c.law, hanoi(2023, 3, 3, 16, 0, 0)), end_of(2023, 3, 22),
                 "the day of receipt as day 1");
    c.law.receipt_day_counts = 0;
    /* a limit that ends on the last day of a month, and one across it */
    cr_expect_eq(lawtime_days_limit(&c.law, hanoi(2023, 3, 11, 9, 0, 0)), end_of(2023, 3, 31));
    cr_expect_eq(lawtime_days_limit(&c.law, hanoi(2023, 3, 12, 9, 0, 0)), end_of(2023, 4, 1));
    /* a limit in days is not moved by a day off (only limits in months are) */
    cr_expect_eq(lawtime_days_limit(&c.law, hanoi(2023, 2, 14, 9, 0, 0)), end_of(2023, 3, 6));
    cr_expect_eq(lawtime_days_limit(&c.law, hanoi(2023, 2, 11, 9, 0, 0)), end_of(2023, 3, 3));
    cr_expect_eq(lawtime_days_limit(&c.law, hanoi(2023, 2, 12, 9, 0, 0)), end_of(2023, 3, 4),
                 "a Saturday: a limit in days is not moved");
}

/* The days off of 2024 as data/days-off.csv lists them (Tết 8-14 Feb; 27 Apr -
 * 1 May with Saturday 4 May worked), for the month rule. */
static int days_off_2024(void *ctx, int32_t day)
{
    (void)ctx;
    static const int OFF[][2] = {{1, 1},  {2, 8},  {2, 9},  {2, 10}, {2, 11}, {2, 12},
                                 {2, 13}, {2, 14}, {4, 18}, {4, 27}, {4, 28}, {4, 29},
                                 {4, 30}, {5, 1},  {8, 31}, {9, 1},  {9, 2},  {9, 3}};
    for (size_t i = 0; i < sizeof OFF / sizeof OFF[0]; i++)
        if (day == ts_days_from_civil(2024, OFF[i][0], OFF[i][1])) return 1;
    if (day == ts_days_from_civil(2024, 5, 4)) return 0; /* worked in exchange */
    return lawtime_weekend(day);
}

/* A calendar that lists 2024 and 2025 only. */
static int years_2024_2025(const void *ctx, int year)
{
    (void)ctx;
    return year == 2024 || year == 2025 ? 20 : 0;
}

/* The year whose days off are missing: this year's at once, the next one's
 * from 1 December (local days), none when both are on record. */
Test(ledger, the_calendar_gap_is_this_year_or_from_december_the_next)
{
    cr_expect_eq(lawtime_calendar_gap(ts_days_from_civil(2024, 6, 1), years_2024_2025, NULL), 0);
    cr_expect_eq(lawtime_calendar_gap(ts_days_from_civil(2024, 12, 1), years_2024_2025, NULL), 0);
    cr_expect_eq(lawtime_calendar_gap(ts_days_from_civil(2025, 11, 30), years_2024_2025, NULL), 0,
                 "30 November: next year's days off are not yet wanted");
    cr_expect_eq(lawtime_calendar_gap(ts_days_from_civil(2025, 12, 1), years_2024_2025, NULL), 2026,
                 "from 1 December next year's are");
    cr_expect_eq(lawtime_calendar_gap(ts_days_from_civil(2025, 12, 31), years_2024_2025, NULL),
                 2026);
    cr_expect_eq(lawtime_calendar_gap(ts_days_from_civil(2026, 1, 1), years_2024_2025, NULL), 2026,
                 "this year's, all year");
    cr_expect_eq(lawtime_calendar_gap(ts_days_from_civil(2023, 12, 1), years_2024_2025, NULL),
                 2023);
}

/* Art. 134: a limit in months ends on the same date of the month it reaches,
 * or that month's last day; a day off moves it to the next working day. */
Test(ledger, months_end_on_the_same_date_or_the_months_last_day_or_the_next_working_day)
{
    ledger_cfg_t c = cfg();
    c.law.day_off = days_off_2024;
    cr_expect_eq(lawtime_months_limit(&c.law, hanoi(2023, 3, 3, 16, 0, 0), 2), end_of(2023, 5, 3));
    /* 31 December + 2 months: 29 February in a leap year, 28 in another */
    cr_expect_eq(lawtime_months_limit(&c.law, hanoi(2023, 12, 31, 10, 0, 0), 2),
                 end_of(2024, 2, 29));
    cr_expect_eq(lawtime_months_limit(&c.law, hanoi(2022, 12, 31, 10, 0, 0), 2),
                 end_of(2023, 2, 28));
    /* ...and not 60 days: 1 March */
    cr_expect_neq(lawtime_months_limit(&c.law, hanoi(2022, 12, 31, 10, 0, 0), 2),
                  end_of(2023, 3, 1));
    /* ending on a Saturday (2 March 2024): Monday 4 March */
    cr_expect_eq(lawtime_months_limit(&c.law, hanoi(2024, 1, 2, 10, 0, 0), 2), end_of(2024, 3, 4));
    /* ending in Tết (Friday 9 February 2024): Thursday 15 February */
    cr_expect_eq(lawtime_months_limit(&c.law, hanoi(2023, 12, 9, 10, 0, 0), 2),
                 end_of(2024, 2, 15));
    /* ending on a Saturday that was worked (4 May 2024): it stays */
    cr_expect_eq(lawtime_months_limit(&c.law, hanoi(2024, 3, 4, 10, 0, 0), 2), end_of(2024, 5, 4));
    /* ending on 30 April 2024: through 1 May (holiday) to Thursday 2 May */
    cr_expect_eq(lawtime_months_limit(&c.law, hanoi(2024, 2, 29, 10, 0, 0), 2), end_of(2024, 5, 2));
}

Test(ledger, extensions_follow_article_147_counted_in_months)
{
    ledger_cfg_t c = cfg();
    c.law.day_off = days_off_2024;
    sink_t s = {0};
    tip_state_t st = {0};
    verdict_t v;
    ev_t r = ev_of(EV_TIPOFF_RECEIVED), x = ev_of(EV_TIPOFF_EXTENDED);
    r.at_us = hanoi(2023, 12, 31, 10, 0, 0);
    x.time_us = x.at_us = hanoi(2024, 1, 15, 9, 0, 0);
    cr_assert_eq(ledger_tipoff(&c, &st, &r, r.at_us, emit, &s, &v), 0);
    cr_expect_eq(st.deadline_us, end_of(2024, 1, 20));
    /* 60 days from 31 December would be 29 February... and 1 March is past the
     * 2 months (29 February 2024): refused 312, naming the last day */
    x.deadline_us = hanoi(2024, 3, 1, 9, 0, 0);
    cr_expect_eq(ledger_tipoff(&c, &st, &x, r.at_us, emit, &s, &v), -ANTT_E_BAD_DEADLINE,
                 "a complex matter gets at most 2 months");
    cr_expect(strstr(v.msg, "2024-02-29 24:00") != NULL, "%s", v.msg);
    x.deadline_us = hanoi(2024, 1, 10, 9, 0, 0);
    cr_expect_eq(ledger_tipoff(&c, &st, &x, r.at_us, emit, &s, &v), -ANTT_E_BAD_DEADLINE,
                 "an extension that shortens");
    /* 24:00 of 29 February, written as 00:00 of 1 March, is 29 February's end */
    x.deadline_us = hanoi(2024, 3, 1, 0, 0, 0);
    cr_assert_eq(ledger_tipoff(&c, &st, &x, r.at_us, emit, &s, &v), 0, "%s", v.msg);
    cr_expect_eq(st.deadline_us, end_of(2024, 2, 29));
    cr_expect(st.complex_extended);
    /* the procuracy: 2 months more, 4 from receipt: 30 April 2024, a holiday,
     * then 1 May: the next working day is 2 May */
    x.basis = BASIS_PROCURACY;
    x.deadline_us = hanoi(2024, 5, 3, 9, 0, 0);
    cr_expect_eq(ledger_tipoff(&c, &st, &x, r.at_us, emit, &s, &v), -ANTT_E_BAD_DEADLINE);
    x.deadline_us = hanoi(2024, 5, 2, 15, 0, 0);
    cr_assert_eq(ledger_tipoff(&c, &st, &x, r.at_us, emit, &s, &v), 0, "%s", v.msg);
    cr_expect_eq(st.deadline_us, end_of(2024, 5, 2));
    x.deadline_us = hanoi(2024, 5, 2, 20, 0, 0);
    cr_expect_eq(ledger_tipoff(&c, &st, &x, r.at_us, emit, &s, &v), -ANTT_E_BAD_DEADLINE,
                 "the procuracy extends once");
}

Test(ledger, a_replay_holds_an_extension_accepted_under_older_rules_to_the_law)
{
    ledger_cfg_t c = cfg();
    c.replay = 1;
    sink_t s = {0};
    tip_state_t st = {0};
    verdict_t v;
    ev_t r = ev_of(EV_TIPOFF_RECEIVED), x = ev_of(EV_TIPOFF_EXTENDED);
    r.at_us = hanoi(2022, 12, 31, 10, 0, 0);
    cr_assert_eq(ledger_tipoff(&c, &st, &r, r.at_us, emit, &s, &v), 0);
    x.deadline_us = r.at_us + 60 * D; /* 1 March 2023 10:00: accepted by 60 days */
    cr_assert_eq(ledger_tipoff(&c, &st, &x, r.at_us, emit, &s, &v), 0, "%s", v.msg);
    cr_expect_eq(st.deadline_us, end_of(2023, 2, 28), "held to 2 months");
    cr_expect(st.complex_extended);
}

Test(ledger, outcomes_count_as_the_law_reads_them)
{
    ledger_cfg_t c = cfg();
    verdict_t v;
    const struct {
        ev_outcome_t out;
        tip_status_t status;
        metric_t counted, also;
    } T[] = {
        {OUT_PROSECUTE, TIP_RESOLVED, M_TIP_RESOLVED, M_TIP_PROSECUTED},
        {OUT_NOT_PROSECUTE, TIP_RESOLVED, M_TIP_RESOLVED, M_COUNT},
        {OUT_SUSPEND, TIP_SUSPENDED, M_TIP_RESOLVED, M_TIP_SUSPENDED},
        {OUT_TRANSFER, TIP_TRANSFERRED, M_TIP_TRANSFERRED, M_COUNT},
    };
    for (size_t i = 0; i < 4; i++) {
        sink_t s = {0};
        tip_state_t st = {0};
        ev_t r = ev_of(EV_TIPOFF_RECEIVED), d = ev_of(EV_TIPOFF_RESOLVED);
        d.outcome = T[i].out;
        cr_assert_eq(ledger_tipoff(&c, &st, &r, FX_NOW_US, emit, &s, &v), 0);
        cr_assert_eq(ledger_tipoff(&c, &st, &d, FX_NOW_US, emit, &s, &v), 0, "%s", v.msg);
        cr_expect_eq(st.status, T[i].status);
        cr_expect_eq(get(&s, "06040", today(), T[i].counted, -1), 1, "outcome %d", T[i].out);
        if (T[i].also != M_COUNT) cr_expect_eq(get(&s, "06040", today(), T[i].also, -1), 1);
        if (T[i].out == OUT_TRANSFER)
            cr_expect_eq(get(&s, "06040", today(), M_TIP_RESOLVED, -1), 0,
                         "a transfer is not a resolution");
        cr_expect_eq(ledger_tipoff(&c, &st, &d, FX_NOW_US, emit, &s, &v), -ANTT_E_TIPOFF_CLOSED);
    }
}

Test(ledger, a_suspended_tipoff_resumes_with_a_fresh_deadline)
{
    ledger_cfg_t c = cfg();
    sink_t s = {0};
    tip_state_t st = {0};
    verdict_t v;
    ev_t r = ev_of(EV_TIPOFF_RECEIVED), d = ev_of(EV_TIPOFF_RESOLVED), u = ev_of(EV_TIPOFF_RESUMED);
    cr_expect_eq(ledger_tipoff(&c, &st, &u, FX_NOW_US, emit, &s, &v), -ANTT_E_UNKNOWN_TIPOFF);
    cr_expect_eq(v.status, ACK_DEFERRED);
    cr_assert_eq(ledger_tipoff(&c, &st, &r, FX_NOW_US, emit, &s, &v), 0);
    cr_expect_eq(ledger_tipoff(&c, &st, &u, FX_NOW_US, emit, &s, &v), -ANTT_E_NOT_SUSPENDED);
    d.outcome = OUT_SUSPEND;
    d.at_us = FX_NOW_US - 3 * H;
    cr_assert_eq(ledger_tipoff(&c, &st, &d, FX_NOW_US, emit, &s, &v), 0);
    u.present &= ~EVB(EVF_DEADLINE);
    u.at_us = FX_NOW_US - 2 * H;
    cr_assert_eq(ledger_tipoff(&c, &st, &u, FX_NOW_US, emit, &s, &v), 0, "%s", v.msg);
    cr_expect_eq(st.status, TIP_PENDING);
    cr_expect_eq(st.deadline_us, lawtime_days_limit(&c.law, u.at_us), "20 days from resumption");
    cr_expect_eq(get(&s, "06040", today(), M_TIP_RESUMED, -1), 1);
    d.outcome = OUT_PROSECUTE;
    d.at_us = FX_NOW_US - H;
    cr_assert_eq(ledger_tipoff(&c, &st, &d, FX_NOW_US, emit, &s, &v), 0, "resolved again");
    cr_expect_eq(get(&s, "06040", today(), M_TIP_RESOLVED, -1), 2, "two decisions");
}

/* ---- wanted notices ------------------------------------------------------ */

Test(ledger, a_wanted_person_found_counts_once_at_the_finder)
{
    ledger_cfg_t c = cfg();
    sink_t s = {0};
    wanted_state_t st = {0};
    verdict_t v;
    ev_t f = ev_of(EV_WANTED_FOUND); /* 06040 found 20's notice, surrendered, dangerous */
    cr_assert_eq(ledger_wanted(&c, &st, &f, emit, &s, &v), 0, "%s", v.msg);
    cr_expect_eq(st.status, WANTED_FOUND);
    cr_expect_str_eq(st.unit, "06040");
    cr_expect_eq(get(&s, "06040", today(), M_WANTED_FOUND, -1), 1);
    cr_expect_eq(get(&s, "06040", today(), M_WANTED_DANGEROUS, -1), 1);
    /* found again, by another unit: 315 naming the first */
    ev_t again = ev_of(EV_WANTED_FOUND);
    again.unit = ev_cstr("06043");
    again.id[15] ^= 1;
    cr_expect_eq(ledger_wanted(&c, &st, &again, emit, &s, &v), -ANTT_E_WANTED_CLOSED);
    cr_expect(strstr(v.msg, "found by 06040 on ") != NULL, "%s", v.msg);
    /* withdrawn after it was found: 315 too */
    ev_t w = ev_of(EV_WANTED_WITHDRAWN);
    cr_expect_eq(ledger_wanted(&c, &st, &w, emit, &s, &v), -ANTT_E_WANTED_CLOSED);
    cr_expect_eq(get(&s, "06040", today(), M_WANTED_FOUND, -1), 1, "nothing counted twice");
}

Test(ledger, a_withdrawn_notice_is_off_the_list_and_not_found)
{
    ledger_cfg_t c = cfg();
    sink_t s = {0};
    wanted_state_t st = {0};
    verdict_t v;
    ev_t w = ev_of(EV_WANTED_WITHDRAWN);
    cr_assert_eq(ledger_wanted(&c, &st, &w, emit, &s, &v), 0, "%s", v.msg);
    cr_expect_eq(st.status, WANTED_WITHDRAWN);
    cr_expect_eq(get(&s, "06040", today(), M_WANTED_WITHDRAWN, -1), 1);
    cr_expect_eq(get(&s, "06040", today(), M_WANTED_FOUND, -1), 0);
    ev_t f = ev_of(EV_WANTED_FOUND);
    cr_expect_eq(ledger_wanted(&c, &st, &f, emit, &s, &v), -ANTT_E_WANTED_CLOSED);
    cr_expect(strstr(v.msg, "withdrawn by 06040") != NULL, "%s", v.msg);
    /* an ordinary arrest counts found, not dangerous */
    wanted_state_t other = {0};
    f.category = CAT_ORDINARY;
    f.how = HOW_ARRESTED;
    cr_assert_eq(ledger_wanted(&c, &other, &f, emit, &s, &v), 0, "%s", v.msg);
    cr_expect_eq(get(&s, "06040", today(), M_WANTED_DANGEROUS, -1), 0);
}

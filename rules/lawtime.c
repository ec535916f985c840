/* lawtime.c — see lawtime.h. */
#include "rules/lawtime.h"

#include "proto/ts.h"

#define DAY_US (86400LL * 1000000)

int32_t lawtime_day(const lawtime_t *l, int64_t us)
{
    const int64_t local = us + l->utc_offset_us;
    int64_t d = local / DAY_US;
    if (local % DAY_US < 0) d--; /* floor, before 1970 */
    return (int32_t)d;
}

int64_t lawtime_day_end(const lawtime_t *l, int32_t day)
{
    return ((int64_t)day + 1) * DAY_US - l->utc_offset_us - 1;
}

int lawtime_weekend(int32_t day)
{
    /* 1970-01-01 was a Thursday: 0 Thu, 1 Fri, 2 Sat, 3 Sun */
    const int w = (int)(((int64_t)day % 7 + 7) % 7);
    return w == 2 || w == 3;
}

int lawtime_off(const lawtime_t *l, int32_t day)
{
    return l->day_off ? l->day_off(l->day_off_ctx, day) : lawtime_weekend(day);
}

int64_t lawtime_days_limit(const lawtime_t *l, int64_t from_us)
{
    /* day 1 is the day after receipt, or the day of receipt itself when it
     * counts; the limit's last day is day N */
    const int32_t first = lawtime_day(l, from_us) + (l->receipt_day_counts ? 0 : 1);
    return lawtime_day_end(l, first + l->limit_days - 1);
}

int64_t lawtime_months_limit(const lawtime_t *l, int64_t from_us, int months)
{
    int y, m, d;
    ts_civil_from_days(lawtime_day(l, from_us), &y, &m, &d);
    const int mi = (m - 1) + months;
    y += mi / 12;
    m = mi % 12 + 1;
    const int last = ts_days_in_month(y, m);
    int32_t day = ts_days_from_civil(y, m, d < last ? d : last);
    /* a day off: the next working day is the last day (a bound keeps a
     * calendar that marks everything off from looping for ever) */
    for (int i = 0; i < 366 && lawtime_off(l, day); i++)
        day++;
    return lawtime_day_end(l, day);
}

int64_t lawtime_given(const lawtime_t *l, int64_t us)
{
    return lawtime_day_end(l, lawtime_day(l, us - 1));
}

int lawtime_calendar_gap(int32_t today, lawtime_year_fn days_in_year, const void *ctx)
{
    int y, m, d;
    ts_civil_from_days(today, &y, &m, &d);
    if (!days_in_year(ctx, y)) return y;
    if (m == 12 && !days_in_year(ctx, y + 1)) return y + 1;
    return 0;
}

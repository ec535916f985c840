/* lawtime.h — legal time limits counted as the Criminal Procedure Code
 * counts them (CPC 2015, Art. 134 "Tính thời hạn"):
 *
 *   "Khi tính thời hạn theo ngày thì thời hạn hết vào 24 giờ ngày cuối cùng
 *   của thời hạn. Khi tính thời hạn theo tháng thì thời hạn hết vào ngày
 *   trùng của tháng sau; nếu tháng đó không có ngày trùng thì thời hạn hết
 *   vào ngày cuối cùng của tháng đó; nếu thời hạn hết vào ngày nghỉ thì ngày
 *   làm việc đầu tiên tiếp theo được tính là ngày cuối cùng của thời hạn."
 *
 * A limit in days ends at 24:00 of its last day, local time; a limit in
 * months on the same date of the month it reaches (that month's last day
 * when it has no such date), moved to the next working day when that is a
 * day off. Days are local (Asia/Ho_Chi_Minh: UTC+7, no summer time).
 *
 * A limit is held as its last instant: 23:59:59.999999 of the last day, so
 * "overdue" is "now > deadline" (at 23:59:59 not overdue; at 00:00:00 of the
 * next day overdue). Pure functions: the days off come from a callback (the
 * registry's copy of antt.days_off), weekends when there is none. The
 * ledger (rules/ledger.h) is the one caller that decides deadlines. */
#ifndef ANTT_RULES_LAWTIME_H
#define ANTT_RULES_LAWTIME_H

#include <stdint.h>

/* 1 when `day` (days since 1970-01-01) is a day off: a holiday, a day given
 * in compensation or swapped, or a Saturday or Sunday not worked. */
typedef int (*lawtime_off_fn)(void *ctx, int32_t day);

typedef struct {
    int64_t utc_offset_us;  /* local day = UTC + this */
    int limit_days;         /* the tip-off limit (Art. 147: 20 days) */
    int receipt_day_counts; /* 1: the day of receipt is day 1; 0 (default): day 1 is the next */
    int complex_months;     /* a complex matter: at most this many months from receipt (2) */
    int procuracy_months;   /* the procuracy's extension: this many more (2) */
    lawtime_off_fn day_off; /* NULL: Saturdays and Sundays only */
    void *day_off_ctx;
} lawtime_t;

/* The local day of an instant, and the last instant of a local day. */
int32_t lawtime_day(const lawtime_t *l, int64_t us);
int64_t lawtime_day_end(const lawtime_t *l, int32_t day);

/* Saturdays and Sundays (the rule without a calendar). */
int lawtime_weekend(int32_t day);

/* 1 when day is a day off (the callback, or weekends). */
int lawtime_off(const lawtime_t *l, int32_t day);

/* The tip-off limit in days from an instant of receipt (or resumption). */
int64_t lawtime_days_limit(const lawtime_t *l, int64_t from_us);

/* A limit of `months` months from the day of from_us, by the month rule. */
int64_t lawtime_months_limit(const lawtime_t *l, int64_t from_us, int months);

/* A deadline a station gives (an extension's): the end of the day it falls
 * in, 24:00 counting as the end of the day it ends (00:00 of 4 May is 3 May's
 * end). */
int64_t lawtime_given(const lawtime_t *l, int64_t us);

/* How many days of a year the calendar lists (the registry's copy of
 * antt.days_off); 0: that year counts Saturdays and Sundays only. */
typedef int (*lawtime_year_fn)(const void *ctx, int year);

/* The year a deadline may need and whose days off are not on record, as of
 * the local day `today`: this year, or from 1 December the next one too (a
 * tip-off received in December may end in January, an extension in months
 * reaches further, and the government announces a year's days off in the
 * autumn before). 0: none missing. */
int lawtime_calendar_gap(int32_t today, lawtime_year_fn days_in_year, const void *ctx);

#endif

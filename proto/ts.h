/* ts.h — instants on the wire and in memory.
 *
 * In memory an instant is int64 microseconds since the Unix epoch, UTC (the
 * resolution of PostgreSQL's timestamptz). On the wire it is either the
 * msgpack timestamp extension (type -1, 4, 8 or 12 bytes of payload) or a
 * non-negative integer of Unix milliseconds. Nanoseconds below a microsecond
 * are dropped (truncated toward the past).
 */
#ifndef ANTT_PROTO_TS_H
#define ANTT_PROTO_TS_H

#include "proto/mp.h"

#include <stdint.h>

/* Current wall-clock time in microseconds. */
int64_t ts_now_us(void);

/* Read an instant from a decoded msgpack object. Returns 0 and *us, or
 * -ANTT_E_WRONG_TYPE (not an integer or ext), -ANTT_E_BAD_TIME (an ext of
 * another type or size, or nanoseconds >= 10^9). Values beyond int64
 * microseconds saturate to INT64_MIN / INT64_MAX so range checks refuse them. */
int ts_from_mp(const mp_obj_t *o, int64_t *us);

/* Calendar days: days since 1970-01-01 from a proleptic Gregorian date, and
 * back (H. Hinnant's algorithms: exact for any int32 day). */
int32_t ts_days_from_civil(int y, int m, int d);
void ts_civil_from_days(int32_t days, int *y, int *m, int *d);

/* Days in month m (1-12) of year y. */
int ts_days_in_month(int y, int m);

/* Split an instant into whole seconds and nanoseconds (floor division). */
void ts_split(int64_t us, int64_t *sec, uint32_t *nsec);

#endif

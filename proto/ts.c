/* ts.c — timestamps: msgpack extension -1 and integer milliseconds. */
#include "proto/ts.h"

#include "proto/err.h"

#include <time.h>

int64_t ts_now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int32_t ts_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void ts_civil_from_days(int32_t days, int *y, int *m, int *d)
{
    const int64_t z = (int64_t)days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int ts_days_in_month(int y, int m)
{
    static const int DAYS[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : DAYS[m - 1];
}

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* seconds + nanoseconds -> microseconds, saturating outside +-2^63 us. */
static int64_t to_us(int64_t sec, uint32_t nsec)
{
    const int64_t lim = INT64_MAX / 1000000 - 1;
    if (sec > lim) return INT64_MAX;
    if (sec < -lim) return INT64_MIN;
    return sec * 1000000 + nsec / 1000;
}

int ts_from_mp(const mp_obj_t *o, int64_t *us)
{
    switch (o->type) {
    case MP_UINT:
        *us = o->v.u > (uint64_t)(INT64_MAX / 1000) ? INT64_MAX : (int64_t)o->v.u * 1000;
        return 0;
    case MP_INT: *us = o->v.i < INT64_MIN / 1000 ? INT64_MIN : o->v.i * 1000; return 0;
    case MP_EXT: break;
    default: return -ANTT_E_WRONG_TYPE;
    }
    if (o->ext != -1) return -ANTT_E_BAD_TIME;
    const uint8_t *p = o->p;
    switch (o->n) {
    case 4: /* timestamp 32: uint32 seconds */ *us = to_us(be32(p), 0); return 0;
    case 8: { /* timestamp 64: 30-bit nanoseconds, 34-bit seconds */
        uint64_t w = (uint64_t)be32(p) << 32 | be32(p + 4);
        uint32_t nsec = (uint32_t)(w >> 34);
        if (nsec >= 1000000000u) return -ANTT_E_BAD_TIME;
        *us = to_us((int64_t)(w & 0x3ffffffffull), nsec);
        return 0;
    }
    case 12: { /* timestamp 96: uint32 nanoseconds, int64 seconds */
        uint32_t nsec = be32(p);
        if (nsec >= 1000000000u) return -ANTT_E_BAD_TIME;
        int64_t sec = (int64_t)((uint64_t)be32(p + 4) << 32 | be32(p + 8));
        *us = to_us(sec, nsec);
        return 0;
    }
    default: return -ANTT_E_BAD_TIME;
    }
}

void ts_split(int64_t us, int64_t *sec, uint32_t *nsec)
{
    int64_t s = us / 1000000, r = us % 1000000;
    if (r < 0) {
        s -= 1;
        r += 1000000;
    }
    *sec = s;
    *nsec = (uint32_t)r * 1000;
}

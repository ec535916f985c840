/* util.h — small helpers the modules share (hashing is proto/hindex.h). */
#ifndef ANTT_PROTO_UTIL_H
#define ANTT_PROTO_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* Microseconds on the monotonic clock (intervals, never dates). */
static inline int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Grow *p (an array of `size`-byte items with capacity *cap) to hold at
 * least `need`, doubling. 0, or -1 when out of memory (*p unchanged). */
static inline int grow_array(void **p, uint32_t *cap, uint32_t need, size_t size)
{
    if (need <= *cap) return 0;
    uint32_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, (size_t)c * size);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

#endif

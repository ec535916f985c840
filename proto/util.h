/* util.h — small helpers the daemon's modules share. */
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

/* FNV-1a over n bytes, continuing from h (start with FNV_SEED). */
#define FNV_SEED 1469598103934665603ULL
static inline uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

#endif

/* bench.c — decode+validate throughput of proto/, beside raw msgpack-c.
 *
 * Measures, on one core and in one run:
 *   1. dec_open + dec_next + validation of a typical incident.reported
 *      (one event per message, ~250 bytes);
 *   2. msgpack_unpack_next() of the same bytes into a msgpack_object tree,
 *      the way a msgpack-c user would read it (no validation at all);
 *   3. the same event 1000 times in one batch message, per event.
 * Each figure is the median of several timed rounds. Target:
 * (1) >= 2,000,000 events/s and >= 0.5 x (2).
 *
 * Usage: proto_bench [seconds-per-round, default 0.5]
 */
#include "proto/decode.h"
#include "proto/encode.h"
#include "proto/ts.h"
#include "proto/uuid.h"

#include <msgpack.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 7

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static volatile uint64_t sink; /* keeps the loops from being optimised away */

typedef uint64_t (*work_fn)(const char *buf, size_t len, uint64_t iters);

static uint64_t work_decode(const char *buf, size_t len, uint64_t iters)
{
    const int64_t now = ts_now_us();
    uint64_t acc = 0;
    for (uint64_t i = 0; i < iters; i++) {
        dec_msg_t m;
        dec_err_t err;
        ev_t ev;
        if (dec_open(&m, buf, len, now, &err) < 0) abort();
        int rc;
        while ((rc = dec_next(&m, &ev, &err)) > 0)
            acc += ev.seq + ev.injuries;
        if (rc < 0) abort();
    }
    return acc;
}

static uint64_t work_unpack(const char *buf, size_t len, uint64_t iters)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    uint64_t acc = 0;
    for (uint64_t i = 0; i < iters; i++) {
        size_t off = 0;
        if (msgpack_unpack_next(&u, buf, len, &off) != MSGPACK_UNPACK_SUCCESS) abort();
        acc += u.data.via.map.size;
    }
    msgpack_unpacked_destroy(&u);
    return acc;
}

/* Median events/s over ROUNDS rounds of about `secs` each. */
static double measure(work_fn fn, const char *buf, size_t len, uint64_t events_per_msg, double secs)
{
    uint64_t iters = 1000;
    for (;;) { /* calibrate */
        double t0 = now_s();
        sink += fn(buf, len, iters);
        double dt = now_s() - t0;
        if (dt > secs / 4) {
            iters = (uint64_t)((double)iters * secs / dt) + 1;
            break;
        }
        iters *= 4;
    }
    double rate[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now_s();
        sink += fn(buf, len, iters);
        rate[r] = (double)(iters * events_per_msg) / (now_s() - t0);
    }
    qsort(rate, ROUNDS, sizeof rate[0], cmp_double);
    return rate[ROUNDS / 2];
}

static void typical(ev_t *ev, int64_t now)
{
    static const uint8_t RND[10] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22};
    memset(ev, 0, sizeof *ev);
    ev->type = EV_INCIDENT_REPORTED;
    uuid_v7(ev->id, (uint64_t)(now / 1000), RND);
    ev->node = ev_cstr("ls-183-06046");
    ev->unit = ev_cstr("06046");
    ev->seq = 48213;
    ev->time_us = now - 5000000;
    ev->ref = ev_cstr("127/VV-CAX-2023");
    ev->group = ev_cstr("social_order");
    ev->severity = SEV_SERIOUS;
    ev->occurred_us = now - 86400000000LL;
    ev->injuries = 1;
    ev->summary = ev_cstr("Trộm cắp 01 xe máy tại chợ Đồng Đăng, đã thu hồi.");
    ev->present = ev_allowed(EV_INCIDENT_REPORTED) & ~(EVB(EVF_DEATHS) | EVB(EVF_OCCURRED_UNIT));
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.5;
    if (secs <= 0) secs = 0.5;

    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    int pinned = sched_setaffinity(0, sizeof one, &one) == 0;

    const int64_t now = ts_now_us();
    ev_t ev;
    typical(&ev, now);
    msgpack_sbuffer single, batch;
    msgpack_sbuffer_init(&single);
    msgpack_sbuffer_init(&batch);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &single, msgpack_sbuffer_write);
    enc_event(&pk, &ev);
    msgpack_packer_init(&pk, &batch, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1000);
    for (int i = 0; i < 1000; i++)
        msgpack_sbuffer_write(&batch, single.data, single.size);

    double dec = measure(work_decode, single.data, single.size, 1, secs);
    double raw = measure(work_unpack, single.data, single.size, 1, secs);
    double dec_batch = measure(work_decode, batch.data, batch.size, 1000, secs);
    double raw_batch = measure(work_unpack, batch.data, batch.size, 1000, secs);

    printf("proto_bench: incident.reported of %zu bytes, one core%s, median of %d rounds\n",
           single.size, pinned ? " (pinned to CPU 0)" : "", ROUNDS);
    printf("  decode+validate, 1 event/message   %12.0f events/s  %7.1f ns/event  %6.0f MB/s\n",
           dec, 1e9 / dec, dec * (double)single.size / 1e6);
    printf("  msgpack_unpack_next, same bytes    %12.0f events/s  %7.1f ns/event\n", raw,
           1e9 / raw);
    printf("  decode+validate, 1000/message      %12.0f events/s  %7.1f ns/event\n", dec_batch,
           1e9 / dec_batch);
    printf("  msgpack_unpack_next, 1000/message  %12.0f events/s  %7.1f ns/event\n", raw_batch,
           1e9 / raw_batch);
    printf("ratio decode/unpack: %.2f (single), %.2f (batch)   target: >= 0.50\n", dec / raw,
           dec_batch / raw_batch);
    printf("target 2,000,000 events/s: %s (%.2fx)\n", dec >= 2e6 ? "met" : "NOT met", dec / 2e6);
    msgpack_sbuffer_destroy(&single);
    msgpack_sbuffer_destroy(&batch);
    return 0;
}

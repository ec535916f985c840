/* loadgen.c — see loadgen.h. */
#include "lib/loadgen.h"

#include "proto/encode.h"
#include "proto/util.h"
#include "proto/uuid.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

uint32_t lg_rand(lg_node_t *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return (uint32_t)(g->rng >> 11);
}

unsigned lg_run_tag(void)
{
    uint32_t r;
    if (getrandom(&r, sizeof r, 0) == (ssize_t)sizeof r) return r;
    struct timespec ts; /* no entropy to be had: the clock's nanoseconds, the pid */
    clock_gettime(CLOCK_REALTIME, &ts);
    return (unsigned)((uint64_t)ts.tv_nsec * 2654435761u ^ (uint64_t)ts.tv_sec ^
                      ((uint64_t)getpid() << 12));
}

void lg_init(lg_node_t *g, const char *node, const char *unit, unsigned run, uint64_t seed)
{
    memset(g, 0, sizeof *g);
    snprintf(g->node, sizeof g->node, "%s", node);
    snprintf(g->unit, sizeof g->unit, "%s", unit);
    g->run = run;
    g->rng = 0x9e3779b97f4a7c15ULL ^ (seed * 0xbf58476d1ce4e5b9ULL) ^ 1;
}

static const char *const SUMMARIES[] = {
    "Trộm cắp tài sản tại chợ xã; đang xác minh.",
    "Cố ý gây thương tích sau va chạm giao thông.",
    "Tàng trữ trái phép chất ma túy, thu giữ 0,5 gam heroin.",
    "Đánh bạc dưới hình thức ghi lô đề.",
    "Lừa đảo chiếm đoạt tài sản qua mạng xã hội.",
    "Vận chuyển hàng cấm qua đường mòn biên giới.",
};

void lg_next(lg_node_t *g, ev_t *ev, char ref[64], int64_t now)
{
    static const char *const GROUPS[] = {
        "social_order", "social_order", "social_order", "drugs",   "drugs",
        "economic",     "hightech",     "smuggling",    "traffic", "traffic"};
    const int64_t day = 86400LL * 1000000;
    memset(ev, 0, sizeof *ev);
    ev->version = 1;
    uint8_t r10[10];
    for (int i = 0; i < 10; i++)
        r10[i] = (uint8_t)lg_rand(g);
    uuid_v7(ev->id, (uint64_t)(now / 1000), r10);
    ev->node = ev_cstr(g->node);
    ev->unit = ev_cstr(g->unit);
    ev->seq = ++g->seq;
    ev->time_us = now;
    const int k = (int)(g->seq % 10);
    if (k == 8 && g->inc_cleared < g->inc_made) {
        ev->type = EV_INCIDENT_CLEARED;
        snprintf(ref, 64, "VV-%x-%.28s-%llu", g->run, g->node,
                 (unsigned long long)g->inc_cleared++);
        ev->at_us = now;
        ev->suspects = 1 + lg_rand(g) % 3;
        ev->present = ev_required(ev->type) | EVB(EVF_SUSPECTS);
    } else if (k == 9 && g->tip_resolved < g->tip_made) {
        ev->type = EV_TIPOFF_RESOLVED;
        snprintf(ref, 64, "TG-%x-%.28s-%llu", g->run, g->node,
                 (unsigned long long)g->tip_resolved++);
        static const ev_outcome_t OUT[] = {OUT_PROSECUTE, OUT_PROSECUTE, OUT_NOT_PROSECUTE,
                                           OUT_SUSPEND, OUT_TRANSFER};
        ev->outcome = OUT[lg_rand(g) % 5];
        ev->at_us = now;
        ev->present = ev_required(ev->type);
    } else if (k < 4 || k == 8) {
        ev->type = EV_INCIDENT_REPORTED;
        snprintf(ref, 64, "VV-%x-%.28s-%llu", g->run, g->node, (unsigned long long)g->inc_made++);
        const char *grp = GROUPS[lg_rand(g) % 10];
        ev->group = ev_cstr(grp);
        ev->occurred_us = now - (int64_t)(lg_rand(g) % (30 * 86400)) * 1000000;
        ev->present = ev_required(ev->type) | EVB(EVF_SUMMARY);
        if (strcmp(grp, "traffic")) {
            static const ev_severity_t SEV[] = {SEV_LESS_SERIOUS, SEV_SERIOUS, SEV_SERIOUS,
                                                SEV_VERY_SERIOUS, SEV_ESPECIALLY_SERIOUS};
            ev->severity = SEV[lg_rand(g) % 5];
            ev->present |= EVB(EVF_SEVERITY);
            ev->summary = ev_cstr(SUMMARIES[lg_rand(g) % 6]);
        } else {
            ev->deaths = lg_rand(g) % 4 == 0;
            ev->injuries = lg_rand(g) % 3;
            ev->present |= EVB(EVF_DEATHS) | EVB(EVF_INJURIES);
            ev->summary = ev_cstr("Va chạm giữa xe máy và ô tô trên quốc lộ.");
        }
    } else {
        ev->type = EV_TIPOFF_RECEIVED;
        snprintf(ref, 64, "TG-%x-%.28s-%llu", g->run, g->node, (unsigned long long)g->tip_made++);
        ev->kind = (ev_tipkind_t)(1 + lg_rand(g) % 3);
        ev->source = (ev_source_t)(1 + lg_rand(g) % 7);
        ev->at_us = now - (int64_t)(lg_rand(g) % 40) * day;
        ev->present = ev_required(ev->type);
    }
    ev->ref = ev_cstr(ref);
}

void lg_message(lg_node_t *g, int n, msgpack_sbuffer *sb, int64_t now)
{
    static ev_t evs[ANTT_MAX_BATCH];
    static char refs[ANTT_MAX_BATCH][64];
    if (n > ANTT_MAX_BATCH) n = ANTT_MAX_BATCH;
    for (int i = 0; i < n; i++)
        lg_next(g, &evs[i], refs[i], now);
    msgpack_sbuffer_clear(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    if (n == 1)
        enc_event(&pk, &evs[0]);
    else
        enc_batch(&pk, evs, (size_t)n);
}

void lg_malformed(lg_node_t *g, msgpack_sbuffer *sb)
{
    static const struct {
        const char *b;
        size_t n;
    } BAD[] = {{"\xc1", 1}, {"\x81\xa4type", 6}, {"\x2a", 1}, {"\x90", 1}, {"\x80\x80", 2}};
    msgpack_sbuffer_clear(sb);
    size_t k = lg_rand(g) % 6;
    if (k < 5) {
        msgpack_sbuffer_write(sb, BAD[k].b, BAD[k].n);
        return;
    }
    /* A valid-looking event with a wrong type for "deaths". */
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str(&pk, 6);
    msgpack_pack_str_body(&pk, "deaths", 6);
    msgpack_pack_str(&pk, 3);
    msgpack_pack_str_body(&pk, "two", 3);
}

int lg_bench_open(lg_bench_t *b, char *err, size_t errlen)
{
    enum { MAX_UNITS = 4096 };
    memset(b, 0, sizeof *b);
    const char *path = getenv("BENCH_UNITS");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) {
        snprintf(err, errlen, "BENCH_UNITS (a file of commune codes, one a line) is needed");
        return -1;
    }
    b->units = calloc(MAX_UNITS, sizeof *b->units);
    while (b->units && b->n < MAX_UNITS && fscanf(f, "%7s", b->units[b->n]) == 1)
        b->n++;
    fclose(f);
    if (!b->n) {
        snprintf(err, errlen, "%s: no commune codes", path);
        lg_bench_close(b);
        return -1;
    }
    b->run = lg_run_tag();
    return 0;
}

void lg_bench_station(const lg_bench_t *b, lg_node_t *g, int i)
{
    char node[32];
    snprintf(node, sizeof node, "bench-%d", i);
    lg_init(g, node, b->units[i % b->n], b->run, (uint64_t)i + (uint64_t)mono_us());
}

void lg_bench_close(lg_bench_t *b)
{
    free(b->units);
    b->units = NULL;
    b->n = 0;
}

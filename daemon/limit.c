/* limit.c — see limit.h. A bucket per node id, indexed; buckets never leave. */
#include "daemon/limit.h"

#include "proto/hindex.h"
#include "proto/util.h"
#include "proto/err.h"
#include "proto/ev.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char node[ANTT_MAX_NODE_BYTES + 1];
    double tokens;
    int64_t at_us;
} bucket_t;

struct limit {
    double rate, burst;
    htab_t b; /* node -> bucket */
};

limit_t *limit_new(uint32_t rate, uint32_t burst)
{
    limit_t *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->rate = rate;
    l->burst = burst < ANTT_MAX_BATCH ? ANTT_MAX_BATCH : burst;
    l->b.size = sizeof(bucket_t);
    l->b.keycap = sizeof((bucket_t *)0)->node;
    return l;
}

void limit_free(limit_t **l)
{
    if (!*l) return;
    htab_free(&(*l)->b);
    free(*l);
    *l = NULL;
}

int limit_take(limit_t *l, const char *node, uint32_t n, int64_t now_us)
{
    if (!l || l->rate <= 0) return 1;
    const uint32_t before = l->b.n;
    bucket_t *b = htab_get_or_add(&l->b, node, strlen(node));
    if (!b) return -1;
    if (l->b.n != before) { /* new: a full bucket */
        b->tokens = l->burst;
        b->at_us = now_us;
    }
    b->tokens += (double)(now_us - b->at_us) * l->rate / 1e6;
    if (b->tokens > l->burst) b->tokens = l->burst;
    b->at_us = now_us;
    if (b->tokens < n) return 0;
    b->tokens -= n;
    return 1;
}

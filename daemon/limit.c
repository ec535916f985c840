/* limit.c — see limit.h. Open addressing by node id; buckets never leave. */
#include "daemon/limit.h"

#include "proto/util.h"
#include "proto/err.h"
#include "proto/ev.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char node[ANTT_MAX_NODE_BYTES + 1]; /* "" = empty slot */
    double tokens;
    int64_t at_us;
} bucket_t;

struct limit {
    double rate, burst;
    bucket_t *b;
    uint32_t n, cap; /* cap: power of two */
};

limit_t *limit_new(uint32_t rate, uint32_t burst)
{
    limit_t *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->rate = rate;
    l->burst = burst < ANTT_MAX_BATCH ? ANTT_MAX_BATCH : burst;
    return l;
}

void limit_free(limit_t **l)
{
    if (!*l) return;
    free((*l)->b);
    free(*l);
    *l = NULL;
}

static bucket_t *slot(bucket_t *b, uint32_t cap, const char *node)
{
    uint32_t i = (uint32_t)fnv1a(node, strlen(node), FNV_SEED) & (cap - 1);
    while (b[i].node[0] && strcmp(b[i].node, node))
        i = (i + 1) & (cap - 1);
    return &b[i];
}

static int grow(limit_t *l)
{
    uint32_t cap = l->cap ? l->cap * 2 : 256;
    bucket_t *b = calloc(cap, sizeof *b);
    if (!b) return -1;
    for (uint32_t i = 0; i < l->cap; i++)
        if (l->b[i].node[0]) *slot(b, cap, l->b[i].node) = l->b[i];
    free(l->b);
    l->b = b;
    l->cap = cap;
    return 0;
}

int limit_take(limit_t *l, const char *node, uint32_t n, int64_t now_us)
{
    if (!l || l->rate <= 0) return 1;
    if ((l->n + 1) * 2 > l->cap && grow(l) < 0) return -1;
    bucket_t *b = slot(l->b, l->cap, node);
    if (!b->node[0]) {
        strncpy(b->node, node, sizeof b->node - 1);
        b->tokens = l->burst;
        b->at_us = now_us;
        l->n++;
    }
    b->tokens += (double)(now_us - b->at_us) * l->rate / 1e6;
    if (b->tokens > l->burst) b->tokens = l->burst;
    b->at_us = now_us;
    if (b->tokens < n) return 0;
    b->tokens -= n;
    return 1;
}

/* limit.c — see limit.h. A bucket per node id, indexed; buckets never leave. */
#include "daemon/limit.h"

#include "proto/hindex.h"
#include "proto/util.h"
#include "proto/err.h"
#include "proto/ev.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char node[ANTT_MAX_NODE_BYTES + 1];
    double tokens;
    int64_t at_us;
} bucket_t;

struct limit {
    double rate, burst;
    bucket_t *b; /* n buckets, in order of first appearance */
    uint32_t n, cap;
    hindex_t idx; /* node -> b[] */
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
    hindex_free(&(*l)->idx);
    free(*l);
    *l = NULL;
}

/* The node's bucket, created full. NULL out of memory. */
static bucket_t *bucket(limit_t *l, const char *node, int64_t now_us)
{
    const size_t len = strlen(node);
    const uint64_t h = hindex_hash(node, len);
    hindex_iter_t it = hindex_find(&l->idx, h);
    for (long i; (i = hindex_next(&l->idx, &it)) >= 0;)
        if (!strcmp(l->b[i].node, node)) return &l->b[i];
    if (grow_array((void **)&l->b, &l->cap, l->n + 1, sizeof *l->b) < 0 ||
        hindex_add(&l->idx, h, l->n) < 0)
        return NULL;
    bucket_t *b = &l->b[l->n++];
    snprintf(b->node, sizeof b->node, "%.*s",
             (int)(len < sizeof b->node ? len : sizeof b->node - 1), node);
    b->tokens = l->burst;
    b->at_us = now_us;
    return b;
}

int limit_take(limit_t *l, const char *node, uint32_t n, int64_t now_us)
{
    if (!l || l->rate <= 0) return 1;
    bucket_t *b = bucket(l, node, now_us);
    if (!b) return -1;
    b->tokens += (double)(now_us - b->at_us) * l->rate / 1e6;
    if (b->tokens > l->burst) b->tokens = l->burst;
    b->at_us = now_us;
    if (b->tokens < n) return 0;
    b->tokens -= n;
    return 1;
}

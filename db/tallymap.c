/* tallymap.c — an append-only array of sums, indexed by key (see tallymap.h). */
#include "db/tallymap.h"

#include <stdlib.h>
#include <string.h>

void tallymap_clear(tallymap_t *m)
{
    m->n = 0;
    m->oom = 0;
    hindex_clear(&m->idx);
}

void tallymap_free(tallymap_t *m)
{
    free(m->items);
    hindex_free(&m->idx);
    memset(m, 0, sizeof *m);
}

/* Keys are compared and hashed as bytes: ledger keys are zero-padded. */
tally_t *tallymap_get(const tallymap_t *m, const tally_key_t *k)
{
    hindex_iter_t it = hindex_find(&m->idx, hindex_hash(k, sizeof *k));
    for (long i; (i = hindex_next(&m->idx, &it)) >= 0;)
        if (!memcmp(&m->items[i].k, k, sizeof *k)) return &m->items[i];
    return NULL;
}

void tallymap_add(tallymap_t *m, const tally_key_t *k, int64_t delta)
{
    tally_t *t = tallymap_get(m, k);
    if (t) {
        t->value += delta;
        return;
    }
    if (m->n == m->cap) {
        uint32_t cap = m->cap ? m->cap * 2 : 512;
        tally_t *it = realloc(m->items, cap * sizeof *it);
        if (!it) {
            m->oom = 1;
            return;
        }
        m->items = it;
        m->cap = cap;
    }
    if (hindex_add(&m->idx, hindex_hash(k, sizeof *k), m->n) < 0) {
        m->oom = 1;
        return;
    }
    m->items[m->n].k = *k;
    m->items[m->n].value = delta;
    m->n++;
}

void tallymap_emit(void *ctx, const tally_key_t *k, int64_t delta)
{
    tallymap_add(ctx, k, delta);
}

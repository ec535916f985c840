/* tallymap.c — open addressing over an append-only array (see tallymap.h). */
#include "daemon/tallymap.h"

#include "daemon/util.h"

#include <stdlib.h>
#include <string.h>

static uint32_t hash(const tally_key_t *k)
{
    uint64_t h = fnv1a(k, sizeof *k, FNV_SEED);
    return (uint32_t)(h ^ (h >> 32));
}

void tallymap_clear(tallymap_t *m)
{
    m->n = 0;
    m->oom = 0;
    if (m->slot) memset(m->slot, 0, m->nslot * sizeof *m->slot);
}

void tallymap_free(tallymap_t *m)
{
    free(m->items);
    free(m->slot);
    memset(m, 0, sizeof *m);
}

static int rehash(tallymap_t *m, uint32_t nslot)
{
    uint32_t *s = calloc(nslot, sizeof *s);
    if (!s) return -1;
    for (uint32_t i = 0; i < m->n; i++) {
        uint32_t j = hash(&m->items[i].k) & (nslot - 1);
        while (s[j])
            j = (j + 1) & (nslot - 1);
        s[j] = i + 1;
    }
    free(m->slot);
    m->slot = s;
    m->nslot = nslot;
    return 0;
}

tally_t *tallymap_get(const tallymap_t *m, const tally_key_t *k)
{
    if (!m->nslot) return NULL;
    for (uint32_t j = hash(k) & (m->nslot - 1);; j = (j + 1) & (m->nslot - 1)) {
        uint32_t v = m->slot[j];
        if (!v) return NULL;
        if (!memcmp(&m->items[v - 1].k, k, sizeof *k)) return &m->items[v - 1];
    }
}

void tallymap_add(tallymap_t *m, const tally_key_t *k, int64_t delta)
{
    if ((m->n + 1) * 2 > m->nslot && rehash(m, m->nslot ? m->nslot * 2 : 1024) < 0) {
        m->oom = 1;
        return;
    }
    uint32_t j = hash(k) & (m->nslot - 1);
    for (;; j = (j + 1) & (m->nslot - 1)) {
        uint32_t v = m->slot[j];
        if (!v) break;
        if (!memcmp(&m->items[v - 1].k, k, sizeof *k)) {
            m->items[v - 1].value += delta;
            return;
        }
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
    m->items[m->n].k = *k;
    m->items[m->n].value = delta;
    m->slot[j] = ++m->n;
}

void tallymap_emit(void *ctx, const tally_key_t *k, int64_t delta)
{
    tallymap_add(ctx, k, delta);
}

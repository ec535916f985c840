/* hindex.c — see hindex.h. */
#include "proto/hindex.h"

#include <stdlib.h>
#include <string.h>

static uint32_t fold(uint64_t h)
{
    return (uint32_t)(h ^ (h >> 32));
}

hindex_iter_t hindex_find(const hindex_t *x, uint64_t h)
{
    const uint32_t f = fold(h);
    return (hindex_iter_t){.pos = x->nslot ? f & (x->nslot - 1) : 0, .hash = f};
}

long hindex_next(const hindex_t *x, hindex_iter_t *it)
{
    if (!x->nslot) return -1;
    for (;;) { /* at most half full: an empty slot ends every probe */
        const hindex_slot_t *s = &x->slot[it->pos];
        if (!s->item) return -1;
        it->pos = (it->pos + 1) & (x->nslot - 1);
        if (s->hash == it->hash) return (long)s->item - 1;
    }
}

static void put(hindex_slot_t *slot, uint32_t nslot, uint32_t hash, uint32_t item1)
{
    uint32_t j = hash & (nslot - 1);
    while (slot[j].item)
        j = (j + 1) & (nslot - 1);
    slot[j] = (hindex_slot_t){.item = item1, .hash = hash};
}

static int grow(hindex_t *x, uint32_t nslot)
{
    hindex_slot_t *s = calloc(nslot, sizeof *s);
    if (!s) return -1;
    for (uint32_t i = 0; i < x->nslot; i++)
        if (x->slot[i].item) put(s, nslot, x->slot[i].hash, x->slot[i].item);
    free(x->slot);
    x->slot = s;
    x->nslot = nslot;
    return 0;
}

int hindex_reserve(hindex_t *x, uint32_t n)
{
    if (n > UINT32_MAX / 4) return -1;
    uint32_t want = x->nslot ? x->nslot : 64;
    while ((uint64_t)n * 2 > want)
        want *= 2;
    return want > x->nslot ? grow(x, want) : 0;
}

int hindex_add(hindex_t *x, uint64_t h, uint32_t item)
{
    if (item == UINT32_MAX || hindex_reserve(x, x->n + 1) < 0) return -1;
    put(x->slot, x->nslot, fold(h), item + 1);
    x->n++;
    return 0;
}

void hindex_clear(hindex_t *x)
{
    if (x->slot && x->n) memset(x->slot, 0, x->nslot * sizeof *x->slot);
    x->n = 0;
}

void hindex_free(hindex_t *x)
{
    free(x->slot);
    memset(x, 0, sizeof *x);
}

/* ---- htab ---- */

static long htab_find(const htab_t *t, const char *k, size_t n, uint64_t h)
{
    hindex_iter_t it = hindex_find(&t->idx, h);
    for (long i; (i = hindex_next(&t->idx, &it)) >= 0;) {
        const char *key = htab_at(t, (uint32_t)i);
        if (!strncmp(key, k, n) && key[n] == '\0') return i;
    }
    return -1;
}

void *htab_get(const htab_t *t, const char *k, size_t n)
{
    long i = htab_find(t, k, n, hindex_hash(k, n));
    return i < 0 ? NULL : htab_at(t, (uint32_t)i);
}

void *htab_get_or_add(htab_t *t, const char *k, size_t n)
{
    const uint64_t h = hindex_hash(k, n);
    long i = htab_find(t, k, n, h);
    if (i >= 0) return htab_at(t, (uint32_t)i);
    if (n >= t->keycap) return NULL;
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 64;
        void *p = realloc(t->items, (size_t)cap * t->size);
        if (!p) return NULL;
        t->items = p;
        t->cap = cap;
    }
    if (hindex_add(&t->idx, h, t->n) < 0) return NULL;
    char *item = htab_at(t, t->n++);
    memset(item, 0, t->size);
    memcpy(item, k, n);
    return item;
}

void htab_clear(htab_t *t)
{
    t->n = 0;
    hindex_clear(&t->idx);
}

void htab_free(htab_t *t)
{
    free(t->items);
    hindex_free(&t->idx);
    t->items = NULL;
    t->n = t->cap = 0;
}

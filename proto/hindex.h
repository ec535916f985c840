/* hindex.h — a hash index over an array the caller owns: the one hash table
 * of the project (registry, rate limiter, stream counters, tally sums, the
 * store's cases and ids, the spool's ids, the live view's cells).
 *
 * The caller keeps its items where it likes (usually an append-only array)
 * and the index maps a key's hash to item positions; the caller compares
 * keys itself, so keys may be strings, 16-byte ids or structs alike:
 *
 *     uint64_t h = hindex_hash(key, n);
 *     hindex_iter_t it = hindex_find(&x, h);
 *     for (long i; (i = hindex_next(&x, &it)) >= 0;)
 *         if (key_equals(&items[i], key)) return &items[i];
 *     ... append the item at position p, then hindex_add(&x, h, p);
 *
 * Open addressing with linear probing, at most half full; each slot keeps
 * its hash, so growing never needs the items and most probes that are not
 * the key are rejected without touching them. Items are never removed one
 * by one: hindex_clear empties the index (keeping its memory), as a batch
 * or a rebuild needs. Not thread-safe. */
#ifndef ANTT_PROTO_HINDEX_H
#define ANTT_PROTO_HINDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t item; /* position + 1; 0: empty */
    uint32_t hash;
} hindex_slot_t;

typedef struct {
    hindex_slot_t *slot;
    uint32_t nslot; /* 0 or a power of two */
    uint32_t n;     /* items indexed */
} hindex_t;

typedef struct {
    uint32_t pos, hash;
} hindex_iter_t;

/* FNV-1a: hindex_hash of n bytes; hindex_mix continues a hash over more
 * bytes, for keys in several parts (start from HINDEX_SEED). */
#define HINDEX_SEED 1469598103934665603ULL
static inline uint64_t hindex_mix(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}
static inline uint64_t hindex_hash(const void *p, size_t n)
{
    return hindex_mix(HINDEX_SEED, p, n);
}

/* The candidates for hash h: hindex_next returns their positions one by one,
 * then -1. */
hindex_iter_t hindex_find(const hindex_t *x, uint64_t h);
long hindex_next(const hindex_t *x, hindex_iter_t *it);

/* Index item position `item` under hash h (the caller has checked that its
 * key is not there yet). 0, or -1 out of memory (the index is unchanged). */
int hindex_add(hindex_t *x, uint64_t h, uint32_t item);

/* Room for n items without growing. 0 or -1. */
int hindex_reserve(hindex_t *x, uint32_t n);

void hindex_clear(hindex_t *x); /* empty, keeping the memory */
void hindex_free(hindex_t *x);

/* A table of items keyed by a string, on an index: items of `size` bytes
 * in one array (in order of first appearance), each beginning with its
 * NUL-terminated key of at most keycap - 1 bytes. Set size and keycap,
 * zero the rest; pointers into items last until the next htab_add. */
typedef struct {
    size_t size, keycap;
    void *items;
    uint32_t n, cap;
    hindex_t idx;
} htab_t;

/* The item with key k (n bytes), or NULL. */
void *htab_get(const htab_t *t, const char *k, size_t n);

/* The item with key k, added zeroed (with its key) when absent. NULL out of
 * memory, or when the key is longer than keycap - 1. */
void *htab_get_or_add(htab_t *t, const char *k, size_t n);

/* Item i. */
static inline void *htab_at(const htab_t *t, uint32_t i)
{
    return (char *)t->items + (size_t)i * t->size;
}

void htab_clear(htab_t *t); /* empty, keeping the memory */
void htab_free(htab_t *t);

#endif

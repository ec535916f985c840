/* test_hindex.c — the one hash index: finds what was added, never what was
 * not, through growth, collisions of the folded hash, clearing and reuse. */
#include "proto/hindex.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static long find(const hindex_t *x, char (*keys)[16], const char *k)
{
    hindex_iter_t it = hindex_find(x, hindex_hash(k, strlen(k)));
    for (long i; (i = hindex_next(x, &it)) >= 0;)
        if (!strcmp(keys[i], k)) return i;
    return -1;
}

Test(hindex, finds_every_key_added_across_growth_and_none_other)
{
    static char keys[20000][16];
    hindex_t x = {0};
    cr_expect_eq(find(&x, keys, "nothing"), -1); /* empty: no slots yet */
    for (uint32_t i = 0; i < 20000; i++) {
        snprintf(keys[i], sizeof keys[i], "node-%u", i);
        cr_assert_eq(hindex_add(&x, hindex_hash(keys[i], strlen(keys[i])), i), 0);
    }
    cr_expect_eq(x.n, 20000);
    cr_expect_geq(x.nslot, 40000); /* at most half full */
    for (uint32_t i = 0; i < 20000; i += 7)
        cr_expect_eq(find(&x, keys, keys[i]), (long)i);
    cr_expect_eq(find(&x, keys, "node-20000"), -1);
    cr_expect_eq(find(&x, keys, ""), -1);
    hindex_free(&x);
}

Test(hindex, keeps_every_item_of_a_shared_hash)
{
    /* Equal hashes (as for keys the caller compares itself): each item is
     * returned exactly once, through growth. */
    hindex_t x = {0};
    for (uint32_t i = 0; i < 100; i++)
        cr_assert_eq(hindex_add(&x, 42, i), 0);
    hindex_iter_t it = hindex_find(&x, 42);
    int seen[100] = {0}, n = 0;
    for (long i; (i = hindex_next(&x, &it)) >= 0; n++) {
        cr_assert(i >= 0 && i < 100);
        seen[i]++;
    }
    cr_expect_eq(n, 100);
    for (int i = 0; i < 100; i++)
        cr_expect_eq(seen[i], 1, "item %d returned %d times", i, seen[i]);
    hindex_free(&x);
}

Test(hindex, clear_empties_and_keeps_memory)
{
    static char keys[3][16] = {"a", "b", "c"};
    hindex_t x = {0};
    cr_assert_eq(hindex_reserve(&x, 1000), 0);
    const uint32_t nslot = x.nslot;
    for (uint32_t i = 0; i < 3; i++)
        hindex_add(&x, hindex_hash(keys[i], 1), i);
    hindex_clear(&x);
    cr_expect_eq(x.n, 0);
    cr_expect_eq(x.nslot, nslot);
    cr_expect_eq(find(&x, keys, "a"), -1);
    hindex_add(&x, hindex_hash("b", 1), 1);
    cr_expect_eq(find(&x, keys, "b"), 1);
    hindex_free(&x);
    cr_expect_eq(x.nslot, 0);
}

Test(hindex, mix_continues_a_hash_over_parts)
{
    uint64_t whole = hindex_hash("unitref", 7);
    uint64_t parts = hindex_mix(hindex_mix(HINDEX_SEED, "unit", 4), "ref", 3);
    cr_expect_eq(whole, parts);
}

typedef struct {
    char key[8];
    int value;
} kv_t;

Test(htab, gets_or_adds_by_string_key_and_keeps_first_appearance_order)
{
    htab_t t = {.size = sizeof(kv_t), .keycap = sizeof((kv_t *)0)->key};
    cr_expect_null(htab_get(&t, "a", 1));
    char k[8];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "u%d", i);
        kv_t *v = htab_get_or_add(&t, k, strlen(k));
        cr_assert_not_null(v);
        cr_expect_str_eq(v->key, k);
        cr_expect_eq(v->value, 0, "added zeroed");
        v->value = i;
    }
    cr_expect_eq(t.n, 1000);
    kv_t *again = htab_get_or_add(&t, "u7", 2);
    cr_expect_eq(again->value, 7, "an existing key is found, not added");
    cr_expect_eq(t.n, 1000);
    cr_expect_eq(((kv_t *)htab_at(&t, 500))->value, 500);
    cr_expect_null(htab_get(&t, "u7x", 3));
    cr_expect_not_null(htab_get(&t, "u7x", 2), "the first n bytes are the key");
    cr_expect_null(htab_get_or_add(&t, "too-long", 8), "longer than keycap - 1");
    htab_clear(&t);
    cr_expect_null(htab_get(&t, "u7", 2));
    cr_expect_eq(t.n, 0);
    htab_free(&t);
}

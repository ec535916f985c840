/* tallymap.h — tally deltas summed per key (unit, day, metric, group,
 * severity). The store sums a batch's deltas here so each key is written
 * once per transaction; --verify sums the whole event log here. */
#ifndef ANTT_DB_TALLYMAP_H
#define ANTT_DB_TALLYMAP_H

#include "rules/ledger.h"
#include "proto/hindex.h"

#include <stdint.h>

typedef struct {
    tally_key_t k;
    int64_t value;
} tally_t;

typedef struct {
    tally_t *items; /* n entries, in order of first appearance */
    uint32_t n, cap;
    hindex_t idx;
    int oom; /* an addition was lost to allocation failure */
} tallymap_t;

void tallymap_clear(tallymap_t *m); /* empty, keeping memory */
void tallymap_free(tallymap_t *m);

/* Add delta to key k (keys must be zero-padded: ledger keys are). */
void tallymap_add(tallymap_t *m, const tally_key_t *k, int64_t delta);

/* The entry for k, or NULL. */
tally_t *tallymap_get(const tallymap_t *m, const tally_key_t *k);

/* A ledger_emit_fn whose ctx is a tallymap_t. */
void tallymap_emit(void *ctx, const tally_key_t *k, int64_t delta);

#endif

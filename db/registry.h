/* registry.h — who and what may report, as rows: units (with validity),
 * nodes and subscribers (with their CURVE keys), crime groups. The daemon
 * builds its in-memory registry (daemon/reg.h) from these; the store knows
 * nothing of how they are used. */
#ifndef ANTT_DB_REGISTRY_H
#define ANTT_DB_REGISTRY_H

#include "db/pg.h"

#include <stddef.h>
#include <stdint.h>

#define REGISTRY_DAY_NONE INT32_MIN /* a validity bound that is not set */

/* One callback per kind of row; strings are borrowed for the call. Days are
 * local days since 1970-01-01. Keys are Z85 ("" when none); a subscriber's
 * unit "" means every unit. */
typedef struct {
    void (*unit)(void *ctx, const char *code, const char *path, int32_t valid_from,
                 int32_t valid_to);
    void (*node)(void *ctx, const char *id, const char *unit, int revoked, const char *key);
    void (*group)(void *ctx, const char *slug, int is_crime);
    void (*subscriber)(void *ctx, const char *name, const char *unit, int revoked, const char *key);
    /* A dissolved unit's successors, ordered by code and then as the
     * conversion table lists them; partial: the unit went there in part. */
    void (*successor)(void *ctx, const char *code, const char *successor, int partial);
    /* A day off beyond the weekends (off 1), or a weekend day worked (off 0):
     * antt.days_off, in day order. */
    void (*day_off)(void *ctx, int32_t day, int off);
} registry_sink_t;

/* Read every row (units first, then nodes, groups, subscribers, successors,
 * days off). 0, or -1
 * with err. */
int registry_read(db_t *c, const registry_sink_t *sink, void *ctx, char *err, size_t errlen);

#endif

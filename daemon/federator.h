/* federator.h — a Ministry's daemon watching its provinces' feeds (and a
 * province's daemon its reference feed from the Ministry, taken again when
 * the Ministry's new primary has no slot for it)
 * (docs/design/federation.md): a thread of its own, on a connection of its
 * own, that every check_s seconds reads how each province's subscription
 * is doing (/metrics: streaming, the lag of the last batch applied, how long
 * since the province was last heard from) and, with auto_resync, resyncs a
 * province whose stream cannot go on: its apply worker has not been heard
 * from at two checks in a row and the province's primary answers with no
 * slot for the Ministry (after its failover, or a slot past
 * max_slot_wal_keep_size). A province that cannot be reached is waited for:
 * its slot keeps what the Ministry has not taken. On a province's own
 * daemon (no row in antt.federation_provinces) each check is two queries. */
#ifndef ANTT_DAEMON_FEDERATOR_H
#define ANTT_DAEMON_FEDERATOR_H

#include "db/federation.h"

#include <stdint.h>

#define FEDERATOR_MAX 64 /* provinces shown and watched (34 in the country) */

typedef struct federator federator_t;

typedef struct {
    int n;                         /* provinces on record */
    fed_status_t p[FEDERATOR_MAX]; /* as of the last check */
    uint64_t resyncs;              /* resyncs this daemon ran */
    uint64_t resync_failures;      /* and those that failed (tried again at the next check) */
} federator_stats_t;

/* Start on conninfo (the Ministry's database); check_s 0: no thread, NULL
 * returned with err empty. NULL with err on failure. */
federator_t *federator_start(const char *conninfo, int check_s, int auto_resync, char *err,
                             size_t errlen);
void federator_free(federator_t **f);
void federator_stats(federator_t *f, federator_stats_t *out);

#endif

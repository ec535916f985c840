/* recover.h — `anttd --recover-events CONNINFO`: the events another database
 * of this province holds and this one lacks, taken again as a station's
 * resent events are (docs/operations.md, "Restore").
 *
 * A database restored to an instant before an operator's mistake lacks what
 * was acked after that instant; the stations emptied their spools of it.
 * The damaged database still has it (the mistake removed other rows), and so
 * does its synchronous secondary. Each of its events is decoded from the
 * bytes the station sent, admitted under today's registry as from its own
 * node, run through the ledger and stored in batches by the store, exactly
 * as anttd stores a batch: an event this database has already is a
 * duplicate (its id), one it lacks is accepted, in the other log's order. */
#ifndef ANTT_DAEMON_RECOVER_H
#define ANTT_DAEMON_RECOVER_H

#include "rules/ledger.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t read;       /* events in the other database's log */
    uint64_t accepted;   /* stored here: this database lacked them */
    uint64_t duplicates; /* here already */
    uint64_t refused;    /* refused here (a node revoked since, a unit the map dissolved...) */
    uint64_t deferred;   /* about a case this database does not have (yet) */
} recover_counts_t;

/* Into the database at conninfo, from the one at src_conninfo, under the
 * ledger's settings lcfg (the daemon's; its registry hooks are set here) and
 * the store's reject_raw_max. 0, or -1 with err (what was committed before
 * stays: running it again takes the rest). */
int recover_events(const ledger_cfg_t *lcfg, const char *conninfo, uint32_t reject_raw_max,
                   const char *src_conninfo, recover_counts_t *n, char *err, size_t errlen);

#endif

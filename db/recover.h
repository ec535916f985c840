/* recover.h — the event log of another database of the same province, read
 * for `anttd --recover-events` (daemon/recover.h): after a database was
 * restored to an instant before an operator's mistake (docs/operations.md,
 * "Restore"), the events acked after that instant are still in the damaged
 * database, or in its secondary's copy. Each is handed over as the bytes the
 * station sent, in that database's log order, to be taken again through
 * admission, the ledger and the store; those this database has already are
 * recognised there by their ids. */
#ifndef ANTT_DB_RECOVER_H
#define ANTT_DB_RECOVER_H

#include "db/pg.h"

#include <stddef.h>
#include <stdint.h>

/* One stored event: its original bytes (borrowed until the call returns).
 * Non-zero stops the reading, and recover_read returns it. */
typedef int (*recover_fn)(void *ctx, const uint8_t *raw, size_t len);

/* Every event of src's log, oldest first (antt.events.n), streamed in one
 * snapshot. 0 when read to the end, each's non-zero return, or -1 with err. */
int recover_read(db_t *src, recover_fn each, void *ctx, char *err, size_t errlen);

#endif

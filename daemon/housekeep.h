/* housekeep.h — what the clock asks of the daemon, between batches:
 *   "overdue"          today's overdue tip-offs per unit into antt.overdue_daily
 *                      (the console's trend) and, when the year turns, the
 *                      year just ended into the sums before 1 January: at
 *                      start, then every overdue_record_seconds; a busy queue
 *                      delays it, at most five minutes. Two daemons on one
 *                      database write the same figures.
 *   "memory"           the batches a burst left behind freed, and the heap
 *                      trimmed: every 10 s with nothing waiting.
 *   "refusal summary"  refused handshakes over the global bound are counted,
 *                      and said in one line at most every 10 s. */
#ifndef ANTT_DAEMON_HOUSEKEEP_H
#define ANTT_DAEMON_HOUSEKEEP_H

#include "daemon/batch.h"
#include "daemon/intake.h"
#include "db/store.h"

#include <stdint.h>

typedef struct housekeep housekeep_t;

/* store, q and in (whose auth counts the refusals) are borrowed. NULL: out
 * of memory. */
housekeep_t *housekeep_new(store_t *store, blanes_t *q, intake_t *in, int overdue_record_seconds,
                           int refusal_records_per_min);
void housekeep_free(housekeep_t **h);

/* The loop's rows (state: the housekeep_t). */
int64_t housekeep_overdue_when(void *h, int64_t now, int64_t due);
int64_t housekeep_overdue_run(void *h, int64_t now);
int64_t housekeep_trim_when(void *h, int64_t now, int64_t due);
int64_t housekeep_trim_run(void *h, int64_t now);
int64_t housekeep_summary_when(void *h, int64_t now, int64_t due);
int64_t housekeep_summary_run(void *h, int64_t now);

#endif

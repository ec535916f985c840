/* tview.h — a subscriber's copy of the tallies: a snapshot, then the tally
 * stream's messages applied in order (daemon/stream.h describes both).
 *
 *   tview_snapshot(tv, reply bytes)         the state after the given useqs
 *   tview_apply(tv, message bytes)          TV_APPLIED, TV_OLD (already in the
 *                                           snapshot), TV_GAP (a message of this
 *                                           unit was missed: take a new snapshot),
 *                                           TV_EPOCH (the daemon restarted: likewise)
 */
#ifndef ANTT_LIB_TVIEW_H
#define ANTT_LIB_TVIEW_H

#include <stddef.h>
#include <stdint.h>

enum { TV_APPLIED = 0, TV_OLD = 1, TV_GAP = 2, TV_EPOCH = 3, TV_BAD = -1 };

typedef struct tview tview_t;

tview_t *tview_new(void);
void tview_free(tview_t **tv);

/* Load a snapshot reply (replaces everything). 0, or -1 with err. */
int tview_snapshot(tview_t *tv, const void *reply, size_t len, char *err, size_t errlen);

/* Apply one stream message (its second frame). */
int tview_apply(tview_t *tv, const void *msg, size_t len);

/* The value of one tally (0 when absent). */
int64_t tview_get(const tview_t *tv, const char *unit, int32_t day, const char *metric,
                  const char *grp, const char *severity);

/* Call fn for every non-zero tally. */
void tview_foreach(const tview_t *tv,
                   void (*fn)(void *ctx, const char *unit, int32_t day, const char *metric,
                              const char *grp, const char *severity, int64_t value),
                   void *ctx);

/* Gaps seen since the last snapshot. */
uint64_t tview_gaps(const tview_t *tv);

#endif

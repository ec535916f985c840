/* fold.h — the figures folded from the log, one window at a time
 * (docs/design/fold.md; the tables are migration 018's).
 *
 * A window is every row of antt.fold_input whose transaction id lies in
 * [pos, x): pos where the last window ended (antt.fold_state), x the xmin of
 * a snapshot taken before the window's transaction has an id of its own.
 * Every transaction below x has ended, so the window's rows are final; the
 * sums are added to the tallies (and their month, year and before sums) and
 * pos moves to x in one transaction. Two folders at once are safe (the
 * second waits for fold_state's row and finds its window already taken),
 * only wasteful: the daemon folds from one place at a time. */
#ifndef ANTT_DB_FOLD_H
#define ANTT_DB_FOLD_H

#include "db/pg.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t pos;     /* where the fold stands after this call */
    uint64_t windows; /* windows folded so far (fold_state.windows) */
    long rows;        /* fold_input rows this window folded */
    long keys;        /* tally keys it changed */
    int64_t lag_us;   /* how long its oldest row waited (its transaction's start to COMMIT) */
    /* What the stream publishes for it (db/tallylog.h's layout), as kept in
     * antt.fold_windows under the window's number; NULL when no figure
     * changed. Owned: fold_window_clear. */
    uint8_t *content;
    size_t content_len;
    /* Units with deltas the stream could not carry (a metric this build does
     * not know, during an upgrade): in the figures, their versions raised
     * past the message so subscribers resnapshot; -1: too many to list. */
    int unpublished;
} fold_window_t;

/* Free a window's content (w is written whole by fold_once: clear it after
 * each use). */
void fold_window_clear(fold_window_t *w);

/* A window as the stream publishes it: its number and content. */
typedef void (*fold_window_fn)(void *ctx, uint64_t win, const uint8_t *content, size_t len);

/* Set a connection up for folding (time zone; the tallies' roll-up triggers
 * stand aside, the fold writes the sums itself). 0, or -1 with err. */
int fold_session(db_t *c, char *err, size_t errlen);

/* Fold one window on c, which must not be inside a transaction. 1 when the
 * position moved, 0 when no transaction had ended since the last window,
 * -1 with err (nothing of the window is kept: it is folded again later). */
int fold_once(db_t *c, fold_window_t *w, char *err, size_t errlen);

/* Fold until every batch committed before the call is in the figures
 * (antt.fold_wait), at most max_ms: for a daemon that stops and for the
 * one-shot commands that read or rewrite the figures (a daemon killed -9
 * leaves its last batches unfolded until another folds). The connection's
 * session is left as it was. Each window folded goes to fn (NULL: none:
 * a one-shot command publishes nothing, subscribers see the versions jump
 * and take a snapshot). 1 when caught up, 0 when the time ran out (a
 * long transaction elsewhere holds the window back), -1 with err. What is
 * waited for is what was committed when the call began. */
int fold_catch_up(db_t *c, int max_ms, fold_window_fn fn, void *ctx, char *err, size_t errlen);

/* For a one-shot command that needs the batches committed before it in the
 * figures: folds them itself when no daemon holds the fold (taking its
 * lock for the while: nothing is published, subscribers see the versions
 * jump and take a snapshot), else waits for the daemon that does, at most
 * max_ms either way. 1 when they are in, 0 when the time ran out, -1 with
 * err. */
int fold_settle(db_t *c, int max_ms, char *err, size_t errlen);

/* Reading one's own writes: wait (at most max_ms) until every batch
 * committed before the call is folded (antt.fold_wait). 1 when it is; 0
 * when the time ran out, with what the figures are as of in as_of (the last
 * window's commit, text) and behind_s (seconds since); -1 with err (a
 * database without the fold: migration 018). */
int fold_fresh(db_t *c, int max_ms, char *as_of, size_t cap, double *behind_s, char *err,
               size_t errlen);

/* The stream's epoch (antt.stream_state: drawn once per database, so a
 * failover keeps it); renew: draw a new one (the database lost windows
 * that were published). 0, or -1 with err. */
int fold_epoch(db_t *c, int renew, uint64_t *epoch, char *err, size_t errlen);

/* The windows folded so far (antt.fold_state.windows). 0, or -1 with err. */
int fold_windows(db_t *c, uint64_t *windows, char *err, size_t errlen);

/* How long the oldest batch not yet folded has waited (0: none). 0, or -1
 * with err. */
int fold_behind(db_t *c, int64_t *us, char *err, size_t errlen);

/* The windows a new folder publishes again, since its predecessor may not
 * have sent them: those after window `after` (0: those committed in the
 * FOLD_REPUBLISH_S seconds before the newest one), oldest first, at most FOLD_REPUBLISH_MAX,
 * each to fn. The number handed to fn, or -1 with err. */
#define FOLD_REPUBLISH_S   60
#define FOLD_REPUBLISH_MAX 4096
long fold_republish(db_t *c, uint64_t after, fold_window_fn fn, void *ctx, char *err,
                    size_t errlen);

/* The logical slot the stream read before the fold published it (schema
 * 17 and older) holds the server's log for nobody once its last reader is
 * gone: dropped when no session holds it. Errors are ignored (it is
 * tried again at the next takeover). */
void fold_forget_slot(db_t *c);

/* Try to become the one folder: 1 when this connection's session holds
 * the fold's advisory lock (until it closes), 0 when another does, -1 with
 * err. */
int fold_lead(db_t *c, char *err, size_t errlen);

/* Delete up to `limit` folded rows of fold_input (below pos): the input
 * is not needed once folded; and the kept windows older than
 * FOLD_KEEP_WINDOWS_S. The number of input rows deleted, or -1 with err. */
#define FOLD_KEEP_WINDOWS_S 600
long fold_trim(db_t *c, long limit, char *err, size_t errlen);

#endif

/* committer.h — a thread that commits one batch at a time on a connection of
 * its own (setting store_connections: one committer per lane of the queue,
 * daemon/batch.h).
 *
 * The loop hands a committer a sealed batch and goes on; the committer
 * stores it (store_commit: its connection blocks, the loop does not) and
 * wakes the loop's poll by writing the descriptor it was given; the loop
 * then takes the batch back, with the store's answer, and only the loop
 * sends its replies. While it is given, the batch is the committer's: the
 * loop neither reads nor changes it. A committer never touches the loop's
 * sockets, never logs (its errors go back with the batch), and reads the
 * registry only through the ledger's hooks, holding it (reg_hold) for the
 * commit.
 *
 * Its connection is made when a batch comes and there is none, or the loop
 * says the database was lost since it was made (a committer idle through a
 * failover would commit on the old server). It does not migrate (the loop's
 * own connection does, first) and does not LISTEN. */
#ifndef ANTT_DAEMON_COMMITTER_H
#define ANTT_DAEMON_COMMITTER_H

#include "daemon/batch.h"
#include "daemon/reg.h"
#include "db/store.h"

#include <stdint.h>

typedef struct committer committer_t;

/* What became of a batch. */
typedef struct {
    store_rc_t rc;   /* store_commit's; STORE_DOWN also when no connection could be made */
    char err[512];   /* what failed, or what was deferred alone with STORE_OK */
    int synchronous; /* store_synchronous after the commit (-1: not known) */
    int unconnected; /* STORE_DOWN because no connection could be made (not one lost) */
} committer_result_t;

/* Start the thread. The store is made here (conninfo, lcfg and
 * reject_raw_max as store_new takes them; sync as store_set_sync), reg is
 * held for each commit, wake_fd (an eventfd) is written once per batch
 * done. NULL on failure, err filled. */
committer_t *committer_new(const char *conninfo, const ledger_cfg_t *lcfg, uint32_t reject_raw_max,
                           store_sync_t sync, reg_t *reg, int wake_fd, char *err, size_t errlen);

/* Stop the thread after the batch it holds, if any, and free it. */
void committer_free(committer_t **c);

/* Commit w (the view of b, daemon/batch.h batch_work) at the clock's time
 * then. epoch: the loop's count of database losses; a connection made
 * under an older one is made again first. -1 while the last batch is not
 * taken back. */
int committer_give(committer_t *c, batch_t *b, const store_work_t *w, uint64_t epoch);

/* The batch given, once committed (its verdicts final, r filled): the
 * committer is free again. NULL when none is done. */
batch_t *committer_take(committer_t *c, committer_result_t *r);

/* 1 from committer_give until committer_take returned the batch. */
int committer_busy(const committer_t *c);

/* Add the store's statistics, as of the last batch taken back, to sum. */
void committer_add_stats(const committer_t *c, store_stats_t *sum);

#endif

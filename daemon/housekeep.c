/* housekeep.c — the clock's chores between batches (see housekeep.h). */
#include "daemon/housekeep.h"

#include "daemon/log.h"
#include "daemon/loop.h"
#include "db/status.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>

struct housekeep {
    store_t *store;
    blanes_t *q;
    intake_t *in;
    int overdue_record_seconds, refusal_records_per_min;
    int64_t unrecorded_logged_us; /* the last "N more refused handshakes" line */
};

housekeep_t *housekeep_new(store_t *store, blanes_t *q, intake_t *in, int overdue_record_seconds,
                           int refusal_records_per_min)
{
    housekeep_t *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->store = store;
    h->q = q;
    h->in = in;
    h->overdue_record_seconds = overdue_record_seconds;
    h->refusal_records_per_min = refusal_records_per_min;
    return h;
}

void housekeep_free(housekeep_t **h)
{
    free(*h);
    *h = NULL;
}

static int busy(housekeep_t *h)
{
    return blanes_busy(h->q);
}

int64_t housekeep_overdue_when(void *state, int64_t now, int64_t due)
{
    housekeep_t *h = state;
    if (!store_connected(h->store)) return LOOP_NEVER;
    const int64_t late = due + 300 * 1000000LL;
    return busy(h) && now < late ? late : due;
}

int64_t housekeep_overdue_run(void *state, int64_t now)
{
    housekeep_t *h = state;
    const int64_t next = now + h->overdue_record_seconds * 1000000LL;
    char err[256];
    long units = 0;
    if (status_record_overdue(store_db(h->store), &units, err, sizeof err) < 0)
        log_warn("overdue", "recording today's overdue tip-offs: %s", err);
    else
        log_debug("overdue", "today's overdue tip-offs recorded at %ld units", units);
    long moved = 0;
    if (status_close_year(store_db(h->store), &moved, err, sizeof err) < 0)
        log_warn("tallies", "closing the year: %s", err);
    else if (moved)
        log_info("tallies", "the year has turned: its sums are now history (tallies_before)");
    return next;
}

/* A queue that filled (a bulk load, a reconnection storm) keeps its
 * batches' arrays for reuse, ~1 KiB an event, and glibc keeps the heap they
 * came from: the batches not needed since the last look are freed and the
 * heap trimmed (measured: ~95 MiB after run.sh's bulk phases, otherwise kept
 * for ever). */
int64_t housekeep_trim_when(void *state, int64_t now, int64_t due)
{
    (void)now;
    return busy(state) ? LOOP_NEVER : due;
}

int64_t housekeep_trim_run(void *state, int64_t now)
{
    housekeep_t *h = state;
    const size_t freed = blanes_shrink(h->q, 2);
    if (freed) {
#ifdef __GLIBC__
        malloc_trim(0);
#endif
        log_debug("memory", "freed %zu KiB of batches the queue no longer needs", freed / 1024);
    }
    return now + 10 * 1000000LL;
}

int64_t housekeep_summary_when(void *state, int64_t now, int64_t due)
{
    (void)now;
    const housekeep_t *h = state;
    return h->in->auth ? due : LOOP_NEVER;
}

/* "N more refused handshakes not recorded", at most every 10 s. */
int64_t housekeep_summary_run(void *state, int64_t now)
{
    housekeep_t *h = state;
    if (h->in->auth && now - h->unrecorded_logged_us >= 10000000) {
        const uint64_t n = auth_take_unrecorded(h->in->auth);
        if (n) {
            h->unrecorded_logged_us = now;
            log_warn("auth",
                     "%llu more refused handshakes not recorded (over refusal_records_per_min=%d; "
                     "counted in antt_refusals_unrecorded_total)",
                     (unsigned long long)n, h->refusal_records_per_min);
        }
    }
    return now + 10000000;
}

/* federation.h — a Ministry's provinces (docs/design/federation.md): adding
 * one, resyncing one, removing one. Run on the Ministry's database, as the
 * owner of its subscriptions (PostgreSQL 15: a superuser).
 *
 * A resync makes the Ministry's rows of one province equal to the
 * province's at one instant and restarts the province's subscription at
 * exactly that instant. It is how a province is added (with whatever history
 * it has) and how its link is mended when the province's slot is gone: after
 * its primary failed over (PostgreSQL 15's slots stay on the old primary), or
 * after the slot outgrew max_slot_wal_keep_size. In order:
 *
 *   1. the subscription is disabled and its worker gone: nothing of the
 *      province moves on the Ministry any more;
 *   2. on the province's primary, a new slot is made with an exported
 *      snapshot: what committed before its consistent point is in the
 *      snapshot, what commits after it is in the slot;
 *   3. in that snapshot the province's figures (its tallies plus its unfolded
 *      fold input), its events' digests per day and its case rows are read,
 *      and in one transaction of the Ministry:
 *        - one row of fold input carries the difference between the
 *          province's figures and the Ministry's for the province's units
 *          (what the Ministry lacked, and what it holds that the province
 *          does not: a transaction the old primary sent before it died but
 *          never passed to its secondary), which the Ministry's fold folds;
 *        - the days whose events differ are made equal, event by event;
 *        - the province's case rows replace the Ministry's;
 *        - the subscription's origin moves to the consistent point, and the
 *          subscription is enabled.
 *
 * Nothing is counted twice or lost: every transaction of the province is in
 * the snapshot or in the slot, never in both, and the figures before it are
 * corrected to the province's, not added to. */
#ifndef ANTT_DB_FEDERATION_H
#define ANTT_DB_FEDERATION_H

#include "db/pg.h"

#include <stddef.h>

typedef struct {
    char lsn[32]; /* the new slot's consistent point: where the stream starts again */
    long keys;    /* tally keys the correction changed */
    long days;    /* days of events compared, and of them differing */
    long days_differing;
    long events_added;   /* events the Ministry lacked */
    long events_removed; /* events the Ministry had and the province does not */
    long cases;          /* case rows (incidents, tip-offs, wanted) copied */
} fed_resync_t;

/* Add (or change) a province on the Ministry: code (two digits), roots (a
 * comma-separated list of unit codes whose subtrees are the province's;
 * NULL or "": the code alone), the conninfo of its primary (a formation's
 * multi-host one with target_session_attrs=read-write). Makes subscription
 * antt_from_<code> to the province's publications (antt.federation_province()
 * must have run there), then resyncs it. 0, or -1 with err. */
int fed_add(db_t *m, const char *code, const char *roots, const char *conninfo, fed_resync_t *r,
            char *err, size_t errlen);

/* Resync a province added before (see above). 0, or -1 with err: the
 * Ministry's rows are as they were, and the subscription is left disabled
 * with the province marked as pending a resync (antt.federation_provinces.
 * resync_pending), which the Ministry's anttd takes up at its next check
 * (by hand: this again). Each resync streams from a slot of its own
 * (antt_from_<code>_<n>), so a slot a failback or a killed resync left on a
 * province is never streamed from; a new resync drops those. FED_BUSY:
 * another session resyncs or removes this province now. */
#define FED_BUSY (-2)
int fed_resync(db_t *m, const char *code, fed_resync_t *r, char *err, size_t errlen);

/* Stop feeding from a province: its subscription dropped, its slot on the
 * province dropped when the province can be reached (else said in err's
 * warning and left for its operator), its row removed. The Ministry keeps
 * the province's figures and events up to then. 0, or -1 with err. */
int fed_remove(db_t *m, const char *code, char *warn, size_t warnlen, char *err, size_t errlen);

/* On a province's database: take the Ministry's reference data (units and
 * successors, crime groups, clusters, days off, targets: publication
 * antt_down, made by antt.federation_ministry()) through subscription
 * antt_down and slot antt_down_<code> on the Ministry. The province's
 * tables are replaced by the Ministry's at one instant, and the stream
 * starts at that instant; conninfo NULL or "": the subscription's own
 * (a resync). r->cases gets the rows copied. 0, or -1 with err. */
int fed_reference(db_t *p, const char *code, const char *conninfo, fed_resync_t *r, char *err,
                  size_t errlen);

/* On a province's database: how its reference subscription is doing.
 * 0: none, or streaming; 1: stalled, the Ministry's primary answers and has
 * no slot for it (the Ministry failed over: its slots stayed on the old
 * primary), *code set: fed_reference(p, code, NULL, ...) mends it; 2:
 * stalled otherwise (the Ministry unreachable: waited for). -1 with err. */
int fed_reference_stalled(db_t *p, char code[8], char *err, size_t errlen);

/* 1 when this database takes its reference data from a Ministry (a load
 * there is refused: the Ministry owns it), 0 when not, -1 with err. */
int fed_reference_owned(db_t *c, char *err, size_t errlen);

/* How each province's feed is doing, for /metrics: up to cap rows, the
 * count returned (-1 with err). */
typedef struct {
    char code[4];
    int enabled;            /* its subscription is enabled */
    int streaming;          /* its apply worker runs and has heard from the province */
    double since_receipt_s; /* since that worker last heard from it; -1: not running */
    double lag_s;           /* its last applied batch: from the province's transaction
                               to the Ministry's applying it; -1: none yet */
    double since_applied_s; /* since the last batch was applied; -1: none yet */
    long long batches;      /* batches applied */
    long long resyncs;      /* resyncs on record (adding it was the first) */
    long long conflicts;    /* its case rows set aside: a unit outside its subtrees */
} fed_status_t;
int fed_status(db_t *m, fed_status_t *out, int cap, char *err, size_t errlen);

/* Whether province code needs a resync: 1 when its primary answers and has
 * no usable slot for the Ministry (none, or one past max_slot_wal_keep_size),
 * or a resync was begun and not finished (it failed, or was killed); 0 when
 * its slot is there or it cannot be reached now (a link down is waited out:
 * its slot keeps what the Ministry has not taken); -1 with err. */
int fed_slot_missing(db_t *m, const char *code, char *err, size_t errlen);

#endif

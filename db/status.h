/* status.h — what anttd records from outside the batch, by the clock rather
 * than by events: whether each station is connected now (antt.node_status,
 * migration 009; the figures of its messages are written with each batch,
 * store.c), and how many tip-offs are overdue at each unit today
 * (antt.overdue_daily, migration 012). The console and /metrics read them
 * (query.h, console.h). */
#ifndef ANTT_DB_STATUS_H
#define ANTT_DB_STATUS_H

#include "db/pg.h"

/* Nodes connected (1) or not (0) now, as daemon `via` ("host:port") sees
 * them: one statement. Registered nodes only. 0, or -1 with err. */
int status_connections(db_t *c, const char *via, const char *const *nodes, const int *connected,
                       int n, char *err, size_t errlen);

/* Nodes `via` said were connected are not, as far as it knows (it starts:
 * the connections of its previous run are gone). 0, or -1 with err. */
int status_forget(db_t *c, const char *via, char *err, size_t errlen);

/* Writes today's overdue tip-offs per unit (antt.record_overdue): *units,
 * how many units have some. 0, or -1 with err. */
int status_record_overdue(db_t *c, long *units, char *err, size_t errlen);

/* When the year has turned (Hanoi time), moves the year just ended into the
 * sums before 1 January (antt.tallies_before_advance, migration 013): *moved
 * 1 if it did, 0 if there was nothing to do (the usual case: one row read).
 * Figures are exact either way; this keeps them cheap. 0, or -1 with err. */
int status_close_year(db_t *c, long *moved, char *err, size_t errlen);

#endif

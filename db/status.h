/* status.h — how the stations are doing, in antt.node_status (migration
 * 009), from outside the batch: whether each is connected now. The figures
 * of its messages are written with each batch (store.c); the console and
 * /metrics read the table (query.h). */
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

#endif

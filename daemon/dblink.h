/* dblink.h — anttd's link to its database: connected, or reconnecting with
 * back-off; a ping when idle; the server it is on (a failover is said).
 *
 * Two rows of the loop: "connect" (due at the next attempt while the link is
 * down) and "ping" (every 5 s while connected with nothing waiting: an idle
 * connection does not notice a server that went away). A new connection is
 * not up until the registry loads on it (regwatch_connected): a daemon that
 * cannot tell who may submit takes nothing. */
#ifndef ANTT_DAEMON_DBLINK_H
#define ANTT_DAEMON_DBLINK_H

#include "daemon/batch.h"
#include "daemon/regwatch.h"
#include "db/store.h"

#include <signal.h>
#include <stdint.h>

typedef struct dblink dblink_t;

/* store, q (for the events held, in a log line) and w are borrowed.
 * synchronous_acks: the setting (off, warn, require), said when the server
 * does not replicate synchronously. stop is set on an error that retrying
 * cannot fix (a schema this daemon cannot run on). NULL: out of memory. */
dblink_t *dblink_new(store_t *store, blanes_t *q, regwatch_t *w, int reconnect_max_ms,
                     const char *synchronous_acks, volatile sig_atomic_t *stop);
void dblink_free(dblink_t **l);

/* The connection was lost (a commit or a ping failed): reconnect at once,
 * then back off; intake is paused from now. */
void dblink_lost(dblink_t *l, int64_t now);

/* 1 after an error that retrying cannot fix (the daemon stops, exit 1). */
int dblink_fatal(const dblink_t *l);

/* Times the server changed between two connections (antt_failovers_total). */
uint64_t dblink_failovers(const dblink_t *l);

/* The loop's rows (state: the dblink_t). */
int64_t dblink_connect_when(void *l, int64_t now, int64_t due);
int64_t dblink_connect_run(void *l, int64_t now);
int64_t dblink_ping_when(void *l, int64_t now, int64_t due);
int64_t dblink_ping_run(void *l, int64_t now);

#endif

/* regwatch.h — the registry (daemon/reg.h) kept current, and failing closed.
 *
 * The registry is loaded on every new database connection, reloaded when the
 * database says it changed (LISTEN antt_registry), on SIGHUP, and when an
 * event names a node or unit it does not know (an operator may just have
 * added it; at most once a second). When it cannot be loaded, who may submit
 * is not known, so nobody may: handshakes are refused, open connections cut,
 * events deferred with 500 (kept and resent by their stations), and a retry
 * runs every second until it loads. Each load also brings the pending
 * tip-offs' deadlines in line with the rules in force (a calendar loaded, a
 * setting changed). */
#ifndef ANTT_DAEMON_REGWATCH_H
#define ANTT_DAEMON_REGWATCH_H

#include "daemon/intake.h"
#include "daemon/reg.h"
#include "rules/ledger.h"
#include "db/store.h"

#include <stdint.h>
#include <zmq.h>

typedef struct regwatch regwatch_t;

/* reg, store and in (whose auth is cut and refused) are borrowed; ledger is
 * copied (its registry hooks set on each use). changed(ctx) is called when
 * what /metrics and /healthz show of the registry changed. NULL: out of
 * memory. */
regwatch_t *regwatch_new(reg_t *reg, store_t *store, intake_t *in, const ledger_cfg_t *ledger,
                         int utc_offset_min, void (*changed)(void *ctx), void *ctx);
void regwatch_free(regwatch_t **w);

/* Admit one decoded event against the registry (reg_admit), or defer it
 * while the registry is stale; an event refused as unknown makes the
 * registry look again first. */
void regwatch_admit(regwatch_t *w, store_ev_t *e, const char *auth_node);

/* On a new connection: load the registry and bring the deadlines in line
 * (a warning when this year has no days off). 0, or -1 with err. */
int regwatch_load(regwatch_t *w, int64_t now, char *err, size_t errlen);

/* After regwatch_load, once the link is up: cut the connections of keys
 * revoked while the database was away, and say what was loaded. */
void regwatch_connected(regwatch_t *w);

/* Reload now (why: in the log line), when connected. */
void regwatch_reload(regwatch_t *w, const char *why);

/* 1 while the registry could not be loaded since it last changed. */
int regwatch_stale(const regwatch_t *w);

/* Loads that failed (antt_registry_failures_total). */
uint64_t regwatch_failures(const regwatch_t *w);

/* The loop's row "registry notices" (state: the regwatch_t). libpq queues
 * the notices that arrive while any statement runs on the connection, and
 * then the socket is no longer readable: so it runs on every turn, as well
 * as when the socket wakes the loop. */
int regwatch_notices_items(void *w, int64_t now, zmq_pollitem_t *it);
int64_t regwatch_notices_run(void *w, int64_t now);

#endif

/* reg.h — the registry: units, nodes and crime groups, as the admission
 * checks need them, in memory.
 *
 * Loaded from the database at start, on SIGHUP, and again (at most once a
 * second) when an event names a node or unit the registry does not know, so
 * an operator who registers a node does not have to restart the daemon.
 * Lookups are hash probes: no database round trip per event. */
#ifndef ANTT_DAEMON_REG_H
#define ANTT_DAEMON_REG_H

#include "daemon/ledger.h"
#include "proto/ev.h"

#include <libpq-fe.h>
#include <stdint.h>

typedef struct reg reg_t;

/* utc_offset_us: the statistics day's offset, for unit validity dates
 * (Vietnamese calendar dates: +7 h). */
reg_t *reg_new(int64_t utc_offset_us);
void reg_free(reg_t **r);

/* Replace the contents with what the database holds now. 0, or -1 with err
 * filled (the old contents stay). */
int reg_load(reg_t *r, PGconn *c, char *err, size_t errlen);

/* Counts, for logs. */
void reg_counts(const reg_t *r, int *units, int *nodes, int *groups);

/* Admission of a decoded event from `node` (the event's node field until
 * nodes authenticate): 0 when the node may report it, else -code with v
 * filled: 301 (node unknown or revoked: DEFERRED, so the node keeps the event
 * until an operator registers it), 300 (unit or occurred_unit unknown, or not
 * valid at the event's time), 302 (outside the node's subtree), 303 (group). */
int reg_admit(const reg_t *r, const ev_t *ev, verdict_t *v);

/* 1 when the event names a node or unit the registry does not hold, so a
 * reload might change the answer. */
int reg_might_learn(const reg_t *r, const ev_t *ev);

/* The ledger's is_crime callback: 1 when grp is a crime group (ctx: reg_t). */
int reg_is_crime(void *ctx, const char *grp);

/* The unit's path from the root ("20.183.06040"), or NULL. Borrowed. */
const char *reg_unit_path(const reg_t *r, const char *code, size_t n);

#endif

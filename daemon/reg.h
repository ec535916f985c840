/* reg.h — the registry: units, nodes and crime groups, as the admission
 * checks need them, in memory.
 *
 * Loaded from the database at start, on SIGHUP, and again (at most once a
 * second) when an event names a node or unit the registry does not know, so
 * an operator who registers a node does not have to restart the daemon.
 * Lookups are hash probes: no database round trip per event. */
#ifndef ANTT_DAEMON_REG_H
#define ANTT_DAEMON_REG_H

#include "rules/ledger.h"
#include "db/pg.h"
#include "db/registry.h"
#include "proto/ev.h"

#include <stdint.h>

typedef struct reg reg_t;
typedef struct reg_build reg_build_t;

#define REG_DAY_NONE REGISTRY_DAY_NONE /* no validity bound */
#define REG_NAME_CAP 65                /* subscriber names: 1..64 bytes */

/* Who a key may be: the intake's nodes or the tally stream's subscribers. */
typedef enum { REG_NODES = 0, REG_SUBSCRIBERS = 1 } reg_domain_t;

/* utc_offset_us: the statistics day's offset, for unit validity dates
 * (Vietnamese calendar dates: +7 h). */
reg_t *reg_new(int64_t utc_offset_us);
void reg_free(reg_t **r);

/* Another thread's reads (a committer's ledger hooks, daemon/committer.h):
 * held, the tables are not replaced under it; a load waits for the holders
 * to release. The loop's own thread, the only one that loads, needs neither. */
void reg_hold(reg_t *r);
void reg_release(reg_t *r);

/* Replace the contents with what the database holds now. 0, or -1 with err
 * filled (the old contents stay). */
int reg_load(reg_t *r, db_t *c, char *err, size_t errlen);

/* Counts, for logs. */
void reg_counts(const reg_t *r, int *units, int *nodes, int *groups);
int reg_subscriber_count(const reg_t *r);

/* Building a registry row by row (reg_load does; so do tests and the intake
 * fuzzer, without a database). Rows are checked and linked at finish, which
 * replaces r's contents, or leaves them and fills err; the builder is freed
 * either way. Days are local days since 1970 (REG_DAY_NONE: open). A NULL or
 * "" public key: none. A subscriber's unit NULL or "": every unit. */
reg_build_t *reg_build_new(void);
void reg_build_free(reg_build_t **b);
int reg_build_unit(reg_build_t *b, const char *code, const char *path, int32_t valid_from,
                   int32_t valid_to);
int reg_build_node(reg_build_t *b, const char *id, const char *unit, int revoked,
                   const char *public_key);
int reg_build_group(reg_build_t *b, const char *slug, int is_crime);
/* A successor of a dissolved unit; partial: it went there in part. A unit's
 * rows come together, in the conversion table's order: the first is its
 * heir unless the reporting node's unit is another. */
int reg_build_successor(reg_build_t *b, const char *code, const char *successor, int partial);
/* Days in ascending order (antt.days_off): off 1 a day off, 0 a weekend worked. */
int reg_build_day_off(reg_build_t *b, int32_t day, int off);
int reg_build_subscriber(reg_build_t *b, const char *name, const char *unit, int revoked,
                         const char *public_key);
int reg_build_finish(reg_t *r, reg_build_t **b, char *err, size_t errlen);

/* Admission of a decoded event. auth_node: the node whose key opened the
 * connection (CURVE), or NULL when the daemon runs without authentication and
 * the event's node field is taken at its word. 0 when the node may report it,
 * else -code with v filled: 400 (the event names another node than auth_node),
 * 301 (node unknown or revoked: unknown is DEFERRED, so the node keeps the
 * event until an operator registers it), 300 (unit or occurred_unit unknown,
 * or not valid at the event's time), 302 or, authenticated, 401 (outside the
 * node's subtree), 303 (group). */
int reg_admit(const reg_t *r, const ev_t *ev, const char *auth_node, verdict_t *v);

/* The owner of a CURVE public key (Z85) in a domain: 0 and *user (node id or
 * subscriber name, borrowed) when it may connect; -2 (*user set) when it was
 * revoked; -1 when no one registered it. */
int reg_key(const reg_t *r, reg_domain_t dom, const char *z85, const char **user);

/* 1 when user (a node id or subscriber name) may still be connected. */
int reg_user_ok(const reg_t *r, reg_domain_t dom, const char *user);

/* A subscriber's scope as a topic prefix: its unit's path and a dot
 * ("20.180."), "" for every unit; NULL when unknown or revoked. Borrowed. */
const char *reg_subscriber_scope(const reg_t *r, const char *name);

/* 1 when the event names a node or unit the registry does not hold, so a
 * reload might change the answer. */
int reg_might_learn(const reg_t *r, const ev_t *ev);

/* The ledger's is_crime callback: 1 when grp is a crime group (ctx: reg_t). */
int reg_is_crime(void *ctx, const char *grp);

/* The ledger's day_off callback (rules/lawtime.h): antt.days_off, else the
 * weekends (ctx: reg_t). */
int reg_day_off(void *ctx, int32_t day);

/* How many days of `year` antt.days_off lists (0: only weekends count). */
int reg_days_off_in_year(const void *reg, int year); /* a lawtime_year_fn */
/* The last year antt.days_off lists a day of; 0: none. */
int reg_days_off_last_year(const reg_t *r);

/* Point l's registry questions (is_crime, heir, node_unit, days off) at r. */
void reg_ledger_hooks(reg_t *r, ledger_cfg_t *l);

/* The ledger's heir callback (ctx: reg_t): where a tally dated `day` of
 * unit `code`, as it was on day `since` (a case's occurrence, a tip-off's
 * receipt), counts. The code itself while that version is valid on `day`;
 * after it was dissolved, its successor `prefer` when that is one of them,
 * else its first; a unit dissolved without a successor passes to its
 * parent's heir (a district's work to the province). -1 when no unit carries
 * the code that day (before it existed). */
int reg_heir(void *ctx, const char *code, int32_t since, int32_t day, const char *prefer,
             char out[LEDGER_UNIT_CAP]);

/* The ledger's node_unit callback: the unit a node is enrolled for, or NULL. */
const char *reg_node_unit(void *ctx, const char *node, size_t n);

/* For the path of a dissolved unit (n bytes, "20.180"): call fn with the
 * path of every unit valid today that was made wholly of its units (its
 * communes after 1 July 2025, which have no district). The count. */
int reg_each_wholly_inside(const reg_t *r, const char *path, size_t n,
                           void (*fn)(void *ctx, const char *path), void *ctx);

/* 1 when a subscriber with scope ("20.180.", "" for all) may follow topic
 * (wn bytes): inside the scope, or the topic of a unit made wholly of the
 * scope's units since it was dissolved ("20.06040." for district 180). */
int reg_scope_holds(const reg_t *r, const char *scope, const char *topic, size_t wn);

/* The path of the version of a unit valid on local day d (the nearest when
 * none is), or NULL. Borrowed. */
const char *reg_unit_path_on(const reg_t *r, const char *code, size_t n, int32_t d);

/* 1 when topic (n bytes) is the stream topic of a unit: some version's
 * path and a dot ("20.180.06040."). Subscriptions are held to these. */
int reg_is_unit_topic(const reg_t *r, const char *topic, size_t n);

/* The unit's path from the root ("20.183.06040"), or NULL. Borrowed. */
const char *reg_unit_path(const reg_t *r, const char *code, size_t n);

#endif

/* console.h — what the console (anttweb) asks the database: each
 * page's data as one JSON document built by PostgreSQL in one statement
 * (json_build_object over the roll-up functions), so the server only passes
 * it on. Days are "YYYY-MM-DD", periods [from, to). Each returns the JSON
 * text (allocated; the caller frees it), or NULL with err. */
#ifndef ANTT_DB_CONSOLE_H
#define ANTT_DB_CONSOLE_H

#include "db/pg.h"

#include <stddef.h>

/* A viewer's account: scope (NULL: every unit), Argon2id hash, language,
 * whether it may log in (not revoked). 1 found, 0 not, -1 with err. */
typedef struct {
    char scope[80]; /* "" : every unit */
    char hash[160];
    char lang[4];
} console_viewer_t;
int console_viewer(db_t *c, const char *name, console_viewer_t *v, char *err, size_t errlen);

/* 1 when unit (a code, "group:NAME", or "all": the whole country) is inside
 * scope ("" : every unit; only such a viewer may ask for "all"):
 * the unit as it is today is one of the units scope is made of (a
 * dissolved district's viewer sees the communes made of its communes). 0
 * when not, or when the unit does not exist; -1 with err. */
int console_in_scope(db_t *c, const char *scope, const char *unit, char *err, size_t errlen);

/* The topic prefixes of the tally stream a scope covers, the fewest that
 * do ("20." for Lạng Sơn; "20.180." and the paths of the communes made of
 * its communes for district 180; "" for every unit), as a JSON array. */
char *console_scope_topics(db_t *c, const char *scope, char *err, size_t errlen);

/* Overview: {unit, name, level, from, to, figures: antt.rates, compare
 * (when cmp_from is given): antt.rates over [cmp_from, cmp_to) with the
 * same units, partial_units, parents: [{code, name}] from the province
 * down, on the period's last day}. */
char *console_overview(db_t *c, const char *unit, const char *from, const char *to,
                       const char *cmp_from, const char *cmp_to, char *err, size_t errlen);

/* The unit's children on the period's last day, each with its figures:
 * [{code, name, occurred, cleared, suspects, clearance_carry, ...}]. */
char *console_children(db_t *c, const char *unit, const char *from, const char *to, char *err,
                       size_t errlen);

/* Per month of [from, to): crime cases occurred and cleared, tip-offs
 * received and resolved, for the trends page: [{month, occurred, cleared,
 * received, resolved}]. */
char *console_months(db_t *c, const char *unit, const char *from, const char *to, char *err,
                     size_t errlen);

/* Tip-offs: {overdue: [...], due: [...] within `within_days`, times: per
 * child of [from, to): decided, p50, p90, max days}. No denouncer: there is
 * none in the data. */
char *console_tipoffs(db_t *c, const char *unit, int within_days, const char *from, const char *to,
                      char *err, size_t errlen);

/* Overdue tip-offs of the unit on each recorded day of [from, to)
 * (antt.overdue_trend): [{day, overdue}]. */
char *console_overdue(db_t *c, const char *unit, const char *from, const char *to, char *err,
                      size_t errlen);

/* Up to 30 units, clusters and the country a viewer of `scope` ("": every
 * unit) may open whose code or name contains `q` (case and diacritics as
 * typed), as they are today: [{code, name, level}], largest first. */
char *console_units(db_t *c, const char *scope, const char *q, char *err, size_t errlen);

/* Stations of the unit (nodes whose unit is inside it today): [{node,
 * unit, last_message_at, seq_max, missing, events_today, connected, state:
 * "losing" | "silent" | "quiet" | "active"}]; silent after silent_hours. */
char *console_stations(db_t *c, const char *unit, int silent_hours, char *err, size_t errlen);

#endif

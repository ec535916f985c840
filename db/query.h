/* query.h — the read-only questions the rest of the project asks the
 * database: the CLI's reports and lists, the tally stream's snapshots,
 * /metrics' province figures. Each hands its rows to the caller's db_row_fn
 * (text values, NULL for SQL NULL); the columns are listed with each.
 * 0, or -1 with err (or fn's non-zero value). */
#ifndef ANTT_DB_QUERY_H
#define ANTT_DB_QUERY_H

#include "db/pg.h"

#include <stdint.h>

/* ---- units and groups ---- */

/* The unit (code, name, path) as it is today: one row, or none when
 * unknown. A code with several versions (reused in 2025) is the version
 * valid today, or the one nearest (a dissolved unit: its last). */
int query_unit(db_t *c, const char *code, db_row_fn fn, void *ctx, char *err, size_t errlen);

/* The same on a day ("YYYY-MM-DD"). */
int query_unit_on(db_t *c, const char *code, const char *day, db_row_fn fn, void *ctx, char *err,
                  size_t errlen);

/* The units that came into unit's figures through a split, with the unit
 * taken on `day`: code, name, successors ("06040, 06004"), by code. */
int query_unit_partials(db_t *c, const char *unit, const char *day, db_row_fn fn, void *ctx,
                        char *err, size_t errlen);

/* Its children today (code, name, path; antt.children_on), by code. */
int query_unit_children(db_t *c, const char *code, db_row_fn fn, void *ctx, char *err,
                        size_t errlen);

/* What each of unit's children today is made of (or unit's own, when it
 * has none): child, code, valid_from, valid_to (days since 1970, NULL when
 * open), path — a delta of unit `code` dated in [valid_from, valid_to)
 * counts for the child (antt.scope_units: a split predecessor counts for
 * each), and comes on the stream under that path's topic. */
int query_child_members(db_t *c, const char *unit, db_row_fn fn, void *ctx, char *err,
                        size_t errlen);

/* Communes (code), by code: those of `under` as it stands today (as it
 * stood, when dissolved), or every commune valid today (NULL). */
int query_communes(db_t *c, const char *under, db_row_fn fn, void *ctx, char *err, size_t errlen);

/* A unit group's size (count): one row when it has members, none when not. */
int query_unit_group(db_t *c, const char *group, db_row_fn fn, void *ctx, char *err, size_t errlen);

/* The crime group (slug, name_vi, name_en, is_crime 't'/'f'): one row or none. */
int query_crime_group(db_t *c, const char *slug, db_row_fn fn, void *ctx, char *err, size_t errlen);

/* Every crime group that counts as a crime (slug, name_vi, name_en), by slug. */
int query_crime_groups(db_t *c, db_row_fn fn, void *ctx, char *err, size_t errlen);

/* ---- figures ---- */

/* antt.rates_groups for unit (or "group:NAME") over [from, to) (dates), the
 * unit taken as it was on `on` (a date; NULL: the period's last day — a
 * comparison year passes the main year's, so both count the same units):
 * a row of all crimes (column grp NULL), one per crime group, and one for
 * `group` when it is none of them; columns by name (see migrations). */
int query_rates_groups(db_t *c, const char *unit, const char *from, const char *to,
                       const char *group, const char *on, db_row_fn fn, void *ctx, char *err,
                       size_t errlen);

/* Tip-off processing times per child unit over [from, to): unit, name,
 * decided, p50_days, p90_days, max_days. */
int query_tipoff_times(db_t *c, const char *unit, const char *from, const char *to, db_row_fn fn,
                       void *ctx, char *err, size_t errlen);

/* Open tip-offs under unit, due within `within` (an interval; NULL: all):
 * unit, ref, kind, received (local, minutes), deadline (local), extended,
 * days_left. */
int query_tipoffs_open(db_t *c, const char *unit, const char *within, db_row_fn fn, void *ctx,
                       char *err, size_t errlen);

/* antt.wanted_many for one unit over [from, to) (dates), its scope on `on`:
 * one row (found, arrested, surrendered, dangerous, withdrawn). */
int query_wanted(db_t *c, const char *unit, const char *from, const char *to, const char *on,
                 db_row_fn fn, void *ctx, char *err, size_t errlen);

/* The targets on record for unit (as antt report takes it) and year: rows
 * (figure, target). */
int query_targets(db_t *c, const char *unit, int year, db_row_fn fn, void *ctx, char *err,
                  size_t errlen);

/* The connection's "now" for the overdue figures (antt.now(), migration
 * 014): an instant as PostgreSQL reads it. 0, or -1 with err. */
int query_as_of(db_t *c, const char *instant, char *err, size_t errlen);

/* How many tip-offs under unit are overdue now: one row (count). */
int query_tipoffs_overdue(db_t *c, const char *unit, db_row_fn fn, void *ctx, char *err,
                          size_t errlen);

/* A period up to today, in Hanoi days since 1970: one row (from, to), to
 * exclusive. period: today, week, month, quarter or year. */
int query_period(db_t *c, const char *period, db_row_fn fn, void *ctx, char *err, size_t errlen);

/* Per province: this calendar year's tip-off resolution rate (NULL when
 * nothing to divide by), the tip-offs overdue now, the stations silent (not
 * connected, no message for silent_hours) and losing events (numbers never
 * answered), and when any of them last sent anything (Unix seconds, NULL:
 * never): code, rate, overdue, silent, losing, last. A station counts in the
 * province that holds its unit today (a dissolved unit's: its heir's).
 * Sent without waiting (a few hundred ms with thousands of overdue
 * tip-offs: anttd's loop must not wait for it); the rows come with
 * db_collect(). 0, or -1 with err. */
int query_province_figures_send(db_t *c, int silent_hours, char *err, size_t errlen);

/* A tally stream snapshot of the subtree under unit for days [from, to)
 * (days since 1970), in one repeatable-read transaction: the stream's epoch
 * (0 when no reader has made the stream yet) and position, the versions of
 * the subtree's units (versions(ctx, unit, version)) and its non-zero
 * tallies (tallies(ctx, unit, day, metric, grp, severity, value)). */
typedef struct {
    uint64_t epoch, seq;
    db_row_fn versions, tallies;
    void *ctx;
} query_snapshot_t;
int query_snapshot(db_t *c, const char *unit, int64_t from, int64_t to, query_snapshot_t *q,
                   char *err, size_t errlen);

#endif

/* rollup.h — the SQL text that adds a window's day deltas (a CTE `s` of
 * unit, day, metric, grp, severity, value) to the month, year and
 * before-1-January sums. db/'s own (the boundary check fences it); the
 * fold's window statement (db/fold.c) is its one user. */
#ifndef ANTT_DB_ROLLUP_H
#define ANTT_DB_ROLLUP_H

// clang-format off
/* Summed per key, so each key appears once; sorted so that every writer
 * takes the row locks in one order. The month and year sums (migration 011)
 * are added by the same statement as the days: the tables' triggers, which
 * keep them for every other writer, stand aside for a session with
 * antt.store_rolls on (fold_session) — as triggers they cost 9 times the
 * day rows' upsert (pg_stat_statements under the single-event load). */
#define ROLL_UP(table, col, unit)                                                                \
    " INSERT INTO antt." table " AS x (unit, " col ", metric, grp, severity, value)"            \
    " SELECT unit, date_trunc('" unit "', day::timestamp)::date, metric, grp, severity,"          \
    "  sum(value) FROM s GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"                           \
    " ON CONFLICT (unit, " col ", metric, grp, severity) DO UPDATE SET value = x.value + excluded.value"
/* The days before antt.tallies_before_at (late events, in January) into
 * antt.tallies_before (migration 013): nothing for a batch of this year. */
#define ROLL_BEFORE                                                                              \
    " INSERT INTO antt.tallies_before AS x (unit, metric, grp, severity, value)"                \
    " SELECT unit, metric, grp, severity, sum(value) FROM s"                                     \
    "  WHERE day < (SELECT at FROM antt.tallies_before_at)"                                      \
    "  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"                                                  \
    " ON CONFLICT (unit, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value"
// clang-format on

#endif

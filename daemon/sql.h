/* sql.h — every statement the daemon runs, by name, in one place.
 * Values travel as COPY data or bound parameters, never pasted into text.
 * The schema they run against is db/migrations/. */
#ifndef ANTT_DAEMON_SQL_H
#define ANTT_DAEMON_SQL_H

/* Session set-up: staging tables for one batch, emptied by every COMMIT. */
#define SQL_SESSION                                                                              \
    "SET TIME ZONE 'UTC';"                                                                       \
    "CREATE TEMP TABLE IF NOT EXISTS stage_ids (id uuid NOT NULL) ON COMMIT DELETE ROWS;"        \
    "CREATE TEMP TABLE IF NOT EXISTS stage_keys (kind text, unit text, ref text)"                \
    " ON COMMIT DELETE ROWS;"                                                                    \
    "CREATE TEMP TABLE IF NOT EXISTS stage_inc (is_new bool, unit text, ref text,"               \
    " report_id uuid, grp text, severity text, occurred_at timestamptz, occurred_unit text,"     \
    " deaths int, injuries int, cleared_at timestamptz, suspects int, voided_at timestamptz,"    \
    " version int) ON COMMIT DELETE ROWS;"                                                       \
    "CREATE TEMP TABLE IF NOT EXISTS stage_tip (is_new bool, unit text, ref text,"               \
    " report_id uuid, kind text, source text, grp text, received_at timestamptz,"                \
    " deadline timestamptz, complex_extended bool, procuracy_extended bool, status text,"        \
    " outcome text, resolved_at timestamptz, version int) ON COMMIT DELETE ROWS;"                \
    "CREATE TEMP TABLE IF NOT EXISTS stage_tally (unit text, day date, metric text, grp text,"   \
    " severity text, delta bigint) ON COMMIT DELETE ROWS"

#define SQL_COPY_STAGE_IDS "COPY stage_ids (id) FROM STDIN (FORMAT binary)"
#define SQL_COPY_STAGE_KEYS "COPY stage_keys (kind, unit, ref) FROM STDIN (FORMAT binary)"

#define SQL_SELECT_DUPS "SELECT s.id FROM stage_ids s JOIN antt.event_ids e ON e.id = s.id"

#define US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

#define SQL_LOCK_INCIDENTS                                                                       \
    "SELECT i.unit, i.ref, i.report_id, i.grp, i.severity, " US("i.occurred_at") ","            \
    " i.occurred_unit, i.deaths, i.injuries, coalesce(" US("i.cleared_at") ", 0), i.suspects,"   \
    " coalesce(" US("i.voided_at") ", 0), i.version"                                             \
    " FROM antt.incidents i JOIN stage_keys k ON k.kind = 'i' AND k.unit = i.unit"              \
    " AND k.ref = i.ref ORDER BY i.unit, i.ref FOR UPDATE OF i"

#define SQL_LOCK_TIPOFFS                                                                         \
    "SELECT t.unit, t.ref, t.report_id, t.kind, t.source, t.grp, " US("t.received_at") ","      \
    " " US("t.deadline") ", t.complex_extended, t.procuracy_extended, t.status, t.outcome,"     \
    " coalesce(" US("t.resolved_at") ", 0), t.version"                                           \
    " FROM antt.tipoffs t JOIN stage_keys k ON k.kind = 't' AND k.unit = t.unit"                \
    " AND k.ref = t.ref ORDER BY t.unit, t.ref FOR UPDATE OF t"

#define SQL_COPY_EVENT_IDS "COPY antt.event_ids (id) FROM STDIN (FORMAT binary)"
#define SQL_COPY_EVENTS                                                                          \
    "COPY antt.events (id, type, node, unit, seq, event_time, ref, case_version, raw)"          \
    " FROM STDIN (FORMAT binary)"
#define SQL_COPY_STAGE_INC                                                                       \
    "COPY stage_inc (is_new, unit, ref, report_id, grp, severity, occurred_at, occurred_unit,"  \
    " deaths, injuries, cleared_at, suspects, voided_at, version) FROM STDIN (FORMAT binary)"
#define SQL_COPY_STAGE_TIP                                                                       \
    "COPY stage_tip (is_new, unit, ref, report_id, kind, source, grp, received_at, deadline,"   \
    " complex_extended, procuracy_extended, status, outcome, resolved_at, version)"             \
    " FROM STDIN (FORMAT binary)"
#define SQL_COPY_STAGE_TALLY                                                                     \
    "COPY stage_tally (unit, day, metric, grp, severity, delta) FROM STDIN (FORMAT binary)"
#define SQL_COPY_REJECTS                                                                         \
    "COPY antt.rejects (path, node, event_id, status, code, name, field, message, raw, raw_len)" \
    " FROM STDIN (FORMAT binary)"

/* New cases are INSERTed (a concurrent daemon's insert of the same key makes
 * this fail, and the batch is run again); known ones, locked above, UPDATEd. */
#define SQL_APPLY_INCIDENTS                                                                      \
    "INSERT INTO antt.incidents (unit, ref, report_id, grp, severity, occurred_at,"             \
    " occurred_unit, deaths, injuries, cleared_at, suspects, voided_at, version)"               \
    " SELECT unit, ref, report_id, grp, severity, occurred_at, occurred_unit, deaths, injuries," \
    " cleared_at, suspects, voided_at, version FROM stage_inc WHERE is_new;"                     \
    "UPDATE antt.incidents i SET grp = s.grp, severity = s.severity,"                            \
    " occurred_at = s.occurred_at, occurred_unit = s.occurred_unit, deaths = s.deaths,"          \
    " injuries = s.injuries, cleared_at = s.cleared_at, suspects = s.suspects,"                  \
    " voided_at = s.voided_at, version = s.version, updated_at = now()"                          \
    " FROM stage_inc s WHERE NOT s.is_new AND i.unit = s.unit AND i.ref = s.ref;"

#define SQL_APPLY_TIPOFFS                                                                        \
    "INSERT INTO antt.tipoffs (unit, ref, report_id, kind, source, grp, received_at, deadline,"  \
    " complex_extended, procuracy_extended, status, outcome, resolved_at, version)"             \
    " SELECT unit, ref, report_id, kind, source, grp, received_at, deadline, complex_extended,"  \
    " procuracy_extended, status, outcome, resolved_at, version FROM stage_tip WHERE is_new;"    \
    "UPDATE antt.tipoffs t SET deadline = s.deadline, complex_extended = s.complex_extended,"    \
    " procuracy_extended = s.procuracy_extended, status = s.status, outcome = s.outcome,"        \
    " resolved_at = s.resolved_at, version = s.version, updated_at = now()"                      \
    " FROM stage_tip s WHERE NOT s.is_new AND t.unit = s.unit AND t.ref = s.ref;"

/* Summed per key in C, so each key appears once; sorted so that concurrent
 * daemons take the row locks in one order. */
#define SQL_APPLY_TALLIES                                                                        \
    "INSERT INTO antt.tallies AS t (unit, day, metric, grp, severity, value)"                    \
    " SELECT unit, day, metric, grp, severity, delta FROM stage_tally"                           \
    " ORDER BY unit, day, metric, grp, severity"                                                 \
    " ON CONFLICT (unit, day, metric, grp, severity) DO UPDATE SET value = t.value + EXCLUDED.value;"

/* ---- admin: reference data ---- */
#define SQL_LOAD_UNITS_STAGE                                                                     \
    "CREATE TEMP TABLE load_units (code text, name text, level text, kind text,"               \
    " parent_code text, valid_from date, valid_to date) ON COMMIT DROP"
/* Paths from the root: a row's parent is in the file or already loaded. */
#define SQL_LOAD_UNITS_APPLY                                                                     \
    "WITH RECURSIVE t AS ("                                                                      \
    "  SELECT l.code, CASE WHEN coalesce(l.parent_code, '') = '' THEN l.code"                   \
    "                      ELSE u.path || '.' || l.code END AS path"                             \
    "  FROM load_units l LEFT JOIN antt.units u ON u.code = l.parent_code"                       \
    "  WHERE coalesce(l.parent_code, '') = ''"                                                   \
    "     OR (u.code IS NOT NULL AND NOT EXISTS"                                                 \
    "         (SELECT 1 FROM load_units p WHERE p.code = l.parent_code))"                        \
    "  UNION ALL"                                                                                \
    "  SELECT l.code, t.path || '.' || l.code FROM load_units l JOIN t ON l.parent_code = t.code)" \
    " INSERT INTO antt.units AS u (code, name, level, kind, parent_code, path, valid_from,"      \
    "  valid_to, source)"                                                                        \
    " SELECT l.code, l.name, l.level, l.kind, nullif(l.parent_code, ''), t.path, l.valid_from,"  \
    "  l.valid_to, $1 FROM load_units l JOIN t USING (code)"                                     \
    " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level,"            \
    "  kind = EXCLUDED.kind, parent_code = EXCLUDED.parent_code, path = EXCLUDED.path,"          \
    "  valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to, source = EXCLUDED.source"
#define SQL_LOAD_UNITS_ORPHANS                                                                   \
    "SELECT string_agg(code, ', ' ORDER BY code) FROM load_units l"                              \
    " WHERE NOT EXISTS (SELECT 1 FROM antt.units u WHERE u.code = l.code AND u.source = $1)"
#define SQL_LOAD_GROUPS_STAGE                                                                    \
    "CREATE TEMP TABLE load_groups (slug text, name_vi text, name_en text, is_crime bool)"     \
    " ON COMMIT DROP"
#define SQL_LOAD_GROUPS_APPLY                                                                    \
    "INSERT INTO antt.crime_groups AS g (slug, name_vi, name_en, is_crime)"                      \
    " SELECT slug, name_vi, name_en, is_crime FROM load_groups"                                  \
    " ON CONFLICT (slug) DO UPDATE SET name_vi = EXCLUDED.name_vi, name_en = EXCLUDED.name_en,"  \
    "  is_crime = EXCLUDED.is_crime"
#define SQL_ADD_NODE                                                                             \
    "INSERT INTO antt.nodes (node_id, unit_code) VALUES ($1, $2)"                                \
    " ON CONFLICT (node_id) DO UPDATE SET unit_code = EXCLUDED.unit_code, revoked_at = NULL"
#define SQL_REVOKE_NODE "UPDATE antt.nodes SET revoked_at = now() WHERE node_id = $1"

/* ---- verify: the event log in replay order, the stored results ---- */
#define SQL_VERIFY_EVENTS                                                                        \
    "SELECT type, unit, ref, raw, id FROM antt.events"                                           \
    " ORDER BY (type LIKE 'tipoff.%'), unit COLLATE \"C\", ref COLLATE \"C\", case_version"
#define SQL_VERIFY_INCIDENTS                                                                     \
    "SELECT i.unit, i.ref, i.report_id, i.grp, i.severity, " US("i.occurred_at") ","            \
    " i.occurred_unit, i.deaths, i.injuries, coalesce(" US("i.cleared_at") ", 0), i.suspects,"   \
    " coalesce(" US("i.voided_at") ", 0), i.version"                                             \
    " FROM antt.incidents i ORDER BY i.unit COLLATE \"C\", i.ref COLLATE \"C\""
#define SQL_VERIFY_TIPOFFS                                                                       \
    "SELECT t.unit, t.ref, t.report_id, t.kind, t.source, t.grp, " US("t.received_at") ","      \
    " " US("t.deadline") ", t.complex_extended, t.procuracy_extended, t.status, t.outcome,"     \
    " coalesce(" US("t.resolved_at") ", 0), t.version"                                           \
    " FROM antt.tipoffs t ORDER BY t.unit COLLATE \"C\", t.ref COLLATE \"C\""
#define SQL_VERIFY_TALLIES                                                                       \
    "SELECT unit, day - date '1970-01-01', metric, grp, severity, value FROM antt.tallies"

#endif

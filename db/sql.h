/* sql.h — the statements of the store's hot path, the operators' commands
 * and --verify, by name. (The read-only questions of the CLI, the stream
 * and /metrics are in query.c, each beside its function; no statement of
 * the project lives outside db/.) Values travel as COPY data or bound
 * parameters, never pasted into text. The schema they run against is
 * db/migrations/. */
#ifndef ANTT_DB_SQL_H
#define ANTT_DB_SQL_H

#include "db/tallylog.h" /* TALLYLOG_PREFIX */

/* SQL text, laid out as SQL rather than as C: */
// clang-format off

/* Session set-up. Every join this session runs is a batch (an array of at
 * most a few thousand keys) against a large indexed table. The planner may
 * choose to hash the whole large table for it (seen in the benchmark: the
 * duplicate check scanned all of event_ids); nested loops over the primary
 * keys are what these statements need, so the session allows only those.
 * Generic plans: the statements are prepared once, and planning them anew
 * for each batch's arrays cost more than running them (about 0.9 ms each). */
#define SQL_SESSION                                                                              \
    "SET TIME ZONE 'UTC'; SET enable_hashjoin = off; SET enable_mergejoin = off;"             \
    "SET plan_cache_mode = force_generic_plan; SET antt.store_rolls = on"

/* The batch's values travel as binary arrays ($n::type[]) unnested by the
 * server: one statement per table, prepared once per connection, sent in a
 * pipeline (one round trip for several statements). */
#define US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
#define C_ "COLLATE \"C\""

#define SQL_DUPS "SELECT id FROM antt.event_ids WHERE id = ANY($1::uuid[])"

#define SQL_LOCK_INCIDENTS                                                                       \
    "SELECT i.unit, i.ref, i.report_id, i.grp, i.severity, " US("i.occurred_at") ","            \
    " i.occurred_unit, i.deaths, i.injuries, coalesce(" US("i.cleared_at") ", 0), i.suspects,"   \
    " coalesce(" US("i.voided_at") ", 0), i.version, i.cleared_unit"                             \
    " FROM unnest($1::text[], $2::text[]) AS k(unit, ref)"                                       \
    " JOIN antt.incidents i ON i.unit = k.unit " C_ " AND i.ref = k.ref " C_                     \
    " ORDER BY i.unit, i.ref FOR UPDATE OF i"

#define SQL_LOCK_TIPOFFS                                                                         \
    "SELECT t.unit, t.ref, t.report_id, t.kind, t.source, t.grp, " US("t.received_at") ","      \
    " " US("t.deadline") ", t.complex_extended, t.procuracy_extended, t.status, t.outcome,"     \
    " coalesce(" US("t.resolved_at") ", 0), t.version"                                           \
    " FROM unnest($1::text[], $2::text[]) AS k(unit, ref)"                                       \
    " JOIN antt.tipoffs t ON t.unit = k.unit " C_ " AND t.ref = k.ref " C_                       \
    " ORDER BY t.unit, t.ref FOR UPDATE OF t"

#define SQL_LOCK_WANTED                                                                          \
    "SELECT w.issuer, w.ref, w.report_id, w.status, w.unit, w.how, w.category, " US("w.at") ","  \
    " w.version FROM unnest($1::text[], $2::text[]) AS k(issuer, ref)"                           \
    " JOIN antt.wanted w ON w.issuer = k.issuer " C_ " AND w.ref = k.ref " C_                    \
    " ORDER BY w.issuer, w.ref FOR UPDATE OF w"
#define WANTED_COLS "issuer, ref, report_id, status, unit, how, category, at, version"
#define SQL_INSERT_WANTED                                                                        \
    "INSERT INTO antt.wanted (" WANTED_COLS ") SELECT * FROM unnest($1::text[], $2::text[],"     \
    " $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::int4[])"

/* The log, with each event's original bytes, and the refusals. */
#define SQL_INSERT_EVENTS                                                                        \
    "INSERT INTO antt.events (id, type, node, unit, seq, event_time, ref, case_version, raw)"    \
    " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int8[],"          \
    " $6::timestamptz[], $7::text[], $8::int4[], $9::bytea[])"
#define SQL_INSERT_REJECTS                                                                       \
    "INSERT INTO antt.rejects (path, node, event_id, status, code, name, field, message, raw,"    \
    " raw_len) SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::int4[],"  \
    " $6::text[], $7::text[], $8::text[], $9::bytea[], $10::int4[])"

/* A concurrent daemon's insert of the same id or of the same new case makes
 * these fail with a unique violation, and the batch is run again. */
#define SQL_INSERT_IDS "INSERT INTO antt.event_ids (id) SELECT unnest($1::uuid[])"

#define INC_ARRAYS                                                                               \
    "unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[],"     \
    " $7::text[], $8::int4[], $9::int4[], $10::timestamptz[], $11::int4[], $12::timestamptz[],"  \
    " $13::int4[], $14::text[])"
#define INC_COLS                                                                                 \
    "unit, ref, report_id, grp, severity, occurred_at, occurred_unit, deaths, injuries,"         \
    " cleared_at, suspects, voided_at, version, cleared_unit"
#define SQL_INSERT_INCIDENTS "INSERT INTO antt.incidents (" INC_COLS ") SELECT * FROM " INC_ARRAYS
#define SQL_UPDATE_INCIDENTS                                                                     \
    "UPDATE antt.incidents i SET grp = s.grp, severity = s.severity,"                            \
    " occurred_at = s.occurred_at, occurred_unit = s.occurred_unit, deaths = s.deaths,"          \
    " injuries = s.injuries, cleared_at = s.cleared_at, suspects = s.suspects,"                  \
    " voided_at = s.voided_at, version = s.version, cleared_unit = s.cleared_unit,"              \
    " updated_at = now()"                                                                        \
    " FROM " INC_ARRAYS " AS s(" INC_COLS ")"                                                    \
    " WHERE i.unit = s.unit " C_ " AND i.ref = s.ref " C_

#define TIP_ARRAYS                                                                               \
    "unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[],"            \
    " $7::timestamptz[], $8::timestamptz[], $9::bool[], $10::bool[], $11::text[], $12::text[],"  \
    " $13::timestamptz[], $14::int4[])"
#define TIP_COLS                                                                                 \
    "unit, ref, report_id, kind, source, grp, received_at, deadline, complex_extended,"          \
    " procuracy_extended, status, outcome, resolved_at, version"
#define SQL_INSERT_TIPOFFS "INSERT INTO antt.tipoffs (" TIP_COLS ") SELECT * FROM " TIP_ARRAYS
#define SQL_UPDATE_TIPOFFS                                                                       \
    "UPDATE antt.tipoffs t SET deadline = s.deadline, complex_extended = s.complex_extended,"    \
    " procuracy_extended = s.procuracy_extended, status = s.status, outcome = s.outcome,"        \
    " resolved_at = s.resolved_at, version = s.version, updated_at = now()"                      \
    " FROM " TIP_ARRAYS " AS s(" TIP_COLS ")"                                                    \
    " WHERE t.unit = s.unit " C_ " AND t.ref = s.ref " C_

/* Summed per key in C, so each key appears once; sorted so that concurrent
 * daemons take the row locks in one order. The month and year sums
 * (migration 011) are added by the same statement from the same arrays: the
 * tables' triggers, which keep them for every other writer, stand aside for
 * a session with antt.store_rolls on (SQL_SESSION) — as triggers they cost
 * 3.5 ms a batch, 9 times the day rows' upsert (pg_stat_statements under
 * the single-event load). */
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
#define SQL_UPSERT_TALLIES                                                                       \
    "WITH s AS (SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::text[]," \
    "  $6::int8[]) AS s(unit, day, metric, grp, severity, value)),"                              \
    " d AS (INSERT INTO antt.tallies AS t (unit, day, metric, grp, severity, value)"             \
    "  SELECT * FROM s ORDER BY s.unit " C_ ", s.day, s.metric " C_ ", s.grp " C_                 \
    "  , s.severity " C_ " ON CONFLICT (unit, day, metric, grp, severity)"                       \
    "  DO UPDATE SET value = t.value + EXCLUDED.value),"                                          \
    " m AS (" ROLL_UP("tallies_month", "month", "month") "),"                                    \
    " b AS (" ROLL_BEFORE ")" ROLL_UP("tallies_year", "year", "year")

/* Does a COMMIT now mean "on two servers"? */
#define SQL_SYNCHRONOUS                                                                          \
    "SELECT current_setting('synchronous_standby_names') <> '' AND"                             \
    " current_setting('synchronous_commit') IN ('on', 'remote_apply', 'remote_write')"

/* The batch's deltas into the log (db/tallylog.h), and the versions of the
 * units they changed: $1 the units (distinct, C order), $2 their deltas.
 * Versions are bumped in C order, as the tallies are, so concurrent daemons
 * take the row locks in one order. */
#define SQL_TALLY_LOG                                                                            \
    "WITH d AS (SELECT * FROM unnest($1::text[], $2::bytea[]) AS d(unit, deltas)),"              \
    " v AS (INSERT INTO antt.unit_versions AS u (unit, version)"                                 \
    "  SELECT unit, 1 FROM d ORDER BY unit " C_                                                  \
    "  ON CONFLICT (unit) DO UPDATE SET version = u.version + 1 RETURNING u.unit, u.version)"    \
    " SELECT pg_logical_emit_message(true, '" TALLYLOG_PREFIX "', (SELECT string_agg("           \
    "  int4send(octet_length(convert_to(v.unit, 'UTF8'))) || convert_to(v.unit, 'UTF8')"         \
    "  || int8send(v.version) || int4send(octet_length(d.deltas)) || d.deltas, ''::bytea"        \
    "  ORDER BY v.unit " C_ ") FROM v JOIN d ON d.unit = v.unit))"

/* How each station is doing, with the batch: $1 nodes (C order, so two
 * daemons lock their rows in one order), $2 lowest and $3 highest sequence
 * number, $4 events with a final answer. A node that is not registered
 * (its events deferred) gets no row. */
#define SQL_NODE_STATUS                                                                          \
    "INSERT INTO antt.node_status AS s (node_id, last_message_at, seq_min, seq_max, seq_seen,"   \
    " events_total, day, events_day, last_gap_at)"                                               \
    " SELECT x.n, now(), x.mn, x.mx, x.c, x.c, antt.today(), x.c,"                               \
    "  CASE WHEN x.mx::numeric - x.mn + 1 > x.c THEN now() END"                                  \
    " FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[]) AS x(n, mn, mx, c)"            \
    " WHERE EXISTS (SELECT 1 FROM antt.nodes d WHERE d.node_id = x.n)"                           \
    " ON CONFLICT (node_id) DO UPDATE SET last_message_at = EXCLUDED.last_message_at,"           \
    "  seq_min = least(s.seq_min, EXCLUDED.seq_min),"                                            \
    "  seq_max = greatest(s.seq_max, EXCLUDED.seq_max),"                                         \
    "  seq_seen = s.seq_seen + EXCLUDED.seq_seen,"                                               \
    "  events_total = s.events_total + EXCLUDED.events_total,"                                   \
    "  events_day = CASE WHEN s.day = EXCLUDED.day THEN s.events_day + EXCLUDED.events_day"      \
    "   ELSE EXCLUDED.events_day END, day = EXCLUDED.day,"                                       \
    "  last_gap_at = CASE WHEN greatest(s.seq_max, EXCLUDED.seq_max)::numeric"                   \
    "   - least(s.seq_min, EXCLUDED.seq_min) + 1 - s.seq_seen - EXCLUDED.seq_seen > s.missing"   \
    "   THEN EXCLUDED.last_message_at ELSE s.last_gap_at END"

/* Connection state: $1 nodes, $2 connected ('t'/'f'), $3 the daemon. A
 * daemon's "gone" does not undo another daemon's "connected" (a station
 * that moved to the other daemon of a pair). */
#define SQL_NODE_CONNECTIONS                                                                     \
    "INSERT INTO antt.node_status AS s (node_id, connected, connected_via,"                      \
    " connection_changed_at)"                                                                    \
    " SELECT x.n, x.c, $3, now() FROM unnest($1::text[], $2::bool[]) AS x(n, c)"                 \
    " WHERE EXISTS (SELECT 1 FROM antt.nodes d WHERE d.node_id = x.n)"                           \
    " ON CONFLICT (node_id) DO UPDATE SET connected = EXCLUDED.connected,"                       \
    "  connected_via = EXCLUDED.connected_via,"                                                  \
    "  connection_changed_at = EXCLUDED.connection_changed_at"                                   \
    " WHERE EXCLUDED.connected OR s.connected_via IS NULL"                                        \
    "  OR s.connected_via = EXCLUDED.connected_via"
#define SQL_NODE_FORGET                                                                          \
    "UPDATE antt.node_status SET connected = false, connection_changed_at = now()"               \
    " WHERE connected AND connected_via = $1"

/* ---- admin: reference data ---- */
#define SQL_LOAD_UNITS_STAGE                                                                     \
    "CREATE TEMP TABLE load_units (code text, name text, level text, kind text,"               \
    " parent_code text, valid_from date, valid_to date) ON COMMIT DROP"
/* Paths from the root: a row's parent is in the file or already loaded. */
/* A version of a code from a later date ends the open version before it (the
 * statistics office reuses codes: identity is code + validity). */
#define SQL_LOAD_UNITS_SUPERSEDE                                                                 \
    "UPDATE antt.units u SET valid_to = l.valid_from FROM load_units l"                          \
    " WHERE u.code = l.code AND l.valid_from IS NOT NULL AND u.valid_to IS NULL"                 \
    " AND (u.valid_from IS NULL OR u.valid_from < l.valid_from)"
/* Paths from the root: a row's parent is in the file or already loaded, in
 * the version valid when the row begins. A row without an end does not
 * reopen a version a later map ended (loading the old map again). */
#define SQL_LOAD_UNITS_APPLY                                                                     \
    "WITH RECURSIVE t AS ("                                                                      \
    "  SELECT l.code, CASE WHEN coalesce(l.parent_code, '') = '' THEN l.code"                   \
    "                      ELSE u.path || '.' || l.code END AS path"                             \
    "  FROM load_units l LEFT JOIN antt.units u ON u.code = l.parent_code"                       \
    "   AND daterange(u.valid_from, u.valid_to) @> coalesce(l.valid_from, '-infinity'::date)"    \
    "  WHERE coalesce(l.parent_code, '') = ''"                                                   \
    "     OR (u.code IS NOT NULL AND NOT EXISTS"                                                 \
    "         (SELECT 1 FROM load_units p WHERE p.code = l.parent_code))"                        \
    "  UNION ALL"                                                                                \
    "  SELECT l.code, t.path || '.' || l.code FROM load_units l JOIN t ON l.parent_code = t.code)" \
    " INSERT INTO antt.units AS u (code, name, level, kind, parent_code, path, valid_from,"      \
    "  valid_to, source)"                                                                        \
    " SELECT l.code, l.name, l.level, l.kind, nullif(l.parent_code, ''), t.path, l.valid_from,"  \
    "  l.valid_to, $1 FROM load_units l JOIN t USING (code)"                                     \
    " ON CONFLICT (code, valid_from) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level," \
    "  kind = EXCLUDED.kind, parent_code = EXCLUDED.parent_code, path = EXCLUDED.path,"          \
    "  valid_to = coalesce(EXCLUDED.valid_to, u.valid_to), source = EXCLUDED.source"
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
/* Days off (migration 014): the file's years replace what is on record for
 * them (a day the file no longer lists is dropped). */
#define SQL_LOAD_DAYS_OFF_STAGE                                                                  \
    "CREATE TEMP TABLE load_days_off (day date, off bool, name text, source text)"              \
    " ON COMMIT DROP"
#define SQL_LOAD_DAYS_OFF_APPLY                                                                  \
    "WITH gone AS (DELETE FROM antt.days_off o WHERE extract(year FROM o.day) IN"               \
    "  (SELECT DISTINCT extract(year FROM day) FROM load_days_off)"                             \
    "  AND o.day NOT IN (SELECT day FROM load_days_off))"                                       \
    " INSERT INTO antt.days_off AS o (day, off, name, source)"                                  \
    " SELECT day, off, name, source FROM load_days_off"                                         \
    " ON CONFLICT (day) DO UPDATE SET off = EXCLUDED.off, name = EXCLUDED.name,"                \
    "  source = EXCLUDED.source"
/* Targets (migration 015): a row per unit, year and figure, replaced when
 * loaded again; a unit that is no code of antt.units (any era), 'all' or a
 * group of units is refused. */
#define SQL_LOAD_TARGETS_STAGE                                                                   \
    "CREATE TEMP TABLE load_targets (unit text, year int, figure text, target numeric,"         \
    " source text) ON COMMIT DROP"
#define SQL_LOAD_TARGETS_CHECK                                                                   \
    "SELECT t.unit FROM load_targets t WHERE t.unit <> 'all' AND NOT EXISTS"                     \
    " (SELECT 1 FROM antt.units u WHERE u.code = t.unit) AND NOT EXISTS"                         \
    " (SELECT 1 FROM antt.unit_groups g WHERE 'group:' || g.grp = t.unit) LIMIT 1"
#define SQL_LOAD_TARGETS_APPLY                                                                   \
    "INSERT INTO antt.targets AS t (unit, year, figure, target, source)"                         \
    " SELECT unit, year, figure, target, coalesce(source, '') FROM load_targets"                 \
    " ON CONFLICT (unit, year, figure) DO UPDATE SET target = EXCLUDED.target,"                  \
    "  source = EXCLUDED.source"
#define SQL_LOAD_SUCCESSORS_STAGE                                                                \
    "CREATE TEMP TABLE load_successors (code text, successor text, effective date,"             \
    " share_note text, note text, ord serial) ON COMMIT DROP"
/* A unit with successors is dissolved at `effective` (its open version ends
 * there, unless a version of its code begins there: a reused code). Rows
 * without a successor (UNMAPPED: nobody traced where it went) still end it. */
#define SQL_LOAD_SUCCESSORS_APPLY                                                                \
    "WITH ended AS (UPDATE antt.units u SET valid_to = s.effective FROM load_successors s"       \
    "  WHERE u.code = s.code AND u.valid_to IS NULL"                                             \
    "  AND (u.valid_from IS NULL OR u.valid_from < s.effective))"                                \
    " INSERT INTO antt.unit_successors (code, successor, effective, share_note, note, ord)"       \
    " SELECT DISTINCT ON (code, successor) code, successor, effective,"                          \
    "  coalesce(share_note, ''), coalesce(note, ''), ord FROM load_successors"                   \
    " WHERE coalesce(successor, '') <> '' ORDER BY code, successor, ord"                         \
    " ON CONFLICT (code, successor) DO UPDATE SET effective = EXCLUDED.effective,"               \
    "  share_note = EXCLUDED.share_note, note = EXCLUDED.note, ord = EXCLUDED.ord"
/* The month and year roll-ups of antt.tallies (migration 011) and the sums
 * before 1 January (013) that differ from the days they sum: one line of
 * text per difference. */
#define SQL_VERIFY_ROLLS                                                                         \
    "WITH m AS (SELECT unit, date_trunc('month', day::timestamp)::date AS at, metric, grp,"     \
    "  severity, sum(value) AS v FROM antt.tallies GROUP BY 1, 2, 3, 4, 5),"                     \
    " y AS (SELECT unit, date_trunc('year', at::timestamp)::date AS at, metric, grp, severity,"  \
    "  sum(v) AS v FROM m GROUP BY 1, 2, 3, 4, 5)"                                               \
    " SELECT format('tally %s unit=%s %s=%s metric=%s group=%s severity=%s stored=%s days=%s',"  \
    "  k, unit, k, at, metric, grp, severity, coalesce(s::text, '(none)'), coalesce(v, 0))"      \
    " FROM (SELECT 'month' AS k, unit, at, metric, grp, severity, x.value AS s, m.v"             \
    "  FROM m FULL JOIN (SELECT unit, month AS at, metric, grp, severity, value"                 \
    "   FROM antt.tallies_month) x USING (unit, at, metric, grp, severity)"                      \
    "  UNION ALL SELECT 'year', unit, at, metric, grp, severity, x.value, y.v"                   \
    "  FROM y FULL JOIN (SELECT unit, year AS at, metric, grp, severity, value"                  \
    "   FROM antt.tallies_year) x USING (unit, at, metric, grp, severity)"                       \
    "  UNION ALL SELECT 'before', unit, (SELECT at FROM antt.tallies_before_at), metric, grp,"   \
    "   severity, x.value, b.v FROM (SELECT unit, metric, grp, severity, sum(v) AS v FROM y"      \
    "   WHERE at < (SELECT at FROM antt.tallies_before_at) GROUP BY 1, 2, 3, 4) b"                 \
    "  FULL JOIN antt.tallies_before x USING (unit, metric, grp, severity)) d"                   \
    " WHERE coalesce(s, 0) <> coalesce(v, 0) ORDER BY 1"
/* Tallies outside every version of their unit (admin_stranded_tallies). */
#define SQL_STRANDED_TALLIES                                                                     \
    "SELECT count(*) FROM antt.tallies t WHERE NOT EXISTS (SELECT 1 FROM antt.units u"           \
    " WHERE u.code = t.unit AND daterange(u.valid_from, u.valid_to) @> t.day)"
/* Clusters: the file is the whole membership of each cluster it names. */
#define SQL_LOAD_CLUSTERS_STAGE                                                                  \
    "CREATE TEMP TABLE load_clusters (cluster text, code text) ON COMMIT DROP"
#define SQL_LOAD_CLUSTERS_APPLY                                                                  \
    "WITH gone AS (DELETE FROM antt.unit_groups g WHERE g.grp IN (SELECT cluster FROM load_clusters)" \
    "  AND (g.grp, g.code) NOT IN (SELECT cluster, code FROM load_clusters))"                    \
    " INSERT INTO antt.unit_groups (grp, code) SELECT DISTINCT cluster, code FROM load_clusters"   \
    " ON CONFLICT DO NOTHING"
#define SQL_ADD_NODES_UNDER                                                                      \
    "INSERT INTO antt.nodes (node_id, unit_code)"                                                \
    " SELECT $2 || c, c FROM antt.communes($1) c"                                                \
    " ON CONFLICT (node_id) DO UPDATE SET unit_code = EXCLUDED.unit_code, revoked_at = NULL"

/* ---- admin: who may connect ---- */
/* Enrolment, one path for every caller: $1 names, $2 units, $3 keys (a NULL
 * key keeps the node's), $4 replace. Without replace, an existing row
 * changes only when it is a node registered without a key, for the same
 * unit, not revoked (anttd --add-node, then antt node add). RETURNING: one
 * row per node inserted (true) or changed (false). */
#define SQL_ENROL_NODES                                                                          \
    "INSERT INTO antt.nodes AS n (node_id, unit_code, public_key)"                               \
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[])"                                  \
    " ON CONFLICT (node_id) DO UPDATE SET unit_code = EXCLUDED.unit_code,"                       \
    " public_key = coalesce(EXCLUDED.public_key, n.public_key), revoked_at = NULL"               \
    " WHERE $4::boolean OR (n.public_key IS NULL AND n.revoked_at IS NULL"                      \
    " AND n.unit_code = EXCLUDED.unit_code)"                                                     \
    " RETURNING (xmax = 0)"
#define SQL_ENROL_SUBSCRIBERS                                                                    \
    "INSERT INTO antt.subscribers AS s (name, unit_code, public_key)"                            \
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[])"                                  \
    " ON CONFLICT (name) DO UPDATE SET unit_code = EXCLUDED.unit_code,"                          \
    " public_key = EXCLUDED.public_key, revoked_at = NULL WHERE $4::boolean"                     \
    " RETURNING (xmax = 0)"
/* Revocation keeps the first revocation's time; RETURNING: one row when
 * the node or subscriber exists, true when this revoked it. */
#define SQL_REVOKE_NODE                                                                          \
    "WITH old AS (SELECT revoked_at FROM antt.nodes WHERE node_id = $1 FOR UPDATE)"              \
    " UPDATE antt.nodes n SET revoked_at = coalesce(n.revoked_at, now()) FROM old"               \
    " WHERE n.node_id = $1 RETURNING old.revoked_at IS NULL"
#define SQL_REVOKE_SUBSCRIBER                                                                    \
    "WITH old AS (SELECT revoked_at FROM antt.subscribers WHERE name = $1 FOR UPDATE)"           \
    " UPDATE antt.subscribers s SET revoked_at = coalesce(s.revoked_at, now()) FROM old"         \
    " WHERE s.name = $1 RETURNING old.revoked_at IS NULL"
#define SQL_REVOKE_VIEWER                                                                        \
    "WITH old AS (SELECT revoked_at FROM antt.viewers WHERE name = $1 FOR UPDATE)"               \
    " UPDATE antt.viewers v SET revoked_at = coalesce(v.revoked_at, now()) FROM old"             \
    " WHERE v.name = $1 RETURNING old.revoked_at IS NULL"
/* A viewer's scope names a unit (any era) or a group of units. */
#define SQL_SCOPE_KNOWN                                                                          \
    "SELECT count(*) FROM (SELECT 1 FROM antt.units WHERE code = $1 UNION ALL"                   \
    " SELECT 1 FROM antt.unit_groups WHERE 'group:' || grp = $1) x"
/* $1 name, $2 scope, $3 hash, $4 lang, $5 replace: a row (inserted?) when
 * written, none when it exists and replace is false. */
#define SQL_VIEWER_SET                                                                           \
    "INSERT INTO antt.viewers AS v (name, scope, password_hash, lang)"                           \
    " VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET scope = EXCLUDED.scope,"          \
    " password_hash = EXCLUDED.password_hash, lang = EXCLUDED.lang, revoked_at = NULL"           \
    " WHERE $5::bool RETURNING xmax = 0"
#define SQL_LIST_VIEWERS                                                                         \
    "SELECT name, coalesce(scope, '(all)'), lang,"                                               \
    " CASE WHEN revoked_at IS NULL THEN 'active' ELSE 'revoked ' ||"                             \
    " to_char(revoked_at, 'YYYY-MM-DD HH24:MI') END FROM antt.viewers ORDER BY name"
/* A node whose unit has no version valid today reports for a dissolved
 * unit (the 2025 reorganisation): said after its status. */
#define SQL_LIST_NODES                                                                           \
    "SELECT n.node_id, n.unit_code, coalesce(n.public_key, '-'),"                                \
    " CASE WHEN n.revoked_at IS NULL THEN 'active' ELSE 'revoked ' ||"                           \
    " to_char(n.revoked_at, 'YYYY-MM-DD HH24:MI') END ||"                                        \
    " coalesce((SELECT ', unit dissolved ' || max(u.valid_to)::text FROM antt.units u"           \
    "  WHERE u.code = n.unit_code"                                                              \
    "  HAVING bool_and(u.valid_to IS NOT NULL AND u.valid_to <= antt.today())), '')"             \
    " FROM antt.nodes n WHERE $1::text IS NULL OR n.unit_code IN (SELECT antt.scope($1))"        \
    " ORDER BY n.node_id"
#define SQL_LIST_SUBSCRIBERS                                                                     \
    "SELECT name, coalesce(unit_code, '(all)'), public_key,"                                     \
    " CASE WHEN revoked_at IS NULL THEN 'active' ELSE 'revoked ' ||"                             \
    " to_char(revoked_at, 'YYYY-MM-DD HH24:MI') END"                                             \
    " FROM antt.subscribers ORDER BY name"

/* ---- verify: the event log in replay order, the stored results ---- */
#define SQL_VERIFY_EVENTS                                                                        \
    "SELECT type, unit, ref, raw, id FROM antt.events"                                           \
    " ORDER BY CASE WHEN type LIKE 'tipoff.%' THEN 1 WHEN type LIKE 'wanted.%' THEN 2 ELSE 0 END," \
    "  unit COLLATE \"C\", ref COLLATE \"C\", case_version"
#define SQL_VERIFY_INCIDENTS                                                                     \
    "SELECT i.unit, i.ref, i.report_id, i.grp, i.severity, " US("i.occurred_at") ","            \
    " i.occurred_unit, i.deaths, i.injuries, coalesce(" US("i.cleared_at") ", 0), i.suspects,"   \
    " coalesce(" US("i.voided_at") ", 0), i.version, i.cleared_unit"                             \
    " FROM antt.incidents i ORDER BY i.unit COLLATE \"C\", i.ref COLLATE \"C\""
#define SQL_VERIFY_TIPOFFS                                                                       \
    "SELECT t.unit, t.ref, t.report_id, t.kind, t.source, t.grp, " US("t.received_at") ","      \
    " " US("t.deadline") ", t.complex_extended, t.procuracy_extended, t.status, t.outcome,"     \
    " coalesce(" US("t.resolved_at") ", 0), t.version"                                           \
    " FROM antt.tipoffs t ORDER BY t.unit COLLATE \"C\", t.ref COLLATE \"C\""
/* The pending tip-offs and their events, to recompute their deadlines. */
#define SQL_DEADLINE_TIPOFFS                                                                     \
    "SELECT t.unit, t.ref, t.report_id, t.kind, t.source, t.grp, " US("t.received_at") ","      \
    " " US("t.deadline") ", t.complex_extended, t.procuracy_extended, t.status, t.outcome,"     \
    " coalesce(" US("t.resolved_at") ", 0), t.version"                                           \
    " FROM antt.tipoffs t WHERE t.status = 'pending'"                                            \
    " ORDER BY t.unit COLLATE \"C\", t.ref COLLATE \"C\""
#define SQL_DEADLINE_EVENTS                                                                      \
    "SELECT e.type, e.unit, e.ref, e.raw, e.id FROM antt.events e"                               \
    " JOIN antt.tipoffs t ON t.unit = e.unit AND t.ref = e.ref AND t.status = 'pending'"         \
    " WHERE e.type LIKE 'tipoff.%'"                                                              \
    " ORDER BY e.unit COLLATE \"C\", e.ref COLLATE \"C\", e.case_version"
#define SQL_VERIFY_WANTED                                                                        \
    "SELECT w.issuer, w.ref, w.report_id, w.status, w.unit, w.how, w.category, " US("w.at") ","  \
    " w.version FROM antt.wanted w ORDER BY w.issuer COLLATE \"C\", w.ref COLLATE \"C\""
#define SQL_VERIFY_TALLIES                                                                       \
    "SELECT unit, day - date '1970-01-01', metric, grp, severity, value FROM antt.tallies"

// clang-format on

#endif

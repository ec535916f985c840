#!/usr/bin/env bash
# daemon/bench/prefilled.sh — does ingest slow down as the log grows (issue
# 17)? anttd's sustained throughput (the same load as run.sh's phase 2, and
# one event a message as stations send) with the log holding 0, then 5, then
# 20 million events, on one private PostgreSQL. The history is SYNTHETIC and
# made in SQL: events spread over 2019-2024 at the cluster-II communes (the
# old map, loaded alone, as the events are of its time), each
# with its id in antt.event_ids, ~190 bytes of raw msgpack-sized bytes, and
# its incident (half of them, cleared) or tip-off (the other half,
# resolved), and the tallies those make (so every index and table is as
# large as that history would leave it). After each fill: CHECKPOINT and
# VACUUM ANALYZE, as a database would be after its day-to-day maintenance.
# Target: within 15% of the empty figure, which is measured right before
# each full one on a fresh empty database of the same server (so that both
# see the machine in the same state: a figure taken half an hour earlier,
# before the fill, may have shared the cores with anything).
#
# The history's ids are time-ordered (UUIDv7 of the event's time, as libantt
# makes them) unless IDS=random: new events then land in the last pages of
# every id index instead of anywhere in gigabytes of B-tree. PostgreSQL's
# shared_buffers is sized for the machine (SHARED_BUFFERS, default a quarter
# of its memory, at most 8GB; "default" leaves PostgreSQL's 128MB).
#
#   SECONDS_EACH (default 20), NODES (100), PER_MSG (100), WINDOW (4),
#   STEPS ("0 5 20", millions), STEP_UNIT (1000000), IDS (v7|random),
#   SHARED_BUFFERS, BENCH_BUILD (an existing build tree)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${SECONDS_EACH:-20}
nodes=${NODES:-100}
per_msg=${PER_MSG:-100}
window=${WINDOW:-4}
steps=${STEPS:-0 5 20}
ids=${IDS:-v7}
mem_mb=$(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
sb_default=$(( mem_mb / 4 > 8192 ? 8192 : mem_mb / 4 ))MB
shared_buffers=${SHARED_BUFFERS:-$sb_default}
unit=${STEP_UNIT:-1000000} # events in a step of STEPS (a smaller one to try the script)

# shellcheck source=../../tests/pg/bench.sh
. "$root/tests/pg/bench.sh"
bench_setup prefilled /tmp anttd antt
if [[ $shared_buffers != default ]]; then
  psql -qc "ALTER SYSTEM SET shared_buffers = '$shared_buffers'"
  bash "$root/tests/pg/pg.sh" restart "$work/pg"
fi
psql -qc "CREATE DATABASE bench"
base="host=$PGHOST port=$PGPORT user=$PGUSER"
"$anttd" --db "$base dbname=bench" --log-level warn --migrate \
  --load-units "$root/data/units-cluster2.csv" --load-groups "$root/data/crime_groups.csv"
psql -d bench -Atc "SELECT code FROM antt.units WHERE level = 'commune' ORDER BY code" >"$work/units"
psql -d bench -qc "INSERT INTO antt.nodes (node_id, unit_code)
                   SELECT 'load-' || code, code FROM antt.units WHERE level = 'commune'"
# the empty log, copied before anything is stored: each comparison starts from it
psql -qc "CREATE DATABASE empty_tpl TEMPLATE bench"
echo "PostgreSQL $(psql -Atc 'show server_version') fsync=$(psql -Atc 'show fsync')" \
     "synchronous_commit=$(psql -Atc 'show synchronous_commit')" \
     "shared_buffers=$(psql -Atc 'show shared_buffers'); history ids: $ids; $(nproc) cores"
# A UUIDv7 for time t: 48 bits of Unix milliseconds, version 7, the rest
# random (RFC 9562; the variant bits are gen_random_uuid's).
psql -d bench -qc "CREATE FUNCTION uuid7(t timestamptz) RETURNS uuid LANGUAGE sql VOLATILE AS \$\$
  SELECT encode(set_byte(b, 6, (get_byte(b, 6) & 15) | 112), 'hex')::uuid
    FROM (SELECT overlay(uuid_send(gen_random_uuid()) PLACING
                 substring(int8send((extract(epoch FROM t) * 1000)::int8) FROM 3) FROM 1 FOR 6) AS b) s
\$\$"
idfn=$([[ $ids == random ]] && echo "gen_random_uuid()" || echo "uuid7(t0)")

# fill FROM TO: events number FROM..TO-1 of the synthetic history, a million
# a transaction
fill() {
  local from=$1 to=$2 lo hi
  for ((lo = from; lo < to; lo += 1000000)); do
    hi=$(( lo + 1000000 < to ? lo + 1000000 : to ))
    psql -d bench -q -v ON_ERROR_STOP=1 <<SQL
BEGIN;
CREATE TEMP TABLE h ON COMMIT DROP AS
SELECT i, $idfn AS id, unit, t0 AS t FROM (
SELECT i, u.code AS unit,
       timestamptz '2019-01-01 08:00+07' + (i % 2190) * interval '1 day'
         + (i % 600) * interval '1 minute' AS t0
  FROM generate_series($lo, $hi - 1) i
  JOIN (SELECT code, row_number() OVER (ORDER BY code) - 1 AS k FROM antt.units
         WHERE level = 'commune') u
    ON u.k = i % (SELECT count(*) FROM antt.units WHERE level = 'commune')) g;
INSERT INTO antt.event_ids SELECT id FROM h;
INSERT INTO antt.events (id, logged_at, type, node, unit, seq, event_time, ref, case_version, raw)
SELECT id, t + interval '5 minutes', CASE WHEN i % 2 = 0 THEN 'incident.reported' ELSE 'tipoff.received' END,
       'hist-' || unit, unit, i, t, 'H' || i, 1, convert_to(repeat(md5(i::text), 6), 'UTF8')
  FROM h;
INSERT INTO antt.incidents (unit, ref, report_id, grp, severity, occurred_at, occurred_unit,
                            cleared_at, suspects, version)
SELECT unit, 'H' || i, id, 'social_order', 'serious', t, unit, t + interval '9 days', 1, 2
  FROM h WHERE i % 2 = 0;
INSERT INTO antt.tipoffs (unit, ref, report_id, kind, source, received_at, deadline, status,
                          resolved_at, version)
SELECT unit, 'H' || i, id, 'denunciation', 'citizen', t, t + interval '20 days', 'resolved',
       t + interval '9 days', 2
  FROM h WHERE i % 2 = 1;
INSERT INTO antt.tallies (unit, day, metric, grp, severity, value)
SELECT unit, (t AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, m.metric, m.grp, m.sev, count(*)
  FROM h CROSS JOIN LATERAL (VALUES
       (i % 2 = 0, 'incidents', 'social_order', 'serious'),
       (i % 2 = 0, 'cleared', 'social_order', 'serious'),
       (i % 2 = 1, 'tipoffs_received', '', ''),
       (i % 2 = 1, 'tipoffs_resolved', '', '')) m(mine, metric, grp, sev)
 WHERE m.mine
 GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (unit, day, metric, grp, severity) DO UPDATE SET value = antt.tallies.value + excluded.value;
COMMIT;
SQL
  done
  psql -d bench -qc "CHECKPOINT" -qc "VACUUM ANALYZE"
}

measure() { # DB: prints "tp one" for its log as it is
  local db=$1 port out1 out2
  port=$(bench_port)
  "$anttd" --db "$base dbname=$db" --listen "tcp://127.0.0.1:$port" --publish-listen "" \
    --tally-publish "tcp://127.0.0.1:$(bench_port)" --tally-snapshot "" --http-listen "" \
    --insecure 2>"$work/anttd.log" &
  apid=$!
  bench_wait_anttd "$work/anttd.log"
  out1=$("$antt" --insecure --endpoint "tcp://127.0.0.1:$port" load --units "$work/units" \
    --node-prefix load- --nodes "$nodes" --rate 0 --per-msg "$per_msg" --window "$window" --duration "$secs")
  out2=$("$antt" --insecure --endpoint "tcp://127.0.0.1:$port" load --units "$work/units" \
    --node-prefix load- --nodes 50 --rate 0 --per-msg 1 --window 8 --duration "$secs")
  kill -TERM "$apid"; wait "$apid" || true; apid=""
  echo "$(sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p' <<<"$out1") $(sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p' <<<"$out2")"
}

have=0
declare -A tp one tp0 one0
for m in $steps; do
  want=$(( m * unit ))
  if (( want > have )); then
    t0=$(date +%s)
    n0=$(psql -d bench -Atc "SELECT count(*) FROM antt.events")
    fill "$have" "$want"
    n1=$(psql -d bench -Atc "SELECT count(*) FROM antt.events")
    (( n1 - n0 == want - have )) || { echo "prefilled: the fill wrote $((n1 - n0)) events, not $((want - have))" >&2; exit 1; }
    have=$want
    echo "filled to $(psql -d bench -Atc "SELECT to_char(count(*), 'FM999,999,999') FROM antt.events") events" \
         "in $(( $(date +%s) - t0 )) s; database $(psql -d bench -Atc "SELECT pg_size_pretty(pg_database_size('bench'))")"
  fi
  psql -qc "DROP DATABASE IF EXISTS empty" -qc "CREATE DATABASE empty TEMPLATE empty_tpl"
  read -r tp0[$m] one0[$m] < <(measure empty)
  echo "empty log beside it: ${tp0[$m]} events/s (100-event messages), ${one0[$m]} events/s (one a message)"
  read -r tp[$m] one[$m] < <(measure bench)
  echo "log of $m x $unit events: ${tp[$m]} events/s (100-event messages), ${one[$m]} events/s (one a message)"
done
echo
echo "== summary (target: within 15% of the empty log measured beside it)"
for m in $steps; do
  awk -v m="$m" -v u="$unit" -v a="${tp[$m]}" -v b="${one[$m]}" -v a0="${tp0[$m]}" -v b0="${one0[$m]}" 'BEGIN {
    printf "log of %3d x %d events  %8d events/s  %.2fx  %s   one a message %8d events/s  %.2fx  %s\n",
      m, u, a, a / a0, (a / a0 >= 0.85 ? "met" : "NOT met"), b, b / b0, (b / b0 >= 0.85 ? "met" : "NOT met") }'
done

#!/usr/bin/env bash
# daemon/bench/run.sh — the anttd benchmark (issue 3), in one run:
#   1. the ceiling: plain libpq COPY of the same rows into the same tables, in
#      1,000-row transactions with the same tally upserts;
#   2. sustained throughput: NODES DEALERs over loopback, a realistic mix, acks
#      only after COMMIT;
#   3. ack latency at a fixed offered load (5,000 events/s);
#   4. 10,000 connected nodes: anttd's resident memory.
# A private PostgreSQL with default durability (fsync and synchronous_commit
# on) is started under a temporary folder and stopped at the end.
#
#   SECONDS_EACH (default 20), NODES (100), PER_MSG (100), WINDOW (4),
#   BATCH_MAX_EVENTS (2000), BATCH_MAX_MS (0), RATE (5000), CONNECT_NODES (10000)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${SECONDS_EACH:-20}
nodes=${NODES:-100}
per_msg=${PER_MSG:-100}
window=${WINDOW:-4}
bmax=${BATCH_MAX_EVENTS:-2000}
bms=${BATCH_MAX_MS:-0}
rate=${RATE:-5000}
cnodes=${CONNECT_NODES:-10000}

# shellcheck source=../../tests/pg/bench.sh
. "$root/tests/pg/bench.sh"
bench_setup bench /tmp anttd antt bench_anttd bench_ceiling
bench=$root/build-bench/daemon/bench_anttd
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
psql -qc "CREATE DATABASE ceil" -qc "CREATE DATABASE bench"
base="host=$PGHOST port=$PGPORT user=$PGUSER"
for db in ceil bench; do
  "$anttd" --db "$base dbname=$db" --log-level warn --migrate \
    --load-units "$root/db/units-cluster2.csv" --load-groups "$root/db/crime_groups.csv"
done
psql -d bench -Atc "SELECT code FROM antt.units WHERE level = 'commune' ORDER BY code" >"$work/units"
export BENCH_UNITS=$work/units
psql -d bench -qc "WITH u AS (SELECT code, row_number() OVER (ORDER BY code) - 1 AS k
                               FROM antt.units WHERE level = 'commune'),
                        n AS (SELECT count(*) AS c FROM u)
                   INSERT INTO antt.nodes (node_id, unit_code)
                   SELECT 'bench-' || i, u.code FROM generate_series(0, $cnodes + 200) i, n, u
                    WHERE u.k = i % n.c
                   UNION ALL
                   SELECT 'load-' || code, code FROM u"
echo "PostgreSQL $(psql -Atc 'show server_version') fsync=$(psql -Atc 'show fsync')" \
     "synchronous_commit=$(psql -Atc 'show synchronous_commit')" \
     "full_page_writes=$(psql -Atc 'show full_page_writes') max_wal_size=$(psql -Atc 'show max_wal_size'); $(nproc) cores"

echo "== 1. ceiling: plain COPY, 1,000-row transactions, same tables and tally upserts (${secs}s)"
ceil_out=$("$root/build-bench/db/bench_ceiling" "$base dbname=ceil" "$secs")
echo "$ceil_out"
ceil=$(sed -n 's/.*rows_per_s=\([0-9]*\).*/\1/p' <<<"$ceil_out")

port=$(( 30000 + RANDOM % 20000 ))
"$anttd" --db "$base dbname=bench" --listen "tcp://127.0.0.1:$port" --publish-listen "" \
  --batch-max-events "$bmax" --batch-max-ms "$bms" --max-sockets 20000 --insecure 2>"$work/anttd.log" &
apid=$!
for _ in $(seq 100); do grep -q "database connected" "$work/anttd.log" && break; sleep 0.1; done

# Plaintext here (issue 3's figures); daemon/bench/curve.sh measures CURVE beside it.
load() { "$antt" --insecure --endpoint "tcp://127.0.0.1:$port" load --units "$work/units" --node-prefix load- "$@"; }
echo "== 2. anttd sustained (antt load): $nodes nodes, $per_msg events a message, $window in flight each (${secs}s)"
tp_out=$(load --nodes "$nodes" --rate 0 --per-msg "$per_msg" --window "$window" --duration "$secs")
echo "$tp_out"
tp=$(sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p' <<<"$tp_out")

echo "== 3. ack latency at $rate events/s offered (antt load: one event a message, 50 nodes, ${secs}s)"
lat_out=$(load --nodes 50 --rate "$rate" --per-msg 1 --duration "$secs")
echo "$lat_out"
p99=$(sed -n 's/.*p99=\([0-9.]*\).*/\1/p' <<<"$lat_out")

echo "== 4. $cnodes connected nodes (in 4 client processes), each sending one event, held 20 s"
before_kb=$(awk '/^VmRSS/ {print $2}' /proc/$apid/status)
echo "anttd RSS before the connections: $((before_kb / 1024)) MiB"
cpids=()
for k in 0 1 2 3; do
  "$bench" connect "$port" $((cnodes / 4)) 20 $((k * cnodes / 4)) >"$work/connect.$k.out" &
  cpids+=($!)
done
sleep 16
rss_kb=$(awk '/^VmRSS/ {print $2}' /proc/$apid/status)
fds=$(ls /proc/$apid/fd | wc -l)
conns=$(ss -Htn state established "( sport = :$port )" | wc -l)
for p in "${cpids[@]}"; do wait "$p" || true; done
cat "$work"/connect.*.out
hwm_kb=$(awk '/^VmHWM/ {print $2}' /proc/$apid/status)
echo "anttd with $conns established connections: RSS $((rss_kb / 1024)) MiB, $fds descriptors; peak RSS over the whole run $((hwm_kb / 1024)) MiB"

kill -TERM "$apid"; wait "$apid" || true; apid=""
tail -1 "$work/anttd.log"
echo
echo "== summary"
awk -v conns="$conns" -v tp="$tp" -v ceil="$ceil" -v p99="$p99" -v rss="$rss_kb" -v hwm="$hwm_kb" 'BEGIN {
  printf "sustained         %8d events/s   target >= 100000        %s\n", tp, (tp >= 100000 ? "met" : "NOT met")
  printf "COPY ceiling      %8d rows/s     anttd/ceiling = %.2f   target >= 0.80  %s\n", ceil, tp / ceil, (tp / ceil >= 0.8 ? "met" : "NOT met")
  printf "p99 ack latency   %8.2f ms at 5000/s  target <= 10 ms      %s\n", p99, (p99 <= 10 ? "met" : "NOT met")
  printf "RSS, %d nodes  %8.1f MiB       target <= 256 MiB    %s (peak over the run %.1f MiB)\n", conns, rss / 1024, (rss / 1024 <= 256 ? "met" : "NOT met"), hwm / 1024
}'

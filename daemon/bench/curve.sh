#!/usr/bin/env bash
# daemon/bench/curve.sh — what CURVE costs: the daemon benchmark's
# sustained throughput and ack latency, plaintext and CURVE, in one run on
# the same database server, one after the other, each run RUNS times
# alternating (plaintext, CURVE, plaintext, ...) so that drift in the disk or
# the machine does not favour either side. Prints each run, the medians and
# the ratio CURVE/plaintext (target: throughput >= 0.85).
#
#   SECONDS_EACH (default 15), RUNS (2), NODES (100), PER_MSG (100), WINDOW (4),
#   RATE (5000)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${SECONDS_EACH:-15}
runs=${RUNS:-2}
nodes=${NODES:-100}
per_msg=${PER_MSG:-100}
window=${WINDOW:-4}
rate=${RATE:-5000}

# shellcheck source=../../tests/pg/bench.sh
. "$root/tests/pg/bench.sh"
bench_setup curve /tmp anttd antt
psql -qc "CREATE DATABASE bench"
dsn="host=$PGHOST port=$PGPORT user=$PGUSER dbname=bench"
"$anttd" --db "$dsn" --log-level warn --migrate \
  --load-units "$root/data/units-cluster2.csv" --load-groups "$root/data/crime_groups.csv"
psql -d bench -Atc "SELECT code FROM antt.units WHERE level = 'commune' ORDER BY code" >"$work/units"
psql -d bench -qc "INSERT INTO antt.nodes (node_id, unit_code)
                   SELECT 'load-' || code, code FROM antt.units WHERE level = 'commune'"
"$antt" keygen "$work/server.key" >/dev/null
echo "PostgreSQL $(psql -Atc 'show server_version') fsync=$(psql -Atc 'show fsync')" \
     "synchronous_commit=$(psql -Atc 'show synchronous_commit'); $(nproc) cores;" \
     "$nodes nodes x $per_msg events a message, $window in flight; latency at $rate events/s"

port=$(bench_port)
# one_run MODE: start anttd, measure, stop. Prints "tp p99".
one_run() {
  local mode=$1 sec=() cli=()
  if [[ $mode == curve ]]; then
    sec=(--curve-key-file "$work/server.key")
    cli=(--server-key "$work/server.key.pub")
  else
    sec=(--insecure)
    cli=(--insecure)
  fi
  "$anttd" --db "$dsn" --listen "tcp://127.0.0.1:$port" --publish-listen "" --tally-publish "" \
    --tally-snapshot "" --http-listen "" --node-rate 0 "${sec[@]}" 2>"$work/anttd.$mode.log" &
  apid=$!
  bench_wait_anttd "$work/anttd.$mode.log"
  local enroll=()
  [[ $mode == curve ]] && enroll=(--enroll "$dsn")
  local tp_out lat_out
  tp_out=$("$antt" "${cli[@]}" --endpoint "tcp://127.0.0.1:$port" load --units "$work/units" \
    --node-prefix load- --nodes "$nodes" --rate 0 --per-msg "$per_msg" --window "$window" \
    --duration "$secs" "${enroll[@]}")
  lat_out=$("$antt" "${cli[@]}" --endpoint "tcp://127.0.0.1:$port" load --units "$work/units" \
    --node-prefix load- --nodes 50 --rate "$rate" --per-msg 1 --duration "$secs" "${enroll[@]}")
  kill -TERM "$apid"; wait "$apid" || true; apid=""
  echo "  $mode: $(grep -o 'events_per_s=[0-9]*' <<<"$tp_out") $(grep -o 'p50=[0-9.]*' <<<"$lat_out") $(grep -o 'p99=[0-9.]*' <<<"$lat_out")" >&2
  echo "$(sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p' <<<"$tp_out") $(sed -n 's/.*p99=\([0-9.]*\).*/\1/p' <<<"$lat_out")"
}

: >"$work/plain"
: >"$work/curve"
for r in $(seq "$runs"); do
  echo "== run $r" >&2
  one_run plain >>"$work/plain"
  one_run curve >>"$work/curve"
done
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
ptp=$(cut -d' ' -f1 "$work/plain" | median); ctp=$(cut -d' ' -f1 "$work/curve" | median)
pp99=$(cut -d' ' -f2 "$work/plain" | median); cp99=$(cut -d' ' -f2 "$work/curve" | median)
echo
echo "== summary (medians of $runs runs each)"
awk -v ptp="$ptp" -v ctp="$ctp" -v pp99="$pp99" -v cp99="$cp99" 'BEGIN {
  printf "throughput  plaintext %8d events/s   CURVE %8d events/s   CURVE/plaintext = %.2f  target >= 0.85  %s\n", ptp, ctp, ctp / ptp, (ctp / ptp >= 0.85 ? "met" : "NOT met")
  printf "p99 ack     plaintext %8.2f ms         CURVE %8.2f ms         (at the offered rate)\n", pp99, cp99
}'

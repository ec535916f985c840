#!/usr/bin/env bash
# cli/bench/drain.sh — how fast a station drains its spool after an outage:
# EVENTS events spooled while anttd was away, then `antt spool
# --flush` with the default durability (--fsync each) against anttd with CURVE
# and its default per-node rate (node_rate 2,000/s, node_burst 20,000), which
# is the baseline the drain is compared with: a station cannot go faster.
#
#   EVENTS (default 320000; the default 64 MiB spool holds about 317,000 of
#   these), ANTT_BIN (an antt binary to measure instead of this tree's, e.g.
#   an older build, against the same anttd), SYNCS=1 (count the flush's
#   fsync/fdatasync calls with strace: how fast a disk syncs varies, the
#   count does not)
#
# Prints the drain time, the events per second and their ratio to node_rate.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
events=${EVENTS:-320000}

# The spool on the project's disk, not /tmp (often tmpfs, where fdatasync costs nothing).
# shellcheck source=../../tests/pg/bench.sh
. "$root/tests/pg/bench.sh"
bench_setup drain "$root/build-bench" anttd antt
antt=${ANTT_BIN:-$antt}
db="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE"
"$anttd" --db "$db" --log-level warn --migrate --load-units "$root/data/units-cluster2.csv" \
  --load-groups "$root/data/crime_groups.csv"
"$antt" keygen "$work/server.key" >/dev/null 2>&1
"$antt" keygen "$work/station.key" >/dev/null 2>&1
ANTT_DB=$db "$antt" node add ls-180-06040 --unit 06040 --key "$work/station.key.pub" >/dev/null

# The outage: EVENTS reports written to the spool (no daemon), quickly.
python3 - "$events" >"$work/events.jsonl" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    day = 1 + i % 28
    print('{"type":"incident","unit":"06040","case":"D%d/VV","group":"social_order",'
          '"severity":"serious","occurred_at":"2023-05-%02d"}' % (i, day))
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sta=(--endpoint "tcp://127.0.0.1:$port" --node ls-180-06040 --spool "$work/spool"
     --server-key "$work/server.key.pub" --key "$work/station.key")
t0=$(date +%s.%N)
"$antt" "${sta[@]}" --fsync none --timeout 1 submit --jsonl "$work/events.jsonl" >/dev/null 2>&1 || true
t1=$(date +%s.%N)
pending=$("$antt" "${sta[@]}" spool | sed -n 's/.*: \([0-9]*\) event(s) pending.*/\1/p')
echo "spooled: $pending events in $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s ($(du -h "$work/spool" | cut -f1) on disk)"

# The daemon is back: drain, with the default durability.
"$anttd" --db "$db" --log-level warn --listen "tcp://127.0.0.1:$port" --publish-listen "" \
  --tally-publish "" --tally-snapshot "" --http-listen "" --curve-key-file "$work/server.key" &
apid=$!
sleep 1
t0=$(date +%s.%N)
trace=()
[[ "${SYNCS:-0}" == 1 ]] && trace=(strace -f -c -e trace=fsync,fdatasync -o "$work/syncs.txt")
"${trace[@]}" "$antt" "${sta[@]}" --fsync each --timeout 7200 spool --flush >"$work/flush.log" 2>&1 || true
t1=$(date +%s.%N)
if [[ -f "$work/syncs.txt" ]]; then
  echo "syncs during the drain: $(awk '$NF=="fdatasync"||$NF=="fsync"{n+=$4} END{print n+0}' "$work/syncs.txt")" \
       "(fsync + fdatasync calls, strace -c; the time below includes strace's cost)"
fi
secs=$(awk "BEGIN{printf \"%.1f\", $t1 - $t0}")
answered=$(grep -c -E '^(accepted|duplicate) ' "$work/flush.log" || true)
stored=$(psql -d "$PGDATABASE" -Atc "SELECT count(*) FROM antt.events")
rate=$(awk "BEGIN{printf \"%d\", $answered / $secs}")
echo "drained: $answered answered ($stored stored) in $secs s = $rate events/s with --fsync each"
echo "baseline: the per-node rate, 2000 events/s (burst 20000); ratio $(awk "BEGIN{printf \"%.2f\", $rate / 2000}")"

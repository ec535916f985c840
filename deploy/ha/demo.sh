#!/usr/bin/env bash
# deploy/ha/demo.sh — the high-availability topology on one machine, and the
# failover an operator should see before trusting it:
#
#   a pg_auto_failover formation (monitor, primary, synchronous secondary:
#   deploy/ha/cluster.sh), two anttd on it (multi-host conninfo,
#   synchronous_acks = require, each ready to publish the one tally stream),
#   simulated stations that list both daemons (antt load), a subscriber
#   counting the stream; then the primary's keeper and postmaster are killed
#   -9 mid-run, the old primary is brought back as the secondary, and what
#   happened is printed: the pause, events acked and stored, --verify, which
#   daemon published before and after.
#
#   deploy/ha/demo.sh [SECONDS]     (default 30 of load; everything under a
#                                   temporary folder, stopped at the end)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-30}
bash "$root/deploy/deps.sh" >/dev/null
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DANTT_TESTS=OFF >/dev/null
cmake --build "$root/build" --target anttd antt -j"$(nproc)" >/dev/null
anttd=$root/build/daemon/anttd antt=$root/build/cli/antt
work=$(mktemp -d /tmp/antt-ha-demo.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash "$root/deploy/ha/cluster.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n== %s\n' "$*"; }

say "the formation: monitor, primary, synchronous secondary (pg_auto_failover)"
eval "$(bash "$root/deploy/ha/cluster.sh" start "$work/pg")"
bash "$root/deploy/ha/cluster.sh" state "$work/pg"
db=$ANTT_HA_DSN
"$anttd" --db "$db" --migrate --load-units "$root/data/units-cluster2.csv" \
  --load-units "$root/data/units-2025.csv" --load-successors "$root/data/successors-2025.csv" \
  --load-groups "$root/data/crime_groups.csv" --load-days-off "$root/data/days-off.csv" \
  --add-nodes-under 20=demo- 2>/dev/null

say "two anttd on it, stations listing both"
port() { local p; for _ in $(seq 50); do p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 )); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; return 1; }  # below the ephemeral range
eps=() streams=()
for n in a b; do
  l=$(port) t=$(port) s=$(port)
  "$anttd" --db "$db" --listen "tcp://127.0.0.1:$l" --publish-listen "" --http-listen "" \
    --tally-publish "tcp://127.0.0.1:$t" --tally-snapshot "tcp://127.0.0.1:$s" \
    --synchronous-acks require --reconnect-max-ms 500 --insecure 2>"$work/anttd-$n.log" &
  pids+=($!)
  eps+=("tcp://127.0.0.1:$l") streams+=("tcp://127.0.0.1:$t")
done
sleep 2
grep -h "publishing" "$work"/anttd-*.log | sed 's/^/  /'
endpoints=$(IFS=,; echo "${eps[*]}")

say "load: ${secs}s of stations (Lạng Sơn's communes) at 200 events/s; the primary dies at ${secs}/3 s"
"$antt" --insecure --endpoint "$endpoints" load --db "$db" --under 20 --node-prefix demo- \
  --rate 200 --duration "$secs" --every 5 >"$work/load.out" 2>&1 &
lpid=$!
pids+=($lpid)
sleep $(( secs / 3 ))
t0=$(date +%s.%N)
killed=$(bash "$root/deploy/ha/cluster.sh" kill-primary "$work/pg")
echo "  killed $killed (keeper and postmaster, -9)"
for _ in $(seq 1 600); do grep -q "failed over" "$work"/anttd-*.log && break; sleep 0.1; done
t1=$(date +%s.%N)
echo "  anttd reconnected to the new primary after $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s"
bash "$root/deploy/ha/cluster.sh" rejoin "$work/pg" >/dev/null
t2=$(date +%s.%N)
echo "  $killed back as the secondary after $(printf '%.1f' "$(echo "$t2 - $t1" | bc)") s more: acks flow again"
wait "$lpid" || true

say "what happened"
grep -h "pause of\|failed over\|publishing\|synchronously again" "$work"/anttd-*.log | sed 's/^/  /'
grep "answers" "$work/load.out" | sed 's/^/  /'
acked=$(sed -n 's/.*answers accepted=\([0-9]*\) duplicate=\([0-9]*\).*/\1/p' "$work/load.out" | tail -1)
stored=$(psql "$db" -Atc "SELECT count(*) FROM antt.events")
echo "  acked (accepted): ${acked:-?}; stored: $stored (a stored event whose ack was lost is resent by a real station and answered duplicate)"
"$anttd" --db "$db" --verify | sed 's/^/  /'
bash "$root/deploy/ha/cluster.sh" state "$work/pg"

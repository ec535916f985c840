#!/usr/bin/env bash
# tests/deploy/bench_smoke.sh BUILD_DIR — the daemon benchmark for a few
# seconds, on the suite's own build, so that the script cannot rot: every
# phase runs and the summary has every figure. Its numbers mean nothing here.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(BENCH_BUILD=$1 SECONDS_EACH=1 NODES=10 RATE=500 CONNECT_NODES=8 HOLD_SECONDS=3 STORM_NODES=40 \
      bash "$root/daemon/bench/run.sh" 2>&1) || { echo "$out"; echo "bench_smoke: the script failed" >&2; exit 1; }
for line in "lean ceiling" "schema ceiling" "sustained" "one a message" "store_connections  1" \
            "store_connections  2" "store_connections  4" "ack path alone" "p99 ack latency" "RSS, 8 nodes" "storm, 40 x 30"; do
  grep -q "^$line " <<<"$out" || { echo "$out"; echo "bench_smoke: no '$line' in the summary" >&2; exit 1; }
done
grep -q "rows_per_s=[1-9]" <<<"$out" && grep -q "events_per_s=[1-9]" <<<"$out" &&
  grep -q "^unfolded batches left: [1-9]" <<<"$out" &&
  grep -q "answered_for_good=620 all_answered_after_ms=[0-9]" <<<"$out" ||
  { echo "$out"; echo "bench_smoke: a phase moved nothing" >&2; exit 1; }
echo "bench_smoke: every phase ran"

#!/usr/bin/env bash
# tests/deploy/ha_full.sh — the availability tests at full size (CI runs them
# smaller): two daemons and one stream with 20,000 events and the publisher
# killed; the PostgreSQL primary killed under 20,000 events. Prints what the
# tests log (counts, pauses).
#
#   tests/deploy/ha_full.sh [EVENTS]     (default 20000)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-20000}
bash "$root/deploy/deps.sh" >/dev/null
build=$root/build-ha
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target anttd antt test_stream test_failover -j"$(nproc)" >/dev/null
work=$(mktemp -d /tmp/antt-ha-full.XXXXXX)
chmod 755 "$work" # the servers run as nobody
trap 'bash "$root/tests/pg/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
eval "$(bash "$root/tests/pg/pg.sh" start "$work/pg")"
ANTT_STREAM_EVENTS=$n "$build/tests/test_stream" --filter 'stream/two_daemons*' --verbose 2>&1 |
  grep -E 'two daemons|PASS|FAIL|Assert'
ANTT_FAILOVER_EVENTS=$n "$build/tests/test_failover" --verbose 2>&1 |
  grep -E 'failover:|PASS|FAIL|Assert'

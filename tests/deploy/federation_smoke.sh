#!/usr/bin/env bash
# tests/deploy/federation_smoke.sh — deploy/federation/federation.sh as an
# operator runs it, small: a Ministry and two provinces over TLS, stations
# reporting, the sums equal, a province added with its history and another
# removed, each province's feed streaming in `lag`, nothing left running.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
fed=$root/deploy/federation/federation.sh
dir=$(mktemp -d /tmp/antt-fed-smoke.XXXXXX)
cleanup() {
  bash "$fed" stop "$dir" >/dev/null 2>&1 || true
  pkill -f -- "$dir" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "federation_smoke: $*" >&2; exit 1; }

bash "$fed" start "$dir" 20 04
bash "$fed" load "$dir" 3 40
bash "$fed" sums "$dir" || fail "the Ministry's figures are not the provinces'"
# each province streaming, as /metrics says (the daemon looks every 2 s, and
# PostgreSQL starts an apply worker up to wal_retrieve_retry_interval after
# its subscription is enabled)
streaming() {
  local lag
  for _ in $(seq 30); do
    lag=$(bash "$fed" lag "$dir")
    awk -v want="$*" 'BEGIN { n = split(want, w, " ") }
      $2 == 1 { up[$1] = 1 } END { for (i = 1; i <= n; i++) if (!up[w[i]]) exit 1 }' <<<"$lag" &&
      { echo "$lag"; return 0; }
    sleep 1
  done
  echo "$lag"
  return 1
}
streaming 20 04 || fail "a province is not streaming"

# a third province, with whatever history it has; then one removed (its
# figures stay at the Ministry, the others' sums still hold)
bash "$fed" add "$dir" 02
bash "$fed" load "$dir" 2 40
bash "$fed" remove "$dir" 04
bash "$fed" sums "$dir" || fail "after adding 02 and removing 04"
streaming 20 02 || fail "a province is not streaming after the changes"

bash "$fed" stop "$dir"
sleep 1
if pgrep -f -- "$dir" >/dev/null; then
  pgrep -af -- "$dir" >&2
  fail "something is still running"
fi
echo "federation_smoke: passed"

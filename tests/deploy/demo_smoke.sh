#!/usr/bin/env bash
# tests/deploy/demo_smoke.sh — `deploy/run.sh --demo` on a fresh state folder:
# it builds, starts a private PostgreSQL, shows events flowing from Lạng Sơn's
# simulated stations, and stops everything it started, within a bounded time.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
state=$(mktemp -d /tmp/antt-demo.XXXXXX)
chmod 755 "$state"
log=$state/demo.log
cleanup() {
  # Nothing may be left running; stop it if the script under test did not.
  pkill -f -- "$state" 2>/dev/null || true
  rm -rf "$state"
}
trap cleanup EXIT
rc=0
ANTT_STATE_DIR=$state ANTT_DEMO_SECONDS=6 ANTT_DEMO_RATE=30 ANTT_DEMO_PORT=27720 \
  ANTT_HTTP_LISTEN= ANTT_TALLY_PUBLISH= ANTT_TALLY_SNAPSHOT= \
  timeout 600 bash "$root/deploy/run.sh" --demo >"$log" 2>&1 || rc=$?
tail -12 "$log"
[[ $rc -eq 0 ]] || { echo "demo exited $rc" >&2; exit 1; }
accepted=$(sed -n 's/^load: answers accepted=\([0-9]*\).*/\1/p' "$log")
[[ -n "$accepted" && "$accepted" -gt 50 ]] || { echo "no events flowed (accepted=$accepted)" >&2; exit 1; }
grep -q " 0 differences" "$log" || { echo "verify did not come out clean" >&2; exit 1; }
grep -q "stopping the private PostgreSQL" "$log" || { echo "PostgreSQL was not stopped" >&2; exit 1; }
if pgrep -f -- "$state" >/dev/null; then
  echo "processes left running:" >&2
  pgrep -fa -- "$state" >&2
  exit 1
fi
echo "demo: $accepted events accepted, verify clean, everything stopped"

#!/usr/bin/env bash
# tests/deploy/demo_smoke.sh — deploy/run.sh as a user meets it, on a fresh
# state folder, each phase bounded in time and leaving nothing running:
#  1. --demo with its usual port taken: it picks free ports for every socket
#     and HTTP, events flow from Lạng Sơn's simulated stations, verify is clean;
#  2. --demo whose anttd is killed: run.sh stops the load generator and exits
#     non-zero;
#  3. the main job (CURVE) and the README's node example, run as written;
#  4. the main job with its port taken: run.sh names the port and the setting
#     that moves it, starts nothing and exits non-zero;
#  5. the main job whose anttd dies at start: run.sh passes its status on and
#     never gives the console's address.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
state=$(mktemp -d /tmp/antt-demo.XXXXXX)
chmod 755 "$state"
: >"$state/ports.given"
holders=()
cleanup() {
  # Nothing may be left running; stop it if the script under test did not.
  for h in "${holders[@]}"; do kill "$h" 2>/dev/null || true; done
  [[ -f "$state/anttd.pid" ]] && kill -9 "$(cat "$state/anttd.pid")" 2>/dev/null || true
  pkill -f -- "$state" 2>/dev/null || true
  rm -rf "$state"
}
trap cleanup EXIT
fail() { echo "demo_smoke: $*" >&2; exit 1; }
# A port free now, below the kernel's ephemeral range (32768 and up), where
# the other suites' connections take their source ports: run.sh --demo uses
# the four after the one it is given, and those must not be taken meanwhile.
# A port once given is never given again, even when nothing holds it at the
# moment: the private PostgreSQL's port is free between phases, and a later
# phase that listened on it would find it taken once run.sh starts the server.
free_port() {
  python3 -c '
import random, socket, sys
given = set(open(sys.argv[1]).read().split())
for _ in range(200):
    p = random.randrange(20000, 30000, 8)
    if str(p) in given:
        continue
    try:
        for q in range(p, p + 6):
            s = socket.socket(); s.bind(("127.0.0.1", q)); s.close()
        print(p)
        open(sys.argv[1], "a").write(f"{p}\n")
        break
    except OSError:
        pass' "$state/ports.given"
}
# hold PORT: something else listening there, until the end of the script.
hold() {
  python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(300)' "$1" &
  holders+=($!)
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done
  fail "could not hold port $1"
}
nothing_left() {
  if pgrep -f -- "$state" >/dev/null; then
    pgrep -fa -- "$state" >&2
    fail "$1: processes left running"
  fi
  if [[ -f "$state/anttd.pid" ]] && kill -0 "$(cat "$state/anttd.pid")" 2>/dev/null; then
    fail "$1: anttd left running"
  fi
}

# run.sh's private PostgreSQL too (its default, 54320, is in the ephemeral range)
export ANTT_PG_PORT
ANTT_PG_PORT=$(free_port)

echo "== 1. the demo, its usual port taken"
busy=$(free_port)
hold "$busy"
log=$state/demo.log
rc=0
ANTT_STATE_DIR=$state ANTT_DEMO_SECONDS=6 ANTT_DEMO_RATE=30 ANTT_DEMO_PORT=$busy \
  ANTT_DEMO_HTTP_PORT=$(free_port) timeout 600 bash "$root/deploy/run.sh" --demo >"$log" 2>&1 || rc=$?
tail -12 "$log"
[[ $rc -eq 0 ]] || fail "demo exited $rc"
grep -q "anttd acked tcp://127.0.0.1:$busy," "$log" && fail "the demo used the port that was taken"
grep -q "publish-only :[0-9]*, tally stream :[0-9]* (snapshots :[0-9]*), http://127.0.0.1:[0-9]*/metrics" "$log" ||
  fail "the demo did not say its ports"
accepted=$(sed -n 's/^load: answers accepted=\([0-9]*\).*/\1/p' "$log")
[[ -n "$accepted" && "$accepted" -gt 50 ]] || fail "no events flowed (accepted=$accepted)"
grep -q " 0 differences" "$log" || fail "verify did not come out clean"
grep -q "run: the console: http://127.0.0.1:[0-9]*/" "$log" || fail "the demo did not start the console"
grep -q "stopping the private PostgreSQL" "$log" || fail "PostgreSQL was not stopped"
nothing_left "demo"
echo "demo: $accepted events accepted on free ports, verify clean, everything stopped"

echo "== 2. the demo's anttd killed under load"
log=$state/killed.log
ANTT_STATE_DIR=$state ANTT_DEMO_SECONDS=120 ANTT_DEMO_RATE=30 ANTT_DEMO_PORT=$(free_port) \
  ANTT_DEMO_HTTP_PORT=$(free_port) timeout 300 bash "$root/deploy/run.sh" --demo >"$log" 2>&1 &
run=$!
for _ in $(seq 600); do grep -q "^load: " "$log" 2>/dev/null && break; sleep 0.1; done
grep -q "^load: " "$log" || { cat "$log"; fail "the demo never sent"; }
kill -9 "$(cat "$state/anttd.pid")"
rc=0
wait "$run" || rc=$?
tail -4 "$log"
[[ $rc -ne 0 ]] || fail "run.sh exited 0 although anttd died"
grep -q "under load; the load generator was stopped" "$log" || fail "run.sh did not say anttd died"
nothing_left "killed demo"
echo "killed demo: run.sh exited $rc and stopped the load generator"

echo "== 3. the main job and the README's node example"
log=$state/main.log
ports=()
for _ in 1 2 3 4 5; do ports+=("$(free_port)"); done
ANTT_STATE_DIR=$state ANTT_LISTEN=tcp://127.0.0.1:${ports[0]} ANTT_PUBLISH_LISTEN=tcp://127.0.0.1:${ports[1]} \
  ANTT_TALLY_PUBLISH=tcp://127.0.0.1:${ports[2]} ANTT_TALLY_SNAPSHOT=tcp://127.0.0.1:${ports[3]} \
  ANTT_HTTP_LISTEN=127.0.0.1:${ports[4]} setsid bash "$root/deploy/run.sh" >"$log" 2>&1 &
run=$! # a process group of its own: run.sh, anttd, and PostgreSQL if it shares it
for _ in $(seq 600); do grep -q "database connected" "$log" 2>/dev/null && break; sleep 0.1; done
grep -q "database connected" "$log" || { cat "$log"; fail "anttd did not start"; }
# The console beside it: the page, and its API asking for a login.
for _ in $(seq 100); do grep -q "run: the console: http" "$log" && break; sleep 0.1; done
console=$(sed -n 's|^run: the console: \(http://127.0.0.1:[0-9]*/\).*|\1|p' "$log")
[[ -n "$console" ]] || { cat "$log"; fail "run.sh did not start the console"; }
python3 - "$console" <<'PY' || fail "the console did not answer as it should at $console"
import sys, time, urllib.request, urllib.error
base = sys.argv[1]
for _ in range(100):
    try:
        page = urllib.request.urlopen(base, timeout=2).read().decode()
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("no answer")
assert "/static/app.js" in page, page[:200]
assert b'"name":null' in urllib.request.urlopen(base + "api/me", timeout=2).read()
try:
    urllib.request.urlopen(base + "api/stations?unit=20", timeout=2)
    sys.exit("/api/stations answered without a login")
except urllib.error.HTTPError as e:
    assert e.code == 401, e.code
PY
# The block as the README has it, in a folder laid out as a clone is, with
# nothing of ours in the environment.
work=$state/user
mkdir -p "$work"
ln -s "${ANTT_BUILD:-$root/build}" "$work/build"
ln -s "$state" "$work/state"
awk '/<!-- node-example/{on=1; next} on && /^```sh/{code=1; next} code && /^```/{exit} code' \
  "$root/README.md" >"$work/example.sh"
[[ $(wc -l <"$work/example.sh") -ge 5 ]] || fail "no node example in the README"
rc=0
(cd "$work" && env -i HOME="$work" PATH=/usr/bin:/bin bash -euo pipefail example.sh) >"$state/example.log" 2>&1 || rc=$?
cat "$state/example.log"
[[ $rc -eq 0 ]] || fail "the README's node example exited $rc"
grep -q "^accepted " "$state/example.log" || fail "the example's event was not accepted"
grep -q "Tội phạm: xảy ra 1 vụ" "$state/example.log" || fail "the example's report does not count the event"
# As a service manager stops it: TERM to run.sh, and to its whole group
# (anttd, and PostgreSQL if it shares it) at once, as systemd does.
kill -TERM -- "-$run"
for _ in $(seq 600); do kill -0 "$run" 2>/dev/null || break; sleep 0.1; done
kill -0 "$run" 2>/dev/null && fail "run.sh did not stop within 60 s of TERM"
rc=0
wait "$run" || rc=$?
grep -q "stopping the private PostgreSQL" "$log" || fail "PostgreSQL was not stopped"
nothing_left "main job"
python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$console" \
  2>/dev/null && fail "the console was left running"
echo "main job: the README's node example works as written"

echo "== 4. the main job with its port taken"
busy=$(free_port)
hold "$busy"
log=$state/busy.log
rc=0
ANTT_STATE_DIR=$state ANTT_LISTEN=tcp://127.0.0.1:$busy ANTT_PUBLISH_LISTEN= ANTT_TALLY_PUBLISH= \
  ANTT_TALLY_SNAPSHOT= ANTT_HTTP_LISTEN= timeout 300 bash "$root/deploy/run.sh" >"$log" 2>&1 || rc=$?
tail -3 "$log"
[[ $rc -ne 0 ]] || fail "run.sh exited 0 although anttd could not listen"
grep -q "run: port $busy is taken (listen = tcp://127.0.0.1:$busy)" "$log" ||
  fail "run.sh did not say which port was taken"
grep -q "ANTT_LISTEN=tcp://127.0.0.1:PORT, or --listen" "$log" ||
  fail "run.sh did not say which setting moves the port"
grep -q "run: the console:" "$log" && fail "run.sh gave the console's address without anttd"
nothing_left "port taken"
echo "port taken: run.sh exited $rc, naming port $busy and the setting that moves it"

echo "== 5. the main job whose anttd dies at start (a key file others may read)"
"${ANTT_BUILD:-$root/build}/cli/antt" keygen "$state/open.key" >/dev/null
chmod 644 "$state/open.key"
log=$state/dies.log
ports=()
for _ in 1 2 3 4 5; do ports+=("$(free_port)"); done
rc=0
ANTT_STATE_DIR=$state ANTT_CURVE_KEY_FILE=$state/open.key ANTT_LISTEN=tcp://127.0.0.1:${ports[0]} \
  ANTT_PUBLISH_LISTEN=tcp://127.0.0.1:${ports[1]} ANTT_TALLY_PUBLISH=tcp://127.0.0.1:${ports[2]} \
  ANTT_TALLY_SNAPSHOT=tcp://127.0.0.1:${ports[3]} ANTT_HTTP_LISTEN=127.0.0.1:${ports[4]} \
  timeout 300 bash "$root/deploy/run.sh" >"$log" 2>&1 || rc=$?
tail -3 "$log"
[[ $rc -ne 0 ]] || fail "run.sh exited 0 although anttd refused its key"
grep -q "anttd exited with status $rc before it listened" "$log" ||
  fail "run.sh did not pass anttd's status on"
grep -q "run: the console:" "$log" && fail "run.sh gave the console's address without anttd"
nothing_left "anttd dead at start"
echo "anttd dead at start: run.sh exited $rc and started no console"

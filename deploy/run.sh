#!/usr/bin/env bash
# deploy/run.sh — install what is missing, build, and run anttd in the foreground.
#
#   deploy/run.sh [anttd flags ...]
#   deploy/run.sh --demo [anttd flags ...]
#
# --demo also registers a station for each of Lạng Sơn's communes and runs
# `antt load` as those stations (ANTT_DEMO_RATE events/s, default 20; for
# ANTT_DEMO_SECONDS, default until Ctrl-C), printing what flows every 5 s.
#
# The database: ANTT_DB (a libpq conninfo) when set. Otherwise a private
# PostgreSQL is initialised under the state folder (ANTT_STATE_DIR, default
# ./state; created on first use, reused later), started on loopback and
# stopped again when anttd exits. Either way the schema is migrated and the
# units of both maps (data/units-cluster2.csv until 30 June 2025,
# data/units-2025.csv since 1 July 2025, with data/successors-2025.csv between
# them) and crime groups are loaded (idempotent).
# Ctrl-C stops everything this script started.
#
# Security: anttd runs with CURVE. Unless the configuration or ANTT_CURVE_KEY_FILE
# names a server keypair, one is made on first use in the state folder
# (server.key, mode 0600; server.key.pub for the stations) and its public key is
# printed. Stations and subscribers are enrolled with `antt node add` /
# `antt subscriber add`. The demo runs anttd --insecure, on loopback only, and
# says so: its simulated stations have no keys.
#
#   ANTT_CONFIG   an anttd configuration file (see deploy/anttd.conf.example)
#   ANTT_BUILD    an existing build tree to run from instead of building build/
#   ANTT_PG_PORT  the private server's port (default: 54320, or the next free one)
#
# Ports: anttd's (listen 7720, publish_listen 7721, tally_publish 7722,
# tally_snapshot 7723, http_listen 9720, from its configuration) are checked
# before it starts: one already taken is named with the setting that moves it
# (in ANTT_CONFIG's file, as ANTT_<KEY>, or as a flag) and nothing starts. The
# console (ANTT_WEB_PORT, default 9730), the private PostgreSQL and the demo's
# sockets take the next free port by themselves. The console starts only once
# anttd listens.
#
# Exit status: anttd's own (non-zero when it could not start: a bad key, a
# port taken), 1 when its ports are taken before it starts, 130 after Ctrl-C;
# with --demo, non-zero when anttd died under the load generator (which is
# then stopped too). anttd's PID is in STATE/anttd.pid while it runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash deploy/deps.sh
# ANTT_BUILD: a build tree of this source already configured (the test
# suite's, so that its demo test does not build a third tree); else build/.
build=${ANTT_BUILD:-$root/build}
if [[ -z "${ANTT_BUILD:-}" ]]; then
  echo "run: building (Release) in build/" >&2
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DANTT_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target anttd antt anttweb -j"$(nproc)" >/dev/null
anttd=$build/daemon/anttd
antt=$build/cli/antt
anttweb=$build/web/anttweb
demo=""
if [[ "${1:-}" == "--demo" ]]; then
  demo=1
  shift
fi

state=${ANTT_STATE_DIR:-$root/state}
pg_user=""
if [[ $(id -u) -eq 0 ]]; then
  # PostgreSQL refuses to run as root: its files belong to `nobody`, who must
  # be able to reach them.
  pg_user=nobody
  mkdir -p "$state"
  if ! runuser -u nobody -- test -x "$state"; then
    echo "run: $state is not reachable by user nobody; using /var/lib/antt instead" >&2
    state=/var/lib/antt
  fi
fi
mkdir -p "$state"
as_pg() { if [[ -n "$pg_user" ]]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi; }

pgdir=$state/pg
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
started_pg=""
apid=""
lpid=""
wpid=""
stop_all() {
  # Once: a second Ctrl-C (or a TERM sent to the whole process group as well
  # as to this script) must not cut the clean-up short and leave PostgreSQL up.
  trap '' INT TERM
  trap - EXIT
  if [[ -n "$lpid" ]] && kill -0 "$lpid" 2>/dev/null; then
    kill -TERM "$lpid" 2>/dev/null || true
    wait "$lpid" 2>/dev/null || true
  fi
  if [[ -n "$wpid" ]] && kill -0 "$wpid" 2>/dev/null; then
    kill -TERM "$wpid" 2>/dev/null || true
    wait "$wpid" 2>/dev/null || true
  fi
  if [[ -n "$apid" ]] && kill -0 "$apid" 2>/dev/null; then
    kill -TERM "$apid" 2>/dev/null || true
    wait "$apid" 2>/dev/null || true
  fi
  if [[ -n "$started_pg" ]]; then
    echo "run: stopping the private PostgreSQL" >&2
    as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}
trap stop_all EXIT
# The first port from $1 on that nothing listens on.
free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
# The console (anttweb): the figures in a browser, read from the database and
# kept live from the tally stream at $1 ("": none); the rest: how to follow it.
start_console() {
  local stream=$1
  shift
  local wport
  wport=$(free_port "${ANTT_WEB_PORT:-9730}")
  "$anttweb" --listen "127.0.0.1:$wport" --db "$db" ${stream:+--stream "$stream"} "$@" \
    2>"$state/anttweb.log" &
  wpid=$!
  echo "run: the console: http://127.0.0.1:$wport/ (log $state/anttweb.log); its first account:" \
       "antt viewer add NAME --unit 20 --db '$db' (or --all)" >&2
}
# anttd_failed [WHY]: anttd is gone; report its status and stop.
anttd_failed() {
  local arc=0
  wait "$apid" || arc=$?
  apid=""
  rm -f "$state/anttd.pid"
  echo "run: anttd exited with status $arc${1:+ $1}" >&2
  exit $((arc ? arc : 1))
}
# wait_listening PORT: until anttd accepts on PORT (at most 10 s); if it dies
# first, stop here, before anything says it runs.
wait_listening() {
  for _ in $(seq 100); do
    kill -0 "$apid" 2>/dev/null || anttd_failed "before it listened"
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  kill -0 "$apid" 2>/dev/null || anttd_failed "before it listened"
}
# ports_free SETTINGS: each port anttd is about to listen on (the endpoint
# settings in its effective SETTINGS, `anttd --print-config`) that something
# else already holds is named, with the setting, its variable and its flag
# that move it. 0 when all are free.
ports_free() {
  local key ep addr host port taken=0
  for key in listen publish_listen tally_publish tally_snapshot http_listen; do
    ep=$(sed -n "s/^$key = \"\(.*\)\"\$/\1/p" <<<"$1")
    addr=${ep#tcp://}
    host=${addr%:*}
    port=${addr##*:}
    [[ -n "$ep" && "$port" =~ ^[0-9]+$ ]] || continue
    [[ "$host" == "*" || "$host" == "0.0.0.0" || -z "$host" ]] && host=127.0.0.1
    if timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null; then
      echo "run: port $port is taken ($key = $ep): move it with $key in the configuration" \
           "file (ANTT_CONFIG), ANTT_${key^^}=${ep%:*}:PORT, or --${key//_/-} ${ep%:*}:PORT" >&2
      taken=1
    fi
  done
  return $taken
}
# The first signal starts the clean-up; any later one (a second Ctrl-C, a TERM
# to the whole group) is ignored from that moment on.
trap 'trap "" INT TERM; exit 130' INT TERM

if [[ -n "${ANTT_DB:-}" ]]; then
  db=$ANTT_DB
else
  mkdir -p "$pgdir"
  [[ -n "$pg_user" ]] && chown "$pg_user" "$pgdir"
  if [[ ! -f "$pgdir/data/PG_VERSION" ]]; then
    echo "run: initialising a private PostgreSQL in $pgdir/data" >&2
    as_pg "$pgbin/initdb" -D "$pgdir/data" -U antt --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$pgdir/initdb.log" 2>&1 || { cat "$pgdir/initdb.log" >&2; exit 1; }
  fi
  # Logical decoding on, with the log a slot can hold bounded: the tally
  # stream read a slot until December 2026 (it is folded now), and a
  # database of this version may still have one until anttd drops it.
  if ! grep -q '^wal_level = logical' "$pgdir/data/postgresql.conf"; then
    printf '%s\n' "wal_level = logical" "max_slot_wal_keep_size = 4GB" >>"$pgdir/data/postgresql.conf"
    as_pg "$pgbin/pg_ctl" -D "$pgdir/data" status >/dev/null 2>&1 &&
      as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  port=${ANTT_PG_PORT:-$(cat "$pgdir/port" 2>/dev/null || echo 54320)}
  if [[ ! -f "$pgdir/data/postmaster.pid" ]] || ! as_pg "$pgbin/pg_ctl" -D "$pgdir/data" status >/dev/null 2>&1; then
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    echo "$port" >"$pgdir/port"
    as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 \
      -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1" start >/dev/null
    started_pg=1
    echo "run: private PostgreSQL on 127.0.0.1:$port (log: $pgdir/server.log)" >&2
  else
    port=$(cat "$pgdir/port")
    echo "run: private PostgreSQL already running on 127.0.0.1:$port" >&2
  fi
  [[ $("$pgbin/psql" -h 127.0.0.1 -p "$port" -U antt -d postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname = 'antt'") == 1 ]] ||
    "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U antt antt
  db="host=127.0.0.1 port=$port user=antt dbname=antt"
fi

cfg=()
[[ -n "${ANTT_CONFIG:-}" ]] && cfg=(--config "$ANTT_CONFIG")
"$anttd" "${cfg[@]}" --db "$db" --migrate \
  --load-units "$root/data/units-cluster2.csv" --load-units "$root/data/units-2025.csv" \
  --load-successors "$root/data/successors-2025.csv" --load-groups "$root/data/crime_groups.csv" \
  --load-clusters "$root/data/clusters.csv" --load-days-off "$root/data/days-off.csv"
if [[ -z "$demo" ]]; then
  keyflag=()
  if [[ -z "${ANTT_CURVE_KEY_FILE:-}" ]] && ! grep -qs '^[[:space:]]*curve_key_file' "${ANTT_CONFIG:-/nonexistent}"; then
    if [[ ! -f "$state/server.key" ]]; then
      "$antt" keygen "$state/server.key" >/dev/null
    fi
    keyflag=(--curve-key-file "$state/server.key")
    echo "run: server public key (pin it on stations: --server-key $state/server.key.pub):" >&2
    grep -o 'public-key = "[^"]*"' "$state/server.key.pub" | cut -d'"' -f2 >&2
    echo "run: enrol a station: antt node add NODE --unit CODE --key station.key.pub --db '$db'" >&2
  fi
  # For antt in another shell: where it is, the database, the endpoint and the
  # key to pin, as anttd will run them (its effective settings).
  settings=$("$anttd" "${cfg[@]}" --db "$db" "${keyflag[@]}" "$@" --print-config)
  setting() { sed -n "s/^$1 = \"\(.*\)\"\$/\1/p" <<<"$settings"; }
  server_pub=""
  [[ -n "$(setting curve_key_file)" && -f "$(setting curve_key_file).pub" ]] && server_pub="$(setting curve_key_file).pub"
  cat >"$state/env" <<EOF
# Written by deploy/run.sh for the anttd it runs: source it in another shell
# (. $state/env) to use antt with that daemon.
export PATH="$build/cli:\$PATH"
export ANTT_DB='$db'
export ANTT_ENDPOINT='$(setting listen)'
export ANTT_SERVER_KEY='$server_pub'
EOF
  if ! ports_free "$settings"; then
    echo "run: anttd not started: another program (or another anttd) holds its ports" >&2
    exit 1
  fi
  echo "run: for antt in another shell: . $state/env  (PATH, ANTT_DB, ANTT_ENDPOINT, ANTT_SERVER_KEY)" >&2
  echo "run: anttd in the foreground; Ctrl-C stops it" >&2
  "$anttd" "${cfg[@]}" --db "$db" "${keyflag[@]}" "$@" &
  apid=$!
  echo "$apid" >"$state/anttd.pid"
  listen=$(setting listen)
  wait_listening "${listen##*:}"
  # The console follows the stream as a subscriber of every unit, with a key
  # of its own (made once, enrolled again at each start).
  websec=(--insecure)
  if [[ -n "$server_pub" ]]; then
    [[ -f "$state/console.key" ]] || "$antt" keygen "$state/console.key" >/dev/null 2>&1
    "$antt" subscriber add console --all --key "$state/console.key.pub" --replace --db "$db" >/dev/null
    websec=(--key "$state/console.key" --server-key "$server_pub")
  fi
  start_console "$(setting tally_publish)" "${websec[@]}"
  rc=0
  wait "$apid" || rc=$?
  apid=""
  rm -f "$state/anttd.pid"
  [[ $rc -eq 0 ]] || echo "run: anttd exited with status $rc" >&2
  exit "$rc"
fi

# The demo: Lạng Sơn's communes as stations, sending through antt load. Every
# socket, and the HTTP side, on a port of its own that nothing else holds.
port=$(free_port "${ANTT_DEMO_PORT:-7720}")
pub_port=$(free_port $((port + 1)))
tally_port=$(free_port $((pub_port + 1)))
snap_port=$(free_port $((tally_port + 1)))
http_port=$(free_port "${ANTT_DEMO_HTTP_PORT:-9720}")
"$anttd" --db "$db" --add-nodes-under 20=st-
echo "run: demo — anttd acked tcp://127.0.0.1:$port, publish-only :$pub_port, tally stream" \
     ":$tally_port (snapshots :$snap_port), http://127.0.0.1:$http_port/metrics;" \
     "Lạng Sơn's communes sending ${ANTT_DEMO_RATE:-20} events/s; Ctrl-C stops everything" >&2
echo "run: demo — INSECURE (no CURVE, no authentication), on loopback only: the simulated" \
     "stations have no keys. Production runs without --demo use CURVE." >&2
"$anttd" "${cfg[@]}" --db "$db" --listen "tcp://127.0.0.1:$port" \
  --publish-listen "tcp://127.0.0.1:$pub_port" --tally-publish "tcp://127.0.0.1:$tally_port" \
  --tally-snapshot "tcp://127.0.0.1:$snap_port" --http-listen "127.0.0.1:$http_port" --insecure "$@" &
apid=$!
echo "$apid" >"$state/anttd.pid"
wait_listening "$port"
start_console "tcp://127.0.0.1:$tally_port" --insecure
"$antt" --insecure --endpoint "tcp://127.0.0.1:$port" load --db "$db" --under 20 --node-prefix st- \
  --rate "${ANTT_DEMO_RATE:-20}" --duration "${ANTT_DEMO_SECONDS:-31536000}" --every 5 \
  --duplicates 0.02 --malformed 0.005 &
lpid=$!
# The load generator ends by itself after ANTT_DEMO_SECONDS; if anttd dies
# first, the generator is stopped rather than left sending into nothing.
while kill -0 "$lpid" 2>/dev/null; do
  if ! kill -0 "$apid" 2>/dev/null; then
    kill -TERM "$lpid" 2>/dev/null || true
    wait "$lpid" 2>/dev/null || true
    lpid=""
    anttd_failed "under load; the load generator was stopped"
  fi
  sleep 0.2
done
wait "$lpid" || true
lpid=""
"$anttd" --db "$db" --log-level warn --verify | tail -1

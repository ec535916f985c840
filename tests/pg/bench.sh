# tests/pg/bench.sh — sourced by the benchmark scripts (daemon/bench/run.sh,
# daemon/bench/curve.sh, cli/bench/drain.sh), which set $root first:
#
#   bench_setup NAME PARENT TARGET...
#
# installs what is missing, builds TARGETs optimised in build-bench/ (or uses
# $BENCH_BUILD; $bench_build names the tree, $anttd and $antt the programs), makes a work folder PARENT/antt-NAME.XXXXXX
# ($work, removed at exit) and starts a private PostgreSQL in it (PG* and
# ANTT_TEST_DSN exported; stopped at exit) with default durability — fsync,
# synchronous_commit and full-page writes on — and only checkpoint spacing
# set, as for any write-heavy server, so that max_wal_size (1 GB) does not
# force a checkpoint every few seconds. An anttd the script starts is
# stopped at exit when $apid (or $apid_conns, a second one) holds its PID.

# bench_port: a TCP port on loopback that nothing answers on, below the
# ephemeral range (32768-60999 on Linux) so that no outgoing connection of a
# test running beside us can be holding it when our server binds; never one
# it gave before in this run (nothing listens on a port between the call
# and the server's start, so two calls could otherwise draw the same one).
# The ports given are kept in a file named by the script's PID ($$ is the
# script's in the $(...) subshells that call this).
bench_port() {
  local p given="${TMPDIR:-/tmp}/antt-bench-ports.$$"
  for _ in $(seq 50); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
    grep -qx "$p" "$given" 2>/dev/null && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p" >>"$given"; echo "$p"; return 0; }
  done
  echo "bench_port: no free port found" >&2; return 1
}

# bench_wait_anttd LOG: until anttd ($apid) says its database is connected;
# fails with its log when it has exited instead (a port taken, a bad option).
bench_wait_anttd() {
  local log=$1
  for _ in $(seq 300); do
    grep -q "database connected" "$log" && return 0
    kill -0 "$apid" 2>/dev/null || { echo "anttd exited:" >&2; tail -20 "$log" >&2; apid=""; return 1; }
    sleep 0.1
  done
  echo "anttd did not connect to its database in 30 s:" >&2; tail -20 "$log" >&2; return 1
}

bench_cleanup() {
  [[ -n "${apid:-}" ]] && kill "$apid" 2>/dev/null && wait "$apid" 2>/dev/null || true
  [[ -n "${apid_conns:-}" ]] && kill "$apid_conns" 2>/dev/null && wait "$apid_conns" 2>/dev/null || true
  bash "$root/tests/pg/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work" "${TMPDIR:-/tmp}/antt-bench-ports.$$"
}

bench_setup() {
  local name=$1 parent=$2
  shift 2
  # BENCH_BUILD: an existing build tree holding the targets (the test
  # suite's smoke run uses its own); otherwise an optimised one is made.
  local build=${BENCH_BUILD:-$root/build-bench}
  if [[ -z "${BENCH_BUILD:-}" ]]; then
    bash "$root/deploy/deps.sh" --bench >/dev/null
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DANTT_TESTS=OFF >/dev/null
    cmake --build "$build" --target "$@" -j"$(nproc)" >/dev/null
  fi
  bench_build=$build
  anttd=$build/daemon/anttd
  antt=$build/cli/antt
  mkdir -p "$parent"
  work=$(mktemp -d "$parent/antt-$name.XXXXXX")
  chmod 755 "$work"
  apid=""
  trap bench_cleanup EXIT
  eval "$(bash "$root/tests/pg/pg.sh" start "$work/pg")"
  psql -qc "ALTER SYSTEM SET max_wal_size = '8GB'" -c "ALTER SYSTEM SET checkpoint_timeout = '15min'" \
       -c "SELECT pg_reload_conf()" >/dev/null
}

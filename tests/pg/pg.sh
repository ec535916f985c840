#!/usr/bin/env bash
# tests/pg/pg.sh — a throwaway PostgreSQL for the test suite.
#
#   tests/pg/pg.sh start DIR   initdb into DIR/data, start on a free loopback port,
#                              print shell exports (PGHOST, PGPORT, PGUSER, PGDATABASE,
#                              ANTT_TEST_DSN) for eval, and write them to DIR/env
#   tests/pg/pg.sh stop DIR    stop the server started in DIR (by its PID)
#   tests/pg/pg.sh restart DIR restart it with its options (a setting that needs a
#                              restart, e.g. shared_buffers set by ALTER SYSTEM)
#
# As root, initdb and the server run as the unprivileged user `nobody` (PostgreSQL
# refuses to run as root). Trust authentication, loopback and a socket in DIR only.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop|restart DIR" >&2; exit 2; }

bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  [[ -x "$d/initdb" ]] && { bindir=$d; break; }
done
[[ -n "$bindir" ]] || { echo "pg.sh: no PostgreSQL server (initdb) under /usr/lib/postgresql" >&2; exit 1; }

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  mkdir -p "$dir"
  [[ $(id -u) -eq 0 ]] && chown nobody "$dir"
  as_owner "$bindir/initdb" -D "$dir/data" -U antt --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  # The tally stream is read from the log (db/slot.h): logical decoding, and
  # room for the slots of the tests' many databases.
  cat >>"$dir/data/postgresql.conf" <<'CONF'
wal_level = logical
max_replication_slots = 64
max_wal_senders = 64
max_slot_wal_keep_size = 1GB
CONF
  started=""
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    # in use if something answers there
    if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then continue; fi
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
         -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" \
         start >/dev/null 2>&1; then
      started=$port
      break
    fi
  done
  [[ -n "$started" ]] || { echo "pg.sh: server did not start" >&2; tail -20 "$dir/server.log" >&2; exit 1; }
  as_owner "$bindir/createdb" -h 127.0.0.1 -p "$started" -U antt antt_test
  cat >"$dir/env" <<ENV
export PGHOST=127.0.0.1 PGPORT=$started PGUSER=antt PGDATABASE=antt_test
export ANTT_TEST_DSN='host=127.0.0.1 port=$started user=antt dbname=antt_test'
export ANTT_TEST_PGDIR='$dir' ANTT_PG_BINDIR='$bindir'
ENV
  cat "$dir/env"
  ;;
stop)
  [[ -f "$dir/data/postmaster.pid" ]] || exit 0
  pid=$(head -1 "$dir/data/postmaster.pid")
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
    kill -9 "$pid" 2>/dev/null || true
  ;;
restart)
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null
  ;;
*)
  echo "usage: $0 start|stop|restart DIR" >&2; exit 2 ;;
esac

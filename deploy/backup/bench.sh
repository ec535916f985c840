#!/usr/bin/env bash
# deploy/backup/bench.sh — backup and restore time per GB with pgBackRest as
# deploy/backup/pgbackrest.conf sets it up (zstd level 3, process-max 2), and
# the same with PostgreSQL's own tools in the same run as the baseline:
# pg_basebackup (plain, uncompressed) for the backup, a copy of that for the
# restore. As root (the server runs as postgres).
#
#   SIZE_GB   how big the database is made (default 1): antt.events rows
#             written by SQL (not through anttd), each with 160 bytes of
#             incompressible raw event, as a province's log grows
#   ANTTD     the anttd that makes the schema (default build/daemon/anttd)
#
# Prints the size, each time, the time per GB, and pgBackRest's times over
# the baseline's.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
size_gb=${SIZE_GB:-1}
anttd=${ANTTD:-$root/build/daemon/anttd}
[[ -x "$anttd" ]] || { echo "bench: no $anttd (cmake --build build, or ANTTD=...)" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "bench: run as root (the server runs as postgres)" >&2; exit 2; }
bash "$root/deploy/deps.sh"
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/antt-backup-bench.XXXXXX)
chmod 755 "$work"
install -d -o postgres -g postgres "$work/pg" "$work/repo" "$work/log" "$work/lock" "$work/spool"
as_pg() { runuser -u postgres -- "$@"; }
stop() { [[ -f "$1/postmaster.pid" ]] && as_pg "$bindir/pg_ctl" -D "$1" -m fast -w -t 120 stop >/dev/null || true; }
cleanup() { for d in "$work"/pg/*/; do stop "${d%/}"; done; rm -rf "$work"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
secs() { python3 -c "print(round($2 - $1, 1))"; }

p=$(port)
{
  sed -n '/^\[global\]/,/^\[antt\]/p' "$root/deploy/backup/pgbackrest.conf" | grep -v '^\[antt\]' |
    sed -e "s|^repo1-path=.*|repo1-path=$work/repo|" -e "s|^backup-standby=y|backup-standby=n|"
  printf 'log-path=%s\nlock-path=%s\nspool-path=%s\n\n[antt]\npg1-path=%s\npg1-port=%s\npg1-socket-path=%s\n' \
    "$work/log" "$work/lock" "$work/spool" "$work/pg/main" "$p" "$work/pg"
} >"$work/pgbackrest.conf"
chmod 644 "$work/pgbackrest.conf"
export PGBACKREST_CONFIG=$work/pgbackrest.conf
as_pg "$bindir/initdb" -D "$work/pg/main" -U antt --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
{
  printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n" "$p" "$work/pg"
  echo "max_wal_size = 4GB"
  cat "$root/deploy/backup/postgresql-archive.conf"
} >>"$work/pg/main/postgresql.conf"
as_pg "$bindir/pg_ctl" -D "$work/pg/main" -l "$work/pg/main.log" -w start >/dev/null
export PGHOST=127.0.0.1 PGPORT=$p PGUSER=antt
psql -X -q -d postgres -c "CREATE DATABASE antt"
"$anttd" --db "dbname=antt" --log-level warn --migrate
as_pg pgbackrest --stanza=antt stanza-create >/dev/null

echo "== filling antt.events to ${size_gb} GB"
target=$(( size_gb * 1024 * 1024 * 1024 ))
batch=0
while (( $(psql -X -At -d antt -c "SELECT pg_database_size('antt')") < target )); do
  psql -X -q -d antt -c "INSERT INTO antt.events (id, type, node, unit, seq, event_time, ref, case_version, raw)
    SELECT gen_random_uuid(), 'incident.reported', 'ls-180', '180', $batch * 500000 + g, now(),
           'B' || ($batch * 500000 + g), 1,
           decode(md5(g::text || random()) || md5(random()::text) || md5(random()::text)
                  || md5(random()::text) || md5(random()::text) || md5(random()::text)
                  || md5(random()::text) || md5(random()::text) || md5(random()::text)
                  || md5(random()::text), 'hex')
      FROM generate_series(1, 500000) g"
  batch=$((batch + 1))
done
psql -X -q -d antt -c "CHECKPOINT"
bytes=$(psql -X -At -d postgres -c "SELECT sum(pg_database_size(datname)) FROM pg_database")
gb=$(python3 -c "print(round($bytes / 2**30, 2))")
echo "cluster size: $gb GB ($(psql -X -At -d antt -c "SELECT count(*) FROM antt.events") events)"

echo "== pgBackRest full backup (zstd 3, process-max 2)"
t0=$(now); as_pg pgbackrest --stanza=antt --type=full backup >/dev/null; t1=$(now)
br_backup=$(secs "$t0" "$t1")
repo=$(du -sb "$work/repo/backup" | cut -f1)
wal=$(du -sb "$work/repo/archive" | cut -f1)
echo "== pg_basebackup (plain, uncompressed): the baseline"
t0=$(now); as_pg "$bindir/pg_basebackup" -h "$work/pg" -p "$p" -U antt -D "$work/pg/base" -X fetch -c fast; t1=$(now)
pg_backup=$(secs "$t0" "$t1")

stop "$work/pg/main"
echo "== pgBackRest restore, to a server that accepts connections"
p2=$(port)
t0=$(now)
as_pg pgbackrest --stanza=antt --pg1-path="$work/pg/restored" restore >/dev/null
as_pg "$bindir/pg_ctl" -D "$work/pg/restored" -o "-p $p2 -c archive_mode=off" -l "$work/pg/restored.log" -w -t 3600 start >/dev/null
t1=$(now)
br_restore=$(secs "$t0" "$t1")
stop "$work/pg/restored"
echo "== a copy of pg_basebackup's folder, then the server: the baseline"
t0=$(now)
as_pg cp -a "$work/pg/base" "$work/pg/copied"
as_pg "$bindir/pg_ctl" -D "$work/pg/copied" -o "-p $p2 -c archive_mode=off" -l "$work/pg/copied.log" -w -t 3600 start >/dev/null
t1=$(now)
pg_restore=$(secs "$t0" "$t1")

python3 - "$gb" "$repo" "$wal" "$br_backup" "$pg_backup" "$br_restore" "$pg_restore" <<'PY'
import sys
gb, repo, wal, bb, pb, br, pr = (float(x) for x in sys.argv[1:])
print(f"size {gb} GB; the full backup in pgBackRest's repository {repo / 2**30:.2f} GB"
      f" ({repo / 2**30 / gb:.0%} of it, zstd; the raw events are random bytes), archived WAL"
      f" {wal / 2**30:.2f} GB")
print(f"backup:  pgBackRest {bb:.1f} s ({bb / gb:.1f} s/GB), pg_basebackup {pb:.1f} s ({pb / gb:.1f} s/GB);"
      f" ratio {bb / pb:.2f}")
print(f"restore: pgBackRest {br:.1f} s ({br / gb:.1f} s/GB), copy + start {pr:.1f} s ({pr / gb:.1f} s/GB);"
      f" ratio {br / pr:.2f}")
PY

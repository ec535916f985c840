#!/usr/bin/env bash
# tests/deploy/restore_drill.sh ANTTD ANTT — the restore drill of
# docs/operations.md ("Back up", "Restore to before a mistake"), its blocks run
# as written (tests/deploy/procedure.sh), with pgBackRest and a PostgreSQL
# server of its own, run as postgres with deploy/backup/'s archiving:
#
#   1. backups: stanza, check, full backup (the "backup" procedure), then a
#      differential one as the timer's unit starts it (its ExecStart=);
#   2. events flow: stations (antt, through anttd) send 40 incidents of
#      districts 180 and 181; the figures are noted; the instant T;
#   3. the mistake: district 180's events deleted; stations go on (20 more,
#      acked); --verify now finds differences;
#   4. the restore to T on a new data directory ("restore"): --verify clean,
#      the figures those noted before the mistake, the 40 events;
#   5. the 20 events acked after T taken from the damaged database
#      ("recover-events"): 60 events, --verify clean, and none doubled.
# It prints the backup's and the restore's times (the database is small:
# deploy/backup/bench.sh measures them per GB).
set -euo pipefail
anttd=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
antt=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
fail() { echo "restore_drill: $*" >&2; exit 1; }
# the server and pgBackRest run as postgres, as on a province's servers
[[ $(id -u) == 0 ]] && id postgres >/dev/null 2>&1 ||
  { echo "restore_drill: needs root and the user postgres (deploy/deps.sh)"; exit 77; }
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

work=$(mktemp -d /tmp/antt-drill.XXXXXX)
chmod 755 "$work"
install -d -o postgres -g postgres "$work/pg" "$work/repo" "$work/log" "$work/lock" "$work/spool"
apid=""
cleanup() {
  [[ -n "$apid" ]] && kill -TERM "$apid" 2>/dev/null && wait "$apid" 2>/dev/null || true
  for d in "$work/pg/old" "$work/pg/new"; do
    [[ -f "$d/postmaster.pid" ]] &&
      runuser -u postgres -- "$bindir/pg_ctl" -D "$d" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# pgBackRest: deploy/backup/pgbackrest.conf's [global] (retention,
# compression, ...) with the repository, logs and locks here, and this
# machine's server as the stanza's one node (the formation's two nodes over
# SSH are for real servers).
{
  sed -n '/^\[global\]/,/^\[antt\]/p' "$src/deploy/backup/pgbackrest.conf" | grep -v '^\[antt\]' |
    sed -e "s|^repo1-path=.*|repo1-path=$work/repo|" -e "s|^backup-standby=y|backup-standby=n|"
  cat <<CONF
log-path=$work/log
lock-path=$work/lock
spool-path=$work/spool

[antt]
pg1-path=$work/pg/old
pg1-socket-path=$work/pg
CONF
} >"$work/pgbackrest.conf"
chmod 644 "$work/pgbackrest.conf"
export PGBACKREST_CONFIG=$work/pgbackrest.conf

# The province's server, archiving as deploy/backup/postgresql-archive.conf says.
old_port=$(free_port)
runuser -u postgres -- "$bindir/initdb" -D "$work/pg/old" -U antt --auth=trust -E UTF8 \
  --locale=C.UTF-8 >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log"; fail "initdb"; }
{
  echo "port = $old_port"
  echo "listen_addresses = '127.0.0.1'"
  echo "unix_socket_directories = '$work/pg'"
  cat "$src/deploy/backup/postgresql-archive.conf"
} >>"$work/pg/old/postgresql.conf"
sed -i "s|^pg1-path=.*|&\npg1-port=$old_port|" "$work/pgbackrest.conf"
runuser -u postgres -- "$bindir/pg_ctl" -D "$work/pg/old" -l "$work/pg/old.log" -w -t 60 start >/dev/null ||
  { cat "$work/pg/old.log"; fail "the server did not start"; }
old="host=127.0.0.1 port=$old_port user=antt dbname=antt"
psql -X -q -h 127.0.0.1 -p "$old_port" -U antt -d postgres -c "CREATE DATABASE antt"
"$anttd" --db "$old" --log-level warn --migrate --load-units "$src/data/units-cluster2.csv" \
  --load-groups "$src/data/crime_groups.csv" --add-node ls-180=180 --add-node ls-181=181

# procedure NAME [VAR=VALUE...]: docs/operations.md's block, as written
procedure() {
  local name=$1 text
  shift
  text=$(bash "$here/procedure.sh" "$name")
  echo "== procedure $name"
  env "$@" PATH="$(dirname "$anttd"):$PATH" bash -euo pipefail -c "$text" >"$work/$name.log" 2>&1 ||
    { cat "$work/$name.log"; fail "procedure $name failed"; }
}

start=$(date +%s.%N)
procedure backup
backup_s=$(python3 -c "import time; print(round(time.time() - $start, 1))")
grep -q "full backup" "$work/backup.log" || { cat "$work/backup.log"; fail "no full backup on record"; }

ack=$(free_port)
"$anttd" --db "$old" --log-level warn --listen "tcp://127.0.0.1:$ack" --publish-listen "" \
  --http-listen "" --tally-publish "" --tally-snapshot "" --insecure >"$work/anttd.log" 2>&1 &
apid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$ack") 2>/dev/null && break; sleep 0.1; done
# send FROM TO: incidents N..M, half from each district's station
send() {
  for node in 180 181; do
    for i in $(seq "$1" "$2"); do
      printf '{"type":"incident","unit":"%s","case":"%s/VV-DRILL","group":"social_order",' "$node" "$i"
      printf '"severity":"serious","occurred_at":"2023-0%d-1%dT10:00:00+07:00"}\n' $((i % 9 + 1)) $((i % 10))
    done >"$work/ev-$node.jsonl"
    "$antt" --insecure --endpoint "tcp://127.0.0.1:$ack" --node "ls-$node" --spool "$work/spool-$node" \
      submit --jsonl "$work/ev-$node.jsonl" >"$work/submit.log" 2>&1 ||
      { cat "$work/submit.log"; fail "events $1..$2 of ls-$node were not all accepted"; }
  done
}
report() { "$antt" report --unit 20 --year 2023 --format json --db "$1"; }
events() { psql -X -At -d "$1" -c "SELECT count(*) FROM antt.events"; }

send 1 10
# the differential backup, as antt-backup@diff.service starts it
cmd=$(sed -n 's/^ExecStart=//p' "$src/deploy/backup/antt-backup@.service" | sed 's/%i/diff/g')
runuser -u postgres -- $cmd >"$work/diff.log" 2>&1 || { cat "$work/diff.log"; fail "the differential backup failed"; }
send 11 20
report "$old" >"$work/before.json"
[[ $(events "$old") == 40 ]] || fail "expected 40 events before the mistake, found $(events "$old")"
restore_to=$(psql -X -At -d "$old" -c "SELECT now()")
sleep 1.1

# the mistake, and the stations going on
psql -X -q -d "$old" -c "DELETE FROM antt.events WHERE unit = '180'"
send 21 30
[[ $(events "$old") == 40 ]] || fail "the damaged database should hold 40 events, not $(events "$old")"
if "$anttd" --db "$old" --log-level warn --verify >"$work/damaged.log" 2>&1; then
  fail "--verify found nothing wrong in the damaged database"
fi
kill -TERM "$apid"; wait "$apid" || true; apid=""

new_port=$(free_port)
new="host=127.0.0.1 port=$new_port user=antt dbname=antt"
start=$(date +%s.%N)
procedure restore RESTORE_TO="$restore_to" PGDATA_NEW="$work/pg/new" PGPORT_NEW="$new_port" \
  ANTT_DSN_NEW="$new"
restore_s=$(python3 -c "import time; print(round(time.time() - $start, 1))")
[[ $(events "$new") == 40 ]] || fail "the restored database holds $(events "$new") events, not 40"
report "$new" >"$work/restored.json"
diff -u "$work/before.json" "$work/restored.json" ||
  fail "the restored figures differ from those before the mistake (above: - before, + restored)"

procedure recover-events ANTT_DSN_NEW="$new" ANTT_DSN_OLD="$old"
grep -q "events recovered read=40 accepted=20 duplicates=20 refused=0 deferred=0" "$work/recover-events.log" ||
  { cat "$work/recover-events.log"; fail "expected the 20 events acked after the restore point, and 20 duplicates"; }
[[ $(events "$new") == 60 ]] || fail "after the recovery $(events "$new") events, not 60"
occurred=$(report "$new" | python3 -c 'import json, sys; print(json.load(sys.stdin)["figures"]["occurred"])')
[[ "$occurred" == 60 ]] || fail "the figures count $occurred incidents, not the 60"
occurred=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["figures"]["occurred"])' <"$work/before.json")
[[ "$occurred" == 40 ]] || fail "before the mistake the figures counted $occurred incidents, not 40"
size=$(psql -X -At -d "$new" -c "SELECT pg_size_pretty(pg_database_size('antt'))")
echo "restore_drill: backup ${backup_s} s (stanza, check, full), restore ${restore_s} s (to $restore_to," \
     "verify included), database $size; 40 events restored, 20 recovered from the damaged database, none doubled"

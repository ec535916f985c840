#!/usr/bin/env bash
# tests/sql/upgrade/make_v17.sh BUILD_DIR OUT — the upgrade fixture: a database
# at schema version 17 (the last schema whose functions lived in the numbered
# migrations) holding data, dumped as plain SQL, gzip'd, into OUT.
#
# Made from a checkout of commit 936747a (which added this script; its
# schema is 17, the functions still in the numbered migrations) built as
# usual, against the throwaway server of tests/pg/pg.sh (PG* in the
# environment):
#   git worktree add /tmp/v17 936747a && cd /tmp/v17
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Debug && cmake --build build -j2 --target anttd antt
#   eval "$(bash tests/pg/pg.sh start /tmp/pg-v17)"
#   bash tests/sql/upgrade/make_v17.sh build tests/sql/upgrade/v17.sql.gz
# Its dates are the day it was made (events of "today", tip-offs received in
# the last days); the upgrade test compares before with after, so any day
# will do.
#
# The data, so that every kind of figure has something to say:
#   * the two maps of cluster II (until 30 June 2025 and from 1 July 2025) with
#     the conversion between them, crime groups, clusters, days off;
#   * today's events: Lạng Sơn's communes as stations through the real anttd
#     and `antt load` (incidents, clearances, tip-offs with their deadlines
#     from the ledger, suspensions, transfers, wanted notices);
#   * history sent as events (antt submit --jsonl): cases of Lạng Sơn's old
#     communes in 2023-2025 and of its new ones since 1 July 2025, tip-offs
#     pending in dissolved communes (their heirs' lists today, overdue) and
#     tip-offs received in the last days (due soon), some decided.
# Everything comes through anttd, so `anttd --verify` is clean on it.
set -euo pipefail
build=$(cd "$1" && pwd) out=$2
src=$(cd "$(dirname "$0")/../../.." && pwd)
anttd=$build/daemon/anttd antt=$build/client/antt
db=antt_v17_fixture
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
dsn="dbname=$db"
"$anttd" --db "$dsn" --log-level warn --migrate \
  --load-units "$src/db/units-cluster2.csv" --load-units "$src/db/units-2025.csv" \
  --load-successors "$src/db/successors-2025.csv" --load-groups "$src/db/crime_groups.csv" \
  --load-clusters "$src/db/clusters.csv" --load-days-off "$src/db/days-off.csv" \
  --add-nodes-under 20=st- --add-node ls-20=20
tmp=$(mktemp -d)

# History, sent as stations send it (antt submit --jsonl, node ls-20 at the
# province): old communes of Lạng Sơn (dissolved on 1 July 2025) with cases
# in 2023-2025 and tip-offs still pending when they were dissolved (in their
# heirs' lists today, overdue), new communes with cases since, tip-offs
# received in the last days (due soon) and some resolved or suspended.
psql -X -At -d "$db" -c "SELECT code, coalesce(valid_to::text, '') FROM antt.units
   WHERE level = 'commune' AND path LIKE '20.%' AND (valid_to = '2025-07-01' OR valid_to IS NULL)
   ORDER BY valid_to NULLS LAST, code" >"$tmp/units"
/usr/bin/python3 - "$tmp/units" >"$tmp/history.jsonl" <<'PY'
import json, sys, datetime as dt
rows = [l.split('|') for l in open(sys.argv[1]).read().split()]
old = [c for c, to in rows if to][:30]
new = [c for c, to in rows if not to][:30]
today = dt.date.today()
groups = ['social_order', 'drugs', 'economic', 'traffic']
sev = ['serious', 'very_serious', 'less_serious', 'especially_serious']
def ev(**k): print(json.dumps(k, ensure_ascii=False))
for i, u in enumerate(old):
    for j in range(4):
        d = dt.date(2023, 1, 5) + dt.timedelta(days=(i * 37 + j * 191) % 900)
        g = groups[(i + j) % 4]
        ev(type='incident', unit=u, case=f'H{i}-{j}', group=g, severity=sev[(i + j) % 4],
           occurred_at=d.isoformat(), deaths=(1 if g == 'traffic' and j % 2 else 0))
        if (i + j) % 3:
            ev(type='clear', unit=u, case=f'H{i}-{j}', suspects=1 + j % 2,
               cleared_at=(d + dt.timedelta(days=20 + j)).isoformat())
    r = dt.date(2025, 5, 20) + dt.timedelta(days=i % 25)
    ev(type='tipoff', unit=u, ref=f'TG-{i}', kind='denunciation', source='citizen',
       received_at=r.isoformat(), group=groups[i % 3])
    if i % 4 == 0:
        ev(type='resolve', unit=u, ref=f'TG-{i}', outcome='prosecute',
           resolved_at=(r + dt.timedelta(days=10)).isoformat())
for i, u in enumerate(new):
    for j in range(3):
        d = dt.date(2025, 7, 3) + dt.timedelta(days=(i * 11 + j * 97) % max(1, (today - dt.date(2025, 7, 4)).days))
        g = groups[(i + 2 * j) % 4]
        ev(type='incident', unit=u, case=f'N{i}-{j}', group=g, severity=sev[(i + j) % 4],
           occurred_at=d.isoformat(), injuries=(2 if g == 'traffic' else 0))
        if (i + j) % 2:
            ev(type='clear', unit=u, case=f'N{i}-{j}', suspects=1,
               cleared_at=min(today, d + dt.timedelta(days=15)).isoformat())
    r = today - dt.timedelta(days=1 + i % 40)
    ev(type='tipoff', unit=u, ref=f'TN-{i}', kind='information', source='agency',
       received_at=r.isoformat())
    if i % 5 == 1:
        ev(type='resolve', unit=u, ref=f'TN-{i}', outcome='suspend', resolved_at=today.isoformat())
    if i % 5 == 2:
        ev(type='resolve', unit=u, ref=f'TN-{i}', outcome='not_prosecute', resolved_at=today.isoformat())
PY

# A free loopback port (bash's /dev/tcp: nothing answers there).
free_port() {
  local p
  while :; do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
port=$(free_port) pub=$(free_port)
"$anttd" --db "$dsn" --log-level warn --listen "tcp://127.0.0.1:$port" \
  --publish-listen "tcp://127.0.0.1:$pub" --http-listen "" --tally-publish "" \
  --tally-snapshot "" --insecure &
apid=$!
trap 'kill -TERM $apid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
"$antt" --insecure --endpoint "tcp://127.0.0.1:$port" --node ls-20 --spool "$tmp/spool" \
  submit --jsonl "$tmp/history.jsonl"
"$antt" --insecure --endpoint "tcp://127.0.0.1:$port" load --db "$dsn" --under 20 \
  --node-prefix st- --rate 100 --duration 4 --per-msg 2 --duplicates 0.05
kill -TERM $apid
wait $apid || true
trap - EXIT

# one overdue reading on record, as anttd writes them every ten minutes
psql -X -q -d "$db" -c "SELECT antt.record_overdue()"

"$anttd" --db "$dsn" --log-level warn --verify | tail -1
pg_dump -d "$db" --format=plain --no-owner | gzip -9n >"$out"
psql -X -q -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
   WHERE database = '$db'" -c "DROP DATABASE $db"
rm -rf "$tmp"
ls -l "$out"

#!/usr/bin/env bash
# deploy/federation/federation.sh — a Ministry and its provinces on one
# machine (docs/design/federation.md, docs/operations.md "A Ministry and its
# provinces"): each a private PostgreSQL server with TLS (deploy/federation/
# tls.sh) and its anttd, the provinces publishing up, the Ministry folding
# them and publishing the reference data down, each link a role that reads
# only what it must.
#
#   federation.sh start DIR [CODE...]   the Ministry and provinces CODE (default:
#                                       20 04, Lạng Sơn and Cao Bằng); prints
#                                       what runs where (DIR/federation.env)
#   federation.sh add DIR CODE          one more province, with its history
#   federation.sh remove DIR CODE       stop feeding from a province, stop it
#   federation.sh lag DIR               each province's feed as the Ministry's
#                                       /metrics shows it
#   federation.sh load DIR SECONDS RATE stations of every province for SECONDS
#                                       at RATE events/s each (antt load)
#   federation.sh sums DIR              each province's crimes, at home and at
#                                       the Ministry (exit 1 if they differ)
#   federation.sh stop DIR              stop everything started in DIR, by PID
#
# Binaries: $ANTT_BUILD (default build/), built when missing. As root the
# servers run as `nobody`. Everything listens on 127.0.0.1, on free ports.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { sed -n '2,25p' "$0" >&2; exit 2; }
build=${ANTT_BUILD:-$root/build}
anttd=$build/daemon/anttd antt=$build/cli/antt
pgbin=${ANTT_PG_BINDIR:-/usr/lib/postgresql/15/bin}
password=${ANTT_FEDERATION_PASSWORD:-antt-federation-demo}

as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi; }
free_port() {
  local p
  for _ in $(seq 100); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 )) # below the ephemeral range
    grep -qx "$p" "$dir/ports" 2>/dev/null && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    echo "$p" >>"$dir/ports"
    echo "$p"
    return
  done
  echo "federation.sh: no free port" >&2
  return 1
}
sql() { as_pg "$pgbin/psql" -h 127.0.0.1 -p "$1" -U antt -d antt -Atqc "$2"; }
port_of() { cat "$dir/$1/port"; }
local_dsn() { echo "host=127.0.0.1 port=$(port_of "$1") user=antt dbname=antt"; }
# what the other side uses: TLS checked against the federation's CA, a role
tls_dsn() {
  echo "host=localhost port=$(port_of "$1") dbname=antt user=$2 password=$password" \
    "sslmode=verify-full sslrootcert=$dir/tls/ca.crt"
}

build_if_missing() {
  [[ -x "$anttd" && -x "$antt" ]] && return
  bash "$root/deploy/deps.sh" >/dev/null
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DANTT_TESTS=OFF >/dev/null
  cmake --build "$build" --target anttd antt -j"$(nproc)" >/dev/null
}

# A server for NAME (bo: the Ministry; else a province's code) whose role
# ROLE logs in only over TLS, with a password.
server() {
  local name=$1 role=$2 p
  p=$(free_port)
  mkdir -p "$dir/$name"
  [[ $(id -u) -eq 0 ]] && chown nobody "$dir/$name"
  as_pg "$pgbin/initdb" -D "$dir/$name/data" -U antt --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/$name/initdb.log" 2>&1
  as_pg bash "$root/deploy/federation/tls.sh" server "$dir/tls" "$name" 127.0.0.1 localhost
  cat >>"$dir/$name/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $p
unix_socket_directories = '$dir/$name'
wal_level = logical
max_replication_slots = 40
max_wal_senders = 40
max_logical_replication_workers = 40
max_worker_processes = 48
max_slot_wal_keep_size = 1GB
ssl = on
ssl_cert_file = '$dir/tls/$name.crt'
ssl_key_file = '$dir/tls/$name.key'
CONF
  # the role: logical replication and SQL over TLS with its password, and
  # never a physical replication connection (a base backup would read all)
  { printf 'host replication %s 127.0.0.1/32 reject\nhostssl all %s 127.0.0.1/32 scram-sha-256\nhost all %s 127.0.0.1/32 reject\n' \
      "$role" "$role" "$role"; cat "$dir/$name/data/pg_hba.conf"; } >"$dir/$name/hba.tmp"
  as_pg cp "$dir/$name/hba.tmp" "$dir/$name/data/pg_hba.conf"
  rm -f "$dir/$name/hba.tmp"
  echo "$p" >"$dir/$name/port"
  as_pg "$pgbin/pg_ctl" -D "$dir/$name/data" -l "$dir/$name/server.log" -w -t 60 start >/dev/null
  as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$p" -U antt antt
  sql "$p" "CREATE ROLE $role LOGIN REPLICATION PASSWORD '$password'"
  "$anttd" --db "$(local_dsn "$name")" --migrate >/dev/null 2>&1
}

# anttd for NAME on free ports (its /metrics for the Ministry)
daemon() {
  local name=$1 l h
  l=$(free_port) h=$(free_port)
  "$anttd" --db "$(local_dsn "$name")" --listen "tcp://127.0.0.1:$l" --publish-listen "" \
    --http-listen "127.0.0.1:$h" --tally-publish "" --tally-snapshot "" --insecure \
    --federation-check-s 2 >"$dir/$name/anttd.log" 2>&1 &
  echo $! >"$dir/$name/anttd.pid"
  echo "tcp://127.0.0.1:$l" >"$dir/$name/endpoint"
  echo "$h" >"$dir/$name/http"
  for _ in $(seq 100); do
    grep -q "database connected" "$dir/$name/anttd.log" 2>/dev/null && return
    sleep 0.1
  done
  echo "federation.sh: anttd of $name did not start:" >&2
  tail -5 "$dir/$name/anttd.log" >&2
  return 1
}

province() {
  local code=$1
  [[ $code =~ ^[0-9]{2}$ ]] || { echo "federation.sh: a province is two digits, not $code" >&2; return 2; }
  [[ -d "$dir/$code" ]] && { echo "federation.sh: province $code is already here" >&2; return 1; }
  server "$code" antt_ministry
  local p
  p=$(port_of "$code")
  sql "$p" "SELECT antt.federation_province(); SELECT antt.federation_reader_up('antt_ministry')" \
    >/dev/null
  # the reference data comes from the Ministry; then its stations
  "$anttd" --db "$(local_dsn "$code")" --federation-reference "$code=$(tls_dsn bo antt_province)" \
    --add-nodes-under "$code=st-$code-" >"$dir/$code/setup.log" 2>&1 ||
    { cat "$dir/$code/setup.log" >&2; return 1; }
  daemon "$code"
  # its units: its own subtree and those of the provinces merged into it
  local roots
  roots=$(sql "$(port_of bo)" "SELECT string_agg(DISTINCT code, ',') FROM antt.unit_successors
            WHERE successor = '$code' AND length(code) = 2")
  "$anttd" --db "$(local_dsn bo)" \
    --federation-add "$code${roots:+,$roots}=$(tls_dsn "$code" antt_ministry)" \
    >>"$dir/$code/setup.log" 2>&1 || { cat "$dir/$code/setup.log" >&2; return 1; }
  echo "$code" >>"$dir/provinces"
  echo "province $code: anttd $(cat "$dir/$code/endpoint"), PostgreSQL 127.0.0.1:$p"
}

stop_one() {
  local name=$1
  [[ -f "$dir/$name/anttd.pid" ]] && kill "$(cat "$dir/$name/anttd.pid")" 2>/dev/null || true
  [[ -f "$dir/$name/data/postmaster.pid" ]] &&
    as_pg "$pgbin/pg_ctl" -D "$dir/$name/data" -m fast -w stop >/dev/null 2>&1 || true
}

case "$cmd" in
start)
  shift 2
  codes=("$@")
  [[ ${#codes[@]} -gt 0 ]] || codes=(20 04)
  build_if_missing
  mkdir -p "$dir"
  chmod 755 "$dir"
  [[ $(id -u) -eq 0 ]] && chown nobody "$dir"
  as_pg bash "$root/deploy/federation/tls.sh" ca "$dir/tls"
  server bo antt_province
  "$anttd" --db "$(local_dsn bo)" --load-units "$root/data/units-cluster2.csv" \
    --load-units "$root/data/units-2025.csv" --load-successors "$root/data/successors-2025.csv" \
    --load-groups "$root/data/crime_groups.csv" --load-days-off "$root/data/days-off.csv" \
    --load-clusters "$root/data/clusters.csv" >"$dir/bo/setup.log" 2>&1 ||
    { cat "$dir/bo/setup.log" >&2; exit 1; }
  sql "$(port_of bo)" \
    "SELECT antt.federation_ministry(); SELECT antt.federation_reader_down('antt_province')" >/dev/null
  daemon bo
  echo "the Ministry: PostgreSQL 127.0.0.1:$(port_of bo), /metrics http://127.0.0.1:$(cat "$dir/bo/http")/metrics"
  : >"$dir/provinces"
  for c in "${codes[@]}"; do province "$c"; done
  echo "export ANTT_FEDERATION_DIR='$dir' ANTT_MINISTRY_DSN='$(local_dsn bo)'" >"$dir/federation.env"
  ;;
add)
  province "${3:?CODE}"
  ;;
remove)
  code=${3:?CODE}
  "$anttd" --db "$(local_dsn bo)" --federation-remove "$code" 2>&1 | grep -v "^$" || true
  stop_one "$code"
  sed -i "/^$code\$/d" "$dir/provinces"
  echo "province $code removed; its figures stay at the Ministry"
  ;;
lag)
  printf '%-9s %-9s %-9s %-15s %-16s %-9s %s\n' province streaming lag_s last_applied_s \
    last_received_s batches conflicts
  curl -fsS "http://127.0.0.1:$(cat "$dir/bo/http")/metrics" |
    awk -F'[{}"]' '/^antt_federation_[a-z_]+\{province=/ {
        split($0, v, " "); m = $1; sub("antt_federation_", "", m); val[$3, m] = v[2]; p[$3] = 1 }
      function g(c, k) { return ((c, k) in val) ? val[c, k] : "-" }
      END { for (c in p) printf "%-9s %-9s %-9s %-15s %-16s %-9s %s\n", c, g(c, "streaming"),
              g(c, "lag_seconds"), g(c, "last_applied_seconds"), g(c, "last_received_seconds"),
              g(c, "batches_total"), g(c, "conflicts") }' |
    sort
  ;;
load)
  secs=${3:?SECONDS} rate=${4:?RATE}
  pids=()
  while read -r c; do
    [[ -n "$c" ]] || continue
    "$antt" --insecure --endpoint "$(cat "$dir/$c/endpoint")" load --db "$(local_dsn "$c")" \
      --under "$c" --node-prefix "st-$c-" --rate "$rate" --duration "$secs" \
      >"$dir/$c/load.log" 2>&1 &
    pids+=($!)
  done <"$dir/provinces"
  for p in "${pids[@]}"; do wait "$p"; done
  while read -r c; do
    [[ -n "$c" ]] && grep -E "^load: (answers|ack_latency)" "$dir/$c/load.log" | sed "s/^/province $c: /"
  done <"$dir/provinces"
  ;;
sums)
  # each province's crimes at home and at the Ministry (its units: the
  # subtrees of its roots), once both have folded what they have
  bad=0
  while read -r c; do
    [[ -n "$c" ]] || continue
    sql "$(port_of "$c")" "SELECT antt.fold_wait(20000)" >/dev/null
    n=$(sql "$(port_of "$c")" "SELECT coalesce(sum(value), 0) FROM antt.tallies WHERE metric = 'incidents'")
    m=-1
    for _ in $(seq 60); do
      sql "$(port_of bo)" "SELECT antt.fold_wait(1000)" >/dev/null
      m=$(sql "$(port_of bo)" "SELECT coalesce(sum(t.value), 0) FROM antt.tallies t
            WHERE t.metric = 'incidents' AND t.unit IN (SELECT antt.subtree(r)
              FROM antt.federation_provinces f, unnest(f.roots) r WHERE f.code = '$c')")
      [[ $m -eq $n ]] && break
      sleep 0.5
    done
    echo "province $c: $n incidents at home, $m at the Ministry"
    [[ $m -eq $n ]] || bad=1
  done <"$dir/provinces"
  exit $bad
  ;;
stop)
  [[ -d "$dir" ]] || exit 0
  for n in "$dir"/*/; do
    n=$(basename "$n")
    [[ $n == tls ]] || stop_one "$n"
  done
  ;;
*) sed -n '2,25p' "$0" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# deploy/ha/cluster.sh — a pg_auto_failover formation on one machine, for the
# failover tests and deploy/ha/demo.sh: a monitor, a primary and a
# synchronous secondary, each a pg_autoctl keeper with its own PostgreSQL, on
# free loopback ports, trust authentication, data and sockets under DIR.
#
#   deploy/ha/cluster.sh start DIR     create and run the three nodes; wait for
#                                     primary + secondary; write DIR/env
#                                     (ANTT_HA_DSN: the multi-host conninfo
#                                     anttd uses, with target_session_attrs)
#   deploy/ha/cluster.sh state DIR     the formation's state (pg_autoctl show state)
#   deploy/ha/cluster.sh wait DIR "STATES"
#                                     until the nodes' settled states are these
#                                     (sorted, e.g. "primary secondary")
#   deploy/ha/cluster.sh primary DIR   the current primary's node name and port
#   deploy/ha/cluster.sh kill-primary DIR
#                                     kill -9 the primary's keeper and postmaster
#                                     (a dead server: the monitor promotes the
#                                     secondary after node_considered_unhealthy_timeout)
#   deploy/ha/cluster.sh rejoin DIR    the killed node back (as the secondary); wait for it
#   deploy/ha/cluster.sh stop-secondary DIR | start-secondary DIR
#   deploy/ha/cluster.sh stop DIR      stop everything started in DIR, by PID
#
# As root, everything runs as `nobody` (PostgreSQL refuses root). The monitor
# is tuned to notice a dead node within seconds (production keeps its
# defaults, see docs/operations.md, "High availability").
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|state|primary|kill-primary|stop-secondary|start-secondary|stop DIR" >&2; exit 2; }
bindir=/usr/lib/postgresql/15/bin
command -v pg_autoctl >/dev/null || { echo "cluster.sh: pg_autoctl missing (deploy/deps.sh installs it)" >&2; exit 1; }

as_owner() { # as nobody (when root), with no PG* variable of the caller's
  local envs=(-u PGPORT -u PGUSER -u PGDATABASE -u PGPASSWORD -u PGSERVICE -u PGOPTIONS HOME="$dir" XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/share"
              XDG_RUNTIME_DIR="$dir/run" PGHOST="$dir" PATH="$bindir:/usr/bin:/bin")
  if [[ $(id -u) -eq 0 ]]; then runuser -u nobody -- env "${envs[@]}" "$@"; else env "${envs[@]}" "$@"; fi
}

free_port() {
  local p
  while :; do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 )) # below the ephemeral range
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# initdb with our settings first: sockets in DIR, logical decoding and room
# for slots (the tally stream read a slot until December 2026; a formation
# upgraded from then still has one until anttd drops it).
prepare_pgdata() {
  local pgdata=$1
  as_owner "$bindir/initdb" -D "$pgdata" -U nobody --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >>"$pgdata/postgresql.conf" <<CONF
unix_socket_directories = '$dir'
wal_level = logical
max_replication_slots = 16
max_wal_senders = 16
max_slot_wal_keep_size = 1GB
CONF
}

# Run a keeper in the background, in a process group of its own (its PID,
# the group's, in DIR/NAME.pid).
run_keeper() {
  local name=$1 pgdata=$2
  setsid bash -c 'exec "$@"' _ bash "$0" as-owner "$dir" pg_autoctl run --pgdata "$pgdata" \
    >"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
}

monitor_uri() { cat "$dir/monitor.uri"; }

show_state() { as_owner pg_autoctl show state --monitor "$(monitor_uri)" 2>/dev/null; }

wait_state() { # until: "single" (the first node up) or "primary secondary"
  local want=$1 i st
  for i in $(seq 1 360); do
    st=$(show_state | awk 'NR>2 && NF>=3 && $(NF-2) == $NF {print $NF}' | sort | tr '\n' ' ')
    [[ "$st" == "$want " ]] && return 0
    sleep 0.5
  done
  echo "cluster.sh: the formation did not reach: $want" >&2
  show_state >&2 || true
  return 1
}

case "$cmd" in
as-owner) shift 2; as_owner "$@" ;;
start)
  # XDG_RUNTIME_DIR must exist, or pg_autoctl falls back to the machine's
  # shared /tmp/pg_autoctl, which another user's run may own
  mkdir -p "$dir/run" && chmod 700 "$dir/run"
  [[ $(id -u) -eq 0 ]] && chown nobody "$dir" "$dir/run"
  mport=$(free_port)
  prepare_pgdata "$dir/monitor"
  as_owner pg_autoctl create monitor --pgdata "$dir/monitor" --pgport "$mport" \
    --hostname 127.0.0.1 --listen 127.0.0.1 --auth trust --no-ssl >"$dir/monitor-create.log" 2>&1
  echo "postgres://autoctl_node@127.0.0.1:$mport/pg_auto_failover?sslmode=disable" >"$dir/monitor.uri"
  run_keeper monitor "$dir/monitor"
  for i in $(seq 1 60); do
    as_owner "$bindir/psql" -h 127.0.0.1 -p "$mport" -U autoctl_node -d pg_auto_failover \
      -Atqc 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.5
  done
  # Notice a dead node within seconds (the defaults are meant for real networks).
  as_owner "$bindir/psql" -h 127.0.0.1 -p "$mport" -U nobody -d pg_auto_failover -qc \
    "ALTER SYSTEM SET pgautofailover.health_check_period = 1000" -c \
    "ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000" -c \
    "ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1" -c \
    "ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 500" -c \
    "ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 3000" -c \
    "ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 3000" -c \
    "SELECT pg_reload_conf()" >/dev/null
  hosts=() ports=()
  for n in node1 node2; do
    p=$(free_port)
    # the secondary is a base backup of the primary: its settings come along
    [[ $n == node1 ]] && prepare_pgdata "$dir/$n"
    as_owner pg_autoctl create postgres --pgdata "$dir/$n" --pgport "$p" --hostname 127.0.0.1 \
      --listen 127.0.0.1 --name "$n" --auth trust --no-ssl --monitor "$(monitor_uri)" \
      --dbname antt >"$dir/$n-create.log" 2>&1
    echo "$p" >"$dir/$n.port"
    run_keeper "$n" "$dir/$n"
    hosts+=(127.0.0.1) ports+=("$p")
    [[ $n == node1 ]] && wait_state single
  done
  wait_state "primary secondary"
  hl=$(IFS=,; echo "${hosts[*]}") pl=$(IFS=,; echo "${ports[*]}")
  cat >"$dir/env" <<ENV
export ANTT_HA_DSN='host=$hl port=$pl user=nobody dbname=antt target_session_attrs=read-write connect_timeout=3'
export ANTT_HA_MONITOR='$(monitor_uri)'
export ANTT_HA_DIR='$dir'
ENV
  cat "$dir/env"
  ;;
state) show_state ;;
wait) wait_state "$3" ;; # e.g. "primary secondary", or "wait_primary" with the secondary down
primary)
  show_state | awk -F'|' 'NR>2 && $NF ~ /primary/ {gsub(/ /, "", $1); gsub(/ /, "", $3); print $1, $3}' |
    sed 's/127.0.0.1://' ;;
kill-primary)
  read -r name port < <("$0" primary "$dir")
  [[ -n "${name:-}" ]] || { echo "cluster.sh: no primary" >&2; exit 1; }
  kpid=$(cat "$dir/$name.pid")
  pmpid=$(head -1 "$dir/$name/postmaster.pid" 2>/dev/null || true)
  kill -9 -- "-$kpid" 2>/dev/null || kill -9 "$kpid" 2>/dev/null || true
  [[ -n "$pmpid" ]] && kill -9 "$pmpid" 2>/dev/null || true
  echo "$name" >"$dir/killed"
  echo "$name"
  ;;
rejoin) # the killed node's keeper again: pg_auto_failover rewinds it into a secondary
  name=$(cat "$dir/killed")
  run_keeper "$name" "$dir/$name"
  wait_state "primary secondary"
  ;;
stop-secondary|start-secondary)
  read -r pname _ < <("$0" primary "$dir")
  s=node1; [[ "$pname" == node1 ]] && s=node2
  if [[ $cmd == stop-secondary ]]; then
    kill -TERM -- "-$(cat "$dir/$s.pid")" 2>/dev/null || true
    as_owner "$bindir/pg_ctl" -D "$dir/$s" -m fast -w stop >/dev/null 2>&1 || true
  else
    run_keeper "$s" "$dir/$s"
  fi
  echo "$s"
  ;;
stop)
  for n in node1 node2 monitor; do
    [[ -f "$dir/$n.pid" ]] && kill -TERM -- "-$(cat "$dir/$n.pid")" 2>/dev/null || true
  done
  sleep 1
  for n in node1 node2 monitor; do
    [[ -f "$dir/$n.pid" ]] && kill -9 -- "-$(cat "$dir/$n.pid")" 2>/dev/null || true
    [[ -f "$dir/$n/postmaster.pid" ]] &&
      as_owner "$bindir/pg_ctl" -D "$dir/$n" -m immediate -w stop >/dev/null 2>&1 || true
  done
  ;;
*) echo "usage: $0 start|state|primary|kill-primary|stop-secondary|start-secondary|stop DIR" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# tests/deploy/service_check.sh ANTTD — deploy/anttd.service is a unit systemd
# accepts (systemd-analyze verify, with ExecStart pointed at the built binary)
# and keeps the hardening the issue asks for.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
anttd=$1
unit=$root/deploy/anttd.service
for want in 'User=antt' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'PrivateTmp=yes' \
            'ReadWritePaths=/var/lib/antt' 'CapabilityBoundingSet=$'; do
  grep -q "^$want" "$unit" || { echo "anttd.service lacks $want" >&2; exit 1; }
done
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze not installed: only the hardening lines were checked"
  exit 0
fi
work=$(mktemp -d /tmp/antt-unit.XXXXXX)
trap 'rm -rf "$work"' EXIT
# systemd-analyze verify UNITFILE, tolerating what a build machine lacks
# (users, folders, the network target, installed man pages: PATTERNs).
verify() {
  local file=$1 out bad
  shift
  out=$(systemd-analyze verify "$file" 2>&1 || true)
  bad=$(grep -v "${@/#/-e}" -e '^$' <<<"$out" || true)
  if [[ -n "$bad" ]]; then
    echo "$bad" >&2
    exit 1
  fi
  echo "$(basename "$file") verified"
}

sed "s#^ExecStart=/usr/local/sbin/anttd#ExecStart=$anttd#" "$unit" >"$work/anttd.service"
verify "$work/anttd.service" 'anttd.service: .*Documentation' "Command 'man anttd(8)' failed" \
  "Command 'man anttd.conf(5)' failed"

# The pg_auto_failover keeper's template unit (deploy/ha/), as an instance.
cp "$root/deploy/ha/pg-autoctl@.service" "$work/pg-autoctl@.service"
ln -s "pg-autoctl@.service" "$work/pg-autoctl@node.service"
verify "$work/pg-autoctl@node.service" 'Documentation' "Command 'man pg_autoctl(1)' failed"

# The backups' template unit and its two timers (deploy/backup/).
cp "$root/deploy/backup/antt-backup@.service" "$root/deploy/backup/antt-backup-full.timer" \
  "$root/deploy/backup/antt-backup-diff.timer" "$work/"
for t in full diff; do
  verify "$work/antt-backup-$t.timer" 'Documentation' "Command 'man"
done
for t in full diff; do
  grep -q "^Unit=antt-backup@$t.service$" "$work/antt-backup-$t.timer" ||
    { echo "antt-backup-$t.timer does not start antt-backup@$t.service" >&2; exit 1; }
done

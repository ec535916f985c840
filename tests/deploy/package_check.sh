#!/usr/bin/env bash
# tests/deploy/package_check.sh DEBS [BASE.tar] — the Debian packages (deploy/package.sh)
# installed into a clean Debian 12, made here by mmdebstrap from Debian's
# archive, and used there as docs/operations.md's procedures say, run as
# written (tests/deploy/procedure.sh): install, configure and start, enrol a
# station, rotate its key and the server's, load the calendar, upgrade. Then: events submitted with the
# packaged antt, reported; a program built against libantt-dev runs; anttweb
# serves its page with Debian's Chart.js; everything purged.
#
# The chroot shares this machine's network: anttd in it uses the suite's
# PostgreSQL (PG* in the environment) over loopback, on a database of its own.
# No systemd runs in a chroot, so `systemctl` there is this test's stand-in:
# it starts the unit's ExecStart= as its User= (setpriv), stops it by its PID.
set -euo pipefail
# (Outputs are captured before grep -q reads them: under pipefail, a writer
# that grep -q stops reading fails the pipeline with SIGPIPE.)
debs=$(cd "$1" && pwd)
ANTT_PACKAGE_BASE=${2:-${ANTT_PACKAGE_BASE:-}}
here=$(cd "$(dirname "$0")" && pwd)
mirror=${ANTT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
fail() { echo "package_check: $*" >&2; exit 1; }
# chroot and mount are root's (CI runs as root); elsewhere ctest says skipped
[[ $(id -u) == 0 ]] || { echo "package_check: needs root (chroot, mount)"; exit 77; }
ls "$debs"/anttd_*.deb "$debs"/antt_*.deb "$debs"/libantt1_*.deb "$debs"/libantt-dev_*.deb \
  "$debs"/anttweb_*.deb >/dev/null || fail "no packages in $debs: run deploy/package.sh first"

root=$(mktemp -d /tmp/antt-chroot.XXXXXX)
db="antt_pkg_$$"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cleanup() {
  if [[ -f "$root/run/anttd.pid" ]]; then kill "$(cat "$root/run/anttd.pid")" 2>/dev/null || true; fi
  if [[ -f "$root/run/anttweb.pid" ]]; then kill "$(cat "$root/run/anttweb.pid")" 2>/dev/null || true; fi
  sleep 0.5
  mountpoint -q "$root/dev/pts" && umount "$root/dev/pts"
  mountpoint -q "$root/proc" && umount "$root/proc"
  rm -rf "$root"
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
}
trap cleanup EXIT

start=$(date +%s)
# The clean system: made here, or the tarball deploy/test.sh made while the
# builds ran (the same command, its package lists kept: the network's time
# overlaps the compiler's). Either is unpacked fresh for this run.
base=${ANTT_PACKAGE_BASE:-}
if [[ -n "$base" && -f "$base" ]]; then
  echo "== a clean Debian 12 (mmdebstrap, variant apt, made by deploy/test.sh) in $root"
  tar -C "$root" -xf "$base"
else
  echo "== a clean Debian 12 (mmdebstrap, variant apt) in $root"
  mmdebstrap --quiet --variant=apt --skip=cleanup/apt/lists bookworm "$root" "$mirror" </dev/null \
    >"$root.log" 2>&1 || { cat "$root.log"; rm -f "$root.log"; fail "mmdebstrap failed"; }
  rm -f "$root.log"
fi
echo "made in $(( $(date +%s) - start )) s"
mount -t proc proc "$root/proc"
mount -t devpts devpts "$root/dev/pts"
mkdir -p "$root/tmp/debs"
cp "$debs"/anttd_*.deb "$debs"/antt_*.deb "$debs"/libantt1_*.deb "$debs"/libantt-dev_*.deb \
  "$debs"/anttweb_*.deb "$root/tmp/debs/"
cat >"$root/usr/local/sbin/systemctl" <<'SH'
#!/bin/sh
# package_check.sh's stand-in for systemd: enable [--now] | start | stop | is-active UNIT
set -e
name=$(eval echo \${$#}); name=${name%.service}
unit=/lib/systemd/system/$name.service
case "$1" in
  enable) [ "$2" = --now ] || exit 0 ;;
  start) ;;
  restart) "$0" stop "$name" ;;
  stop) pid=$(cat /run/$name.pid); kill -TERM "$pid"
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; rm -f /run/$name.pid; exit 0 ;;
  is-active) kill -0 "$(cat /run/$name.pid 2>/dev/null)" 2>/dev/null; exit ;;
  *) echo "systemctl (test stand-in): $1 not supported" >&2; exit 2 ;;
esac
user=$(sed -n 's/^User=//p' "$unit")
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
state=$(sed -n 's/^StateDirectory=//p' "$unit")
[ -z "$state" ] || install -d -o "$user" -g "$user" -m 0700 "/var/lib/$state"
setpriv --reuid="$user" --regid="$user" --init-groups -- $exec_start >/var/log/$name.log 2>&1 &
echo $! >/run/$name.pid
SH
chmod 755 "$root/usr/local/sbin/systemctl"

# in_root [VAR=VALUE...] COMMAND...: as root in the chroot, a clean environment
in_root() {
  chroot "$root" env -i HOME=/root LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    ANTT_DSN="$dsn" DEBS="${DEBS_DIR:-/tmp/debs}" "$@"
}
# procedure NAME: docs/operations.md's block, run as written in the chroot (in /root)
procedure() {
  local text
  text=$(bash "$here/procedure.sh" "$1")
  echo "== procedure $1"
  if ! in_root bash -euo pipefail -c "cd /root; $text" >"$root/tmp/procedure.log" 2>&1; then
    cat "$root/tmp/procedure.log"
    fail "procedure $1 failed"
  fi
  tail -3 "$root/tmp/procedure.log"
}

psql -X -q -d postgres -c "CREATE DATABASE $db"
dsn="host=127.0.0.1 port=$PGPORT user=$PGUSER dbname=$db"

procedure install
for p in anttd antt anttweb; do
  [[ $(in_root dpkg-query -W -f='${Status}' "$p") == "install ok installed" ]] || fail "$p is not installed"
done
grep -q ":/var/lib/antt:/usr/sbin/nologin$" <<<"$(in_root getent passwd antt)" ||
  fail "no system user antt: $(in_root getent passwd antt || true)"
grep -q "^ /etc/antt/anttd.conf " <<<"$(in_root dpkg-query -W -f='${Conffiles}\n' anttd)" ||
  fail "/etc/antt/anttd.conf is not a conffile"
[[ $(in_root stat -c '%U:%G %a' /etc/antt/anttd.conf) == "root:antt 640" ]] ||
  fail "/etc/antt/anttd.conf is $(in_root stat -c '%U:%G %a' /etc/antt/anttd.conf)"
grep -q "^ExecStart=/usr/sbin/anttd --config /etc/antt/anttd.conf$" "$root/lib/systemd/system/anttd.service" ||
  fail "the unit does not start the packaged anttd"
[[ ! -e "$root/etc/systemd/system/multi-user.target.wants/anttd.service" ]] ||
  fail "anttd is enabled before it is configured"
[[ -d "$root/usr/share/antt/migrations" && -f "$root/usr/share/antt/days-off.csv" ]] ||
  fail "no migrations or reference data in /usr/share/antt"

# The site's ports (the suite holds the defaults), as an operator edits them.
ack=$(port) pub=$(port) tally=$(port) snap=$(port) http=$(port) web=$(port)
sed -i -e "s|^listen = .*|listen = \"tcp://127.0.0.1:$ack\"|" \
  -e "s|^publish_listen = .*|publish_listen = \"tcp://127.0.0.1:$pub\"|" \
  -e "s|^tally_publish = .*|tally_publish = \"tcp://127.0.0.1:$tally\"|" \
  -e "s|^tally_snapshot = .*|tally_snapshot = \"tcp://127.0.0.1:$snap\"|" \
  "$root/etc/antt/anttd.conf"
if grep -q "^http_listen" "$root/etc/antt/anttd.conf"; then
  sed -i "s|^http_listen = .*|http_listen = \"127.0.0.1:$http\"|" "$root/etc/antt/anttd.conf"
else
  echo "http_listen = \"127.0.0.1:$http\"" >>"$root/etc/antt/anttd.conf"
fi

procedure configure
for _ in $(seq 150); do
  curl -fsS "http://127.0.0.1:$http/healthz" >/dev/null 2>&1 && break
  in_root systemctl is-active anttd || { cat "$root/var/log/anttd.log"; fail "anttd exited"; }
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$http/healthz" >/dev/null || { cat "$root/var/log/anttd.log"; fail "anttd is not ready"; }
[[ $(stat -c %u "/proc/$(cat "$root/run/anttd.pid")") == $(in_root id -u antt) ]] ||
  fail "anttd does not run as antt"

# A station (the chroot's /root), with the packaged antt.
procedure station
submit() { # submit KEY CASE [TIMEOUT]: one incident of 2023 from ls-180-06040
  in_root ANTT_ENDPOINT="tcp://127.0.0.1:$ack" ANTT_SERVER_KEY=/etc/antt/server.key.pub \
    ANTT_NODE=ls-180-06040 ANTT_KEY="/root/$1" \
    antt --timeout "${3:-30}" submit incident --unit 06040 --case "$2" --group social_order \
    --severity "nghiêm trọng" --occurred-at 2023-06-13T10:00:00+07:00 --summary "Trộm cắp tài sản"
}
grep -q "^accepted " <<<"$(submit station.key 1/VV-PKG)" || fail "the first event was not accepted"
procedure rotate-station-key
if out=$(submit station.key 2/VV-PKG 3 2>&1); then fail "the old key still submits: $out"; fi
grep -q "^accepted " <<<"$(submit station-2027.key 3/VV-PKG)" || fail "the new key's event was not accepted"
in_root ANTT_DB="$dsn" antt spool --node ls-180-06040 >/dev/null 2>&1 || true
report=$(in_root antt report --unit 20 --year 2023 --db "$dsn")
grep -q "Tội phạm: xảy ra 3 vụ" <<<"$report" ||
  { echo "$report"; fail "the report does not count the three events (the old key's went with the new)"; }

procedure rotate-server-key
wait_ready() {
  for _ in $(seq 150); do curl -fsS "http://127.0.0.1:$http/healthz" >/dev/null 2>&1 && return; sleep 0.2; done
  cat "$root/var/log/anttd.log"; fail "anttd is not ready"
}
wait_ready
submit_pinned() { # submit_pinned SERVER_PUB CASE TIMEOUT: as ls-180-06040 with its 2027 key
  in_root ANTT_ENDPOINT="tcp://127.0.0.1:$ack" ANTT_SERVER_KEY="$1" ANTT_NODE=ls-180-06040 \
    ANTT_KEY=/root/station-2027.key antt --timeout "$3" submit incident --unit 06040 --case "$2" \
    --group social_order --severity "nghiêm trọng" --occurred-at 2023-06-13T10:00:00+07:00
}
if out=$(submit_pinned /etc/antt/server.key.pub 5/VV-PKG 3 2>&1); then
  fail "a station pinning the old server key still submits: $out"
fi
grep -q "^accepted " <<<"$(submit_pinned /etc/antt/server-2027.key.pub 6/VV-PKG 30)" ||
  fail "a station pinning the new server key is not served"

procedure calendar
[[ $(psql -X -At -d "$db" -c "SELECT count(*) FROM antt.days_off WHERE extract(year FROM day) = 2026") == 25 ]] ||
  fail "the calendar of 2026 is not on record"
metrics=$(curl -fsS "http://127.0.0.1:$http/metrics")
grep -q "^antt_calendar_last_year 2026$" <<<"$metrics" || fail "/metrics does not give the calendar's last year"

# An upgrade to a newer release, as the procedure says: here the same
# packages with a higher version (dpkg-deb repacks them), so that dpkg runs
# an upgrade (maintainer scripts, the operator's edited conffile kept).
mkdir -p "$root/tmp/debs-next"
for deb in "$root"/tmp/debs/{anttd,antt,anttweb}_*.deb; do
  rm -rf "$root/tmp/repack"
  dpkg-deb -R "$deb" "$root/tmp/repack"
  sed -i 's/^Version: \(.*\)$/Version: \1+1/' "$root/tmp/repack/DEBIAN/control"
  dpkg-deb -b "$root/tmp/repack" "$root/tmp/debs-next/" >/dev/null
done
rm -rf "$root/tmp/repack"
before=$(in_root dpkg-query -W -f='${Version}' anttd)
DEBS_DIR=/tmp/debs-next
procedure upgrade
[[ $(in_root dpkg-query -W -f='${Version}' anttd) == "$before+1" ]] || fail "anttd was not upgraded"
grep -q "^listen = \"tcp://127.0.0.1:$ack\"" "$root/etc/antt/anttd.conf" &&
  grep -q "dbname=$db\"$" "$root/etc/antt/anttd.conf" || fail "the upgrade lost the operator's settings"
[[ $(in_root stat -c '%U:%G %a' /etc/antt/anttd.conf) == "root:antt 640" ]] || fail "the upgrade changed the permissions"
wait_ready
grep -q "^accepted " <<<"$(submit_pinned /etc/antt/server-2027.key.pub 7/VV-PKG 30)" ||
  fail "no event taken after the upgrade"
# 3 before the rotations, the one spooled with the old server key, 6/ and 7/
report=$(in_root antt report --unit 20 --year 2023 --db "$dsn")
grep -q "Tội phạm: xảy ra 6 vụ" <<<"$report" || { echo "$report"; fail "the report after the upgrade"; }

# libantt-dev: a station's program built against the installed headers,
# pkg-config file and library, run in the chroot.
in_root sh -c 'apt-get install -y -qq --no-install-recommends /tmp/debs/libantt1_*.deb \
  /tmp/debs/libantt-dev_*.deb' >/dev/null
cat >"$root/tmp/station.c" <<'C'
#include <antt.h>
#include <stdio.h>
int main(void)
{
    antt_opts_t o = antt_defaults();
    printf("%s %s resend_ms=%d\n", antt_err_name(0), antt_err_name(401), (int)o.resend_ms);
    return 0;
}
C
flags=$(PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_LIBDIR="$root/usr/lib/x86_64-linux-gnu/pkgconfig" \
  pkg-config --cflags --libs antt)
cc -o "$root/tmp/station" "$root/tmp/station.c" $flags || fail "a program does not build against libantt-dev"
out=$(in_root /tmp/station) || fail "the program linked against libantt1 does not run"
echo "libantt: $out"

# anttweb: its page, and Chart.js from Debian's libjs-chart.js
# (not through in_root: a function in the background is a subshell, and its
# PID would not be anttweb's; chroot, env and setpriv each exec the next)
chroot "$root" env -i LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  setpriv --reuid=antt --regid=antt --init-groups -- \
  anttweb --listen "127.0.0.1:$web" --db "$dsn" >"$root/var/log/anttweb.log" 2>&1 &
echo $! >"$root/run/anttweb.pid"
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$web/" >/dev/null 2>&1 && break; sleep 0.1; done
grep -q "<html" <<<"$(curl -fsS "http://127.0.0.1:$web/")" || { cat "$root/var/log/anttweb.log"; fail "anttweb serves no page"; }
[[ $(curl -fsS "http://127.0.0.1:$web/static/chart.min.js" | wc -c) -gt 100000 ]] || fail "anttweb does not serve Chart.js"
kill "$(cat "$root/run/anttweb.pid")"
rm -f "$root/run/anttweb.pid"

in_root systemctl stop anttd
grep -q "stopped" "$root/var/log/anttd.log" || true
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq anttd antt anttweb libantt-dev libantt1 >/dev/null
for f in /usr/sbin/anttd /usr/bin/antt /usr/bin/anttweb /etc/antt /var/lib/antt /usr/share/antt \
         /lib/systemd/system/anttd.service; do
  [[ ! -e "$root$f" ]] || fail "$f is still there after the purge"
done
[[ -z $(in_root dpkg-query -W -f='${Status}\n' anttd antt anttweb libantt1 libantt-dev 2>/dev/null |
        grep "installed" || true) ]] || fail "a package is still installed"
echo "package_check: installed, configured, used and purged in a clean Debian 12 ($(( $(date +%s) - start )) s)"

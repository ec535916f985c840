#!/usr/bin/env bash
# tests/deploy/install_check.sh [BUILD_DIR] — `cmake --install` into a temporary
# prefix puts everything where a user looks for it, and a small program builds
# against libantt through `pkg-config antt`, shared and static, and runs.
# BUILD_DIR: a configured build tree (deploy/test.sh passes the Debian
# packages' -Werror tree, whose libraries go to lib/<multiarch>); without one,
# build-install/ is configured (Release) and built.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-install}
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DANTT_TESTS=OFF >/dev/null
fi
cmake --build "$build" -j"$(nproc)" >/dev/null
work=$(mktemp -d /tmp/antt-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() { echo "install_check: $*" >&2; exit 1; }
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
# lib/, or lib/<multiarch>/ for a tree configured as Debian's (deploy/package.sh)
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' "$build/CMakeCache.txt")
libdir=${libdir:-lib}

for f in sbin/anttd bin/antt $libdir/libantt.so $libdir/libantt.a include/antt/antt.h include/antt/proto/ev.h \
         include/antt/proto/err.h $libdir/pkgconfig/antt.pc share/man/man8/anttd.8 share/man/man1/antt.1 \
         share/man/man5/anttd.conf.5 share/man/man3/libantt.3 share/man/man8/anttweb.8 \
         share/antt/migrations/001_schema.sql share/antt/units-cluster2.csv share/antt/crime_groups.csv \
         share/antt/clusters.csv lib/systemd/system/anttd.service share/doc/antt/PROTOCOL.md \
         share/doc/antt/anttd.conf.example share/doc/antt/README.md share/doc/antt/NEWS.md \
         share/doc/antt/TOPOLOGY.md share/doc/antt/docs/report-json.md share/doc/antt/docs/http-api.md; do
  [[ -e "$prefix/$f" ]] || fail "$f was not installed"
done
[[ $(ls "$prefix"/share/antt/migrations/*.sql | wc -l) == $(ls "$root"/db/migrations/*.sql | wc -l) ]] ||
  fail "not every migration was installed"
# The documents the README sends a reader to, in docs/ beside it.
for f in "$root"/docs/*.md; do
  [[ -e "$prefix/share/doc/antt/docs/$(basename "$f")" ]] || fail "docs/$(basename "$f") was not installed"
done
grep -q "^ExecStart=$prefix/sbin/anttd " "$prefix/lib/systemd/system/anttd.service" ||
  fail "the installed unit does not start the installed anttd"
# (Outputs are captured before grep -q looks: under pipefail, a writer that
# grep -q stops reading kills the pipeline with SIGPIPE.)
out=$("$prefix/sbin/anttd" --version)
[[ "$out" == "anttd "* ]] || fail "the installed anttd does not run: $out"
out=$("$prefix/bin/antt" --version)
[[ "$out" == "antt "* ]] || fail "the installed antt does not run: $out"

# The man pages render without a warning, and say what they are about.
for page in man8/anttd.8 man1/antt.1 man5/anttd.conf.5 man3/libantt.3 man8/anttweb.8; do
  warn=$(preconv "$prefix/share/man/$page" | groff -man -Tutf8 -ww -z 2>&1 || true)
  [[ -z "$warn" ]] || fail "$page: $warn"
done
page=$(MANWIDTH=80 man -l "$prefix/share/man/man8/anttd.8" 2>/dev/null)
grep -q "EXIT STATUS" <<<"$page" || fail "anttd(8) has no EXIT STATUS"
page=$(MANWIDTH=80 man -l "$prefix/share/man/man1/antt.1" 2>/dev/null)
grep -q "ANTT_DB" <<<"$page" || fail "antt(1) does not name ANTT_DB"
page=$(MANWIDTH=80 man -l "$prefix/share/man/man8/anttweb.8" 2>/dev/null)
grep -q "EXIT STATUS" <<<"$page" || fail "anttweb(8) has no EXIT STATUS"

# Only the public API leaves the shared library.
leaked=$(nm -D --defined-only "$prefix/$libdir/libantt.so" | awk '{print $3}' |
         grep -v -E '^(antt_|ev_|EV_|ack_status_name$)' || true)
[[ -z "$leaked" ]] || fail "libantt.so exports internals: $leaked"

# A station's program, from the installed headers and pkg-config alone.
cat >"$work/station.c" <<'C'
#include <antt.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    antt_opts_t o = antt_defaults();
    o.endpoints = "tcp://127.0.0.1:9"; /* nobody there: the event waits in the spool */
    o.node = "ls-180-06040";
    o.spool_path = argv[argc - 1];
    o.sec.insecure = 1;
    antt_t *a;
    char err[256];
    if (antt_open(&a, &o, err, sizeof err)) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    ev_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = EV_INCIDENT_REPORTED;
    ev.present = ev_required(EV_INCIDENT_REPORTED);
    ev.unit = ev_cstr("06040");
    ev.ref = ev_cstr("12/VV-CAX");
    ev.group = ev_cstr("social_order");
    ev.severity = SEV_SERIOUS;
    ev.occurred_us = 1686625200000000LL; /* 2023-06-13T10:00+07:00 */
    if (antt_submit(a, &ev, err, sizeof err)) {
        fprintf(stderr, "submit: %s\n", err);
        return 1;
    }
    ev_t bad = ev;
    bad.present &= ~EVB(EVF_CASE);
    int rc = antt_submit(a, &bad, err, sizeof err);
    printf("pending %zu; without a case: %s\n", antt_pending(a), antt_err_name(-rc));
    antt_close(&a);
    return 0;
}
C
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
cc -std=c17 -Wall -Wextra -Werror -o "$work/station" "$work/station.c" $(pkg-config --cflags --libs antt)
out=$(LD_LIBRARY_PATH=$prefix/$libdir "$work/station" "$work/spool")
[[ "$out" == "pending 1; without a case: MISSING_FIELD" ]] || fail "the program said: $out"
libs=$(LD_LIBRARY_PATH=$prefix/$libdir ldd "$work/station")
grep -q "$prefix/$libdir/libantt.so" <<<"$libs" || fail "not linked against the installed libantt.so: $libs"
# static: libantt.a inside the program, its dependencies from pkg-config
cc -std=c17 -Wall -Werror -o "$work/station-static" "$work/station.c" $(pkg-config --cflags antt) \
  "$prefix/$libdir/libantt.a" $(pkg-config --libs libzmq msgpack)
out=$("$work/station-static" "$work/spool-static")
[[ "$out" == "pending 1; without a case: MISSING_FIELD" ]] || fail "the static program said: $out"
libs=$(ldd "$work/station-static")
! grep -q libantt <<<"$libs" || fail "the static program still needs libantt.so"
echo "install_check: $(wc -l <"$work/install.log") files installed; a program builds against pkg-config antt (shared and static) and runs"

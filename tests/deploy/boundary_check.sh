#!/usr/bin/env bash
# tests/deploy/boundary_check.sh — the folders' boundaries, as the top
# CMakeLists.txt lists them:
# - the store is a real boundary: every libpq call and every SQL statement of
#   the product lives in db/. Outside it no C file may include libpq, name its
#   types, call a PQ function, or hold SQL text. Tests may: they inspect the
#   database from outside, as an operator with psql would.
# - db/'s internal headers (the COPY encoder, the CSV header reader, the
#   roll-ups' SQL text) are db/'s own: no product file outside db/ includes them.
# - the station library (lib/) includes nothing of db/, cmd/, report/, cli/;
#   the console and the shared libraries (web/, report/, cmd/) nothing of cli/;
#   the pure rules (rules/) nothing but proto/ and the C library, and read
#   no clock.
# - no service of the daemon includes daemon/daemon.h (a cycle).
#
# The patterns are checked against db/ too, where they must match (a
# pattern that matches nothing anywhere would pass everything).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

libpq='libpq-fe\.h|\bPG(conn|result|notify)\b|\bPQ[a-zA-Z]+[[:space:]]*\('
# A string literal that starts a statement, or that names a table of ours.
sql='"[[:space:]]*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP|COPY|BEGIN|COMMIT|ROLLBACK|LISTEN|NOTIFY|SET|TRUNCATE|LOCK)[[:space:](;"]|"[^"]*\b(FROM|INTO|JOIN|UPDATE|TABLE) antt\.'

mapfile -t outside < <(find daemon lib cmd report cli rules net proto web -name '*.[ch]' | sort)
status=0
for what in libpq sql; do
  pattern=${!what}
  if grep -nE "$pattern" "${outside[@]}"; then
    echo "boundary: the lines above use $what outside db/ (move them into the store)" >&2
    status=1
  fi
  if ! grep -rqE "$pattern" --include='*.[ch]' db; then
    echo "boundary: the $what pattern matches nothing in db/ either: the check is broken" >&2
    status=1
  fi
done

# forbidden PATTERN WHY FOLDER...: no C file under the folders matches PATTERN
forbidden() {
  local pattern=$1 why=$2
  shift 2
  if grep -rnE --include='*.[ch]' "$pattern" "$@"; then
    echo "boundary: the lines above $why" >&2
    status=1
  fi
}
internal='#include "db/(pgcopy|csvhead|rollup)\.h"'
forbidden "$internal" "include db/'s internal headers outside db/" \
  daemon lib cmd report cli rules net proto web
if ! grep -rqE --include='*.[ch]' "$internal" db; then
  echo "boundary: db/'s internal headers are used nowhere in db/: the check is broken" >&2
  status=1
fi
forbidden '#include "(db|cmd|report|cli|web|daemon)/' "make the station library depend on the operator side" lib
forbidden '#include "(db|net|lib|cmd|report|cli|web|daemon)/' "make the pure rules depend on more than proto/" rules
forbidden '#include "cli/' "make the console or the shared libraries depend on the CLI" web report cmd
forbidden '#include <(zmq|libpq-fe|msgpack)\.h>|\b(time|clock_gettime|gettimeofday|ts_now_us|mono_us)[[:space:]]*\(' \
  "give the pure rules a socket, a database or a clock" rules

# The daemon's services sit below daemon.c: daemon.h includes their headers,
# so none of them may include daemon.h (that would close a cycle). Only the
# daemon itself, main.c and the intake fuzzer do.
if grep -l '#include "daemon/daemon.h"' daemon/*.[ch] daemon/*/*.[ch] |
    grep -vxE 'daemon/(daemon\.c|main\.c|fuzz/fuzz_intake\.c)'; then
  echo "boundary: the files above include daemon/daemon.h (a service must not)" >&2
  status=1
fi
[[ $status == 0 ]] && echo "boundary: no libpq call and no SQL outside db/ (${#outside[@]} files); db/'s internal headers, lib/, rules/ and the daemon's services kept apart"
exit $status

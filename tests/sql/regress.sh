#!/usr/bin/env bash
# tests/sql/regress.sh ANTTD NAME [--show] — one SQL regression test, in
# pg_regress's manner: a fresh database migrated by ANTTD, tests/sql/NAME.sql
# run through psql -X -a (statements echoed, errors in the output), and the
# output compared with tests/sql/expected/NAME.out. --show prints the output
# instead (to write a new expected file: check every line of it by hand
# against docs/semantics.md first — an expected file says what is right,
# not what the code happens to do). PG* in the environment: the test server.
set -euo pipefail
anttd=$1 name=$2
here=$(cd "$(dirname "$0")" && pwd)
db="antt_sql_${name}_$$"
out=$(mktemp)
cleanup() {
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -f "$out"
}
trap cleanup EXIT
# The console's role, made here first whatever runs beside: migration 010
# makes it when missing, and two first migrations at once would race.
psql -X -q -d postgres -c "DO \$\$ BEGIN CREATE ROLE antt_reader NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END \$\$"
psql -X -q -d postgres -c "CREATE DATABASE $db"
"$anttd" --db "dbname=$db" --log-level warn --migrate >/dev/null
# (from tests/sql, so that \ir data/map.sql is found; times in Hanoi)
(cd "$here" && PGOPTIONS="-c timezone=Asia/Ho_Chi_Minh" \
  psql -X -a -q -d "$db" -v VERBOSITY=terse -f "$name.sql") >"$out" 2>&1
if [[ ${3:-} == --show ]]; then
  cat "$out"
  exit 0
fi
if ! diff -u "$here/expected/$name.out" "$out"; then
  echo "regress: $name differs from tests/sql/expected/$name.out (above: - expected, + got)" >&2
  exit 1
fi

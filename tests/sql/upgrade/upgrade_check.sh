#!/usr/bin/env bash
# tests/sql/upgrade/upgrade_check.sh ANTTD — a database made by the schema 17
# runner (v17.sql.gz, see make_v17.sh), upgraded by this anttd: its versions
# are kept, its repeatables applied, every figure of figures.sql the same
# after as before, `anttd --verify` clean, its schema that of db/schema.sql
# (a fresh database's), and a second --migrate has nothing to do.
# PG* in the environment: the test server (tests/pg/pg.sh).
set -euo pipefail
anttd=$1
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
db="antt_upgrade_$$"
tmp=$(mktemp -d)
cleanup() {
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "upgrade_check: $*" >&2; exit 1; }

# The dump grants to the console's role, which a fresh server may not have
# yet (migration 010 makes it; made here so that two first migrations at
# once do not race).
psql -X -q -d postgres -c "DO \$\$ BEGIN CREATE ROLE antt_reader NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END \$\$"
psql -X -q -d postgres -c "CREATE DATABASE $db"
gzip -dc "$here/v17.sql.gz" | psql -X -q -v ON_ERROR_STOP=1 -d "$db" >"$tmp/restore.log" 2>&1 ||
  { cat "$tmp/restore.log" >&2; fail "the fixture did not restore"; }
# Statistics, as after any restore: without them PostgreSQL 15.18 fails
# antt.tipoffs_open's plan ("failed to find unique expression in subplan
# tlist"), the schema 17 functions as well as today's.
psql -X -q -d "$db" -c "ANALYZE"
[[ $(psql -X -At -d "$db" -c "SELECT max(version) FROM antt.schema_migrations") == 17 ]] ||
  fail "the fixture is not at version 17"

# Both runs at the same instant (antt.now()); antt.today() is the clock's.
figures() {
  { echo "SET antt.as_of = '$pinned';"; cat "$here/figures.sql"; } |
    psql -X -q -v ON_ERROR_STOP=1 -d "$db"
}
pinned=$(date -u +%Y-%m-%dT%H:%M:%SZ)
figures >"$tmp/before.txt"

"$anttd" --db "dbname=$db" --migrate >"$tmp/migrate.log" 2>&1 ||
  { cat "$tmp/migrate.log" >&2; fail "anttd --migrate failed"; }
cat "$tmp/migrate.log"
repeatables=$(grep -cEv '^[[:space:]]*(#|$)' "$src/db/schema/ORDER")
# the fixture is at schema 17: the numbered migrations after it, and every repeatable
versions=$(find "$src/db/migrations" -name '[0-9][0-9][0-9]_*.sql' | awk -F/ '{ if ($NF + 0 > 17) n++ } END { print n + 0 }')
grep -q "applied=$versions repeatables=$repeatables " "$tmp/migrate.log" ||
  fail "expected $versions versions and all $repeatables repeatables applied"
[[ $(psql -X -At -d "$db" -c "SELECT count(*) FROM antt.schema_repeatables") == "$repeatables" ]] ||
  fail "antt.schema_repeatables does not hold every repeatable"

figures >"$tmp/after.txt"
if ! diff -u "$tmp/before.txt" "$tmp/after.txt"; then
  fail "figures differ after the upgrade (above: - before, + after)"
fi
echo "upgrade_check: $(wc -l <"$tmp/after.txt") lines of figures, the same before and after"

"$anttd" --db "dbname=$db" --log-level warn --verify >"$tmp/verify.log" 2>&1 ||
  { cat "$tmp/verify.log" >&2; fail "anttd --verify found differences"; }
tail -1 "$tmp/verify.log"

bash "$src/db/schema/dump.sh" of "$db" >"$tmp/schema.sql"
if ! diff -u "$src/db/schema.sql" "$tmp/schema.sql"; then
  fail "the upgraded schema differs from db/schema.sql (above: - committed, + upgraded)"
fi

"$anttd" --db "dbname=$db" --migrate >"$tmp/again.log" 2>&1 || { cat "$tmp/again.log" >&2; exit 1; }
grep -q "applied=0 repeatables=0 post_steps=0 " "$tmp/again.log" ||
  { cat "$tmp/again.log" >&2; fail "a second --migrate re-applied something"; }
echo "upgrade_check: ok"

#!/usr/bin/env bash
# tests/pg/smoke.sh — the suite's PostgreSQL is the throwaway one: reachable over
# loopback, version 15 or later, its data directory the temporary one pg.sh made.
set -euo pipefail
: "${ANTT_TEST_DSN:?run the suite through deploy/test.sh (it starts a throwaway PostgreSQL)}"
ver=$(psql "$ANTT_TEST_DSN" -Atc "show server_version_num")
[[ $ver -ge 150000 ]] || { echo "PostgreSQL $ver is older than 15" >&2; exit 1; }
datadir=$(psql "$ANTT_TEST_DSN" -Atc "show data_directory")
[[ "$datadir" == "$ANTT_TEST_PGDIR/data" ]] || { echo "not the throwaway server: $datadir" >&2; exit 1; }
echo "throwaway PostgreSQL $ver at $PGHOST:$PGPORT ($datadir)"

#!/usr/bin/env bash
# tests/integration/template.sh BASE_DSN ANTTD SOURCE_DIR — make sure database
# antt_it_template exists on the server of BASE_DSN, built by anttd itself:
# schema, the cluster-II units of both eras (until 30 June 2025 and from 1 July
# 2025, with the conversion between them), crime groups, clusters and three
# test nodes.
# Integration tests copy it.
#
# Concurrent callers (suites start together) are serialised by the caller,
# which holds a PostgreSQL advisory lock around this script (harness.c,
# ensure_template): whoever comes second finds the template made. A build
# that died half-way leaves only antt_it_template_build, dropped here.
set -euo pipefail
base=$1 anttd=$2 src=$3
have() { psql "$base" -Atc "SELECT count(*) FROM pg_database WHERE datname = '$1'"; }
# A template made by an older schema (a long-lived development server) is made
# again: its newest migration must be the source tree's, and its repeatable
# files (db/schema/, antt.schema_repeatables) the tree's too.
want=$(ls "$src"/db/migrations/*.sql | sed -n 's|.*/0*\([0-9]*\)_[^/]*\.sql$|\1|p' | sort -n | tail -1)
want="$want $(grep -Ev '^[[:space:]]*(#|$)' "$src/db/schema/ORDER" | LC_ALL=C sort |
  (cd "$src/db/schema" && xargs sha256sum) | awk '{print $2 "=" $1}' | tr '\n' ' ')"
if [[ $(have antt_it_template) == 1 ]]; then
  got=$(psql "$base dbname=antt_it_template" -Atc "SELECT (SELECT max(version) FROM
    antt.schema_migrations) || ' ' || coalesce((SELECT string_agg(name || '=' || checksum || ' ',
    '' ORDER BY name COLLATE \"C\") FROM antt.schema_repeatables), '')" 2>/dev/null || true)
  [[ $got == "$want" ]] && exit 0
  psql "$base" -qc "DROP DATABASE antt_it_template"
fi
psql "$base" -qc "DROP DATABASE IF EXISTS antt_it_template_build" 2>/dev/null
psql "$base" -qc "CREATE DATABASE antt_it_template_build"
"$anttd" --db "$base dbname=antt_it_template_build" --log-level warn --migrate \
  --load-units "$src/data/units-cluster2.csv" --load-units "$src/data/units-2025.csv" \
  --load-successors "$src/data/successors-2025.csv" --load-groups "$src/data/crime_groups.csv" \
  --load-clusters "$src/data/clusters.csv" --load-days-off "$src/data/days-off.csv" \
  --add-node ls-180-06040=06040 --add-node ls-180=180 --add-node ls-181=181
psql "$base" -qc "ALTER DATABASE antt_it_template_build RENAME TO antt_it_template"

#!/usr/bin/env bash
# tests/integration/template.sh BASE_DSN ANTTD SOURCE_DIR — make sure database
# antt_it_template exists on the server of BASE_DSN, built by anttd itself:
# schema, the cluster-II units, crime groups and three test nodes. Integration
# tests copy it. Concurrent callers: CREATE DATABASE is the lock; the loser
# waits for the winner's rename.
set -euo pipefail
base=$1 anttd=$2 src=$3
have() { psql "$base" -Atc "SELECT count(*) FROM pg_database WHERE datname = '$1'"; }
[[ $(have antt_it_template) == 1 ]] && exit 0
if psql "$base" -qc "CREATE DATABASE antt_it_template_build" 2>/dev/null; then
  "$anttd" --db "$base dbname=antt_it_template_build" --log-level warn --migrate \
    --load-units "$src/db/units-cluster2.csv" --load-groups "$src/db/crime_groups.csv" \
    --add-node ls-180-06040=06040 --add-node ls-180=180 --add-node ls-181=181
  psql "$base" -qc "ALTER DATABASE antt_it_template_build RENAME TO antt_it_template"
  exit 0
fi
for _ in $(seq 1 300); do
  [[ $(have antt_it_template) == 1 ]] && exit 0
  sleep 0.1
done
echo "template.sh: antt_it_template did not appear" >&2
exit 1

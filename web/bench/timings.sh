#!/usr/bin/env bash
# web/bench/timings.sh — how long the console takes to give a province's page
# (first render within 1 s on this 2-core machine with 10 years of a
# province's tallies). A private PostgreSQL (tests/pg/pg.sh), both unit maps,
# Lạng Sơn's tallies for 2016-2025 generated in SQL (every commune of each
# era, an event on about 1 day in 3 for each of a few metrics), anttweb, one
# viewer; then the page's requests, in the order the page makes them, each
# timed (best of 5), for the year 2025 compared with 2024. The same requests
# on the empty database are the baseline: the ratio says what 10 years cost.
#   bash web/bench/timings.sh [BUILD_DIR]   (default build-release)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-release}
[[ -x $build/web/anttweb ]] || { echo "timings: build first ($build/web/anttweb)" >&2; exit 2; }
work=$(mktemp -d /tmp/antt-webbench.XXXXXX)
chmod 755 "$work"
wpid=""
cleanup() {
  [[ -n "$wpid" ]] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null || true
  bash "$root/tests/pg/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
eval "$(bash "$root/tests/pg/pg.sh" start "$work/pg")"
dsn="$ANTT_TEST_DSN"
"$build/daemon/anttd" --db "$dsn" --log-level warn --migrate \
  --load-units "$root/data/units-cluster2.csv" --load-units "$root/data/units-2025.csv" \
  --load-successors "$root/data/successors-2025.csv" --load-groups "$root/data/crime_groups.csv"
printf 'a long secret\n' | "$build/cli/antt" viewer add bench --unit 20 --db "$dsn" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$build/web/anttweb" --db "$dsn" --listen "127.0.0.1:$port" 2>"$work/anttweb.log" &
wpid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
cookie=$(curl -s -D - -o /dev/null --data 'name=bench&password=a+long+secret' \
  "http://127.0.0.1:$port/api/login" | sed -n 's/^Set-Cookie: \(antt_session=[0-9a-f]*\).*/\1/p')

# The requests of the page for Lạng Sơn, 2025 against 2024.
q="unit=20&from=2025-01-01&to=2026-01-01"
paths=("/api/me" "/api/units?q=" "/api/overview?$q&cfrom=2024-01-01&cto=2025-01-01"
       "/api/children?$q" "/api/months?$q" "/api/months?unit=20&from=2024-01-01&to=2025-01-01"
       "/api/overdue?$q" "/api/tipoffs?$q&within=3" "/api/report?unit=20&year=2025&cmp=2024"
       "/api/stations?unit=20")
measure() { # prints one line per request and the total (ms), best of 5
  local total=0 p best t
  for p in "${paths[@]}"; do
    best=999999
    for _ in 1 2 3 4 5; do
      t=$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: $cookie" "http://127.0.0.1:$port$p")
      t=$(awk -v t="$t" 'BEGIN { printf "%d", t * 1000 }')
      (( t < best )) && best=$t
    done
    printf '  %5d ms  %s\n' "$best" "$p"
    total=$((total + best))
  done
  printf '  %5d ms  the page (its requests one after another)\n' "$total"
  last_total=$total
}
echo "== the empty history (baseline)"
measure
base=$last_total

echo "== Lạng Sơn, 2016-2025"
psql "$dsn" -qAt <<'SQL'
-- Each commune of the province, in each version's days; a day has events for a
-- metric with probability 1/3 (a realistic density for a commune's police).
INSERT INTO antt.tallies (unit, day, metric, grp, severity, value)
SELECT s.code, d::date, m.metric, m.grp, m.sev, 1 + (random() * 2)::int
  FROM antt.scope_units('20', '2025-12-31') s
  JOIN antt.units u ON u.code = s.code AND u.valid_from IS NOT DISTINCT FROM s.valid_from
   AND u.level = 'commune'
 CROSS JOIN generate_series(greatest(date '2016-01-01', coalesce(s.valid_from, date '2016-01-01')),
                            least(date '2025-12-31', coalesce(s.valid_to - 1, date '2025-12-31')),
                            interval '1 day') d
 CROSS JOIN (VALUES ('incidents', 'social_order', 'serious'), ('cleared', 'social_order', 'serious'),
                    ('tipoffs_received', '', ''), ('tipoffs_resolved', '', ''),
                    ('incidents', 'traffic', '')) m(metric, grp, sev)
 WHERE random() < 1.0 / 3
ON CONFLICT DO NOTHING;
-- what autovacuum would do after such a load (the roll-up tables included)
ANALYZE;
SQL
rows=$(psql "$dsn" -qAtc "SELECT count(*) FROM antt.tallies")
echo "  $rows tally rows"
measure
ten=$last_total
awk -v b="$base" -v t="$ten" 'BEGIN {
  printf "timings: the page %d ms with 10 years (target 1000 ms: %.2f of it); %d ms empty; 10 years cost %.1fx the empty page\n",
         t, t / 1000.0, b, (b ? t / b : 0) }'

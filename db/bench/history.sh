#!/usr/bin/env bash
# db/bench/history.sh — what the figures cost after ten years at national
# scale: a private PostgreSQL, a SYNTHETIC map made for this
# benchmark only (34 provinces of 97 communes each, codes 01–34 and
# 10000–13297 — not real units, never loaded anywhere else) and two
# databases with the same map and the same tip-offs:
#   day1    — today's tallies only (the baseline);
#   year1   — this year's, from 1 January; year3 — this year and the two before;
#   year10  — 2016-01-01 to today: each commune, each day, each metric with
#             a probability that gives a realistic density (an incident on
#             one day in ten, a tip-off on one in eight, a traffic accident
#             on one in twenty...; 0.53 rows a commune a day, more than real
#             communes see): the script prints the row count.
# Both hold 1,000,000 decided tip-offs and 2,000 pending ones (half
# overdue). Then, each best of 5, the same questions on both:
#   antt report for a province and a year (target ≤ 50 ms), for the whole
#   country (≤ 500 ms), the console's children roll-up of a province
#   (≤ 100 ms), antt tipoffs --overdue for a province (≤ 50 ms), and the
#   /metrics province figures (the same on 10 years as on one day).
#   bash db/bench/history.sh [BUILD_DIR]     (default: build-bench, built)
#   KEEP=1: leave the server running at the end (prints how to reach it)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/pg/bench.sh"
[[ -n "${1:-}" ]] && export BENCH_BUILD=$1
bench_setup history /tmp anttd antt
base="host=$PGHOST port=$PGPORT user=$PGUSER"
today=$(TZ=Asia/Ho_Chi_Minh date +%F)
year=${today%%-*}

make_db() { # NAME FIRST_DAY
  local db=$1 first=$2
  psql -qc "CREATE DATABASE $db"
  "$anttd" --db "$base dbname=$db" --log-level warn --migrate --load-groups "$root/data/crime_groups.csv"
  psql -d "$db" -q <<SQL
-- the synthetic map: no districts, as since 1 July 2025
INSERT INTO antt.units (code, name, level, kind, parent_code, path, valid_from, source)
SELECT lpad(p::text, 2, '0'), 'Synthetic province ' || p, 'province', 'tinh', NULL,
       lpad(p::text, 2, '0'), NULL, 'history.sh'
  FROM generate_series(1, 34) p;
INSERT INTO antt.units (code, name, level, kind, parent_code, path, valid_from, source)
SELECT (10000 + (p - 1) * 97 + c)::text, 'Synthetic commune ' || p || '.' || c, 'commune', 'xa',
       lpad(p::text, 2, '0'), lpad(p::text, 2, '0') || '.' || (10000 + (p - 1) * 97 + c)::text,
       NULL, 'history.sh'
  FROM generate_series(1, 34) p, generate_series(0, 96) c;
ANALYZE antt.units;
-- the tallies, added as anttd's store adds them: days, then the month and
-- year sums in one pass (the triggers stand aside for this session)
SET antt.store_rolls = on;
-- (each row drawn by a hash of its unit, day and metric, not random(): the
-- planner evaluates a filter on the VALUES list alone once per metric, and
-- the same database comes out of every run)
INSERT INTO antt.tallies (unit, day, metric, grp, severity, value)
SELECT u.code, d::date, m.metric, m.grp, m.sev, 1 + (h % 3)::int
  FROM antt.units u
 CROSS JOIN generate_series(date '$first', date '$today', interval '1 day') d
 CROSS JOIN (VALUES ('incidents', 'social_order', 'less_serious', 600),
                    ('incidents', 'social_order', 'serious', 200),
                    ('incidents', 'economic', 'serious', 100),
                    ('incidents', 'drugs', 'very_serious', 100),
                    ('cleared', 'social_order', 'less_serious', 500),
                    ('cleared', 'social_order', 'serious', 150),
                    ('suspects', 'social_order', 'serious', 300),
                    ('tipoffs_received', '', '', 1250),
                    ('tipoffs_resolved', '', '', 1200),
                    ('incidents', 'traffic', '', 500),
                    ('injuries', 'traffic', '', 400)) m(metric, grp, sev, per10k)
 CROSS JOIN LATERAL (SELECT abs(hashtextextended(u.code || d::text || m.metric || m.grp
                                                 || m.sev, 17)) AS h) x
 WHERE u.level = 'commune' AND x.h % 10000 < m.per10k;
SELECT antt.tallies_reroll();
-- tip-offs: a million decided over the years, 2,000 pending (half overdue)
INSERT INTO antt.tipoffs (unit, ref, report_id, kind, source, received_at, deadline, status,
                          resolved_at, version)
SELECT (10000 + (i % 3298))::text, 'H' || i, gen_random_uuid(), 'denunciation', 'citizen',
       t, t + interval '20 days', 'resolved', t + interval '9 days', 2
  FROM generate_series(1, 1000000) i,
       LATERAL (SELECT timestamptz '2016-01-01' + (i % 3600) * interval '1 day' AS t) x;
INSERT INTO antt.tipoffs (unit, ref, report_id, kind, source, received_at, deadline, status, version)
SELECT (10000 + (i % 3298))::text, 'P' || i, gen_random_uuid(), 'denunciation', 'citizen',
       now() - (i % 40) * interval '1 day', now() - (i % 40) * interval '1 day' + interval '20 days',
       'pending', 1
  FROM generate_series(1, 2000) i;
ANALYZE;
SQL
}

echo "== the map: 34 synthetic provinces, 3,298 communes; 1,000,000 decided and 2,000 pending tip-offs"
make_db day1 "$today"
make_db year1 "$year-01-01"
make_db year3 "$(( year - 2 ))-01-01"
make_db year10 "2016-01-01"
for db in day1 year1 year3 year10; do
  echo "$db: $(psql -d "$db" -Atc "SELECT to_char(count(*), 'FM999,999,999') FROM antt.tallies") day rows," \
       "$(psql -d "$db" -Atc "SELECT to_char(count(*), 'FM999,999,999') FROM antt.tallies_month") month rows," \
       "$(psql -d "$db" -Atc "SELECT to_char(count(*), 'FM999,999,999') FROM antt.tallies_year") year rows"
done

# A command's wall time (a new process and connection each time, as a user
# runs it), best of 5, ms.
best_cmd() {
  local b=999999 t0 t1 ms
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 )); (( ms < b )) && b=$ms
  done
  echo "$b"
}
# A query's time on a connection that has asked it before (anttd's and the
# console's connections live long), best of 5 after a first, ms.
best_sql() { # DB SQL
  local args=(-d "$1" -qAt -c "SET jit = off" -c '\timing on')
  for _ in 1 2 3 4 5 6; do args+=(-c "$2"); done
  psql "${args[@]}" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -5 | sort -g | head -1 |
    awk '{ printf "%d", $1 + 0.5 }'
}
# what anttd's /metrics and the console's children table ask (db/query.c,
# db/console.c), with today's date
metrics_sql="SELECT count(*) FROM antt.rates_many(ARRAY(SELECT code FROM antt.units
  WHERE level = 'province' AND (valid_to IS NULL OR valid_to > antt.today())),
  date '$year-01-01', (date '$year-01-01' + interval '1 year')::date, antt.today())"
children_sql="WITH k AS MATERIALIZED (SELECT * FROM antt.children_on('20', date '$today'))
  SELECT count(*) FROM k JOIN antt.rates_many((SELECT array_agg(code) FROM k), date '$year-01-01',
  (date '$year-01-01' + interval '1 year')::date, date '$today') r ON r.code = k.code"
report_sql="SELECT count(*) FROM antt.rates_groups('20', date '$year-01-01',
  (date '$year-01-01' + interval '1 year')::date, date '$today')"

echo
printf '%-46s %7s %7s %7s %7s %12s  %s\n' "question (ms)" "day1" "year1" "year3" "year10" "year10/day1" "target (on year10)"
row() { # LABEL TARGET_MS how CMD...
  local label=$1 target=$2 how=$3; shift 3
  local v=() db
  for db in day1 year1 year3 year10; do
    if [[ $how == cmd ]]; then v+=("$(best_cmd "${@/DB/$db}")"); else v+=("$(best_sql "$db" "$1")"); fi
  done
  awk -v l="$label" -v a="${v[0]}" -v m="${v[1]}" -v m3="${v[2]}" -v b="${v[3]}" -v t="$target" 'BEGIN {
    printf "%-46s %7d %7d %7d %7d %12.2f  %s\n", l, a, m, m3, b, (a ? b / a : 0),
           (t == "" ? "" : sprintf("<= %d: %s", t, (b <= t ? "met" : "NOT met"))) }'
}
row "antt report, a province, this year (command)" 50 cmd "$antt" report --unit 20 --year "$year" --db "$base dbname=DB"
row "  its figures query, connection warm" "" sql "$report_sql"
row "antt report, the whole country (command)" 500 cmd "$antt" report --unit all --year "$year" --db "$base dbname=DB"
row "children of a province (console, warm)" 100 sql "$children_sql"
row "antt tipoffs --overdue, a province (command)" 50 cmd "$antt" tipoffs --unit 20 --overdue --db "$base dbname=DB"
row "/metrics province figures (anttd, warm)" "" sql "$metrics_sql"
echo "(a new connection and process: ~5 ms to connect, ~15 ms to start antt, on this machine)"

if [[ -n "${KEEP:-}" ]]; then
  trap - EXIT
  echo "kept: PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER (databases day1, year1, year3, year10);" \
       "stop with: bash $root/tests/pg/pg.sh stop $work/pg"
fi

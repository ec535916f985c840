#!/usr/bin/env bash
# deploy/federation/bench.sh — what issue 28 asks to measure, on one machine
# (deploy/federation/federation.sh: a Ministry and three provinces, each a
# PostgreSQL server over TLS with its anttd). Prints each figure with its
# baseline measured in the same run, and their ratio.
#
#   bench.sh [SECONDS] [RATE]   (default 30 s of load at 100 events/s per
#                               province; ANTT_BENCH_OUTAGE, default 30 s)
#
#   1. lag: stations of the three provinces at RATE each for SECONDS; every
#      batch's way from the province's transaction to the figures that count
#      it, at home (the baseline: the province's own fold) and at the
#      Ministry (applied there, then folded): p50, p99, max.
#   2. catch-up: the Ministry's link to Lạng Sơn cut for ANTT_BENCH_OUTAGE
#      seconds of load, then restored: the backlog, how fast the Ministry
#      takes it (events/s), against the rate it accrued at.
#   3. the Ministry's fold for 34 provinces: 34 writers (pgbench) insert
#      batches into the Ministry's fold input as 34 apply workers would, as
#      fast as they can, for 20 s, while its anttd folds: batches folded per
#      second and the backlog left, against the national volume assumed in
#      deploy/TOPOLOGY.md.
#   4. a resync of Lạng Sơn, as after its failover: how long, for how many
#      events, tally keys and cases, against reading those tables whole over
#      the same link.
#
# How each batch is timed: bench-only triggers (made here, in table
# bench_lag of each database; nothing of the product's) record each fold
# input row's transaction id and its province's transaction start, and each
# fold window's new position with the clock at its update (just before its
# commit). A batch is in the figures when the first window past its id
# commits. The province's trigger is on its ack path: it costs its acks one
# small insert each, the same for both sides of the comparison.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-30} rate=${2:-100} outage=${ANTT_BENCH_OUTAGE:-30}
fed=$root/deploy/federation/federation.sh
pgbin=${ANTT_PG_BINDIR:-/usr/lib/postgresql/15/bin}
dir=$(mktemp -d /tmp/antt-fed-bench.XXXXXX)
cleanup() { bash "$fed" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi; }
sql() { as_pg "$pgbin/psql" -h 127.0.0.1 -p "$(cat "$dir/$1/port")" -U antt -d antt -v ON_ERROR_STOP=1 -Atqc "$2"; }
say() { printf '\n== %s\n' "$*"; }

say "a Ministry and three provinces (20 Lạng Sơn, 04 Cao Bằng, 08 Tuyên Quang with Hà Giang)"
bash "$fed" start "$dir" 20 04 08

# The bench's triggers, on each database: ALWAYS, so that they fire in the
# Ministry's apply workers too.
timing='SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS public.bench_lag (kind text, txid xid8, at timestamptz, t timestamptz);
CREATE OR REPLACE FUNCTION bench_input() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.bench_lag VALUES ($q$input$q$, pg_current_xact_id(), NEW.at, clock_timestamp());
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION bench_window() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.bench_lag VALUES ($q$window$q$, NEW.pos, NULL, clock_timestamp());
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS bench_input ON antt.fold_input;
CREATE TRIGGER bench_input AFTER INSERT ON antt.fold_input FOR EACH ROW EXECUTE FUNCTION bench_input();
ALTER TABLE antt.fold_input ENABLE ALWAYS TRIGGER bench_input;
DROP TRIGGER IF EXISTS bench_window ON antt.fold_state;
CREATE TRIGGER bench_window AFTER UPDATE ON antt.fold_state FOR EACH ROW EXECUTE FUNCTION bench_window();
ALTER TABLE antt.fold_state ENABLE ALWAYS TRIGGER bench_window;'
for n in bo 20 04 08; do sql "$n" "$timing" >/dev/null; done

# p50, p99 and max (ms) of the batches between two instants: from the
# province's transaction start to the commit of the window that folded it.
lags() { # NAME FROM TO [WHERE]
  sql "$1" "WITH w AS (SELECT txid AS pos, t FROM public.bench_lag WHERE kind = 'window'),
    b AS (SELECT i.at, (SELECT min(w.t) FROM w WHERE w.pos > i.txid) AS folded
            FROM public.bench_lag i WHERE i.kind = 'input' AND i.at >= '$2' AND i.at < '$3' ${4:-})
    SELECT count(*) || ' batches: p50 ' ||
      round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM folded - at)) * 1000)::numeric, 1)
      || ' ms, p99 ' ||
      round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM folded - at)) * 1000)::numeric, 1)
      || ' ms, max ' || round((max(extract(epoch FROM folded - at)) * 1000)::numeric, 1) || ' ms'
    FROM b WHERE folded IS NOT NULL"
}
p99() { sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p' <<<"$1"; }

# every apply worker running first: PostgreSQL starts one up to
# wal_retrieve_retry_interval (5 s) after its subscription is enabled, and
# the lag would measure that start
for _ in $(seq 60); do
  [[ $(bash "$fed" lag "$dir" | awk 'NR > 1 && $2 == 1' | wc -l) -eq 3 ]] && break
  sleep 1
done

say "1. lag: ${secs} s of stations at ${rate} events/s in each province"
t0=$(sql bo "SELECT clock_timestamp()")
bash "$fed" load "$dir" "$secs" "$rate"
t1=$(sql bo "SELECT clock_timestamp()")
bash "$fed" sums "$dir" >/dev/null || { echo "bench: the Ministry's figures are not the provinces'" >&2; exit 1; }
sleep 2
home=$(lags 20 "$t0" "$t1")
nat=$(lags bo "$t0" "$t1")
echo "  at home (Lạng Sơn's own figures): $home"
echo "  at the Ministry (three provinces): $nat"
awk -v h="$(p99 "$home")" -v n="$(p99 "$nat")" \
  'BEGIN { if (h > 0) printf "  ratio, p99 at the Ministry / at home: %.2f\n", n / h }'

say "2. catch-up: the Ministry's link to Lạng Sơn cut for ${outage} s of load"
sql bo "ALTER SUBSCRIPTION antt_from_20 DISABLE" >/dev/null
before=$(sql bo "SELECT count(*) FROM antt.events WHERE unit IN (SELECT antt.subtree('20'))")
bash "$fed" load "$dir" "$outage" "$rate" >/dev/null
home_n=$(sql 20 "SELECT count(*) FROM antt.events")
backlog=$((home_n - before))
t_on=$(date +%s.%N)
sql bo "ALTER SUBSCRIPTION antt_from_20 ENABLE" >/dev/null
for _ in $(seq 1200); do
  got=$(sql bo "SELECT count(*) FROM antt.events WHERE unit IN (SELECT antt.subtree('20'))")
  [[ $got -ge $home_n ]] && break
  sleep 0.1
done
t_done=$(date +%s.%N)
sql bo "SELECT antt.fold_wait(60000)" >/dev/null
t_folded=$(date +%s.%N)
bash "$fed" sums "$dir" >/dev/null || { echo "bench: after the catch-up, the figures differ" >&2; exit 1; }
awk -v b="$backlog" -v s="$outage" -v on="$t_on" -v d="$t_done" -v f="$t_folded" -v r="$rate" 'BEGIN {
  printf "  backlog: %d events kept by the province in %d s (%.0f events/s accrued)\n", b, s, b / s
  printf "  taken in %.2f s (applied; folded %.2f s after the link returned): %.0f events/s\n",
    d - on, f - on, b / (f - on)
  printf "  ratio, catch-up rate / rate it accrued at: %.1f (an hour away is taken in %.0f s)\n",
    (b / (f - on)) / (b / s), 3600 / ((b / (f - on)) / (b / s)) }'

say "3. the Ministry's fold, 34 writers as 34 provinces' apply workers, 20 s"
# communes of the provinces not in this federation (Điện Biên, Lai Châu, Sơn La, Lào Cai): the
# writers' batches must not touch the three provinces' figures, which phase 4 compares
sql bo "CREATE TABLE IF NOT EXISTS public.bench_units AS SELECT row_number() OVER () AS i, u.code
          FROM antt.units u WHERE u.level = 'commune' AND u.valid_to IS NULL
           AND NOT EXISTS (SELECT 1 FROM antt.federation_provinces f, unnest(f.roots) r, antt.units ru
                            WHERE ru.code = r AND u.path LIKE ru.path || '.%')" >/dev/null
n_units=$(sql bo "SELECT count(*) FROM public.bench_units")
cat >"$dir/batch.sql" <<SQL
\set u random(1, $n_units)
INSERT INTO antt.fold_input (units, days, metrics, grps, severities, vals)
  SELECT array_fill(code, ARRAY[10]), array_fill(current_date - :u % 30, ARRAY[10]),
         ARRAY['incidents','incidents','cleared','suspects','tipoffs_received','tipoffs_resolved',
               'incidents','cleared','incidents','suspects'],
         array_fill('social_order'::text, ARRAY[10]), array_fill('serious'::text, ARRAY[10]),
         array_fill(1::int8, ARRAY[10])
    FROM public.bench_units WHERE i = :u;
SQL
chmod 644 "$dir/batch.sql"
r0=$(sql bo "SELECT rows_folded FROM antt.fold_state")
t0=$(date +%s.%N)
tps=$(as_pg "$pgbin/pgbench" -h 127.0.0.1 -p "$(cat "$dir/bo/port")" -U antt -n -c 34 -j 2 -T 20 \
  -f "$dir/batch.sql" antt 2>&1 | sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
t1=$(date +%s.%N)
left=$(sql bo "SELECT count(*) FROM antt.fold_input f, antt.fold_state s WHERE f.txid >= s.pos")
r1=$(sql bo "SELECT rows_folded FROM antt.fold_state")
sql bo "SELECT antt.fold_wait(60000)" >/dev/null
t2=$(date +%s.%N)
awk -v r0="$r0" -v r1="$r1" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v left="$left" -v tps="$tps" 'BEGIN {
  rate = (r1 - r0) / (t1 - t0)
  printf "  34 writers inserted %.0f batches/s (10 keys each); the fold took %.0f batches/s while they ran\n",
    tps, rate
  printf "  unfolded when they stopped: %d batches, folded %.1f s later\n", left, t2 - t1
  # deploy/TOPOLOGY.md: 1.2 million events a year nationally (every commune one a day)
  avg = 1200000 / (365 * 86400); day = 1200000 / (8 * 3600)
  printf "  assumed national volume: 1.2 million events a year, %.3f/s on average; the whole year in\n", avg
  printf "  one working day (8 h) would be %.1f/s: at one event a batch, the fold took %.0f times that\n", day, rate / day }'

say "4. a resync of Lạng Sơn, as its failover would ask"
n20=$(sql 20 "SELECT count(*) FROM antt.events")
k20=$(sql 20 "SELECT count(*) FROM antt.tallies")
c20=$(sql 20 "SELECT count(*) FROM antt.incidents")
t0=$(date +%s.%N)
"${ANTT_BUILD:-$root/build}/daemon/anttd" --db "host=127.0.0.1 port=$(cat "$dir/bo/port") user=antt dbname=antt" \
  --federation-resync 20 2>&1 | grep -o "keys_corrected.*" | sed 's/^/  /'
t1=$(date +%s.%N)
# the baseline: the same tables read whole, over the same TLS link
t2=$(date +%s.%N)
as_pg "$pgbin/psql" "host=localhost port=$(cat "$dir/20/port") dbname=antt user=antt_ministry password=${ANTT_FEDERATION_PASSWORD:-antt-federation-demo} sslmode=verify-full sslrootcert=$dir/tls/ca.crt" \
  -Atqc "COPY (SELECT * FROM antt.events) TO STDOUT" -c "COPY (SELECT * FROM antt.tallies) TO STDOUT" \
  -c "COPY (SELECT * FROM antt.incidents) TO STDOUT" >/dev/null
t3=$(date +%s.%N)
bash "$fed" sums "$dir" >/dev/null || { echo "bench: after the resync, the figures differ" >&2; exit 1; }
awk -v n="$n20" -v k="$k20" -v c="$c20" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" 'BEGIN {
  printf "  Lạng Sơn: %d events, %d tally keys, %d cases; resynced in %.2f s\n", n, k, c, t1 - t0
  printf "  reading those tables whole over the same link: %.2f s; ratio %.1f\n", t3 - t2, (t1 - t0) / (t3 - t2) }'


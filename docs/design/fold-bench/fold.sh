#!/bin/bash
# docs/design/fold-bench/fold.sh SECONDS — the fold experiment of docs/design/fold.md: one
# window every 200 ms in database foldx (setup.sql); prints, a line a window, the rows folded,
# the oldest row's wait (ms) and the window's time (ms).
# one fold window every 200 ms for $1 seconds; prints per-window rows, ms and the oldest row's age
end=$(( $(date +%s) + $1 ))
while [ $(date +%s) -lt $end ]; do
psql -d foldx -qAt <<'SQL'
\set QUIET on
SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x \gset
BEGIN;
SELECT clock_timestamp() AS t0 \gset
WITH w AS (DELETE FROM fold_in f USING fold_pos p WHERE f.txid >= p.pos AND f.txid < :'x'::xid8 RETURNING f.unit, f.day, f.metric, f.delta, f.at),
 agg AS (SELECT unit, day, metric, sum(delta) d, min(at) oldest, count(*) n FROM w GROUP BY 1,2,3),
 up AS (INSERT INTO tally SELECT unit, day, metric, d FROM agg ON CONFLICT (unit, day, metric) DO UPDATE SET value = tally.value + excluded.value),
 up2 AS (INSERT INTO tally_month SELECT '20', date_trunc('month', day)::date, metric, sum(d) FROM agg GROUP BY 1,2,3 ON CONFLICT (unit, month, metric) DO UPDATE SET value = tally_month.value + excluded.value)
SELECT coalesce(sum(n),0) AS n, coalesce(extract(epoch FROM clock_timestamp() - min(oldest))*1000, 0)::int AS lag_ms FROM agg \gset
UPDATE fold_pos SET pos = :'x'::xid8, windows = windows + 1;
COMMIT;
SELECT :n || ' ' || :lag_ms || ' ' || (extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)*1000)::int;
SQL
sleep 0.2
done

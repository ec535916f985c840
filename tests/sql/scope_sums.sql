-- tests/sql/scope_sums.sql — a scope's tallies over a period read as days,
-- months and years (antt.scope_sums, antt.scopes_sums, antt.scopes_split,
-- and the sums the tally triggers keep). docs/semantics.md: each unit
-- version counts for its own days; a period [from, to) is cut as days
-- [lo, ms) · months [ms, ys) · years [ys, ye) · months [ye, me) · days
-- [me, hi), each row's `day` the first day it stands for; whatever the
-- cut, the sums are those of the days.
\ir data/map.sql
\pset null '∅'
-- One tally a month or so, of C1 (until 30 June 2025) and N1 (after):
INSERT INTO antt.tallies (unit, day, metric, grp, severity, value) VALUES
    ('10001', '2024-05-10', 'incidents', 'social_order', 'serious', 2),
    ('10001', '2024-06-01', 'incidents', 'social_order', 'serious', 1),
    ('10001', '2025-02-14', 'incidents', 'social_order', 'serious', 4),
    ('10010', '2025-07-01', 'incidents', 'social_order', 'serious', 8),
    ('10010', '2025-12-20', 'incidents', 'social_order', 'serious', 16),
    ('10010', '2026-01-05', 'incidents', 'social_order', 'serious', 32),
    ('10010', '2026-02-03', 'incidents', 'social_order', 'serious', 64);

-- 1. The triggers kept the sums by month (7 rows) and by year (4: C1's 2024
--    and 2025, N1's 2025 and 2026): 127 everywhere. (antt.tallies_before
--    depends on the year the database was made in: read through 7 below.)
SELECT (SELECT sum(value) FROM antt.tallies) AS days, (SELECT sum(value) FROM antt.tallies_month) AS months,
       (SELECT sum(value) FROM antt.tallies_year) AS years,
       (SELECT count(*) FROM antt.tallies_month) AS month_rows,
       (SELECT count(*) FROM antt.tallies_year) AS year_rows;

-- 2. 15 December 2025 to 5 February 2026, N1's scope: days of December from
--    the 15th (the 20th: 16), January as one month row (32), days of
--    February to the 4th (the 3rd: 64). C1's span ends before: nothing.
SELECT * FROM antt.scope_sums('10010', '2025-12-15', '2026-02-05', '2026-02-04') ORDER BY day;

-- 3. 2024 to March 2026: C1 for its days (2024 as one year row of 3, its
--    2025 as the month of February: 4), N1 from July 2025 by months.
SELECT * FROM antt.scope_sums('10010', '2024-01-01', '2026-03-01', '2026-02-28') ORDER BY day;

-- 4. The same without years: C1's 2024 as its two months.
SELECT * FROM antt.scope_sums('10010', '2024-01-01', '2026-03-01', '2026-02-28', false) ORDER BY day;

-- 5. A unit version counts only for its days: C1's code asked on its own,
--    in a period across 1 July 2025, is C1 until then (its tallies after
--    would be another unit's); N1 asked for the first half of 2025 is C1.
SELECT * FROM antt.scope_sums('10001', '2025-01-01', '2026-01-01', '2025-06-30') ORDER BY day;
SELECT sum(value) AS n1_first_half_2025 FROM antt.scope_sums('10010', '2025-01-01', '2025-07-01', '2025-06-30');

-- 6. Any period's sum is the days' sum: every pair of bounds from a handful
--    of days, for the province and for N1, summed, against the days.
WITH b AS (SELECT unnest(ARRAY['2024-01-01', '2024-05-10', '2024-05-11', '2024-06-01', '2025-01-31',
                               '2025-06-30', '2025-07-01', '2025-12-31', '2026-01-01',
                               '2026-02-03', '2026-02-04', '2027-01-01']::date[]) AS d),
     q AS (SELECT u, a.d AS f, z.d AS t FROM b a, b z, unnest(ARRAY['01', '10010']) u WHERE a.d < z.d)
SELECT count(*) AS periods,
       count(*) FILTER (WHERE coalesce((SELECT sum(value) FROM antt.scope_sums(q.u, q.f, q.t, q.t - 1)), 0)
                              = coalesce((SELECT sum(t.value) FROM antt.scope_units(q.u, q.t - 1) s
                                            JOIN antt.tallies t ON t.unit = s.code
                                             AND daterange(s.valid_from, s.valid_to) @> t.day
                                           WHERE t.day >= q.f AND t.day < q.t), 0)) AS equal
  FROM q;

-- 7. Many units at once, the history before the period in the same pass
--    (`inp` false: C1's 7 and N1's 24 of 2025 before 2026; `inp` true: N1's
--    32 + 64 of 2026), as antt.scopes_totals gives it to antt.rates_many;
--    N4 has no tallies: no row.
SELECT root, inp, sum(value) FROM antt.scopes_totals(ARRAY['01', '10010', '10011'], '2026-01-01', '2027-01-01', '2026-12-31')
 GROUP BY 1, 2 ORDER BY 1, 2;

-- 8. A correction through any writer but the store (a DELETE here) is
--    taken out of the sums by the triggers.
DELETE FROM antt.tallies WHERE unit = '10010' AND day = '2026-01-05';
SELECT (SELECT sum(value) FROM antt.tallies_month) AS months, (SELECT sum(value) FROM antt.tallies_year) AS years;

-- tests/sql/upgrade/figures.sql — every figure the reports, the console and
-- /metrics read, from the reporting functions, over the fixture's data:
-- upgrade_check.sh prints them before and after an upgrade and compares.
-- "Now" is pinned (antt.as_of, set by the caller) so that both runs ask
-- about the same instant.
\pset footer off
\pset null '∅'
-- the tallies and their sums
SELECT 'tallies' AS t, count(*), sum(value) FROM antt.tallies
UNION ALL SELECT 'month', count(*), sum(value) FROM antt.tallies_month
UNION ALL SELECT 'year', count(*), sum(value) FROM antt.tallies_year
UNION ALL SELECT 'before', count(*), sum(value) FROM antt.tallies_before
UNION ALL SELECT 'unit_scope', count(*), count(DISTINCT (root, root_from, code, valid_from, partial))
  FROM antt.unit_scope;
-- rates of scopes across both maps, for every year of the data, plain and
-- with the units of another day
SELECT u, y, (antt.rates(u, make_date(y, 1, 1), make_date(y + 1, 1, 1))).*
  FROM unnest(ARRAY['20', '178', '180', '02', '08', 'group:cluster2', 'all']) u,
       generate_series(2023, 2026) y ORDER BY 1, 2;
SELECT 'on 2024-06-30' AS taken, (antt.rates('20', '2024-01-01', '2025-01-01', NULL, '2024-06-30')).*;
SELECT 'drugs' AS grp, (antt.rates('20', '2023-01-01', '2027-01-01', 'drugs')).*;
-- many units at once, with the groups
SELECT r.* FROM antt.rates_many((SELECT array_agg(code ORDER BY code) FROM antt.children_on('20', '2026-12-31')),
                                '2026-01-01', '2027-01-01', NULL, true) r ORDER BY r.code, r.grp NULLS FIRST;
SELECT r.* FROM antt.rates_many(ARRAY['178', '180', '181'], '2023-01-01', '2025-07-01') r ORDER BY r.code;
SELECT r.* FROM antt.rates_groups('20', '2025-01-01', '2026-01-01') r ORDER BY r.grp NULLS FIRST;
-- sums of scopes (summed: the rows' cut depends only on the period)
SELECT u, p, s.metric, s.grp, s.severity, sum(s.value)
  FROM unnest(ARRAY['20', '180', 'all']) u,
       (VALUES ('2023-01-01'::date, '2027-01-01'::date), ('2024-03-15', '2025-08-20'),
               ('2025-07-01', '2025-07-02')) p (a, b),
       LATERAL antt.scope_sums(u, p.a, p.b, p.b - 1) s
 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5;
SELECT s.root, s.metric, sum(s.value) FROM antt.scopes_sums(ARRAY['20', '08', '178'], '2023-01-01',
       '2026-12-08', '2026-12-07') s GROUP BY 1, 2 ORDER BY 1, 2;
SELECT r.* FROM antt.rollup('20', '2023-01-01', '2027-01-01') r ORDER BY 1, 2, 3;
SELECT r.* FROM antt.rollup_children('20', '2025-01-01', '2026-01-01') r ORDER BY 1, 3, 4, 5;
-- tip-offs: overdue now, due within a month, counted per unit
SELECT u, t.* FROM unnest(ARRAY['20', '178', '02', '08', 'all']) u, antt.tipoffs_open(u) t
 ORDER BY 1, t.deadline, t.unit, t.ref;
SELECT t.* FROM antt.tipoffs_open('20', interval '30 days') t;
SELECT o.* FROM antt.overdue_many(ARRAY['20', '178', '180', '181', '02', '08', 'all', 'group:cluster2']) o
 ORDER BY 1;
SELECT antt.overdue_now('20') AS overdue_20;
SELECT t.* FROM antt.tipoff_processing('20', '2025-01-01', '2027-01-01') t;
SELECT d.* FROM antt.overdue_trend('20', '2026-01-01', '2027-01-01', '2026-12-07') d;
-- the children and scopes of both maps
SELECT d, c.* FROM unnest(ARRAY['2024-06-30', '2025-07-01', '2026-12-07']::date[]) d,
       LATERAL antt.children_on('180', d) c ORDER BY 1, 2;
SELECT d, c.* FROM unnest(ARRAY['2024-06-30', '2026-12-07']::date[]) d,
       LATERAL antt.children_on('20', d) c ORDER BY 1, 2;
SELECT c.* FROM antt.children_on('all', '2026-12-07') c ORDER BY 1;
SELECT c.* FROM antt.children_on('group:cluster2', '2024-01-01') c ORDER BY 1;
SELECT p.* FROM antt.scope_partials('08', '2026-12-07') p ORDER BY 1;
SELECT count(*) AS communes_20 FROM antt.communes('20');
SELECT antt.heir(code, '2025-06-01', '2026-12-07') AS heir, count(*) FROM antt.units
 WHERE valid_to = '2025-07-01' AND path LIKE '20.%' GROUP BY 1 ORDER BY 1;
SELECT w.* FROM antt.wanted_many(ARRAY['20', 'all'], '2026-01-01', '2027-01-01') w ORDER BY 1;

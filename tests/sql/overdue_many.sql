-- tests/sql/overdue_many.sql — how many pending tip-offs are past their
-- deadline at each unit asked, in one pass (antt.overdue_many,
-- antt.overdue_now, and through them the report's tipoffs_overdue).
-- docs/semantics.md: a tip-off counts at each unit asked whose scope holds
-- its unit and, today, its heir — as antt.tipoffs_open lists them.
\ir data/map.sql
\ir data/tipoffs.sql
\pset null '∅'

-- 1. P1: T1, T3, T5, T6 (4). N1: T1, T3 (2). N3: T5 (1). N4: 0 (C4 is in
--    its scope, but C4's heir is N3). P2, dissolved: 0. The cluster (N1, N4):
--    2. The whole country: 4. An unknown code: 0. A code asked twice: once.
SELECT * FROM antt.overdue_many(ARRAY['01', '10010', '10003', '10011', '02', 'group:g1', 'all',
                                      '99999', '01'])
 ORDER BY root;

-- 2. Each as tipoffs_open counts it, and overdue_now as overdue_many.
SELECT u, (SELECT n FROM antt.overdue_many(ARRAY[u])) AS many,
       (SELECT count(*) FROM antt.tipoffs_open(u)) AS listed, antt.overdue_now(u) AS now
  FROM unnest(ARRAY['01', '10010', '10003', '10011', '02', 'group:g1']) u ORDER BY 1;

-- 3. The report's figure is the same count.
SELECT tipoffs_overdue FROM antt.rates('10010', '2026-01-01', '2027-01-01');

-- 4. Resolving T1 takes it out at N1 and P1, nowhere else.
UPDATE antt.tipoffs SET status = 'resolved', resolved_at = '2026-03-09 10:00+07' WHERE ref = 'T1';
SELECT * FROM antt.overdue_many(ARRAY['01', '10010', '10003']) ORDER BY root;

-- 5. Moving the clock: at the first instant of 11 March, T2 is overdue too.
SET antt.as_of = '2026-03-11 00:00:00+07';
SELECT * FROM antt.overdue_many(ARRAY['01', '10010']) ORDER BY root;

-- tests/sql/heirs.sql — who carries a dissolved unit's work (antt.heir,
-- antt.unit_on, antt.as_of, antt.province_today). docs/semantics.md: a
-- dissolved unit's open cases and pending tip-offs pass to its heir, the
-- first successor in the conversion table (`ord`), or, with none, its
-- parent's heir; a reused code is taken as it was on the day of receipt.
\ir data/map.sql
\pset null '∅'

-- 1. heir(code, since, day): the unit itself while valid on `day`; a commune
--    merged whole, its successor; a split one, its first successor (N3 before
--    N4); a district without successors, its parent (01); a commune of a
--    merged province without successors, its parent's heir (02 -> 01).
SELECT c.code, c.since, antt.heir(c.code, c.since, '2026-03-10') AS heir_2026,
       antt.heir(c.code, c.since, '2025-05-01') AS heir_may_2025
  FROM (VALUES ('10001', '2025-03-01'::date), ('10004', '2025-03-01'), ('101', '2025-03-01'),
               ('20001', '2025-03-01'), ('02', '2025-03-01'), ('10010', '2026-01-01'),
               ('01', '2020-01-01')) c (code, since)
 ORDER BY 1;

-- 2. A reused code is taken as it was on `since`: C3's work (received in
--    2025) goes to its successor, which has the same code; N3's own is N3.
SELECT antt.heir('10003', '2025-03-01', '2026-03-10') AS c3_work,
       antt.heir('10003', '2026-01-01', '2026-03-10') AS n3_work;

-- 3. NULL before the code existed, and for a code never seen.
SELECT antt.heir('10010', '2024-01-01', '2024-06-01') AS before_n1,
       antt.heir('99999', '2024-01-01', '2026-03-10') AS unknown;

-- 4. unit_on: the version valid that day; for a day with none, the last
--    that began before it (a dissolved unit), else the first after.
SELECT d, (antt.unit_on('10003', d)).name AS c10003, (antt.unit_on('101', d)).name AS c101,
       (antt.unit_on('10010', d)).name AS c10010
  FROM unnest(ARRAY['2024-01-01', '2025-06-30', '2025-07-01', '2026-03-10']::date[]) d ORDER BY 1;

-- 5. as_of: the day on which to take a code for a day: that day while
--    valid; a dissolved unit's last day; a unit not yet created, its first.
SELECT antt.as_of('01', '2026-03-10') AS p1, antt.as_of('101', '2026-03-10') AS d1,
       antt.as_of('10010', '2024-01-01') AS n1;

-- 6. The province that holds a unit today: a dissolved unit's heir's.
SELECT code, antt.province_today(code) FROM unnest(ARRAY['10001', '10004', '20001', '02', '10011']) code
 ORDER BY 1;

-- 7. With the conversion table's order changed, the split commune's work
--    goes to the other successor.
UPDATE antt.unit_successors SET ord = 2 WHERE code = '10004' AND successor = '10003';
SELECT antt.heir('10004', '2025-03-01', '2026-03-10') AS c4_work;

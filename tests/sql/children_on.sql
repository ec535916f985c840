-- tests/sql/children_on.sql — the rows of a unit's table of children on a
-- day (antt.children_on; antt.rollup_children and antt.tipoff_processing
-- read it). docs/semantics.md: a unit's children on a day are its child
-- units valid that day; for a unit not valid that day (dissolved, or not yet
-- created), the top units of its scope that are; a cluster's, its units; the
-- country's, the provinces of that day.
\ir data/map.sql
\pset null '∅'

-- 1. P1 before and after the reorganisation: its districts, then its new
--    communes (no districts any more).
SELECT * FROM antt.children_on('01', '2025-03-01') ORDER BY code;
SELECT * FROM antt.children_on('01', '2026-03-10') ORDER BY code;

-- 2. A district while valid: its communes. Dissolved: the new communes made
--    wholly of its communes (D1: N1; D2: N3 and N4).
SELECT * FROM antt.children_on('101', '2025-03-01') ORDER BY code;
SELECT * FROM antt.children_on('101', '2026-03-10') ORDER BY code;
SELECT * FROM antt.children_on('102', '2026-03-10') ORDER BY code;

-- 3. A commune asked for a day before it existed: the communes it was made
--    of (N1 in 2024: C1 and C2); a commune while valid has no children.
SELECT * FROM antt.children_on('10010', '2024-06-01') ORDER BY code;
SELECT count(*) AS n1_children FROM antt.children_on('10010', '2026-03-10');

-- 4. The merged province P2 after the merge: nothing of it is valid (its
--    commune had no successor): no children. Before: its commune.
SELECT count(*) AS p2_after FROM antt.children_on('02', '2026-03-10');
SELECT * FROM antt.children_on('02', '2025-03-01') ORDER BY code;

-- 5. A cluster: its units as they are that day (in 2024, N1 and N4 are the
--    old communes they were made of: C1, C2 and C4).
SELECT * FROM antt.children_on('group:g1', '2026-03-10') ORDER BY code;
SELECT * FROM antt.children_on('group:g1', '2024-06-01') ORDER BY code;

-- 6. The country: the provinces of the day.
SELECT * FROM antt.children_on('all', '2025-03-01') ORDER BY code;
SELECT * FROM antt.children_on('all', '2026-03-10') ORDER BY code;

-- 7. An unknown code: none.
SELECT count(*) AS unknown FROM antt.children_on('99999', '2026-03-10');

-- 8. The children's figures: in 2026 P1's children are the new communes,
--    each with its predecessors' history (N1's 2025 row comes from C1).
INSERT INTO antt.tallies (unit, day, metric, grp, severity, value) VALUES
    ('10001', '2025-03-03', 'incidents', 'social_order', 'serious', 2),
    ('10010', '2026-02-01', 'incidents', 'social_order', 'serious', 3),
    ('10011', '2026-02-02', 'incidents', 'drugs', 'serious', 1);
SELECT * FROM antt.rollup_children('01', '2025-01-01', '2027-01-01') ORDER BY unit, grp;

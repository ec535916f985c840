-- tests/sql/scopes.sql — what a unit's figures are made of (antt.unit_scope
-- by antt.rebuild_scopes, read by antt.scope_units, antt.scopes_units,
-- antt.scope, antt.scope_partials, antt.communes). docs/semantics.md: a
-- unit's figures are those of the unit versions it is made of, each for the
-- days it was valid; the units dissolved into it count in it, a split one
-- in each successor, named as partial.
\ir data/map.sql
\pset null '∅'

-- 1. The province holds every version below it by path, both eras, and the
--    province merged into it (02) with its subtree: 12 versions, none partial
--    (C4 is below 01 by path: whole).
SELECT * FROM antt.scope_units('01', '2026-03-10') ORDER BY code, valid_from NULLS FIRST;

-- 2. A new commune made of two whole communes: itself from 1 July 2025, C1
--    and C2 until then.
SELECT * FROM antt.scope_units('10010', '2026-03-10') ORDER BY code, valid_from NULLS FIRST;

-- 3. A reused code: 10003 taken today is N3, made of old C3 (whole) and part
--    of C4 (partial = the split predecessor, 10004); taken on a day of the
--    old map it is C3 alone.
SELECT * FROM antt.scope_units('10003', '2026-03-10') ORDER BY code, valid_from NULLS FIRST;
SELECT * FROM antt.scope_units('10003', '2025-01-01') ORDER BY code, valid_from NULLS FIRST;

-- 4. The other successor of the split holds C4 too (counted whole in each,
--    named): N4 and C4 partial.
SELECT * FROM antt.scope_units('10011', '2026-03-10') ORDER BY code, valid_from NULLS FIRST;
SELECT * FROM antt.scope_partials('10011', '2026-03-10');

-- 5. A dissolved district keeps its own subtree, and the new units made
--    wholly of its communes: D1 holds N1; D2 holds N3 (C3 and C4 are both
--    D2's) and N4 (made only of C4).
SELECT * FROM antt.scope_units('101', '2026-03-10') ORDER BY code, valid_from NULLS FIRST;
SELECT * FROM antt.scope_units('102', '2026-03-10') ORDER BY code, valid_from NULLS FIRST;

-- 6. A cluster is the union of its units' scopes; 'all' the top-level units
--    valid that day (01, with 02 through the merge); a code that does not
--    exist has an empty scope.
SELECT * FROM antt.scope_units('group:g1', '2026-03-10') ORDER BY code, valid_from NULLS FIRST;
SELECT count(*) AS all_2026, count(DISTINCT code) AS codes FROM antt.scope_units('all', '2026-03-10');
SELECT count(*) AS all_2024 FROM antt.scope_units('all', '2024-01-01');
SELECT count(*) AS nowhere FROM antt.scope_units('99999', '2026-03-10');

-- 7. Many at once answer as each alone.
SELECT root, count(*) FROM antt.scopes_units(ARRAY['01', '10010', '10003', 'group:g1'], '2026-03-10')
 GROUP BY root ORDER BY root;

-- 8. antt.scope: the codes of every era, once each (nodes and cases carry
--    no day).
SELECT * FROM antt.scope('10003') ORDER BY 1;

-- 9. The communes of a unit as it stands today (a dissolved district: as it
--    stood on its last day).
SELECT * FROM antt.communes('01') ORDER BY 1;
SELECT * FROM antt.communes('101') ORDER BY 1;

-- 10. The scopes follow the map: a change of the successors rebuilds them
--     at once (statement trigger): C2 leaves N1's scope with its row.
DELETE FROM antt.unit_successors WHERE code = '10002';
SELECT code FROM antt.scope_units('10010', '2026-03-10') ORDER BY code;

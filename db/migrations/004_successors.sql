-- 004_successors.sql — roll-ups across unit merges. A unit's scope now also
-- holds every unit that was merged into a unit of the scope (antt.unit_
-- successors, recursively, with their subtrees), so a year before a merge is
-- counted under the unit that exists now: year-on-year comparisons across the
-- 2025 reorganisation compare like with like. Without successor rows nothing
-- changes.
CREATE OR REPLACE FUNCTION antt.scope(p_code text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE roots(code) AS (
        SELECT p_code WHERE p_code NOT LIKE 'group:%'
        UNION
        SELECT g.code FROM antt.unit_groups g WHERE p_code LIKE 'group:%' AND g.grp = substr(p_code, 7)
    ), inside(code) AS (
        SELECT x FROM roots, antt.subtree(roots.code) x
        UNION
        SELECT y FROM inside i JOIN antt.unit_successors s ON s.successor = i.code
               CROSS JOIN LATERAL antt.subtree(s.code) y
    )
    SELECT code FROM inside
$$;

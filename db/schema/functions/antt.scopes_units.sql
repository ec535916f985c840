-- antt.scope_units for each unit of p_codes at once (`root` says whose):
-- the roots of all of them, then one join with antt.unit_scope. (Asked once
-- per unit, each call's generic plan read the whole of antt.unit_scope:
-- 1.4 ms a unit.)
CREATE OR REPLACE FUNCTION antt.scopes_units(p_codes text[], p_on date)
RETURNS TABLE (root text, code text, valid_from date, valid_to date, partial text)
LANGUAGE sql STABLE AS $$
    WITH k AS MATERIALIZED (
        SELECT DISTINCT unnest(p_codes) AS root
    ), roots AS (
        SELECT r.code AS root, r.code, r.valid_from
          FROM antt.units_on(ARRAY(SELECT root FROM k WHERE root NOT LIKE 'group:%'
                                                        AND root <> 'all'), p_on) r
        UNION ALL
        SELECT k.root, r.code, r.valid_from
          FROM k JOIN antt.unit_groups g ON k.root LIKE 'group:%' AND g.grp = substr(k.root, 7)
         CROSS JOIN LATERAL antt.units_on(ARRAY[g.code], p_on) r
        UNION ALL
        SELECT k.root, u.code, u.valid_from
          FROM k JOIN antt.units u ON k.root = 'all' AND u.parent_code IS NULL
           AND daterange(u.valid_from, u.valid_to) @> p_on
    )
    SELECT r.root, s.code, s.valid_from, s.valid_to, min(s.partial)
      FROM roots r JOIN antt.unit_scope s
        ON s.root = r.code AND s.root_from IS NOT DISTINCT FROM r.valid_from
     -- (the roots as an array: a province's few rows by the index, not a
     -- hash of the whole table)
     WHERE s.root = ANY (ARRAY(SELECT code FROM roots))
     GROUP BY 1, 2, 3, 4
$$;

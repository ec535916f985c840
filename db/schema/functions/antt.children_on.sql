-- The children of p_code on p_day (code, name, path): its child units valid
-- that day; for a unit not valid that day (dissolved, or not yet created),
-- the top units of its scope that are: a district dissolved in 2025 has as
-- children in 2026 the new communes made wholly of its communes; Tuyên
-- Quang 08 in 2024, old Hà Giang 02. The children of a cluster
-- ('group:NAME') are its units as they are on p_day; of the country
-- ('all'), the provinces of that day.
CREATE OR REPLACE FUNCTION antt.children_on(p_code text, p_day date)
RETURNS TABLE (code text, name text, path text)
LANGUAGE sql STABLE AS $$
    WITH me AS (
        SELECT daterange(u.valid_from, u.valid_to) @> p_day AS valid
          FROM antt.unit_on(p_code, p_day) u WHERE u.code IS NOT NULL
    ), live AS (
        SELECT u.code, u.name, u.path, u.parent_code
          FROM antt.scope_units(p_code, p_day) s
          JOIN antt.units u ON u.code = s.code
           AND daterange(u.valid_from, u.valid_to) @> p_day
         WHERE daterange(s.valid_from, s.valid_to) @> p_day
    )
    SELECT c.code, c.name, c.path FROM me, antt.units c
     WHERE me.valid AND c.parent_code = p_code AND daterange(c.valid_from, c.valid_to) @> p_day
    UNION ALL
    SELECT l.code, l.name, l.path FROM me, live l
     WHERE NOT me.valid
       AND NOT EXISTS (SELECT 1 FROM live p WHERE p.code = l.parent_code)
    UNION ALL
    SELECT l.code, l.name, l.path FROM live l
     WHERE (p_code LIKE 'group:%' OR p_code = 'all')
       AND NOT EXISTS (SELECT 1 FROM live p WHERE p.code = l.parent_code)
$$;

-- antt.unit_on for many codes: the version of each code to take on p_day
-- (valid that day; else the last before it; else the nearest) — a set, so
-- the planner can join it rather than call a function per code.
CREATE OR REPLACE FUNCTION antt.units_on(p_codes text[], p_day date) RETURNS SETOF antt.units
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (u.code) u.* FROM antt.units u WHERE u.code = ANY (p_codes)
     ORDER BY u.code, daterange(u.valid_from, u.valid_to) @> p_day DESC,
              (u.valid_from IS NULL OR u.valid_from <= p_day) DESC,
              abs(coalesce(u.valid_from, date '1900-01-01') - p_day)
$$;

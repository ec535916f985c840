-- The communes of p_code as it stands today (a dissolved unit: as it stood
-- on its last day), for enrolling stations and load generators.
CREATE OR REPLACE FUNCTION antt.communes(p_code text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    WITH d AS (SELECT antt.as_of(p_code, antt.today()) AS d)
    SELECT DISTINCT u.code FROM d, antt.scope_units(p_code, d.d) s
      JOIN antt.units u ON u.code = s.code AND u.level = 'commune'
     WHERE daterange(u.valid_from, u.valid_to) @> d.d
       AND daterange(s.valid_from, s.valid_to) @> d.d
$$;

-- The version of a code valid on a day; else the nearest one (the last that
-- began before it: a dissolved unit; or the first after). antt.units_on for
-- one code.
CREATE OR REPLACE FUNCTION antt.unit_on(p_code text, p_day date) RETURNS antt.units
LANGUAGE sql STABLE AS $$
    SELECT * FROM antt.units_on(ARRAY[p_code], p_day)
$$;

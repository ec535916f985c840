-- The tallies of a scope in [p_from, p_to), each version for its own days.
CREATE OR REPLACE FUNCTION antt.scope_tallies(p_code text, p_from date, p_to date, p_on date)
RETURNS SETOF antt.tallies
LANGUAGE sql STABLE AS $$
    SELECT t.* FROM antt.scope_units(p_code, p_on) s
      JOIN antt.tallies t ON t.unit = s.code
       AND t.day >= greatest(p_from, coalesce(s.valid_from, p_from))
       AND t.day < least(p_to, coalesce(s.valid_to, p_to))
$$;

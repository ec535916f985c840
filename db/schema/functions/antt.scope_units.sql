-- p_code's scope as it is on p_on, each version with its validity
-- [valid_from, valid_to) and the split predecessor it came through (''
-- when whole). 'group:NAME': the union of its units'; 'all': the whole
-- country as it is on p_on — every top-level unit valid that day, each with
-- its scope (so the provinces merged on 1 July 2025 come in through their
-- successors). antt.scopes_units for one code.
CREATE OR REPLACE FUNCTION antt.scope_units(p_code text, p_on date DEFAULT antt.today())
RETURNS TABLE (code text, valid_from date, valid_to date, partial text)
LANGUAGE sql STABLE AS $$
    SELECT s.code, s.valid_from, s.valid_to, s.partial FROM antt.scopes_units(ARRAY[p_code], p_on) s
$$;

-- antt.scopes_totals_near planned for the wide case: no nested loops, no
-- sorts, no JIT (see antt.scopes_totals_near).
CREATE OR REPLACE FUNCTION antt.scopes_totals_wide(p_codes text[], p_from date, p_to date, p_on date)
RETURNS TABLE (root text, inp boolean, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE SET enable_nestloop = off SET enable_sort = off SET jit = off AS $$
    SELECT * FROM antt.scopes_totals_near(p_codes, p_from, p_to, p_on)
$$;

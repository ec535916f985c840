-- antt.scope_sums for each unit of p_codes at once (`root` says whose).
CREATE OR REPLACE FUNCTION antt.scopes_sums(p_codes text[], p_from date, p_to date, p_on date,
                                 p_years boolean DEFAULT true)
RETURNS TABLE (root text, day date, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    SELECT s.root, s.day, s.metric, s.grp, s.severity, s.value
      FROM antt.scopes_split(p_codes, p_from, p_to, p_on, p_years, false) s
$$;

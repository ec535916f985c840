-- Totals per metric x group x severity over a scope and [p_from, p_to), the
-- scope as it is on the period's last day (keys that sum to 0 left out, as
-- the days would give them).
CREATE OR REPLACE FUNCTION antt.rollup(p_code text, p_from date, p_to date)
RETURNS TABLE (metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    SELECT t.metric, t.grp, t.severity, sum(t.value)::bigint
      FROM antt.scope_sums(p_code, p_from, p_to, p_to - 1) t
     GROUP BY 1, 2, 3 HAVING sum(t.value) <> 0
$$;

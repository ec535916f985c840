-- The same per child of p_code as it is on the period's last day
-- (antt.children_on), each with its whole scope, all children in one pass:
-- in 2025, Lạng Sơn's children are its new communes, each with the figures
-- of the old communes that became it.
CREATE OR REPLACE FUNCTION antt.rollup_children(p_code text, p_from date, p_to date)
RETURNS TABLE (unit text, name text, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    WITH c AS MATERIALIZED (SELECT * FROM antt.children_on(p_code, p_to - 1))
    SELECT c.code, c.name, t.metric, t.grp, t.severity, sum(t.value)::bigint
      FROM antt.scopes_sums((SELECT array_agg(code) FROM c), p_from, p_to, p_to - 1) t
      JOIN c ON c.code = t.root
     GROUP BY 1, 2, 3, 4, 5 HAVING sum(t.value) <> 0
$$;

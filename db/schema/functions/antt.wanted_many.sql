-- The wanted-person figures of each unit of p_codes over [p_from, p_to) (its
-- scope on p_on, as antt.rates_many takes it): found (arrested + surrendered),
-- of which dangerous, and notices withdrawn.
CREATE OR REPLACE FUNCTION antt.wanted_many(p_codes text[], p_from date, p_to date, p_on date DEFAULT NULL)
RETURNS TABLE (code text, wanted_found bigint, wanted_arrested bigint, wanted_surrendered bigint,
               wanted_dangerous bigint, wanted_withdrawn bigint)
LANGUAGE sql STABLE AS $$
    SELECT k.root,
           coalesce(sum(t.value) FILTER (WHERE t.metric = 'wanted_found'), 0)::bigint,
           coalesce(sum(t.value) FILTER (WHERE t.metric = 'wanted_found' AND t.grp = 'arrested'),
                    0)::bigint,
           coalesce(sum(t.value) FILTER (WHERE t.metric = 'wanted_found'
                                           AND t.grp = 'surrendered'), 0)::bigint,
           coalesce(sum(t.value) FILTER (WHERE t.metric = 'wanted_dangerous'), 0)::bigint,
           coalesce(sum(t.value) FILTER (WHERE t.metric = 'wanted_withdrawn'), 0)::bigint
      FROM (SELECT DISTINCT unnest(p_codes) AS root) k
      LEFT JOIN antt.scopes_totals(p_codes, p_from, p_to, coalesce(p_on, p_to - 1)) t
        ON t.root = k.root AND t.inp AND t.metric LIKE 'wanted\_%'
     GROUP BY k.root
$$;

-- The sums by unit asked, period or history before it (`inp`), and key, in
-- one pass. A scope of a few hundred units is read best by index, unit by
-- unit; the whole country's ~3,300 communes (10 years: 400,000 year rows)
-- by reading the tables through and hashing — 1.1 s against 0.34 s. The
-- planner cannot tell which it is (it estimates a scope at one unit), so the
-- wide case is a function of its own planned without nested loops or sorts
-- (and without JIT: the cost a disabled plan carries would make any session
-- that has it on compile the query, seconds each time).
CREATE OR REPLACE FUNCTION antt.scopes_totals_near(p_codes text[], p_from date, p_to date, p_on date)
RETURNS TABLE (root text, inp boolean, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    SELECT t.root, t.inp, t.metric, t.grp, t.severity, sum(t.value)::bigint
      FROM antt.scopes_split(p_codes, p_from, p_to, p_on, true, true) t GROUP BY 1, 2, 3, 4, 5
$$;

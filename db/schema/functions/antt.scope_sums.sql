-- The tallies of a scope in [p_from, p_to) (as antt.scope_tallies: each
-- unit version for its own days), each version's span [lo, hi) cut as
--   days [lo, ms) · months [ms, ys) · years [ys, ye) · months [ye, me) · days [me, hi)
-- (any piece may be empty), so ten years of history are about ten rows per
-- unit and metric, a year about twelve. `day` is the first day a row
-- stands for (a year's row: 1 January), so a caller may sum, or group by
-- month a period of whole months, but must not split the result at a day
-- other than p_from or p_to: ask twice instead (antt.rates does). With
-- p_years false, no row stands for more than a month (figures by month).
-- antt.scopes_split for one code.
CREATE OR REPLACE FUNCTION antt.scope_sums(p_code text, p_from date, p_to date, p_on date,
                                           p_years boolean DEFAULT true)
RETURNS TABLE (day date, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    SELECT s.day, s.metric, s.grp, s.severity, s.value
      FROM antt.scopes_split(ARRAY[p_code], p_from, p_to, p_on, p_years, false) s
$$;

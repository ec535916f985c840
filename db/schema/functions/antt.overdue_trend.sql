-- p_code's overdue tip-offs on each recorded day of [p_from, p_to): the
-- units of its scope (as it is on p_on) that were valid that day.
CREATE OR REPLACE FUNCTION antt.overdue_trend(p_code text, p_from date, p_to date, p_on date)
RETURNS TABLE (day date, overdue bigint)
LANGUAGE sql STABLE AS $$
    SELECT d.day, sum(d.overdue)::bigint
      FROM antt.overdue_daily d
      JOIN (SELECT DISTINCT s.code, s.valid_from, s.valid_to
              FROM antt.scope_units(p_code, p_on) s) s
        ON s.code = d.unit AND daterange(s.valid_from, s.valid_to) @> d.day
     WHERE d.day >= p_from AND d.day < p_to
     GROUP BY d.day ORDER BY d.day
$$;

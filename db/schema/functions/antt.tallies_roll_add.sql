-- Adds a change of antt.tallies (its rows, old ones negated) to the month
-- and year sums and the days before `at` to antt.tallies_before, for every
-- writer but the store. ORDER BY: two writers lock these rows in the same
-- order, so one waits rather than deadlocks.
CREATE OR REPLACE FUNCTION antt.tallies_roll_add(p_unit text[], p_day date[], p_metric text[],
                                      p_grp text[], p_severity text[], p_value bigint[])
RETURNS void
LANGUAGE sql AS $$
    WITH s AS (
        SELECT * FROM unnest(p_unit, p_day, p_metric, p_grp, p_severity, p_value)
                      AS s(unit, day, metric, grp, severity, value)
    ), m AS (
        INSERT INTO antt.tallies_month AS x (unit, month, metric, grp, severity, value)
        SELECT unit, date_trunc('month', day::timestamp)::date, metric, grp, severity, sum(value)
          FROM s GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (unit, month, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value
    ), b AS (
        INSERT INTO antt.tallies_before AS x (unit, metric, grp, severity, value)
        SELECT unit, metric, grp, severity, sum(value) FROM s
         WHERE day < (SELECT at FROM antt.tallies_before_at)
         GROUP BY 1, 2, 3, 4 HAVING sum(value) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (unit, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value
    )
    INSERT INTO antt.tallies_year AS x (unit, year, metric, grp, severity, value)
    SELECT unit, date_trunc('year', day::timestamp)::date, metric, grp, severity, sum(value)
      FROM s GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (unit, year, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value
$$;

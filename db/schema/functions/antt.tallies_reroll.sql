-- The month, year and before sums made again from the days (anttd --repair;
-- the runner's post-step after migrations 011 and 013, which made them).
CREATE OR REPLACE FUNCTION antt.tallies_reroll() RETURNS void
LANGUAGE sql AS $$
    DELETE FROM antt.tallies_month;
    DELETE FROM antt.tallies_year;
    DELETE FROM antt.tallies_before;
    INSERT INTO antt.tallies_month (unit, month, metric, grp, severity, value)
    SELECT unit, date_trunc('month', day::timestamp)::date, metric, grp, severity, sum(value)
      FROM antt.tallies GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO antt.tallies_year (unit, year, metric, grp, severity, value)
    SELECT unit, date_trunc('year', month::timestamp)::date, metric, grp, severity, sum(value)
      FROM antt.tallies_month GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO antt.tallies_before (unit, metric, grp, severity, value)
    SELECT unit, metric, grp, severity, sum(value) FROM antt.tallies_year
     WHERE year < (SELECT at FROM antt.tallies_before_at) GROUP BY 1, 2, 3, 4;
$$;

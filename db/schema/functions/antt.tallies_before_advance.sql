-- Moves `at` to p_at (a 1 January after it; an earlier one is left alone):
-- the years between are added to antt.tallies_before. Writers are held
-- meanwhile (EXCLUSIVE lets readers in): a batch that committed before is
-- in the year rows read here; one after sees the new `at` (a READ
-- COMMITTED statement takes its snapshot once it holds its table locks).
-- Returns whether it moved.
CREATE OR REPLACE FUNCTION antt.tallies_before_advance(p_at date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    cur date;
BEGIN
    SELECT at INTO cur FROM antt.tallies_before_at;
    IF p_at <= cur THEN
        RETURN false;
    END IF;
    LOCK TABLE antt.tallies IN EXCLUSIVE MODE;
    SELECT at INTO cur FROM antt.tallies_before_at FOR UPDATE;
    IF p_at <= cur THEN -- another daemon moved it while this one waited
        RETURN false;
    END IF;
    INSERT INTO antt.tallies_before AS x (unit, metric, grp, severity, value)
    SELECT unit, metric, grp, severity, sum(value) FROM antt.tallies_year
     WHERE year >= cur AND year < date_trunc('year', p_at::timestamp)::date
     GROUP BY 1, 2, 3, 4 HAVING sum(value) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (unit, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value;
    UPDATE antt.tallies_before_at SET at = date_trunc('year', p_at::timestamp)::date;
    RETURN true;
END $$;

-- The statement triggers on antt.tallies, for every writer but the store
-- (which adds its batch's sums itself, in its tally statement, cheaper than
-- any trigger — db/store.c, SQL_UPSERT_TALLIES): one statement's change, its
-- transition tables with old rows negated, goes to the month, year and
-- before sums through antt.tallies_roll_add. So the sums stay exact for
-- --repair's rebuild, an operator's correction, a test's seed.
CREATE OR REPLACE FUNCTION antt.tallies_roll() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- the store adds its batch's sums itself, in its tally statement
    -- (db/store.c, SQL_UPSERT_TALLIES): cheaper than any trigger
    IF current_setting('antt.store_rolls', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM antt.tallies_roll_add(array_agg(unit), array_agg(day), array_agg(metric),
                                      array_agg(grp), array_agg(severity), array_agg(value))
           FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM antt.tallies_roll_add(array_agg(unit), array_agg(day), array_agg(metric),
                                      array_agg(grp), array_agg(severity), array_agg(value))
           FROM (SELECT unit, day, metric, grp, severity, value FROM new_rows
                 UNION ALL
                 SELECT unit, day, metric, grp, severity, -value FROM old_rows) d;
    ELSE -- DELETE
        PERFORM antt.tallies_roll_add(array_agg(unit), array_agg(day), array_agg(metric),
                                      array_agg(grp), array_agg(severity), array_agg(-value))
           FROM old_rows;
    END IF;
    RETURN NULL;
END $$;

-- An INSERT ... ON CONFLICT DO UPDATE (the store's upsert) fires both: the
-- INSERT trigger sees the rows it inserted, the UPDATE trigger the rows it
-- updated, old and new.
CREATE OR REPLACE TRIGGER tallies_roll_ins AFTER INSERT ON antt.tallies
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION antt.tallies_roll();
CREATE OR REPLACE TRIGGER tallies_roll_upd AFTER UPDATE ON antt.tallies
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION antt.tallies_roll();
CREATE OR REPLACE TRIGGER tallies_roll_del AFTER DELETE ON antt.tallies
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION antt.tallies_roll();

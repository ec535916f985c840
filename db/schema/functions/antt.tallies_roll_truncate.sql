-- A TRUNCATE of antt.tallies empties the sums made from it.
CREATE OR REPLACE FUNCTION antt.tallies_roll_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE antt.tallies_month, antt.tallies_year, antt.tallies_before;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER tallies_roll_trunc AFTER TRUNCATE ON antt.tallies
    FOR EACH STATEMENT EXECUTE FUNCTION antt.tallies_roll_truncate();

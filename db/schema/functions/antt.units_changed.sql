-- The scopes follow every change of the units or of their successors (an
-- operator's load: never an event).
CREATE OR REPLACE FUNCTION antt.units_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM antt.rebuild_scopes();
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER units_scope AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON antt.units
    FOR EACH STATEMENT EXECUTE FUNCTION antt.units_changed();
CREATE OR REPLACE TRIGGER unit_successors_scope AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON antt.unit_successors FOR EACH STATEMENT EXECUTE FUNCTION antt.units_changed();

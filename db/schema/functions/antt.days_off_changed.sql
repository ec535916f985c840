-- A change to the days off is a change to the rules, and running daemons
-- reload their calendar (channel antt_registry, as for units and nodes).
CREATE OR REPLACE FUNCTION antt.days_off_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE antt.deadline_rules SET rules = NULL;
    PERFORM pg_notify('antt_registry', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER days_off_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON antt.days_off
    FOR EACH STATEMENT EXECUTE FUNCTION antt.days_off_changed();

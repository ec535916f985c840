-- Every change to who may connect (nodes, subscribers, units) is announced
-- on channel antt_registry, so a running daemon reloads at once and cuts the
-- connections of revoked keys.
CREATE OR REPLACE FUNCTION antt.registry_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('antt_registry', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER nodes_changed AFTER INSERT OR UPDATE OR DELETE ON antt.nodes
    FOR EACH STATEMENT EXECUTE FUNCTION antt.registry_changed();
CREATE OR REPLACE TRIGGER subscribers_changed AFTER INSERT OR UPDATE OR DELETE ON antt.subscribers
    FOR EACH STATEMENT EXECUTE FUNCTION antt.registry_changed();
CREATE OR REPLACE TRIGGER units_changed AFTER INSERT OR UPDATE OR DELETE ON antt.units
    FOR EACH STATEMENT EXECUTE FUNCTION antt.registry_changed();

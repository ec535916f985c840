-- A province's side of the federation (docs/design/federation.md).
-- Up: the publications a Ministry subscribes to. The log (the fold's input
-- and the events) is published as inserts only: the province trims the
-- fold's input once folded, and that trim must not reach a Ministry that has
-- not folded it. The case state reports read is published whole.
-- Down: the triggers that do, for the reference data the Ministry sends
-- (subscription antt_down, anttd --federation-reference), what a load's
-- statement triggers do (antt.reference_applied), enabled ALWAYS so that
-- they fire in the apply worker. Idempotent; needs wal_level = logical for a
-- subscriber to read the publications (they can be made without).
CREATE OR REPLACE FUNCTION antt.federation_province() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'antt_up_log') THEN
        CREATE PUBLICATION antt_up_log FOR TABLE antt.fold_input, antt.events
            WITH (publish = 'insert', publish_via_partition_root = true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'antt_up_state') THEN
        CREATE PUBLICATION antt_up_state FOR TABLE antt.incidents, antt.tipoffs, antt.wanted
            WITH (publish = 'insert, update, delete');
    END IF;
    FOREACH t IN ARRAY ARRAY['units', 'unit_successors', 'crime_groups', 'unit_groups',
                             'days_off', 'targets'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'reference_applied'
                        AND tgrelid = ('antt.' || t)::regclass) THEN
            EXECUTE format('CREATE CONSTRAINT TRIGGER reference_applied'
                           ' AFTER INSERT OR UPDATE OR DELETE ON antt.%I'
                           ' DEFERRABLE INITIALLY DEFERRED FOR EACH ROW'
                           ' EXECUTE FUNCTION antt.reference_applied()', t);
        END IF;
        EXECUTE format('ALTER TABLE antt.%I ENABLE ALWAYS TRIGGER reference_applied', t);
    END LOOP;
END $$;

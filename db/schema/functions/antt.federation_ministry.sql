-- A Ministry's side of the way up (docs/design/federation.md): the trigger
-- that gives each applied batch of the fold's input this database's
-- transaction id, enabled ALWAYS (a trigger enabled the usual way does not
-- fire in logical replication's apply worker). Made here, not in a
-- repeatable file, so that re-applying the schema's functions never resets
-- how it is enabled. Idempotent. The subscriptions themselves (CREATE
-- SUBSCRIPTION cannot run inside a function) are the operator's.
CREATE OR REPLACE FUNCTION antt.federation_ministry() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'fold_input_local_txid'
                    AND tgrelid = 'antt.fold_input'::regclass) THEN
        CREATE TRIGGER fold_input_local_txid BEFORE INSERT ON antt.fold_input
            FOR EACH ROW EXECUTE FUNCTION antt.fold_input_local_txid();
    END IF;
    ALTER TABLE antt.fold_input ENABLE ALWAYS TRIGGER fold_input_local_txid;
END $$;

-- A Ministry's side of the way up (docs/design/federation.md): the
-- triggers its apply workers need, enabled ALWAYS (a trigger enabled the
-- usual way does not fire in logical replication's apply worker):
--   fold_input_local_txid  each applied batch of the fold's input gets this
--                          database's transaction id (and is counted for
--                          its province: /metrics' lag);
--   federation_owned       a case row of a unit outside the sending
--                          province's subtrees is set aside, not applied.
-- And the way down: publication antt_down, the reference data the Ministry
-- owns, to which each province subscribes (anttd --federation-reference).
-- Made here, not in a repeatable file, so that re-applying the schema's
-- functions never resets how they are enabled. Idempotent. The
-- subscriptions themselves are made by anttd --federation-add.
CREATE OR REPLACE FUNCTION antt.federation_ministry() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'fold_input_local_txid'
                    AND tgrelid = 'antt.fold_input'::regclass) THEN
        CREATE TRIGGER fold_input_local_txid BEFORE INSERT ON antt.fold_input
            FOR EACH ROW EXECUTE FUNCTION antt.fold_input_local_txid();
    END IF;
    ALTER TABLE antt.fold_input ENABLE ALWAYS TRIGGER fold_input_local_txid;
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'antt_down') THEN
        CREATE PUBLICATION antt_down FOR TABLE antt.units, antt.unit_successors,
            antt.crime_groups, antt.unit_groups, antt.days_off, antt.targets;
    END IF;
    FOR t IN SELECT * FROM (VALUES ('incidents', 'unit'), ('tipoffs', 'unit'),
                                   ('wanted', 'issuer')) AS v(tbl, col) LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'federation_owned'
                        AND tgrelid = ('antt.' || t.tbl)::regclass) THEN
            EXECUTE format('CREATE TRIGGER federation_owned BEFORE INSERT OR UPDATE OR DELETE'
                           ' ON antt.%I FOR EACH ROW EXECUTE FUNCTION antt.federation_owned(%L)',
                           t.tbl, t.col);
        END IF;
        EXECUTE format('ALTER TABLE antt.%I ENABLE ALWAYS TRIGGER federation_owned', t.tbl);
    END LOOP;
END $$;

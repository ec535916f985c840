-- The Ministry's order of the provinces' batches (docs/design/federation.md):
-- a row of antt.fold_input that logical replication applies carries the
-- province's transaction id, which means nothing here. The fold takes rows
-- by this database's ids (docs/design/fold.md), so the applying transaction
-- stamps its own. The trigger that calls this exists on a Ministry's
-- database only (antt.federation_ministry), enabled ALWAYS so that it fires
-- in the apply worker; a province's ack path has none.
CREATE OR REPLACE FUNCTION antt.fold_input_local_txid() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.txid := pg_current_xact_id();
    RETURN NEW;
END $$;

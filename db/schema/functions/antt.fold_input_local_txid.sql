-- The Ministry's order of the provinces' batches (docs/design/federation.md):
-- a row of antt.fold_input that logical replication applies carries the
-- province's transaction id, which means nothing here. The fold takes rows
-- by this database's ids (docs/design/fold.md), so the applying transaction
-- stamps its own. In an apply worker (antt_from_<code>) the batch is also
-- counted for its province in antt.federation_applied (/metrics: the lag).
-- The trigger that calls this exists on a Ministry's database only
-- (antt.federation_ministry), enabled ALWAYS so that it fires in the apply
-- worker; a province's ack path has none.
CREATE OR REPLACE FUNCTION antt.fold_input_local_txid() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    src text;
BEGIN
    NEW.txid := pg_current_xact_id();
    SELECT substr(subname, 11) INTO src FROM pg_stat_subscription
     WHERE pid = pg_backend_pid() AND relid IS NULL AND subname LIKE 'antt\_from\_%';
    IF src IS NOT NULL THEN
        INSERT INTO antt.federation_applied AS a (code, batch_at, applied_at, batches)
        VALUES (src, NEW.at, clock_timestamp(), 1)
        ON CONFLICT (code) DO UPDATE SET batch_at = greatest(a.batch_at, EXCLUDED.batch_at),
            applied_at = EXCLUDED.applied_at, batches = a.batches + 1;
    END IF;
    RETURN NEW;
END $$;

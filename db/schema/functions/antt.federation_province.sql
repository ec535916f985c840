-- A province's side of the way up (docs/design/federation.md): the
-- publications a Ministry subscribes to. The log (the fold's input and the
-- events) is published as inserts only: the province trims the fold's input
-- once folded, and that trim must not reach a Ministry that has not folded
-- it. The case state reports read is published whole. Idempotent; needs
-- wal_level = logical for a subscriber to read it (the publication can be
-- made without).
CREATE OR REPLACE FUNCTION antt.federation_province() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'antt_up_log') THEN
        CREATE PUBLICATION antt_up_log FOR TABLE antt.fold_input, antt.events
            WITH (publish = 'insert', publish_via_partition_root = true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'antt_up_state') THEN
        CREATE PUBLICATION antt_up_state FOR TABLE antt.incidents, antt.tipoffs, antt.wanted
            WITH (publish = 'insert, update, delete');
    END IF;
END $$;

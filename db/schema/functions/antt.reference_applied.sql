-- A province's side of the way down (docs/design/federation.md): the
-- Ministry's reference data (units and their successors, crime groups,
-- clusters, days off, targets) arrives through subscription antt_down,
-- whose apply worker fires row triggers only, not the statement triggers
-- that a load fires (the units' scopes rebuilt, the deadline rules marked
-- stale, the daemons told). This one, a deferred constraint trigger per row
-- enabled ALWAYS by antt.federation_province(), does their work once per
-- table and transaction, at commit, in an apply worker; elsewhere the
-- statement triggers have done it and it returns at once.
CREATE OR REPLACE FUNCTION antt.reference_applied() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('antt.reference_' || TG_TABLE_NAME, true), '') = '1'
       OR NOT EXISTS (SELECT 1 FROM pg_stat_subscription
                       WHERE pid = pg_backend_pid() AND relid IS NULL) THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('antt.reference_' || TG_TABLE_NAME, '1', true);
    IF TG_TABLE_NAME IN ('units', 'unit_successors') THEN
        PERFORM antt.rebuild_scopes();
    END IF;
    IF TG_TABLE_NAME = 'days_off' THEN
        UPDATE antt.deadline_rules SET rules = NULL;
    END IF;
    PERFORM pg_notify('antt_registry', TG_TABLE_NAME);
    RETURN NULL;
END $$;

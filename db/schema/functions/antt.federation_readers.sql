-- Least privilege for the federation's links (docs/operations.md, "A
-- Ministry and its provinces"). The roles themselves (LOGIN REPLICATION,
-- their passwords or certificates, pg_hba.conf's hostssl lines) are the
-- operator's (docs/operations.md names them antt_ministry on a province and
-- antt_province on the Ministry); these grant them what they read and
-- nothing else.
--
-- On a province, for the Ministry's subscription user: the published tables
-- (the log, the case state), and the two a resync reads besides, which are
-- derived from them alone (the folded tallies and the fold's position).
CREATE OR REPLACE FUNCTION antt.federation_reader_up(p_role name) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA antt TO %I', p_role);
    EXECUTE format('GRANT SELECT ON antt.fold_input, antt.events, antt.incidents, antt.tipoffs,'
                   ' antt.wanted, antt.tallies, antt.fold_state TO %I', p_role);
END $$;

-- On the Ministry, for the provinces' subscription user: the reference data
-- published down (antt_down).
CREATE OR REPLACE FUNCTION antt.federation_reader_down(p_role name) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA antt TO %I', p_role);
    EXECUTE format('GRANT SELECT ON antt.units, antt.unit_successors, antt.crime_groups,'
                   ' antt.unit_groups, antt.days_off, antt.targets TO %I', p_role);
END $$;

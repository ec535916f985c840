-- 007_eras.sql — two maps of the country (issue 15). Since 1 July 2025 the
-- statistics office reuses the code of one merged unit for the new one: a
-- unit is its code AND its validity. Several versions of a code may exist,
-- never two valid on the same day. Tallies, cases and the log keep codes:
-- the day (or the event's time) says which version they belong to.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- The foreign keys on units(code) cannot stay (a code is no longer unique):
-- a trigger checks that a referenced code exists in some version, with the
-- same error (23503) the keys raised, which `antt node add` reports.
ALTER TABLE antt.units DROP CONSTRAINT units_parent_code_fkey;
ALTER TABLE antt.unit_successors DROP CONSTRAINT unit_successors_code_fkey,
                                 DROP CONSTRAINT unit_successors_successor_fkey;
ALTER TABLE antt.unit_groups DROP CONSTRAINT unit_groups_code_fkey;
ALTER TABLE antt.nodes DROP CONSTRAINT nodes_unit_code_fkey;
ALTER TABLE antt.subscribers DROP CONSTRAINT subscribers_unit_code_fkey;
ALTER TABLE antt.units DROP CONSTRAINT units_pkey;

CREATE UNIQUE INDEX units_code_version_idx ON antt.units (code, valid_from) NULLS NOT DISTINCT;
ALTER TABLE antt.units ADD CONSTRAINT units_one_version_a_day
    EXCLUDE USING gist (code WITH =, daterange(valid_from, valid_to) WITH &&);
CREATE INDEX units_code_idx ON antt.units (code);

CREATE FUNCTION antt.unit_known() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col text;
    v text;
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        EXECUTE format('SELECT ($1).%I::text', col) USING NEW INTO v;
        IF v IS NOT NULL AND v <> '' AND NOT EXISTS (SELECT 1 FROM antt.units u WHERE u.code = v)
        THEN
            RAISE foreign_key_violation USING
                MESSAGE = format('unit %s is not in antt.units', v),
                CONSTRAINT = TG_TABLE_NAME || '_' || col || '_unit';
        END IF;
    END LOOP;
    RETURN NEW;
END $$;
CREATE TRIGGER nodes_unit_known BEFORE INSERT OR UPDATE ON antt.nodes
    FOR EACH ROW EXECUTE FUNCTION antt.unit_known('unit_code');
CREATE TRIGGER subscribers_unit_known BEFORE INSERT OR UPDATE ON antt.subscribers
    FOR EACH ROW EXECUTE FUNCTION antt.unit_known('unit_code');
CREATE TRIGGER unit_groups_unit_known BEFORE INSERT OR UPDATE ON antt.unit_groups
    FOR EACH ROW EXECUTE FUNCTION antt.unit_known('code');
CREATE TRIGGER unit_successors_unit_known BEFORE INSERT OR UPDATE ON antt.unit_successors
    FOR EACH ROW EXECUTE FUNCTION antt.unit_known('code', 'successor');

-- A split: several successors of one old unit, each with the statistics
-- office's wording ("partial (NSO: Nhập một phần)", "whole-or-partial").
ALTER TABLE antt.unit_successors ADD COLUMN share_note text NOT NULL DEFAULT '',
                                 ADD COLUMN note text NOT NULL DEFAULT '';

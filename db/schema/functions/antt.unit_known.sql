-- A referenced unit code must exist in some version of antt.units. Codes are
-- not unique since the 2025 reorganisation (a unit is its code and its
-- validity), so foreign keys cannot say it: this trigger raises the error
-- the keys raised (23503, foreign_key_violation), which `antt node add`
-- reports. Its arguments name the columns to check.
CREATE OR REPLACE FUNCTION antt.unit_known() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE TRIGGER nodes_unit_known BEFORE INSERT OR UPDATE ON antt.nodes
    FOR EACH ROW EXECUTE FUNCTION antt.unit_known('unit_code');
CREATE OR REPLACE TRIGGER subscribers_unit_known BEFORE INSERT OR UPDATE ON antt.subscribers
    FOR EACH ROW EXECUTE FUNCTION antt.unit_known('unit_code');
CREATE OR REPLACE TRIGGER unit_groups_unit_known BEFORE INSERT OR UPDATE ON antt.unit_groups
    FOR EACH ROW EXECUTE FUNCTION antt.unit_known('code');
CREATE OR REPLACE TRIGGER unit_successors_unit_known BEFORE INSERT OR UPDATE ON antt.unit_successors
    FOR EACH ROW EXECUTE FUNCTION antt.unit_known('code', 'successor');

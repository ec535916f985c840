-- 007_eras.sql — two maps of the country. Since 1 July 2025 the
-- statistics office reuses the code of one merged unit for the new one: a
-- unit is its code AND its validity. Several versions of a code may exist,
-- never two valid on the same day. Tallies, cases and the log keep codes:
-- the day (or the event's time) says which version they belong to.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- The foreign keys on units(code) cannot stay (a code is no longer unique):
-- a trigger checks that a referenced code exists in some version, with the
-- same error (23503) the keys raised, which `antt node add` reports
-- (db/schema/functions/antt.unit_known.sql).
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

-- A split: several successors of one old unit, each with the statistics
-- office's wording ("partial (NSO: Nhập một phần)", "whole-or-partial").
ALTER TABLE antt.unit_successors ADD COLUMN share_note text NOT NULL DEFAULT '',
                                 ADD COLUMN note text NOT NULL DEFAULT '';

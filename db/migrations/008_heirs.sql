-- 008_heirs.sql — figures across the 1 July 2025 reorganisation.
--
-- A unit's figures are those of the unit versions it is made of, each for
-- the days that version was valid: a code reused for another area counts
-- for the area of each day. A scope holds
--   * the versions below it by path that overlap its own validity;
--   * the new units made wholly of dissolved units below it (a district's
--     communes after 1 July 2025, which have no district);
--   * every unit dissolved into a member (antt.unit_successors), with its
--     subtree, recursively: 2024 figures of Tuyên Quang 08 are those of old
--     Hà Giang 02; a new commune's those of its predecessors. A predecessor
--     that went to several units in part is counted whole in each, and
--     named (column `partial`) so reports say so instead of apportioning.
-- A dissolved unit's work (open cases, pending tip-offs) passes to its
-- heir: the first successor in the conversion table (`ord`), or, with none,
-- its parent's heir (a district's to the province).
--
-- The functions that answer so are repeatable files (db/schema/functions/:
-- antt.scope_units, antt.heir, antt.children_on, …); the scopes themselves
-- are computed by antt.rebuild_scopes, after those files are applied:
-- post-step: rebuild_scopes

-- The conversion table's order of a unit's successors: the first is its heir.
ALTER TABLE antt.unit_successors ADD COLUMN ord integer NOT NULL DEFAULT 0;

-- Where an incident's clearance counts: the unit where it occurred, or that
-- unit's heir when it was dissolved before the clearance (settled by the
-- ledger with the clearing node's unit).
ALTER TABLE antt.incidents ADD COLUMN cleared_unit text COLLATE "C" NOT NULL DEFAULT '';
UPDATE antt.incidents SET cleared_unit = occurred_unit WHERE cleared_at IS NOT NULL;

-- The unit versions whose tallies make each unit version's figures: its
-- scope, computed once whenever units or successors change (they change
-- with an operator's load, never with events), so that every roll-up is an
-- index lookup rather than a recursive walk of both maps. A member that came
-- in through a split names the predecessor that was split (`partial`); ''
-- when whole. Filled by antt.rebuild_scopes (its triggers on antt.units and
-- antt.unit_successors: db/schema/functions/antt.units_changed.sql).
CREATE TABLE antt.unit_scope (
    root       text COLLATE "C" NOT NULL,
    root_from  date,
    code       text COLLATE "C" NOT NULL,
    valid_from date,
    valid_to   date,
    partial    text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX unit_scope_root_idx ON antt.unit_scope (root, root_from);

-- rates() gains p_on: the day on which p_code is taken (default: the
-- period's last day), so a comparison year is read with the units of the
-- main year. Overdue is as of now, at each tip-off's heir today. A new
-- signature: the old one is dropped here, the new one is a repeatable file.
DROP FUNCTION IF EXISTS antt.rates(text, date, date, text);

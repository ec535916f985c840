-- 015_targets.sql — targets on record: the rates a unit is to
-- reach in a year, as the National Assembly's and the Ministry's resolutions
-- set them (tip-offs resolved ≥ 90%) or a province sets its own, so that
-- `antt report` states each rate against its target without a --targets
-- flag (the flag, when given, replaces a figure's target for that report).
-- unit: a unit code as `antt report --unit` takes it (a code, 'all', or
-- 'group:NAME'); year: the (statistical) year the report is for.
CREATE TABLE antt.targets (
    unit    text COLLATE "C" NOT NULL,
    year    integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    figure  text NOT NULL CHECK (figure IN ('clearance', 'major', 'tipoff')),
    target  numeric(5, 2) NOT NULL CHECK (target BETWEEN 0 AND 100),
    source  text NOT NULL DEFAULT '',
    PRIMARY KEY (unit, year, figure)
);

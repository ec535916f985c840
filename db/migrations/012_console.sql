-- 012_console.sql — what the console needs beyond the reports:
-- the whole country as a scope, a cluster's children, and overdue tip-offs
-- over time.

-- Overdue tip-offs over time. Being overdue is a matter of the clock, not
-- of an event, so no tally holds it: anttd writes, every ten minutes and at
-- start, how many pending tip-offs are past their deadline at each unit
-- where they are handled that day (a dissolved unit's at its heir). A day's
-- figure is the last one written that day; a trend begins on the day this
-- was first recorded (there is no honest way to rebuild earlier days: a
-- suspension or transfer keeps no time in antt.tipoffs). Written by
-- antt.record_overdue (db/schema/functions/).
CREATE TABLE antt.overdue_daily (
    day         date NOT NULL,
    unit        text COLLATE "C" NOT NULL,
    overdue     integer NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (day, unit)
);

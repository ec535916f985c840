-- 014_days_off.sql — legal time limits counted as the Criminal Procedure Code
-- counts them (Art. 134; rules/lawtime.h).
--
-- A tip-off's deadline is now the last instant of the limit's last day
-- (23:59:59.999999 Asia/Ho_Chi_Minh), so "overdue" stays "deadline < now()"
-- everywhere it is read (antt tipoffs, the report, /metrics, the console): at
-- 23:59:59 of the last day not overdue, at 00:00:00 the next day overdue.
-- The deadlines themselves are decided in one place, anttd's ledger; this
-- migration cannot recompute them in SQL without a second copy of the rules,
-- so it records that the rules changed (antt.deadline_rules.rules NULL) and
-- anttd recomputes every pending tip-off's deadline by replaying its events
-- through the ledger before it takes events (db/verify.h), and so does the
-- runner's deadlines step after `anttd --migrate` (db/migrate.h).

-- Days off beyond Saturdays and Sundays, and weekend days worked instead.
-- off: true for a public holiday, a day given in compensation (nghỉ bù) or a
-- working day swapped off (hoán đổi); false for a Saturday or Sunday worked
-- in exchange (làm bù). A day not listed is off when it is a Saturday or a
-- Sunday. Loaded from data/days-off.csv (anttd --load-days-off), each row with
-- the government's announcement it comes from.
CREATE TABLE antt.days_off (
    day    date PRIMARY KEY,
    off    boolean NOT NULL,
    name   text NOT NULL CHECK (name <> ''),
    source text NOT NULL CHECK (source <> '')
);

-- The rules the stored deadlines were computed under (the settings and the
-- days off, as anttd states them); NULL: to be recomputed. A daemon that
-- starts with other rules recomputes the pending deadlines first.
CREATE TABLE antt.deadline_rules (
    one          boolean PRIMARY KEY DEFAULT true CHECK (one),
    rules        text,
    computed_at  timestamptz
);
INSERT INTO antt.deadline_rules (one, rules) VALUES (true, NULL);

-- What the console's reader role may read (010's default privileges cover
-- the tables; the runner grants it every function, db/migrate.c).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'antt_reader') THEN
        GRANT SELECT ON antt.days_off, antt.deadline_rules TO antt_reader;
    END IF;
END
$$;

-- 014_days_off.sql — legal time limits counted as the Criminal Procedure Code
-- counts them (Art. 134; db/lawtime.h), issue 18.
--
-- A tip-off's deadline is now the last instant of the limit's last day
-- (23:59:59.999999 Asia/Ho_Chi_Minh), so "overdue" stays "deadline < now()"
-- everywhere it is read (antt tipoffs, the report, /metrics, the console): at
-- 23:59:59 of the last day not overdue, at 00:00:00 the next day overdue.
-- The deadlines themselves are decided in one place, anttd's ledger; this
-- migration cannot recompute them in SQL without a second copy of the rules,
-- so it records that the rules changed (antt.deadline_rules.rules NULL) and
-- anttd recomputes every pending tip-off's deadline by replaying its events
-- through the ledger before it takes events (db/verify.h).

-- Days off beyond Saturdays and Sundays, and weekend days worked instead.
-- off: true for a public holiday, a day given in compensation (nghỉ bù) or a
-- working day swapped off (hoán đổi); false for a Saturday or Sunday worked
-- in exchange (làm bù). A day not listed is off when it is a Saturday or a
-- Sunday. Loaded from db/days-off.csv (anttd --load-days-off), each row with
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

-- A change to the days off is a change to the rules, and running daemons
-- reload their calendar (channel antt_registry, as for units and nodes).
CREATE FUNCTION antt.days_off_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE antt.deadline_rules SET rules = NULL;
    PERFORM pg_notify('antt_registry', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
CREATE TRIGGER days_off_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON antt.days_off
    FOR EACH STATEMENT EXECUTE FUNCTION antt.days_off_changed();

-- A digest of the days off, for the rules' statement.
CREATE FUNCTION antt.days_off_digest() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT count(*) || ':' || coalesce(md5(string_agg(day::text || CASE WHEN off THEN '+' ELSE '-' END,
                                                      ',' ORDER BY day)), '')
      FROM antt.days_off
$$;

-- "Now" for the overdue figures: the session's antt.as_of when set (antt
-- tipoffs --at, antt report --at: what was overdue at an instant, e.g. at
-- 23:59:59 and at 00:00:00 of the day after a limit), else the clock.
CREATE FUNCTION antt.now() RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('antt.as_of', true), '')::timestamptz, now())
$$;

-- 013's antt.overdue_many and 011's antt.tipoffs_open, with antt.now().
CREATE OR REPLACE FUNCTION antt.overdue_many(p_codes text[]) RETURNS TABLE (root text, n bigint)
LANGUAGE sql STABLE AS $$
    WITH s AS MATERIALIZED (
        -- each unit's scope, any era, and whether the code is valid today in it
        SELECT s.root, s.code, bool_or(daterange(s.valid_from, s.valid_to) @> antt.today()) AS here
          FROM antt.scopes_units(p_codes, antt.today()) s
         GROUP BY 1, 2
    ), live AS MATERIALIZED (
        SELECT u.code, u.valid_from, u.valid_to FROM antt.units u
         WHERE daterange(u.valid_from, u.valid_to) @> antt.today()
    ), o AS MATERIALIZED (
        -- every overdue tip-off of the country (the deadline index), with its
        -- heir: itself when its unit as it was on receipt is still valid
        SELECT o.unit, l.code IS NOT NULL AS own,
               CASE WHEN l.code IS NULL
                    THEN antt.heir(o.unit, (o.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
                                   antt.today()) END AS heir
          FROM antt.tipoffs o
          LEFT JOIN live l ON l.code = o.unit
           AND daterange(l.valid_from, l.valid_to) @> (o.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
         WHERE o.status = 'pending' AND o.deadline < antt.now()
    )
    SELECT k.root, count(x.root)
      FROM (SELECT DISTINCT unnest(p_codes) AS root) k
      LEFT JOIN (
           -- a tip-off of a unit of the scope counts there when its heir is
           -- in the scope today: when it is its own heir, when that unit is
           -- (nearly always: no second look at the scope)
           SELECT mine.root FROM o JOIN s mine ON mine.code = o.unit
            WHERE CASE WHEN o.own THEN mine.here
                       ELSE EXISTS (SELECT 1 FROM s h WHERE h.root = mine.root
                                       AND h.code = o.heir AND h.here) END) x
        ON x.root = k.root
     GROUP BY k.root
$$;

CREATE OR REPLACE FUNCTION antt.tipoffs_open(p_code text, p_within interval DEFAULT NULL)
RETURNS TABLE (unit text, ref text, kind text, received_at timestamptz, deadline timestamptz,
               extended text, days_left integer)
LANGUAGE sql STABLE AS $$
    SELECT t.unit, t.ref, t.kind, t.received_at, t.deadline,
           concat_ws('+', CASE WHEN t.complex_extended THEN 'complex' END,
                          CASE WHEN t.procuracy_extended THEN 'procuracy' END),
           (t.deadline AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
             - (antt.now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
      FROM antt.pending_here(p_code) t
     WHERE CASE WHEN p_within IS NULL THEN t.deadline < antt.now()
                ELSE t.deadline >= antt.now() AND t.deadline < antt.now() + p_within END
     ORDER BY t.deadline, t.unit, t.ref
$$;

-- What the console's reader role may read (010's default privileges cover
-- the tables; the functions are granted by name).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'antt_reader') THEN
        GRANT EXECUTE ON FUNCTION antt.days_off_digest() TO antt_reader;
        GRANT SELECT ON antt.days_off, antt.deadline_rules TO antt_reader;
    END IF;
END
$$;

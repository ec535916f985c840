-- 012_console.sql — what the console needs beyond the reports (issue 16):
-- the whole country as a scope, a cluster's children, and overdue tip-offs
-- over time.

-- 'all': the whole country as it is on p_on — every top-level unit valid
-- that day, each with its scope (so the provinces merged on 1 July 2025
-- come in through their successors).
CREATE OR REPLACE FUNCTION antt.scope_units(p_code text, p_on date DEFAULT antt.today())
RETURNS TABLE (code text, valid_from date, valid_to date, partial text)
LANGUAGE sql STABLE AS $$
    WITH roots AS (
        SELECT r.code, r.valid_from FROM antt.unit_on(p_code, p_on) r
         WHERE p_code NOT LIKE 'group:%' AND p_code <> 'all' AND r.code IS NOT NULL
        UNION ALL
        SELECT r.code, r.valid_from
          FROM antt.unit_groups g CROSS JOIN LATERAL antt.unit_on(g.code, p_on) r
         WHERE p_code LIKE 'group:%' AND g.grp = substr(p_code, 7)
        UNION ALL
        SELECT u.code, u.valid_from FROM antt.units u
         WHERE p_code = 'all' AND u.parent_code IS NULL
           AND daterange(u.valid_from, u.valid_to) @> p_on
    )
    SELECT s.code, s.valid_from, s.valid_to, min(s.partial)
      FROM roots r JOIN antt.unit_scope s
        ON s.root = r.code AND s.root_from IS NOT DISTINCT FROM r.valid_from
     GROUP BY 1, 2, 3
$$;

-- As 008's, and: the children of a cluster ('group:NAME') are its units as
-- they are on p_day; of the country ('all'), the provinces of that day.
CREATE OR REPLACE FUNCTION antt.children_on(p_code text, p_day date)
RETURNS TABLE (code text, name text, path text)
LANGUAGE sql STABLE AS $$
    WITH me AS (
        SELECT daterange(u.valid_from, u.valid_to) @> p_day AS valid
          FROM antt.unit_on(p_code, p_day) u WHERE u.code IS NOT NULL
    ), live AS (
        SELECT u.code, u.name, u.path, u.parent_code
          FROM antt.scope_units(p_code, p_day) s
          JOIN antt.units u ON u.code = s.code
           AND daterange(u.valid_from, u.valid_to) @> p_day
         WHERE daterange(s.valid_from, s.valid_to) @> p_day
    )
    SELECT c.code, c.name, c.path FROM me, antt.units c
     WHERE me.valid AND c.parent_code = p_code AND daterange(c.valid_from, c.valid_to) @> p_day
    UNION ALL
    SELECT l.code, l.name, l.path FROM me, live l
     WHERE NOT me.valid
       AND NOT EXISTS (SELECT 1 FROM live p WHERE p.code = l.parent_code)
    UNION ALL
    SELECT l.code, l.name, l.path FROM live l
     WHERE (p_code LIKE 'group:%' OR p_code = 'all')
       AND NOT EXISTS (SELECT 1 FROM live p WHERE p.code = l.parent_code)
$$;

-- Overdue tip-offs over time. Being overdue is a matter of the clock, not
-- of an event, so no tally holds it: anttd writes, every ten minutes and at
-- start, how many pending tip-offs are past their deadline at each unit
-- where they are handled that day (a dissolved unit's at its heir). A day's
-- figure is the last one written that day; a trend begins on the day this
-- was first recorded (there is no honest way to rebuild earlier days: a
-- suspension or transfer keeps no time in antt.tipoffs).
CREATE TABLE antt.overdue_daily (
    day         date NOT NULL,
    unit        text COLLATE "C" NOT NULL,
    overdue     integer NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (day, unit)
);

CREATE FUNCTION antt.record_overdue() RETURNS integer
LANGUAGE sql AS $$
    WITH live AS (
        SELECT u.code, u.valid_from, u.valid_to FROM antt.units u
         WHERE daterange(u.valid_from, u.valid_to) @> antt.today()
    ), now_overdue AS (
        -- at its heir (a unit still valid is its own: antt.pending_here)
        SELECT CASE WHEN l.code IS NOT NULL THEN o.unit
                    ELSE antt.heir(o.unit, (o.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
                                   antt.today()) END AS unit,
               count(*)::integer AS n
          FROM antt.tipoffs o
          LEFT JOIN live l ON l.code = o.unit
           AND daterange(l.valid_from, l.valid_to)
               @> (o.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
         WHERE o.status = 'pending' AND o.deadline < now()
         GROUP BY 1
    ), cleared AS (
        -- a unit whose overdue tip-offs were all settled since the last
        -- record today: now 0
        UPDATE antt.overdue_daily d SET overdue = 0, recorded_at = now()
         WHERE d.day = antt.today() AND d.overdue <> 0
           AND d.unit NOT IN (SELECT unit FROM now_overdue)
    ), written AS (
        INSERT INTO antt.overdue_daily AS d (day, unit, overdue)
        SELECT antt.today(), unit, n FROM now_overdue ORDER BY unit
        ON CONFLICT (day, unit) DO UPDATE SET overdue = excluded.overdue, recorded_at = now()
        RETURNING 1
    )
    SELECT count(*)::integer FROM written
$$;

-- p_code's overdue tip-offs on each recorded day of [p_from, p_to): the
-- units of its scope (as it is on p_on) that were valid that day.
CREATE FUNCTION antt.overdue_trend(p_code text, p_from date, p_to date, p_on date)
RETURNS TABLE (day date, overdue bigint)
LANGUAGE sql STABLE AS $$
    SELECT d.day, sum(d.overdue)::bigint
      FROM antt.overdue_daily d
      JOIN (SELECT DISTINCT s.code, s.valid_from, s.valid_to
              FROM antt.scope_units(p_code, p_on) s) s
        ON s.code = d.unit AND daterange(s.valid_from, s.valid_to) @> d.day
     WHERE d.day >= p_from AND d.day < p_to
     GROUP BY d.day ORDER BY d.day
$$;

-- 013_history.sql — figures whose cost grows neither with the years of
-- history nor with the number of units asked (issue 17).
--
-- A year's figures need everything before it (the carry-over). From the
-- year table that was ten rows per unit and key after ten years: the whole
-- country's report read 400,000 of them. antt.tallies_before holds, per
-- unit and key, the sum of every day before antt.tallies_before_at (1
-- January of the current year): a period's history is that row, with the
-- year rows between `at` and the period's first 1 January added or taken
-- away — one or two rows a key for this year and last, however long the
-- records. Writers add to it what they write before `at` (late events, in
-- January; the store in its tally statement, the triggers for everyone
-- else); once a year, when the year turns, anttd moves the year just ended
-- into it (antt.tallies_before_advance). A reader does not depend on that:
-- before + the years since `at` is exact whatever `at` is.
--
-- And the console's children table, rollup_children and /metrics' province
-- figures asked antt.rates() once per unit: a SQL function called in a
-- LATERAL join is planned and started for each row, ~2 ms of every call
-- before it reads a tally, and antt.rates() read every crime group to keep
-- one. On a national map (a province of ~100 communes, 34 provinces) that
-- was 0.7 s for one province's children and 0.45 s for /metrics even on a
-- database holding one day. antt.scopes_sums and antt.rates_many take an
-- array of units and answer for all of them with one plan; the one-unit
-- functions are now these with an array of one, so both read the same SQL.

-- A scope of the whole country reads one period of every unit: by these,
-- not the whole tables.
CREATE INDEX tallies_month_month_idx ON antt.tallies_month (month);
CREATE INDEX tallies_year_year_idx ON antt.tallies_year (year);

CREATE TABLE antt.tallies_before (
    unit     text COLLATE "C" NOT NULL,
    metric   text COLLATE "C" NOT NULL,
    grp      text COLLATE "C" NOT NULL DEFAULT '',
    severity text COLLATE "C" NOT NULL DEFAULT '',
    value    bigint NOT NULL,
    PRIMARY KEY (unit, metric, grp, severity)
);
CREATE TABLE antt.tallies_before_at (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    at  date NOT NULL CHECK (at = date_trunc('year', at::timestamp)::date)
);
INSERT INTO antt.tallies_before_at (at)
VALUES (date_trunc('year', now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date);

-- Adds a change of antt.tallies (its rows, old ones negated) to the month
-- and year sums (as 011's trigger did) and the days before `at` to
-- antt.tallies_before, for every writer but the store. ORDER BY: two
-- writers lock these rows in the same order, so one waits rather than
-- deadlocks.
CREATE FUNCTION antt.tallies_roll_add(p_unit text[], p_day date[], p_metric text[],
                                      p_grp text[], p_severity text[], p_value bigint[])
RETURNS void
LANGUAGE sql AS $$
    WITH s AS (
        SELECT * FROM unnest(p_unit, p_day, p_metric, p_grp, p_severity, p_value)
                      AS s(unit, day, metric, grp, severity, value)
    ), m AS (
        INSERT INTO antt.tallies_month AS x (unit, month, metric, grp, severity, value)
        SELECT unit, date_trunc('month', day::timestamp)::date, metric, grp, severity, sum(value)
          FROM s GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (unit, month, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value
    ), b AS (
        INSERT INTO antt.tallies_before AS x (unit, metric, grp, severity, value)
        SELECT unit, metric, grp, severity, sum(value) FROM s
         WHERE day < (SELECT at FROM antt.tallies_before_at)
         GROUP BY 1, 2, 3, 4 HAVING sum(value) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (unit, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value
    )
    INSERT INTO antt.tallies_year AS x (unit, year, metric, grp, severity, value)
    SELECT unit, date_trunc('year', day::timestamp)::date, metric, grp, severity, sum(value)
      FROM s GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (unit, year, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value
$$;

CREATE OR REPLACE FUNCTION antt.tallies_roll() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- the store adds its batch's sums itself, in its tally statement
    -- (db/sql.h, SQL_UPSERT_TALLIES): cheaper than any trigger
    IF current_setting('antt.store_rolls', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM antt.tallies_roll_add(array_agg(unit), array_agg(day), array_agg(metric),
                                      array_agg(grp), array_agg(severity), array_agg(value))
           FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM antt.tallies_roll_add(array_agg(unit), array_agg(day), array_agg(metric),
                                      array_agg(grp), array_agg(severity), array_agg(value))
           FROM (SELECT unit, day, metric, grp, severity, value FROM new_rows
                 UNION ALL
                 SELECT unit, day, metric, grp, severity, -value FROM old_rows) d;
    ELSE -- DELETE
        PERFORM antt.tallies_roll_add(array_agg(unit), array_agg(day), array_agg(metric),
                                      array_agg(grp), array_agg(severity), array_agg(-value))
           FROM old_rows;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION antt.tallies_roll_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE antt.tallies_month, antt.tallies_year, antt.tallies_before;
    RETURN NULL;
END $$;

-- All three summed again from the days (here, and by anttd --repair).
CREATE OR REPLACE FUNCTION antt.tallies_reroll() RETURNS void
LANGUAGE sql AS $$
    DELETE FROM antt.tallies_month;
    DELETE FROM antt.tallies_year;
    DELETE FROM antt.tallies_before;
    INSERT INTO antt.tallies_month (unit, month, metric, grp, severity, value)
    SELECT unit, date_trunc('month', day::timestamp)::date, metric, grp, severity, sum(value)
      FROM antt.tallies GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO antt.tallies_year (unit, year, metric, grp, severity, value)
    SELECT unit, date_trunc('year', month::timestamp)::date, metric, grp, severity, sum(value)
      FROM antt.tallies_month GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO antt.tallies_before (unit, metric, grp, severity, value)
    SELECT unit, metric, grp, severity, sum(value) FROM antt.tallies_year
     WHERE year < (SELECT at FROM antt.tallies_before_at) GROUP BY 1, 2, 3, 4;
$$;
SELECT antt.tallies_reroll();

-- Moves `at` to p_at (a 1 January after it; an earlier one is left alone):
-- the years between are added to antt.tallies_before. Writers are held
-- meanwhile (EXCLUSIVE lets readers in): a batch that committed before is
-- in the year rows read here; one after sees the new `at` (a READ
-- COMMITTED statement takes its snapshot once it holds its table locks).
-- Returns whether it moved.
CREATE FUNCTION antt.tallies_before_advance(p_at date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    cur date;
BEGIN
    SELECT at INTO cur FROM antt.tallies_before_at;
    IF p_at <= cur THEN
        RETURN false;
    END IF;
    LOCK TABLE antt.tallies IN EXCLUSIVE MODE;
    SELECT at INTO cur FROM antt.tallies_before_at FOR UPDATE;
    IF p_at <= cur THEN -- another daemon moved it while this one waited
        RETURN false;
    END IF;
    INSERT INTO antt.tallies_before AS x (unit, metric, grp, severity, value)
    SELECT unit, metric, grp, severity, sum(value) FROM antt.tallies_year
     WHERE year >= cur AND year < date_trunc('year', p_at::timestamp)::date
     GROUP BY 1, 2, 3, 4 HAVING sum(value) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (unit, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value;
    UPDATE antt.tallies_before_at SET at = date_trunc('year', p_at::timestamp)::date;
    RETURN true;
END $$;

-- antt.unit_on for many codes: the version of each code to take on p_day
-- (valid that day; else the last before it; else the nearest) — a set, so
-- the planner can join it rather than call a function per code.
CREATE FUNCTION antt.units_on(p_codes text[], p_day date) RETURNS SETOF antt.units
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (u.code) u.* FROM antt.units u WHERE u.code = ANY (p_codes)
     ORDER BY u.code, daterange(u.valid_from, u.valid_to) @> p_day DESC,
              (u.valid_from IS NULL OR u.valid_from <= p_day) DESC,
              abs(coalesce(u.valid_from, date '1900-01-01') - p_day)
$$;

CREATE OR REPLACE FUNCTION antt.unit_on(p_code text, p_day date) RETURNS antt.units
LANGUAGE sql STABLE AS $$
    SELECT * FROM antt.units_on(ARRAY[p_code], p_day)
$$;

-- antt.scope_units for each unit of p_codes at once (`root` says whose):
-- the roots of all of them, then one join with antt.unit_scope. (Asked once
-- per unit, each call's generic plan read the whole of antt.unit_scope:
-- 1.4 ms a unit.)
CREATE FUNCTION antt.scopes_units(p_codes text[], p_on date)
RETURNS TABLE (root text, code text, valid_from date, valid_to date, partial text)
LANGUAGE sql STABLE AS $$
    WITH k AS MATERIALIZED (
        SELECT DISTINCT unnest(p_codes) AS root
    ), roots AS (
        SELECT r.code AS root, r.code, r.valid_from
          FROM antt.units_on(ARRAY(SELECT root FROM k WHERE root NOT LIKE 'group:%'
                                                        AND root <> 'all'), p_on) r
        UNION ALL
        SELECT k.root, r.code, r.valid_from
          FROM k JOIN antt.unit_groups g ON k.root LIKE 'group:%' AND g.grp = substr(k.root, 7)
         CROSS JOIN LATERAL antt.units_on(ARRAY[g.code], p_on) r
        UNION ALL
        SELECT k.root, u.code, u.valid_from
          FROM k JOIN antt.units u ON k.root = 'all' AND u.parent_code IS NULL
           AND daterange(u.valid_from, u.valid_to) @> p_on
    )
    SELECT r.root, s.code, s.valid_from, s.valid_to, min(s.partial)
      FROM roots r JOIN antt.unit_scope s
        ON s.root = r.code AND s.root_from IS NOT DISTINCT FROM r.valid_from
     -- (the roots as an array: a province's few rows by the index, not a
     -- hash of the whole table)
     WHERE s.root = ANY (ARRAY(SELECT code FROM roots))
     GROUP BY 1, 2, 3, 4
$$;

CREATE OR REPLACE FUNCTION antt.scope_units(p_code text, p_on date DEFAULT antt.today())
RETURNS TABLE (code text, valid_from date, valid_to date, partial text)
LANGUAGE sql STABLE AS $$
    SELECT s.code, s.valid_from, s.valid_to, s.partial FROM antt.scopes_units(ARRAY[p_code], p_on) s
$$;

-- antt.scope_sums for each unit of p_codes at once (`root` says whose),
-- over [p_from, p_to) (`inp` true) and, with p_history, over the history
-- before p_from too (`inp` false) in the same pass. A span from the start of
-- the records comes as the row of antt.tallies_before (day -infinity) and
-- year rows added or, negated, taken away: only their sum means anything,
-- and a key may sum to 0 where the days have none.
CREATE FUNCTION antt.scopes_split(p_codes text[], p_from date, p_to date, p_on date,
                                  p_years boolean, p_history boolean)
RETURNS TABLE (root text, inp boolean, day date, metric text, grp text, severity text,
               value bigint)
LANGUAGE sql STABLE AS $$
    WITH r AS MATERIALIZED (
        SELECT s.root, s.code, g.inp, greatest(g.a, coalesce(s.valid_from, g.a)) AS lo,
               least(g.b, coalesce(s.valid_to, g.b)) AS hi
          FROM antt.scopes_units(p_codes, p_on) s
         CROSS JOIN (VALUES (true, p_from, p_to), (false, '-infinity'::date, p_from)) g (inp, a, b)
         WHERE (g.inp OR p_history)
           AND greatest(g.a, coalesce(s.valid_from, g.a)) < least(g.b, coalesce(s.valid_to, g.b))
    ), m AS MATERIALIZED (
        -- The pieces depend on the span only, and most units share theirs
        -- (the period itself): cut each distinct span once (the date
        -- arithmetic, done for each of the country's 3,300 units twice,
        -- was 70 ms). ms: the first 1st of a month on or after lo; me: the
        -- last on or before hi (both hi when there is none); infinities stay
        SELECT d.lo, d.hi, c.ms, greatest(c.mf, c.ms) AS me
          FROM (SELECT DISTINCT lo, hi FROM r) d CROSS JOIN LATERAL (SELECT
               least(CASE WHEN isfinite(d.lo)
                          THEN (date_trunc('month', (d.lo - 1)::timestamp) + interval '1 month')::date
                          ELSE d.lo END, d.hi) AS ms,
               CASE WHEN isfinite(d.hi) THEN date_trunc('month', d.hi::timestamp)::date
                    ELSE d.hi END AS mf) c
    ), y AS MATERIALIZED (
        -- ys, ye: the same with years, inside [ms, me)
        SELECT m.*, c.ys, greatest(c.yf, c.ys) AS ye
          FROM m CROSS JOIN LATERAL (SELECT
               least(CASE WHEN NOT p_years THEN m.me WHEN isfinite(m.ms)
                          THEN (date_trunc('year', (m.ms - 1)::timestamp) + interval '1 year')::date
                          ELSE m.ms END, m.me) AS ys,
               CASE WHEN isfinite(m.me) THEN date_trunc('year', m.me::timestamp)::date
                    ELSE m.me END AS yf) c
    ), pc AS MATERIALIZED (
        -- a span that starts with the records (-infinity) takes its whole
        -- years from antt.tallies_before (everything before `at`) with the
        -- years between `at` and ye added, or taken away when ye is earlier
        SELECT y.lo, y.hi, v.kind, v.a, v.b, v.sign
          FROM y CROSS JOIN LATERAL (VALUES ('d', y.lo, y.ms, 1), ('m', y.ms, y.ys, 1),
                                            ('y', y.ys, y.ye, 1), ('m', y.ye, y.me, 1),
                                            ('d', y.me, y.hi, 1)) v (kind, a, b, sign)
         WHERE v.a < v.b AND NOT (v.kind = 'y' AND v.a = '-infinity' AND isfinite(v.b))
        UNION ALL
        SELECT y.lo, y.hi, v.kind, v.a, v.b, v.sign
          FROM y CROSS JOIN (SELECT at FROM antt.tallies_before_at) w
         CROSS JOIN LATERAL (VALUES ('b', NULL::date, NULL::date, 1),
                                    ('y', w.at, y.ye, 1), ('y', y.ye, w.at, -1)) v (kind, a, b, sign)
         WHERE y.ys = '-infinity' AND isfinite(y.ye) AND y.ys < y.ye
           AND (v.kind = 'b' OR v.a < v.b)
    ), p AS MATERIALIZED (
        SELECT r.root, r.inp, r.code, pc.kind, pc.a, pc.b, pc.sign
          FROM r JOIN pc ON pc.lo = r.lo AND pc.hi = r.hi
    )
    SELECT p.root, p.inp, t.day, t.metric, t.grp, t.severity, t.value
      FROM p CROSS JOIN LATERAL (
           -- (always by index, unit by unit, even for the wide case: a few
           -- days of each unit out of ten years' of days; OFFSET 0 keeps
           -- the planner from making it a join it could hash)
           SELECT t.* FROM antt.tallies t
            WHERE t.unit = p.code AND t.day >= p.a AND t.day < p.b OFFSET 0) t
     WHERE p.kind = 'd'
    UNION ALL
    -- (the bounds of all the spans, once: the wide case reads the months
    -- and years it needs by their index, not the whole table)
    SELECT p.root, p.inp, x.month, x.metric, x.grp, x.severity, x.value
      FROM p JOIN antt.tallies_month x ON p.kind = 'm' AND x.unit = p.code
       AND x.month >= p.a AND x.month < p.b
       AND x.month >= (SELECT min(a) FROM p WHERE kind = 'm')
       AND x.month < (SELECT max(b) FROM p WHERE kind = 'm')
    UNION ALL
    SELECT p.root, p.inp, x.year, x.metric, x.grp, x.severity, p.sign * x.value
      FROM p JOIN antt.tallies_year x ON p.kind = 'y' AND x.unit = p.code
       AND x.year >= p.a AND x.year < p.b
       AND x.year >= (SELECT min(a) FROM p WHERE kind = 'y')
       AND x.year < (SELECT max(b) FROM p WHERE kind = 'y')
    UNION ALL
    SELECT p.root, p.inp, '-infinity'::date, x.metric, x.grp, x.severity, x.value
      FROM p JOIN antt.tallies_before x ON p.kind = 'b' AND x.unit = p.code
$$;

CREATE FUNCTION antt.scopes_sums(p_codes text[], p_from date, p_to date, p_on date,
                                 p_years boolean DEFAULT true)
RETURNS TABLE (root text, day date, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    SELECT s.root, s.day, s.metric, s.grp, s.severity, s.value
      FROM antt.scopes_split(p_codes, p_from, p_to, p_on, p_years, false) s
$$;

CREATE OR REPLACE FUNCTION antt.scope_sums(p_code text, p_from date, p_to date, p_on date,
                                           p_years boolean DEFAULT true)
RETURNS TABLE (day date, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    SELECT s.day, s.metric, s.grp, s.severity, s.value
      FROM antt.scopes_split(ARRAY[p_code], p_from, p_to, p_on, p_years, false) s
$$;

-- The sums by unit asked, period or history before it (`inp`), and key, in
-- one pass. A scope of a few hundred units is read best by index, unit by
-- unit; the whole country's ~3,300 communes (10 years: 400,000 year rows)
-- by reading the tables through and hashing — 1.1 s against 0.34 s. The
-- planner cannot tell which it is (it estimates a scope at one unit), so the
-- wide case is a function of its own planned without nested loops or sorts
-- (and without JIT: the cost a disabled plan carries would make any session
-- that has it on compile the query, seconds each time).
CREATE FUNCTION antt.scopes_totals_near(p_codes text[], p_from date, p_to date, p_on date)
RETURNS TABLE (root text, inp boolean, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    SELECT t.root, t.inp, t.metric, t.grp, t.severity, sum(t.value)::bigint
      FROM antt.scopes_split(p_codes, p_from, p_to, p_on, true, true) t GROUP BY 1, 2, 3, 4, 5
$$;

CREATE FUNCTION antt.scopes_totals_wide(p_codes text[], p_from date, p_to date, p_on date)
RETURNS TABLE (root text, inp boolean, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE SET enable_nestloop = off SET enable_sort = off SET jit = off AS $$
    SELECT * FROM antt.scopes_totals_near(p_codes, p_from, p_to, p_on)
$$;

CREATE FUNCTION antt.scopes_totals(p_codes text[], p_from date, p_to date, p_on date)
RETURNS TABLE (root text, inp boolean, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    WITH w AS MATERIALIZED (
        -- (the scopes' size from unit_scope alone: how many units under the
        -- roots, any era — enough to choose)
        SELECT count(*) > 1000 AS wide FROM antt.scopes_units(p_codes, p_on)
    )
    SELECT t.* FROM w, antt.scopes_totals_near(p_codes, p_from, p_to, p_on) t WHERE NOT w.wide
    UNION ALL
    SELECT t.* FROM w, antt.scopes_totals_wide(p_codes, p_from, p_to, p_on) t WHERE w.wide
$$;

-- How many pending tip-offs are past their deadline now at each unit of
-- p_codes, as antt.pending_here counts them (of a unit of its scope, any
-- era, whose heir today is in it), for all of them in one pass: the overdue
-- tip-offs are read once and each one's heir found once, not once per unit
-- asked (97 communes of a province: 760 ms -> a few).
CREATE FUNCTION antt.overdue_many(p_codes text[]) RETURNS TABLE (root text, n bigint)
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
         WHERE o.status = 'pending' AND o.deadline < now()
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

CREATE OR REPLACE FUNCTION antt.overdue_now(p_code text) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT n FROM antt.overdue_many(ARRAY[p_code])
$$;

-- The figures of each unit of p_codes over [p_from, p_to), as antt.rates:
-- one row a unit for all crimes (grp NULL), and with p_groups one more for
-- each crime group (and for p_group if it is none of them; p_group alone
-- adds that group's row).
CREATE FUNCTION antt.rates_many(p_codes text[], p_from date, p_to date, p_on date DEFAULT NULL,
                                p_groups boolean DEFAULT false, p_group text DEFAULT NULL)
RETURNS TABLE (
    code text, grp text,
    occurred bigint, cleared bigint, suspects bigint, carried_over bigint,
    clearance_plain numeric, clearance_carry numeric,
    major_occurred bigint, major_cleared bigint, major_carried_over bigint,
    major_clearance_plain numeric, major_clearance_carry numeric,
    tipoffs_received bigint, tipoffs_transferred bigint, tipoffs_resumed bigint,
    tipoffs_carried_over bigint, tipoffs_to_resolve bigint, tipoffs_resolved bigint,
    resolution_rate numeric, resolution_plain numeric, tipoffs_overdue bigint,
    traffic_accidents bigint, traffic_deaths bigint, traffic_injuries bigint,
    drug_cases bigint, drug_suspects bigint)
LANGUAGE sql STABLE AS $$
    WITH raw AS (
        SELECT tl.inp, tl.root, tl.metric, tl.grp, tl.severity, tl.value
          FROM antt.scopes_totals(p_codes, p_from, p_to, coalesce(p_on, p_to - 1)) tl
    ), b AS MATERIALIZED (
        SELECT root, inp, metric, grp, severity IN ('very_serious', 'especially_serious') AS major,
               grp IN (SELECT slug FROM antt.crime_groups WHERE is_crime) AS crime,
               sum(value) AS value
          FROM raw GROUP BY 1, 2, 3, 4, 5, 6
    ), sets AS (
        SELECT NULL::text AS g
        UNION SELECT slug FROM antt.crime_groups WHERE p_groups
        UNION SELECT p_group WHERE p_group IS NOT NULL
    ), k AS MATERIALIZED ( -- each unit's overdue count once, not once per row of s
        SELECT root, n AS od FROM antt.overdue_many(p_codes)
    ), s AS (
        SELECT k.root, sets.g, k.od,
          coalesce(sum(value) FILTER (WHERE c AND metric = 'incidents' AND inp), 0) AS occ,
          coalesce(sum(value) FILTER (WHERE c AND metric = 'cleared' AND inp), 0) AS clr,
          coalesce(sum(value) FILTER (WHERE c AND metric = 'suspects' AND inp), 0) AS sus,
          coalesce(sum(value) FILTER (WHERE c AND metric = 'incidents' AND NOT inp), 0)
          - coalesce(sum(value) FILTER (WHERE c AND metric = 'cleared' AND NOT inp), 0) AS carry,
          coalesce(sum(value) FILTER (WHERE c AND major AND metric = 'incidents' AND inp), 0) AS mocc,
          coalesce(sum(value) FILTER (WHERE c AND major AND metric = 'cleared' AND inp), 0) AS mclr,
          coalesce(sum(value) FILTER (WHERE c AND major AND metric = 'incidents' AND NOT inp), 0)
          - coalesce(sum(value) FILTER (WHERE c AND major AND metric = 'cleared' AND NOT inp), 0) AS mcarry,
          coalesce(sum(value) FILTER (WHERE metric = 'tipoffs_received' AND inp), 0) AS trec,
          coalesce(sum(value) FILTER (WHERE metric = 'tipoffs_transferred' AND inp), 0) AS ttr,
          coalesce(sum(value) FILTER (WHERE metric = 'tipoffs_resumed' AND inp), 0) AS tres,
          coalesce(sum(value) FILTER (WHERE metric = 'tipoffs_resolved' AND inp), 0) AS tdone,
          coalesce(sum(value) FILTER (WHERE metric IN ('tipoffs_received', 'tipoffs_resumed') AND NOT inp), 0)
          - coalesce(sum(value) FILTER (WHERE metric IN ('tipoffs_resolved', 'tipoffs_transferred') AND NOT inp), 0) AS tcarry,
          coalesce(sum(value) FILTER (WHERE x.grp = 'traffic' AND metric = 'incidents' AND inp), 0) AS tra,
          coalesce(sum(value) FILTER (WHERE x.grp = 'traffic' AND metric = 'deaths' AND inp), 0) AS trd,
          coalesce(sum(value) FILTER (WHERE x.grp = 'traffic' AND metric = 'injuries' AND inp), 0) AS tri,
          coalesce(sum(value) FILTER (WHERE x.grp = 'drugs' AND metric = 'incidents' AND inp), 0) AS dc,
          coalesce(sum(value) FILTER (WHERE x.grp = 'drugs' AND metric = 'suspects' AND inp), 0) AS ds
          FROM k CROSS JOIN sets LEFT JOIN b x ON x.root = k.root
         CROSS JOIN LATERAL (SELECT x.crime AND (sets.g IS NULL OR x.grp = sets.g) AS c) cc
         GROUP BY k.root, sets.g, k.od
    )
    SELECT root, g, occ::bigint, clr::bigint, sus::bigint, carry::bigint,
           antt.pct(clr, occ), antt.pct(clr, occ + carry),
           mocc::bigint, mclr::bigint, mcarry::bigint, antt.pct(mclr, mocc), antt.pct(mclr, mocc + mcarry),
           trec::bigint, ttr::bigint, tres::bigint, tcarry::bigint, (trec + tcarry + tres - ttr)::bigint,
           tdone::bigint, antt.pct(tdone, trec + tcarry + tres - ttr), antt.pct(tdone, trec),
           od::bigint, tra::bigint, trd::bigint, tri::bigint, dc::bigint, ds::bigint
      FROM s
$$;

-- A unit's figures with every crime group (a report's), and 008's antt.rates,
-- through antt.rates_many.
CREATE OR REPLACE FUNCTION antt.rates_groups(p_code text, p_from date, p_to date,
                                             p_on date DEFAULT NULL, p_group text DEFAULT NULL)
RETURNS TABLE (
    grp text,
    occurred bigint, cleared bigint, suspects bigint, carried_over bigint,
    clearance_plain numeric, clearance_carry numeric,
    major_occurred bigint, major_cleared bigint, major_carried_over bigint,
    major_clearance_plain numeric, major_clearance_carry numeric,
    tipoffs_received bigint, tipoffs_transferred bigint, tipoffs_resumed bigint,
    tipoffs_carried_over bigint, tipoffs_to_resolve bigint, tipoffs_resolved bigint,
    resolution_rate numeric, resolution_plain numeric, tipoffs_overdue bigint,
    traffic_accidents bigint, traffic_deaths bigint, traffic_injuries bigint,
    drug_cases bigint, drug_suspects bigint)
LANGUAGE sql STABLE AS $$
    SELECT grp, occurred, cleared, suspects, carried_over, clearance_plain, clearance_carry,
           major_occurred, major_cleared, major_carried_over, major_clearance_plain,
           major_clearance_carry, tipoffs_received, tipoffs_transferred, tipoffs_resumed,
           tipoffs_carried_over, tipoffs_to_resolve, tipoffs_resolved, resolution_rate,
           resolution_plain, tipoffs_overdue, traffic_accidents, traffic_deaths,
           traffic_injuries, drug_cases, drug_suspects
      FROM antt.rates_many(ARRAY[p_code], p_from, p_to, p_on, true, p_group)
$$;

CREATE OR REPLACE FUNCTION antt.rates(p_code text, p_from date, p_to date, p_group text DEFAULT NULL,
                                      p_on date DEFAULT NULL)
RETURNS TABLE (
    occurred bigint, cleared bigint, suspects bigint, carried_over bigint,
    clearance_plain numeric, clearance_carry numeric,
    major_occurred bigint, major_cleared bigint, major_carried_over bigint,
    major_clearance_plain numeric, major_clearance_carry numeric,
    tipoffs_received bigint, tipoffs_transferred bigint, tipoffs_resumed bigint,
    tipoffs_carried_over bigint, tipoffs_to_resolve bigint, tipoffs_resolved bigint,
    resolution_rate numeric, resolution_plain numeric, tipoffs_overdue bigint,
    traffic_accidents bigint, traffic_deaths bigint, traffic_injuries bigint,
    drug_cases bigint, drug_suspects bigint)
LANGUAGE sql STABLE AS $$
    SELECT occurred, cleared, suspects, carried_over, clearance_plain, clearance_carry,
           major_occurred, major_cleared, major_carried_over, major_clearance_plain,
           major_clearance_carry, tipoffs_received, tipoffs_transferred, tipoffs_resumed,
           tipoffs_carried_over, tipoffs_to_resolve, tipoffs_resolved, resolution_rate,
           resolution_plain, tipoffs_overdue, traffic_accidents, traffic_deaths,
           traffic_injuries, drug_cases, drug_suspects
      FROM antt.rates_many(ARRAY[p_code], p_from, p_to, p_on, false, p_group) r
     WHERE r.grp IS NOT DISTINCT FROM p_group
$$;

-- A unit's sums, and each child's in one pass (keys that sum to 0 left out,
-- as the days would give them).
CREATE OR REPLACE FUNCTION antt.rollup(p_code text, p_from date, p_to date)
RETURNS TABLE (metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    SELECT t.metric, t.grp, t.severity, sum(t.value)::bigint
      FROM antt.scope_sums(p_code, p_from, p_to, p_to - 1) t
     GROUP BY 1, 2, 3 HAVING sum(t.value) <> 0
$$;

CREATE OR REPLACE FUNCTION antt.rollup_children(p_code text, p_from date, p_to date)
RETURNS TABLE (unit text, name text, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    WITH c AS MATERIALIZED (SELECT * FROM antt.children_on(p_code, p_to - 1))
    SELECT c.code, c.name, t.metric, t.grp, t.severity, sum(t.value)::bigint
      FROM antt.scopes_sums((SELECT array_agg(code) FROM c), p_from, p_to, p_to - 1) t
      JOIN c ON c.code = t.root
     GROUP BY 1, 2, 3, 4, 5 HAVING sum(t.value) <> 0
$$;

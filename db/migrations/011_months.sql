-- 011_months.sql — figures whose cost does not follow the length of history
-- (issues 16 and 17).
--
-- A year's figures need the whole history before it: the carry-over (cases
-- still open, tip-offs still pending on 1 January) is everything received
-- minus everything settled since records began. Summed from the daily
-- tallies that was ~3,650 rows per unit and metric after ten years; the
-- console's province page took 26 s on Lạng Sơn's ten years.
--
-- antt.tallies_month and antt.tallies_year hold the same counters by month
-- and by year. The store adds each batch's sums in its tally statement, in
-- the batch's transaction; statement triggers on antt.tallies keep them for
-- every other writer — --repair's rebuild, an operator's correction, a
-- test's seed — so they are always exact. A period is read as whole years, then
-- whole months, then the days at its ragged ends (antt.scope_sums).
--
-- And overdue counts no longer walk every overdue tip-off's heir for each
-- scope asked (antt.pending_here).

CREATE TABLE antt.tallies_month (
    unit     text COLLATE "C" NOT NULL,
    month    date NOT NULL,           -- its first day
    metric   text COLLATE "C" NOT NULL,
    grp      text COLLATE "C" NOT NULL DEFAULT '',
    severity text COLLATE "C" NOT NULL DEFAULT '',
    value    bigint NOT NULL,
    PRIMARY KEY (unit, month, metric, grp, severity)
);
CREATE TABLE antt.tallies_year (
    unit     text COLLATE "C" NOT NULL,
    year     date NOT NULL,           -- 1 January
    metric   text COLLATE "C" NOT NULL,
    grp      text COLLATE "C" NOT NULL DEFAULT '',
    severity text COLLATE "C" NOT NULL DEFAULT '',
    value    bigint NOT NULL,
    PRIMARY KEY (unit, year, metric, grp, severity)
);

-- Adds one statement's change of antt.tallies (its transition tables, old
-- rows negated) to the month and the year tables. Written out statement by
-- statement so that PL/pgSQL keeps their plans (built with EXECUTE format
-- they were parsed and planned at every batch: 6 ms of each, measured with
-- pg_stat_statements under the single-event load). ORDER BY: two daemons
-- committing batches of the same units lock these rows in the same order
-- (as they do the day rows), so one waits rather than deadlocks.
CREATE FUNCTION antt.tallies_roll() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- the store adds its batch's sums itself, in its tally statement
    -- (db/sql.h, SQL_UPSERT_TALLIES): cheaper than any trigger
    IF current_setting('antt.store_rolls', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO antt.tallies_month AS x (unit, month, metric, grp, severity, value)
        SELECT unit, date_trunc('month', day::timestamp)::date, metric, grp, severity, sum(value)
          FROM new_rows GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (unit, month, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value;
        INSERT INTO antt.tallies_year AS x (unit, year, metric, grp, severity, value)
        SELECT unit, date_trunc('year', day::timestamp)::date, metric, grp, severity, sum(value)
          FROM new_rows GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (unit, year, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO antt.tallies_month AS x (unit, month, metric, grp, severity, value)
        SELECT unit, date_trunc('month', day::timestamp)::date, metric, grp, severity, sum(value)
          FROM (SELECT unit, day, metric, grp, severity, value FROM new_rows
                UNION ALL
                SELECT unit, day, metric, grp, severity, -value FROM old_rows) d
         GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (unit, month, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value;
        INSERT INTO antt.tallies_year AS x (unit, year, metric, grp, severity, value)
        SELECT unit, date_trunc('year', day::timestamp)::date, metric, grp, severity, sum(value)
          FROM (SELECT unit, day, metric, grp, severity, value FROM new_rows
                UNION ALL
                SELECT unit, day, metric, grp, severity, -value FROM old_rows) d
         GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (unit, year, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value;
    ELSE -- DELETE
        INSERT INTO antt.tallies_month AS x (unit, month, metric, grp, severity, value)
        SELECT unit, date_trunc('month', day::timestamp)::date, metric, grp, severity, -sum(value)
          FROM old_rows GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (unit, month, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value;
        INSERT INTO antt.tallies_year AS x (unit, year, metric, grp, severity, value)
        SELECT unit, date_trunc('year', day::timestamp)::date, metric, grp, severity, -sum(value)
          FROM old_rows GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (unit, year, metric, grp, severity) DO UPDATE SET value = x.value + excluded.value;
    END IF;
    RETURN NULL;
END $$;

-- An INSERT ... ON CONFLICT DO UPDATE (the store's upsert) fires both: the
-- INSERT trigger sees the rows it inserted, the UPDATE trigger the rows it
-- updated, old and new.
CREATE TRIGGER tallies_roll_ins AFTER INSERT ON antt.tallies
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION antt.tallies_roll();
CREATE TRIGGER tallies_roll_upd AFTER UPDATE ON antt.tallies
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION antt.tallies_roll();
CREATE TRIGGER tallies_roll_del AFTER DELETE ON antt.tallies
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION antt.tallies_roll();

CREATE FUNCTION antt.tallies_roll_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE antt.tallies_month, antt.tallies_year;
    RETURN NULL;
END $$;
CREATE TRIGGER tallies_roll_trunc AFTER TRUNCATE ON antt.tallies
    FOR EACH STATEMENT EXECUTE FUNCTION antt.tallies_roll_truncate();

-- Both summed again from the days (here, and by anttd --repair).
CREATE FUNCTION antt.tallies_reroll() RETURNS void
LANGUAGE sql AS $$
    DELETE FROM antt.tallies_month;
    DELETE FROM antt.tallies_year;
    INSERT INTO antt.tallies_month (unit, month, metric, grp, severity, value)
    SELECT unit, date_trunc('month', day::timestamp)::date, metric, grp, severity, sum(value)
      FROM antt.tallies GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO antt.tallies_year (unit, year, metric, grp, severity, value)
    SELECT unit, date_trunc('year', month::timestamp)::date, metric, grp, severity, sum(value)
      FROM antt.tallies_month GROUP BY 1, 2, 3, 4, 5;
$$;
SELECT antt.tallies_reroll();

-- The tallies of a scope in [p_from, p_to) (as antt.scope_tallies: each
-- unit version for its own days), each version's span [lo, hi) cut as
--   days [lo, ms) · months [ms, ys) · years [ys, ye) · months [ye, me) · days [me, hi)
-- (any piece may be empty), so ten years of history are about ten rows per
-- unit and metric, a year about twelve. `day` is the first day a row
-- stands for (a year's row: 1 January), so a caller may sum, or group by
-- month a period of whole months, but must not split the result at a day
-- other than p_from or p_to: ask twice instead (antt.rates does). With
-- p_years false, no row stands for more than a month (figures by month).
CREATE FUNCTION antt.scope_sums(p_code text, p_from date, p_to date, p_on date,
                                p_years boolean DEFAULT true)
RETURNS TABLE (day date, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    WITH r AS (
        SELECT s.code, greatest(p_from, coalesce(s.valid_from, p_from)) AS lo,
               least(p_to, coalesce(s.valid_to, p_to)) AS hi
          FROM antt.scope_units(p_code, p_on) s
    ), m AS MATERIALIZED (
        -- (MATERIALIZED: inlined, every use of ye would recompute the
        -- chain of date_trunc calls below it, ~0.15 ms a unit)
        -- ms: the first 1st of a month on or after lo; me: the last on or
        -- before hi (both hi when there is none); infinities stay
        SELECT r.code, r.lo, r.hi, c.ms, greatest(c.mf, c.ms) AS me
          FROM r CROSS JOIN LATERAL (SELECT
               least(CASE WHEN isfinite(r.lo)
                          THEN (date_trunc('month', (r.lo - 1)::timestamp) + interval '1 month')::date
                          ELSE r.lo END, r.hi) AS ms,
               CASE WHEN isfinite(r.hi) THEN date_trunc('month', r.hi::timestamp)::date
                    ELSE r.hi END AS mf) c
         WHERE r.lo < r.hi
    ), y AS MATERIALIZED (
        -- ys, ye: the same with years, inside [ms, me)
        SELECT m.*, c.ys, greatest(c.yf, c.ys) AS ye
          FROM m CROSS JOIN LATERAL (SELECT
               least(CASE WHEN NOT p_years THEN m.me WHEN isfinite(m.ms)
                          THEN (date_trunc('year', (m.ms - 1)::timestamp) + interval '1 year')::date
                          ELSE m.ms END, m.me) AS ys,
               CASE WHEN isfinite(m.me) THEN date_trunc('year', m.me::timestamp)::date
                    ELSE m.me END AS yf) c
    ), p AS (
        SELECT y.code, v.kind, v.a, v.b
          FROM y CROSS JOIN LATERAL (VALUES ('d', y.lo, y.ms), ('m', y.ms, y.ys),
                                            ('y', y.ys, y.ye), ('m', y.ye, y.me),
                                            ('d', y.me, y.hi)) v (kind, a, b)
         WHERE v.a < v.b
    )
    SELECT t.day, t.metric, t.grp, t.severity, t.value
      FROM p JOIN antt.tallies t ON p.kind = 'd' AND t.unit = p.code
       AND t.day >= p.a AND t.day < p.b
    UNION ALL
    SELECT x.month, x.metric, x.grp, x.severity, x.value
      FROM p JOIN antt.tallies_month x ON p.kind = 'm' AND x.unit = p.code
       AND x.month >= p.a AND x.month < p.b
    UNION ALL
    SELECT x.year, x.metric, x.grp, x.severity, x.value
      FROM p JOIN antt.tallies_year x ON p.kind = 'y' AND x.unit = p.code
       AND x.year >= p.a AND x.year < p.b
$$;

-- The pending tip-offs p_code handles today: those of the units its scope
-- is made of (any era) whose heir today is inside it (a split unit's work
-- goes to one successor only). A tip-off whose unit, as it was on the day
-- of receipt, is still valid today is its own heir — a hash join with
-- today's units decides that for all of them at once — and only the others
-- take antt.heir()'s walk. Calling antt.heir() for every overdue tip-off
-- of the country, once per scope, made /metrics' seven provinces take
-- 1.4 s with 3,800 of them, in anttd's loop.
CREATE FUNCTION antt.pending_here(p_code text) RETURNS SETOF antt.tipoffs
LANGUAGE sql STABLE AS $$
    -- (MATERIALIZED and = ANY: left to itself the planner probed the
    -- deadline index once per unit of the scope and the units' GiST index
    -- once per tip-off — 185 ms for 3,800 overdue tip-offs instead of 20)
    WITH mine AS MATERIALIZED (
        SELECT DISTINCT s.code FROM antt.scope_units(p_code, antt.today()) s
    ), here AS (
        SELECT s.code FROM antt.scope_units(p_code, antt.today()) s
         WHERE daterange(s.valid_from, s.valid_to) @> antt.today()
    ), live AS MATERIALIZED (
        SELECT u.code, u.valid_from, u.valid_to FROM antt.units u
         WHERE daterange(u.valid_from, u.valid_to) @> antt.today()
    )
    SELECT o.* FROM antt.tipoffs o
      LEFT JOIN live l ON l.code = o.unit
       AND daterange(l.valid_from, l.valid_to) @> (o.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
     WHERE o.status = 'pending' AND o.unit = ANY ((SELECT array_agg(code) FROM mine)::text[])
       AND CASE WHEN l.code IS NOT NULL THEN o.unit
                ELSE antt.heir(o.unit, (o.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
                               antt.today()) END IN (SELECT code FROM here)
$$;

-- 008's, through antt.pending_here.
CREATE OR REPLACE FUNCTION antt.tipoffs_open(p_code text, p_within interval DEFAULT NULL)
RETURNS TABLE (unit text, ref text, kind text, received_at timestamptz, deadline timestamptz,
               extended text, days_left integer)
LANGUAGE sql STABLE AS $$
    SELECT t.unit, t.ref, t.kind, t.received_at, t.deadline,
           concat_ws('+', CASE WHEN t.complex_extended THEN 'complex' END,
                          CASE WHEN t.procuracy_extended THEN 'procuracy' END),
           (t.deadline AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
             - (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
      FROM antt.pending_here(p_code) t
     WHERE CASE WHEN p_within IS NULL THEN t.deadline < now()
                ELSE t.deadline >= now() AND t.deadline < now() + p_within END
     ORDER BY t.deadline, t.unit, t.ref
$$;

-- antt.scope_sums for each unit of p_codes at once (`root` says whose),
-- over [p_from, p_to) (`inp` true) and, with p_history, over the history
-- before p_from too (`inp` false) in the same pass. A span from the start of
-- the records comes as the row of antt.tallies_before (day -infinity) and
-- year rows added or, negated, taken away: only their sum means anything,
-- and a key may sum to 0 where the days have none.
CREATE OR REPLACE FUNCTION antt.scopes_split(p_codes text[], p_from date, p_to date, p_on date,
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

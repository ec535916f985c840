-- 002_rollups.sql — figures from the tallies: roll-ups over the unit hierarchy
-- (or a named group of units such as an emulation cluster) and any date range,
-- and the rates of provincial reports (domain: clearance, major-case clearance,
-- tip-off resolution, each plain and with carry-over). Date ranges are
-- [from, to): from inclusive, to exclusive, local (Asia/Ho_Chi_Minh) days.
-- Every rate is computed from counts, rounded to 2 decimals, NULL when its
-- denominator is 0.

-- The codes of a unit's subtree (the unit itself included).
CREATE FUNCTION antt.subtree(p_code text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT u.code FROM antt.units u, antt.units r
     WHERE r.code = p_code AND (u.path = r.path OR u.path LIKE r.path || '.%')
$$;

-- The codes of a roll-up scope: a unit's subtree, or (p_code = 'group:NAME')
-- the subtrees of every unit in antt.unit_groups under that name.
CREATE FUNCTION antt.scope(p_code text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT s FROM antt.subtree(p_code) s WHERE p_code NOT LIKE 'group:%'
    UNION
    SELECT s FROM antt.unit_groups g, antt.subtree(g.code) s
     WHERE p_code LIKE 'group:%' AND g.grp = substr(p_code, 7)
$$;

-- Totals per metric x group x severity over a scope and a date range.
CREATE FUNCTION antt.rollup(p_code text, p_from date, p_to date)
RETURNS TABLE (metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    SELECT t.metric, t.grp, t.severity, sum(t.value)::bigint
      FROM antt.tallies t
     WHERE t.unit IN (SELECT antt.scope(p_code)) AND t.day >= p_from AND t.day < p_to
     GROUP BY 1, 2, 3
$$;

-- The same per child unit of p_code (each child's whole subtree).
CREATE FUNCTION antt.rollup_children(p_code text, p_from date, p_to date)
RETURNS TABLE (unit text, name text, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.code, c.name, t.metric, t.grp, t.severity, sum(t.value)::bigint
      FROM antt.units c
      JOIN antt.units u ON u.path = c.path OR u.path LIKE c.path || '.%'
      JOIN antt.tallies t ON t.unit = u.code AND t.day >= p_from AND t.day < p_to
     WHERE c.parent_code = p_code
     GROUP BY 1, 2, 3, 4, 5
$$;

CREATE FUNCTION antt.pct(p_num numeric, p_den numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_den = 0 THEN NULL ELSE round(100 * p_num / p_den, 2) END
$$;

-- The figures of a year-end report for a scope and period. Crime figures
-- count crime groups only (antt.crime_groups.is_crime), or the one group
-- p_group when given. Overdue is as of now: tip-offs pending past their
-- deadline (the current state; past overdue counts are not reconstructed).
CREATE FUNCTION antt.rates(p_code text, p_from date, p_to date, p_group text DEFAULT NULL)
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
    WITH t AS (
        SELECT tl.day, tl.metric, tl.grp, tl.severity, tl.value,
               (tl.grp IN (SELECT slug FROM antt.crime_groups WHERE is_crime)
                AND (p_group IS NULL OR tl.grp = p_group)) AS crime,
               tl.severity IN ('very_serious', 'especially_serious') AS major
          FROM antt.tallies tl
         WHERE tl.unit IN (SELECT antt.scope(p_code)) AND tl.day < p_to
    ), s AS (
        SELECT
          coalesce(sum(value) FILTER (WHERE crime AND metric = 'incidents' AND day >= p_from), 0) AS occ,
          coalesce(sum(value) FILTER (WHERE crime AND metric = 'cleared' AND day >= p_from), 0) AS clr,
          coalesce(sum(value) FILTER (WHERE crime AND metric = 'suspects' AND day >= p_from), 0) AS sus,
          coalesce(sum(value) FILTER (WHERE crime AND metric = 'incidents' AND day < p_from), 0)
          - coalesce(sum(value) FILTER (WHERE crime AND metric = 'cleared' AND day < p_from), 0) AS carry,
          coalesce(sum(value) FILTER (WHERE crime AND major AND metric = 'incidents' AND day >= p_from), 0) AS mocc,
          coalesce(sum(value) FILTER (WHERE crime AND major AND metric = 'cleared' AND day >= p_from), 0) AS mclr,
          coalesce(sum(value) FILTER (WHERE crime AND major AND metric = 'incidents' AND day < p_from), 0)
          - coalesce(sum(value) FILTER (WHERE crime AND major AND metric = 'cleared' AND day < p_from), 0) AS mcarry,
          coalesce(sum(value) FILTER (WHERE metric = 'tipoffs_received' AND day >= p_from), 0) AS trec,
          coalesce(sum(value) FILTER (WHERE metric = 'tipoffs_transferred' AND day >= p_from), 0) AS ttr,
          coalesce(sum(value) FILTER (WHERE metric = 'tipoffs_resumed' AND day >= p_from), 0) AS tres,
          coalesce(sum(value) FILTER (WHERE metric = 'tipoffs_resolved' AND day >= p_from), 0) AS tdone,
          coalesce(sum(value) FILTER (WHERE metric IN ('tipoffs_received', 'tipoffs_resumed') AND day < p_from), 0)
          - coalesce(sum(value) FILTER (WHERE metric IN ('tipoffs_resolved', 'tipoffs_transferred') AND day < p_from), 0) AS tcarry,
          coalesce(sum(value) FILTER (WHERE grp = 'traffic' AND metric = 'incidents' AND day >= p_from), 0) AS tra,
          coalesce(sum(value) FILTER (WHERE grp = 'traffic' AND metric = 'deaths' AND day >= p_from), 0) AS trd,
          coalesce(sum(value) FILTER (WHERE grp = 'traffic' AND metric = 'injuries' AND day >= p_from), 0) AS tri,
          coalesce(sum(value) FILTER (WHERE grp = 'drugs' AND metric = 'incidents' AND day >= p_from), 0) AS dc,
          coalesce(sum(value) FILTER (WHERE grp = 'drugs' AND metric = 'suspects' AND day >= p_from), 0) AS ds
        FROM t
    )
    SELECT occ::bigint, clr::bigint, sus::bigint, carry::bigint,
           antt.pct(clr, occ), antt.pct(clr, occ + carry),
           mocc::bigint, mclr::bigint, mcarry::bigint, antt.pct(mclr, mocc), antt.pct(mclr, mocc + mcarry),
           trec::bigint, ttr::bigint, tres::bigint, tcarry::bigint, (trec + tcarry + tres - ttr)::bigint,
           tdone::bigint, antt.pct(tdone, trec + tcarry + tres - ttr), antt.pct(tdone, trec),
           (SELECT count(*) FROM antt.tipoffs o
             WHERE o.status = 'pending' AND o.deadline < now()
               AND o.unit IN (SELECT antt.scope(p_code)))::bigint,
           tra::bigint, trd::bigint, tri::bigint, dc::bigint, ds::bigint
      FROM s
$$;

-- The figures of each unit of p_codes over [p_from, p_to), as antt.rates:
-- one row a unit for all crimes (grp NULL), and with p_groups one more for
-- each crime group (and for p_group if it is none of them; p_group alone
-- adds that group's row). A crime group's row holds that group's figures:
-- tip-offs of that group (a tip-off names one when known), drug figures in
-- the drugs group only; figures that have no group are NULL there (the
-- overdue count, and traffic accidents, which are not a crime group).
CREATE OR REPLACE FUNCTION antt.rates_many(p_codes text[], p_from date, p_to date,
                                           p_on date DEFAULT NULL, p_groups boolean DEFAULT false,
                                           p_group text DEFAULT NULL)
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
          coalesce(sum(value) FILTER (WHERE t AND metric = 'tipoffs_received' AND inp), 0) AS trec,
          coalesce(sum(value) FILTER (WHERE t AND metric = 'tipoffs_transferred' AND inp), 0) AS ttr,
          coalesce(sum(value) FILTER (WHERE t AND metric = 'tipoffs_resumed' AND inp), 0) AS tres,
          coalesce(sum(value) FILTER (WHERE t AND metric = 'tipoffs_resolved' AND inp), 0) AS tdone,
          coalesce(sum(value) FILTER (WHERE t AND metric IN ('tipoffs_received', 'tipoffs_resumed') AND NOT inp), 0)
          - coalesce(sum(value) FILTER (WHERE t AND metric IN ('tipoffs_resolved', 'tipoffs_transferred') AND NOT inp), 0) AS tcarry,
          coalesce(sum(value) FILTER (WHERE x.grp = 'traffic' AND metric = 'incidents' AND inp), 0) AS tra,
          coalesce(sum(value) FILTER (WHERE x.grp = 'traffic' AND metric = 'deaths' AND inp), 0) AS trd,
          coalesce(sum(value) FILTER (WHERE x.grp = 'traffic' AND metric = 'injuries' AND inp), 0) AS tri,
          coalesce(sum(value) FILTER (WHERE x.grp = 'drugs' AND metric = 'incidents' AND inp), 0) AS dc,
          coalesce(sum(value) FILTER (WHERE x.grp = 'drugs' AND metric = 'suspects' AND inp), 0) AS ds
          FROM k CROSS JOIN sets LEFT JOIN b x ON x.root = k.root
         CROSS JOIN LATERAL (SELECT x.crime AND (sets.g IS NULL OR x.grp = sets.g) AS c,
                                    sets.g IS NULL OR x.grp = sets.g AS t) cc
         GROUP BY k.root, sets.g, k.od
    )
    SELECT root, g, occ::bigint, clr::bigint, sus::bigint, carry::bigint,
           antt.pct(clr, occ), antt.pct(clr, occ + carry),
           mocc::bigint, mclr::bigint, mcarry::bigint, antt.pct(mclr, mocc), antt.pct(mclr, mocc + mcarry),
           trec::bigint, ttr::bigint, tres::bigint, tcarry::bigint, (trec + tcarry + tres - ttr)::bigint,
           tdone::bigint, antt.pct(tdone, trec + tcarry + tres - ttr), antt.pct(tdone, trec),
           CASE WHEN g IS NULL THEN od END::bigint,
           CASE WHEN g IS NULL THEN tra END::bigint,
           CASE WHEN g IS NULL THEN trd END::bigint,
           CASE WHEN g IS NULL THEN tri END::bigint,
           CASE WHEN g IS NULL OR g = 'drugs' THEN dc END::bigint,
           CASE WHEN g IS NULL OR g = 'drugs' THEN ds END::bigint
      FROM s
$$;

-- 008_heirs.sql — figures across the 1 July 2025 reorganisation (issue 15).
--
-- A unit's figures are those of the unit versions it is made of, each for
-- the days that version was valid: a code reused for another area counts
-- for the area of each day. A scope holds
--   * the versions below it by path that overlap its own validity;
--   * the new units made wholly of dissolved units below it (a district's
--     communes after 1 July 2025, which have no district);
--   * every unit dissolved into a member (antt.unit_successors), with its
--     subtree, recursively: 2024 figures of Tuyên Quang 08 are those of old
--     Hà Giang 02; a new commune's those of its predecessors. A predecessor
--     that went to several units in part is counted whole in each, and
--     named (column `partial`) so reports say so instead of apportioning.
-- A dissolved unit's work (open cases, pending tip-offs) passes to its
-- heir: the first successor in the conversion table (`ord`), or, with none,
-- its parent's heir (a district's to the province).

-- The conversion table's order of a unit's successors: the first is its heir.
ALTER TABLE antt.unit_successors ADD COLUMN ord integer NOT NULL DEFAULT 0;

-- Where an incident's clearance counts: the unit where it occurred, or that
-- unit's heir when it was dissolved before the clearance (settled by the
-- ledger with the clearing node's unit).
ALTER TABLE antt.incidents ADD COLUMN cleared_unit text COLLATE "C" NOT NULL DEFAULT '';
UPDATE antt.incidents SET cleared_unit = occurred_unit WHERE cleared_at IS NOT NULL;

-- Today in Hanoi: unit validity and statistics days are Vietnamese dates.
CREATE FUNCTION antt.today() RETURNS date
LANGUAGE sql STABLE AS $$ SELECT (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date $$;

-- The version of a code valid on a day; else the nearest one (the last that
-- began before it: a dissolved unit; or the first after).
CREATE FUNCTION antt.unit_on(p_code text, p_day date) RETURNS antt.units
LANGUAGE sql STABLE AS $$
    SELECT u.* FROM antt.units u WHERE u.code = p_code
     ORDER BY daterange(u.valid_from, u.valid_to) @> p_day DESC,
              (u.valid_from IS NULL OR u.valid_from <= p_day) DESC,
              abs(coalesce(u.valid_from, date '1900-01-01') - p_day)
     LIMIT 1
$$;

-- The day on which to take p_code for p_on: p_on while a version is valid
-- then; a dissolved unit's last day; a unit not yet created, its first.
CREATE FUNCTION antt.as_of(p_code text, p_on date) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN daterange(u.valid_from, u.valid_to) @> p_on THEN p_on
                WHEN u.valid_to IS NOT NULL AND u.valid_to <= p_on THEN u.valid_to - 1
                ELSE u.valid_from END
      FROM antt.unit_on(p_code, p_on) u
$$;

-- The unit valid on p_day that carries the work of p_code as it was on
-- p_since (a tip-off's receipt: a reused code's old unit, not its new one):
-- the unit itself while valid; after it was dissolved its first successor;
-- with none, its parent's heir. NULL before the code existed. The same rule
-- as the daemon's (daemon/reg.c, reg_heir), which also prefers the
-- successor that is the reporting node's unit.
CREATE FUNCTION antt.heir(p_code text, p_since date, p_day date) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    cur text := p_code;
    u antt.units;
    nxt text;
BEGIN
    FOR i IN 1..8 LOOP
        u := antt.unit_on(cur, CASE WHEN i = 1 THEN p_since ELSE p_day END);
        IF u.code IS NULL THEN RETURN NULL; END IF;
        IF daterange(u.valid_from, u.valid_to) @> p_day THEN RETURN cur; END IF;
        IF u.valid_to IS NULL OR p_day < u.valid_to THEN RETURN NULL; END IF;
        SELECT s.successor INTO nxt FROM antt.unit_successors s
         WHERE s.code = cur ORDER BY s.ord, s.successor LIMIT 1;
        cur := coalesce(nxt, u.parent_code);
        IF cur IS NULL THEN RETURN NULL; END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- The unit versions whose tallies make each unit version's figures: its
-- scope, computed once whenever units or successors change (they change
-- with an operator's load, never with events), so that every roll-up is an
-- index lookup rather than a recursive walk of both maps. A member that came
-- in through a split names the predecessor that was split (`partial`); ''
-- when whole.
CREATE TABLE antt.unit_scope (
    root       text COLLATE "C" NOT NULL,
    root_from  date,
    code       text COLLATE "C" NOT NULL,
    valid_from date,
    valid_to   date,
    partial    text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX unit_scope_root_idx ON antt.unit_scope (root, root_from);

CREATE FUNCTION antt.rebuild_scopes() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM antt.unit_scope;
    INSERT INTO antt.unit_scope (root, root_from, code, valid_from, valid_to, partial)
    WITH RECURSIVE prefixes AS (
        -- each version with every prefix of its path ("20", "20.180",
        -- "20.180.06040"): a hash join away from the versions at them
        SELECT DISTINCT u.code, u.valid_from, u.valid_to, x.prefix
          FROM antt.units u,
               unnest(ARRAY[split_part(u.path, '.', 1),
                            substring(u.path FROM '^[^.]+\.[^.]+'),
                            substring(u.path FROM '^[^.]+\.[^.]+\.[^.]+'),
                            substring(u.path FROM '^[^.]+\.[^.]+\.[^.]+\.[^.]+'),
                            u.path]) AS x(prefix)
         WHERE x.prefix IS NOT NULL
    ), below AS (
        -- by path: the versions under a version that overlap it
        SELECT r.code AS root, r.valid_from AS root_from, u.code, u.valid_from, u.valid_to
          FROM prefixes u JOIN antt.units r ON r.path = u.prefix
           AND daterange(u.valid_from, u.valid_to) && daterange(r.valid_from, r.valid_to)
    ), preds AS (
        -- a version made of dissolved versions (antt.unit_successors), with
        -- how many it has
        SELECT n.code, n.valid_from, p.code AS pcode, p.valid_from AS pfrom,
               count(*) OVER (PARTITION BY n.code, n.valid_from) AS npreds
          FROM antt.unit_successors s
          JOIN antt.units n ON n.code = s.successor AND n.valid_from = s.effective
                           AND n.parent_code IS NOT NULL
          JOIN antt.units p ON p.code = s.code AND p.valid_to = s.effective
    ), wholly AS (
        -- new units all of whose predecessors are below a root (a dissolved
        -- district's communes after 1 July 2025)
        SELECT b.root, b.root_from, pr.code, pr.valid_from
          FROM preds pr JOIN below b ON b.code = pr.pcode AND b.valid_from IS NOT DISTINCT FROM pr.pfrom
         GROUP BY b.root, b.root_from, pr.code, pr.valid_from, pr.npreds
        HAVING count(*) = pr.npreds
    ), members(root, root_from, code, valid_from, valid_to, partial) AS (
        SELECT b.root, b.root_from, b.code, b.valid_from, b.valid_to, ''::text COLLATE "C"
          FROM below b
        UNION
        SELECT w.root, w.root_from, n.code, n.valid_from, n.valid_to, '' COLLATE "C"
          FROM wholly w JOIN antt.units n ON n.code = w.code AND n.valid_from = w.valid_from
        UNION
        -- every unit dissolved into a member, with its own scope by path
        SELECT m.root, m.root_from, d.code, d.valid_from, d.valid_to,
               CASE WHEN m.partial <> '' THEN m.partial WHEN s.share_note <> '' THEN p.code
                    ELSE '' COLLATE "C" END
          FROM members m
          JOIN antt.unit_successors s ON s.successor = m.code
                                     AND daterange(m.valid_from, m.valid_to) @> s.effective
          JOIN antt.units p ON p.code = s.code AND p.valid_to = s.effective
          JOIN below d ON d.root = p.code AND d.root_from IS NOT DISTINCT FROM p.valid_from
    )
    -- a unit reached both whole and through a split is whole
    SELECT m.root, m.root_from, m.code, m.valid_from, m.valid_to, min(m.partial)
      FROM members m GROUP BY 1, 2, 3, 4, 5;
END $$;

CREATE FUNCTION antt.units_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM antt.rebuild_scopes();
    RETURN NULL;
END $$;
CREATE TRIGGER units_scope AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON antt.units
    FOR EACH STATEMENT EXECUTE FUNCTION antt.units_changed();
CREATE TRIGGER unit_successors_scope AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON antt.unit_successors FOR EACH STATEMENT EXECUTE FUNCTION antt.units_changed();
SELECT antt.rebuild_scopes();

-- p_code's scope as it is on p_on ('group:NAME': the union of its units'),
-- each version with its validity [valid_from, valid_to) and the split
-- predecessor it came through ('' when whole).
CREATE FUNCTION antt.scope_units(p_code text, p_on date DEFAULT antt.today())
RETURNS TABLE (code text, valid_from date, valid_to date, partial text)
LANGUAGE sql STABLE AS $$
    WITH roots AS (
        SELECT r.code, r.valid_from FROM antt.unit_on(p_code, p_on) r
         WHERE p_code NOT LIKE 'group:%' AND r.code IS NOT NULL
        UNION ALL
        SELECT r.code, r.valid_from
          FROM antt.unit_groups g CROSS JOIN LATERAL antt.unit_on(g.code, p_on) r
         WHERE p_code LIKE 'group:%' AND g.grp = substr(p_code, 7)
    )
    SELECT s.code, s.valid_from, s.valid_to, min(s.partial)
      FROM roots r JOIN antt.unit_scope s
        ON s.root = r.code AND s.root_from IS NOT DISTINCT FROM r.valid_from
     GROUP BY 1, 2, 3
$$;

-- The communes of p_code as it stands today (a dissolved unit: as it stood
-- on its last day), for enrolling stations and load generators.
CREATE FUNCTION antt.communes(p_code text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    WITH d AS (SELECT antt.as_of(p_code, antt.today()) AS d)
    SELECT DISTINCT u.code FROM d, antt.scope_units(p_code, d.d) s
      JOIN antt.units u ON u.code = s.code AND u.level = 'commune'
     WHERE daterange(u.valid_from, u.valid_to) @> d.d
       AND daterange(s.valid_from, s.valid_to) @> d.d
$$;

-- The children of p_code on p_day (code, name, path): its child units valid
-- that day; for a unit not valid that day (dissolved, or not yet created),
-- the top units of its scope that are: a district dissolved in 2025 has as
-- children in 2026 the new communes made wholly of its communes; Tuyên
-- Quang 08 in 2024, old Hà Giang 02.
CREATE FUNCTION antt.children_on(p_code text, p_day date)
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
$$;

-- The codes of a scope (every era), for the callers that filter rows which
-- carry no day (nodes, cases).
CREATE OR REPLACE FUNCTION antt.scope(p_code text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT s.code FROM antt.scope_units(p_code) s
$$;

-- The tallies of a scope in [p_from, p_to), each version for its own days.
CREATE FUNCTION antt.scope_tallies(p_code text, p_from date, p_to date, p_on date)
RETURNS SETOF antt.tallies
LANGUAGE sql STABLE AS $$
    SELECT t.* FROM antt.scope_units(p_code, p_on) s
      JOIN antt.tallies t ON t.unit = s.code
       AND t.day >= greatest(p_from, coalesce(s.valid_from, p_from))
       AND t.day < least(p_to, coalesce(s.valid_to, p_to))
$$;

CREATE OR REPLACE FUNCTION antt.rollup(p_code text, p_from date, p_to date)
RETURNS TABLE (metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    SELECT t.metric, t.grp, t.severity, sum(t.value)::bigint
      FROM antt.scope_tallies(p_code, p_from, p_to, p_to - 1) t
     GROUP BY 1, 2, 3
$$;

-- The children of p_code as they are on the period's last day
-- (antt.children_on), each with its whole scope: in 2025, Lạng Sơn's
-- children are its new communes, each with the figures of the old communes
-- that became it.
CREATE OR REPLACE FUNCTION antt.rollup_children(p_code text, p_from date, p_to date)
RETURNS TABLE (unit text, name text, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.code, c.name, t.metric, t.grp, t.severity, sum(t.value)::bigint
      FROM antt.children_on(p_code, p_to - 1) c
      CROSS JOIN LATERAL antt.scope_tallies(c.code, p_from, p_to, p_to - 1) t
     GROUP BY 1, 2, 3, 4, 5
$$;

-- rates() gains p_on: the day on which p_code is taken (default: the
-- period's last day), so a comparison year is read with the units of the
-- main year. Overdue is as of now, at each tip-off's heir today.
DROP FUNCTION antt.rates(text, date, date, text);
CREATE FUNCTION antt.rates(p_code text, p_from date, p_to date, p_group text DEFAULT NULL,
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
    WITH t AS (
        SELECT tl.day, tl.metric, tl.grp, tl.severity, tl.value,
               (tl.grp IN (SELECT slug FROM antt.crime_groups WHERE is_crime)
                AND (p_group IS NULL OR tl.grp = p_group)) AS crime,
               tl.severity IN ('very_serious', 'especially_serious') AS major
          FROM antt.scope_tallies(p_code, '-infinity', p_to, coalesce(p_on, p_to - 1)) tl
    ), now_scope AS (
        SELECT s.code FROM antt.scope_units(p_code, antt.today()) s
         WHERE daterange(s.valid_from, s.valid_to) @> antt.today()
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
               AND antt.heir(o.unit, (o.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
                             antt.today()) IN (SELECT code FROM now_scope))::bigint,
           tra::bigint, trd::bigint, tri::bigint, dc::bigint, ds::bigint
      FROM s
$$;

-- The units that came into p_code's figures through a split (on p_on):
-- what a report must say it includes in part.
CREATE FUNCTION antt.scope_partials(p_code text, p_on date)
RETURNS TABLE (code text, name text, successors text)
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (s.partial) s.partial, u.name,
           (SELECT string_agg(x.successor, ', ' ORDER BY x.ord, x.successor)
              FROM antt.unit_successors x WHERE x.code = s.partial)
      FROM antt.scope_units(p_code, p_on) s
      JOIN antt.units u ON u.code = s.partial AND u.valid_to IS NOT NULL
     WHERE s.partial <> ''
     ORDER BY s.partial, u.valid_to DESC
$$;

-- Pending tip-offs where they are handled today: a dissolved unit's pending
-- tip-offs are in its heir's list (the first successor; a district's, the
-- province's).
CREATE OR REPLACE FUNCTION antt.tipoffs_open(p_code text, p_within interval DEFAULT NULL)
RETURNS TABLE (unit text, ref text, kind text, received_at timestamptz, deadline timestamptz,
               extended text, days_left integer)
LANGUAGE sql STABLE AS $$
    WITH here AS (
        SELECT s.code FROM antt.scope_units(p_code, antt.today()) s
         WHERE daterange(s.valid_from, s.valid_to) @> antt.today()
    )
    SELECT t.unit, t.ref, t.kind, t.received_at, t.deadline,
           concat_ws('+', CASE WHEN t.complex_extended THEN 'complex' END,
                          CASE WHEN t.procuracy_extended THEN 'procuracy' END),
           (t.deadline AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
             - (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
      FROM antt.tipoffs t
     WHERE t.status = 'pending'
       AND antt.heir(t.unit, (t.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, antt.today())
           IN (SELECT code FROM here)
       AND CASE WHEN p_within IS NULL THEN t.deadline < now()
                ELSE t.deadline >= now() AND t.deadline < now() + p_within END
     ORDER BY t.deadline, t.unit, t.ref
$$;

-- Processing times per child of p_code as it is on the period's last day,
-- each child with its whole scope (a tip-off counts where it was received,
-- in the version of that day).
CREATE OR REPLACE FUNCTION antt.tipoff_processing(p_code text, p_from date, p_to date)
RETURNS TABLE (unit text, name text, decided bigint, p50_days numeric, p90_days numeric,
               max_days numeric)
LANGUAGE sql STABLE AS $$
    SELECT c.code, c.name, count(*),
           round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x.d)::numeric, 1),
           round(percentile_cont(0.9) WITHIN GROUP (ORDER BY x.d)::numeric, 1),
           round(max(x.d)::numeric, 1)
      FROM antt.children_on(p_code, p_to - 1) c
      CROSS JOIN LATERAL antt.scope_units(c.code, p_to - 1) s
      JOIN LATERAL (
          SELECT extract(epoch FROM t.resolved_at - t.received_at) / 86400 AS d
            FROM antt.tipoffs t
           WHERE t.unit = s.code AND t.resolved_at IS NOT NULL
             AND daterange(s.valid_from, s.valid_to)
                 @> (t.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
             AND (t.resolved_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date >= p_from
             AND (t.resolved_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date < p_to) x ON true
     GROUP BY c.code, c.name
     ORDER BY c.code
$$;


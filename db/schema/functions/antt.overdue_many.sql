-- How many pending tip-offs are past their deadline now (antt.now()) at each
-- unit of p_codes, as antt.pending_here counts them (of a unit of its scope,
-- any era, whose heir today is in it), for all of them in one pass: the
-- overdue tip-offs are read once and each one's heir found once, not once
-- per unit asked (97 communes of a province: 760 ms -> a few).
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

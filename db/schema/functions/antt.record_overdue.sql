-- Overdue tip-offs over time. Being overdue is a matter of the clock, not of
-- an event, so no tally holds it: anttd calls this every ten minutes and at
-- start, writing today's count of pending tip-offs past their deadline at
-- each unit where they are handled that day (a dissolved unit's at its
-- heir) into antt.overdue_daily; a unit whose overdue tip-offs were all
-- settled since the last record today goes to 0. Returns the rows written.
CREATE OR REPLACE FUNCTION antt.record_overdue() RETURNS integer
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

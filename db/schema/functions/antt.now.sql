-- "Now" for the overdue figures: the session's antt.as_of when set (antt
-- tipoffs --at, antt report --at: what was overdue at an instant, e.g. at
-- 23:59:59 and at 00:00:00 of the day after a limit), else the clock.
CREATE OR REPLACE FUNCTION antt.now() RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('antt.as_of', true), '')::timestamptz, now())
$$;

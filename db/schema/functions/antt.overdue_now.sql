-- How many pending tip-offs past their deadline p_code handles now:
-- antt.overdue_many for one unit.
CREATE OR REPLACE FUNCTION antt.overdue_now(p_code text) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT n FROM antt.overdue_many(ARRAY[p_code])
$$;

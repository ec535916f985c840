-- The day on which to take p_code for p_on: p_on while a version is valid
-- then; a dissolved unit's last day; a unit not yet created, its first.
CREATE OR REPLACE FUNCTION antt.as_of(p_code text, p_on date) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN daterange(u.valid_from, u.valid_to) @> p_on THEN p_on
                WHEN u.valid_to IS NOT NULL AND u.valid_to <= p_on THEN u.valid_to - 1
                ELSE u.valid_from END
      FROM antt.unit_on(p_code, p_on) u
$$;

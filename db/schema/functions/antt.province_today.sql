-- The province that holds a unit today: its own, or for a dissolved unit
-- its heir's (a station of old Hà Giang counts in Tuyên Quang).
CREATE OR REPLACE FUNCTION antt.province_today(p_code text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT split_part(u.path, '.', 1)
      FROM antt.unit_on(coalesce(antt.heir(p_code, antt.as_of(p_code, antt.today()), antt.today()),
                                 p_code), antt.today()) u
$$;

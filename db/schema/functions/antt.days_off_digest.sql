-- A digest of the days off, for the rules' statement.
CREATE OR REPLACE FUNCTION antt.days_off_digest() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT count(*) || ':' || coalesce(md5(string_agg(day::text || CASE WHEN off THEN '+' ELSE '-' END,
                                                      ',' ORDER BY day)), '')
      FROM antt.days_off
$$;

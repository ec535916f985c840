-- p_num as a percentage of p_den, rounded to 2 decimals; NULL when p_den is 0.
CREATE OR REPLACE FUNCTION antt.pct(p_num numeric, p_den numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_den = 0 THEN NULL ELSE round(100 * p_num / p_den, 2) END
$$;

-- The sums by unit asked, period or history before it (`inp`), and key:
-- through the near or the wide plan, chosen by the scopes' size (see
-- antt.scopes_totals_near).
CREATE OR REPLACE FUNCTION antt.scopes_totals(p_codes text[], p_from date, p_to date, p_on date)
RETURNS TABLE (root text, inp boolean, metric text, grp text, severity text, value bigint)
LANGUAGE sql STABLE AS $$
    WITH w AS MATERIALIZED (
        -- (the scopes' size from unit_scope alone: how many units under the
        -- roots, any era — enough to choose)
        SELECT count(*) > 1000 AS wide FROM antt.scopes_units(p_codes, p_on)
    )
    SELECT t.* FROM w, antt.scopes_totals_near(p_codes, p_from, p_to, p_on) t WHERE NOT w.wide
    UNION ALL
    SELECT t.* FROM w, antt.scopes_totals_wide(p_codes, p_from, p_to, p_on) t WHERE w.wide
$$;

-- A Ministry's guard on the case rows a province's feed writes
-- (docs/design/federation.md, "Rows cannot collide"): in an apply worker
-- (subscription antt_from_<code>), a row of a unit outside the province's
-- subtrees (antt.federation_provinces.roots) is set aside in
-- antt.federation_conflicts and not applied; anything else, and every
-- other session (a resync copies only the province's own units), passes.
-- TG_ARGV[0]: the column naming the row's unit. Enabled ALWAYS by
-- antt.federation_ministry().
CREATE OR REPLACE FUNCTION antt.federation_owned() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    src text;
    r jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
    u text := r ->> TG_ARGV[0];
BEGIN
    SELECT substr(subname, 11) INTO src FROM pg_stat_subscription
     WHERE pid = pg_backend_pid() AND relid IS NULL AND subname LIKE 'antt\_from\_%';
    IF src IS NULL OR EXISTS (
        SELECT 1 FROM antt.federation_provinces f, unnest(f.roots) AS rc(code),
               antt.units ru, antt.units uu
         WHERE f.code = src AND ru.code = rc.code AND uu.code = u
           AND (uu.path = ru.path OR uu.path LIKE ru.path || '.%')) THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    INSERT INTO antt.federation_conflicts (code, tbl, op, unit, row_data)
    VALUES (src, TG_TABLE_NAME, TG_OP, coalesce(u, ''), r);
    RETURN NULL;
END $$;

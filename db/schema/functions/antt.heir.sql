-- The unit valid on p_day that carries the work of p_code as it was on
-- p_since (a tip-off's receipt: a reused code's old unit, not its new one):
-- the unit itself while valid; after it was dissolved its first successor;
-- with none, its parent's heir. NULL before the code existed. The same rule
-- as the daemon's (daemon/reg.c, reg_heir), which also prefers the
-- successor that is the reporting node's unit.
CREATE OR REPLACE FUNCTION antt.heir(p_code text, p_since date, p_day date) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    cur text := p_code;
    u antt.units;
    nxt text;
BEGIN
    FOR i IN 1..8 LOOP
        u := antt.unit_on(cur, CASE WHEN i = 1 THEN p_since ELSE p_day END);
        IF u.code IS NULL THEN RETURN NULL; END IF;
        IF daterange(u.valid_from, u.valid_to) @> p_day THEN RETURN cur; END IF;
        IF u.valid_to IS NULL OR p_day < u.valid_to THEN RETURN NULL; END IF;
        SELECT s.successor INTO nxt FROM antt.unit_successors s
         WHERE s.code = cur ORDER BY s.ord, s.successor LIMIT 1;
        cur := coalesce(nxt, u.parent_code);
        IF cur IS NULL THEN RETURN NULL; END IF;
    END LOOP;
    RETURN NULL;
END $$;

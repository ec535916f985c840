-- The codes of a unit's subtree by path (the unit itself included), any era.
CREATE OR REPLACE FUNCTION antt.subtree(p_code text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT u.code FROM antt.units u, antt.units r
     WHERE r.code = p_code AND (u.path = r.path OR u.path LIKE r.path || '.%')
$$;

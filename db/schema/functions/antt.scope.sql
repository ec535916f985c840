-- The codes of a scope (every era), for the callers that filter rows which
-- carry no day (nodes, cases).
CREATE OR REPLACE FUNCTION antt.scope(p_code text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT s.code FROM antt.scope_units(p_code) s
$$;

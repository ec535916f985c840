-- The units that came into p_code's figures through a split (on p_on):
-- what a report must say it includes in part.
CREATE OR REPLACE FUNCTION antt.scope_partials(p_code text, p_on date)
RETURNS TABLE (code text, name text, successors text)
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (s.partial) s.partial, u.name,
           (SELECT string_agg(x.successor, ', ' ORDER BY x.ord, x.successor)
              FROM antt.unit_successors x WHERE x.code = s.partial)
      FROM antt.scope_units(p_code, p_on) s
      JOIN antt.units u ON u.code = s.partial AND u.valid_to IS NOT NULL
     WHERE s.partial <> ''
     ORDER BY s.partial, u.valid_to DESC
$$;

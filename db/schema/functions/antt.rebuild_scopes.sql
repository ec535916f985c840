-- antt.unit_scope made again from antt.units and antt.unit_successors: for
-- each unit version, the versions whose tallies make its figures (migration
-- 008 says what a scope holds). Run by antt.units_changed whenever units or
-- successors change, and by the runner after this file changes (the stored
-- scopes are this function's output).
-- post-step: rebuild_scopes
CREATE OR REPLACE FUNCTION antt.rebuild_scopes() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM antt.unit_scope;
    INSERT INTO antt.unit_scope (root, root_from, code, valid_from, valid_to, partial)
    WITH RECURSIVE prefixes AS (
        -- each version with every prefix of its path ("20", "20.180",
        -- "20.180.06040"): a hash join away from the versions at them
        SELECT DISTINCT u.code, u.valid_from, u.valid_to, x.prefix
          FROM antt.units u,
               unnest(ARRAY[split_part(u.path, '.', 1),
                            substring(u.path FROM '^[^.]+\.[^.]+'),
                            substring(u.path FROM '^[^.]+\.[^.]+\.[^.]+'),
                            substring(u.path FROM '^[^.]+\.[^.]+\.[^.]+\.[^.]+'),
                            u.path]) AS x(prefix)
         WHERE x.prefix IS NOT NULL
    ), below AS (
        -- by path: the versions under a version that overlap it
        SELECT r.code AS root, r.valid_from AS root_from, u.code, u.valid_from, u.valid_to
          FROM prefixes u JOIN antt.units r ON r.path = u.prefix
           AND daterange(u.valid_from, u.valid_to) && daterange(r.valid_from, r.valid_to)
    ), preds AS (
        -- a version made of dissolved versions (antt.unit_successors), with
        -- how many it has
        SELECT n.code, n.valid_from, p.code AS pcode, p.valid_from AS pfrom,
               count(*) OVER (PARTITION BY n.code, n.valid_from) AS npreds
          FROM antt.unit_successors s
          JOIN antt.units n ON n.code = s.successor AND n.valid_from = s.effective
                           AND n.parent_code IS NOT NULL
          JOIN antt.units p ON p.code = s.code AND p.valid_to = s.effective
    ), wholly AS (
        -- new units all of whose predecessors are below a root (a dissolved
        -- district's communes after 1 July 2025)
        SELECT b.root, b.root_from, pr.code, pr.valid_from
          FROM preds pr JOIN below b ON b.code = pr.pcode AND b.valid_from IS NOT DISTINCT FROM pr.pfrom
         GROUP BY b.root, b.root_from, pr.code, pr.valid_from, pr.npreds
        HAVING count(*) = pr.npreds
    ), members(root, root_from, code, valid_from, valid_to, partial) AS (
        SELECT b.root, b.root_from, b.code, b.valid_from, b.valid_to, ''::text COLLATE "C"
          FROM below b
        UNION
        SELECT w.root, w.root_from, n.code, n.valid_from, n.valid_to, '' COLLATE "C"
          FROM wholly w JOIN antt.units n ON n.code = w.code AND n.valid_from = w.valid_from
        UNION
        -- every unit dissolved into a member, with its own scope by path
        SELECT m.root, m.root_from, d.code, d.valid_from, d.valid_to,
               CASE WHEN m.partial <> '' THEN m.partial WHEN s.share_note <> '' THEN p.code
                    ELSE '' COLLATE "C" END
          FROM members m
          JOIN antt.unit_successors s ON s.successor = m.code
                                     AND daterange(m.valid_from, m.valid_to) @> s.effective
          JOIN antt.units p ON p.code = s.code AND p.valid_to = s.effective
          JOIN below d ON d.root = p.code AND d.root_from IS NOT DISTINCT FROM p.valid_from
    )
    -- a unit reached both whole and through a split is whole
    SELECT m.root, m.root_from, m.code, m.valid_from, m.valid_to, min(m.partial)
      FROM members m GROUP BY 1, 2, 3, 4, 5;
END $$;

-- 003_tipoffs.sql — tip-off monitoring: open items against their deadlines,
-- and processing times per unit. Days are Asia/Ho_Chi_Minh calendar days.

-- Pending tip-offs in a scope: overdue ones (p_within NULL), or those due
-- from now to now + p_within. days_left is negative when late.
CREATE FUNCTION antt.tipoffs_open(p_code text, p_within interval DEFAULT NULL)
RETURNS TABLE (unit text, ref text, kind text, received_at timestamptz, deadline timestamptz,
               extended text, days_left integer)
LANGUAGE sql STABLE AS $$
    SELECT t.unit, t.ref, t.kind, t.received_at, t.deadline,
           concat_ws('+', CASE WHEN t.complex_extended THEN 'complex' END,
                          CASE WHEN t.procuracy_extended THEN 'procuracy' END),
           (t.deadline AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
             - (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
      FROM antt.tipoffs t
     WHERE t.status = 'pending' AND t.unit IN (SELECT antt.scope(p_code))
       AND CASE WHEN p_within IS NULL THEN t.deadline < now()
                ELSE t.deadline >= now() AND t.deadline < now() + p_within END
     ORDER BY t.deadline, t.unit, t.ref
$$;

-- Processing time (receipt to decision, in days) of the tip-offs decided in
-- [p_from, p_to), per child unit of p_code (each child's subtree).
CREATE FUNCTION antt.tipoff_processing(p_code text, p_from date, p_to date)
RETURNS TABLE (unit text, name text, decided bigint, p50_days numeric, p90_days numeric,
               max_days numeric)
LANGUAGE sql STABLE AS $$
    SELECT c.code, c.name, count(*),
           round(percentile_cont(0.5) WITHIN GROUP (ORDER BY d)::numeric, 1),
           round(percentile_cont(0.9) WITHIN GROUP (ORDER BY d)::numeric, 1),
           round(max(d)::numeric, 1)
      FROM antt.units c
      JOIN antt.units u ON u.path = c.path OR u.path LIKE c.path || '.%'
      JOIN LATERAL (
          SELECT extract(epoch FROM t.resolved_at - t.received_at) / 86400 AS d
            FROM antt.tipoffs t
           WHERE t.unit = u.code AND t.resolved_at IS NOT NULL
             AND (t.resolved_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date >= p_from
             AND (t.resolved_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date < p_to) x ON true
     WHERE c.parent_code = p_code
     GROUP BY c.code, c.name
     ORDER BY c.code
$$;

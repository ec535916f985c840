-- Processing time (receipt to decision, in days) of the tip-offs decided in
-- [p_from, p_to), per child of p_code as it is on the period's last day,
-- each child with its whole scope (a tip-off counts where it was received,
-- in the version of that day).
CREATE OR REPLACE FUNCTION antt.tipoff_processing(p_code text, p_from date, p_to date)
RETURNS TABLE (unit text, name text, decided bigint, p50_days numeric, p90_days numeric,
               max_days numeric)
LANGUAGE sql STABLE AS $$
    SELECT c.code, c.name, count(*),
           round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x.d)::numeric, 1),
           round(percentile_cont(0.9) WITHIN GROUP (ORDER BY x.d)::numeric, 1),
           round(max(x.d)::numeric, 1)
      FROM antt.children_on(p_code, p_to - 1) c
      CROSS JOIN LATERAL antt.scope_units(c.code, p_to - 1) s
      JOIN LATERAL (
          SELECT extract(epoch FROM t.resolved_at - t.received_at) / 86400 AS d
            FROM antt.tipoffs t
           WHERE t.unit = s.code AND t.resolved_at IS NOT NULL
             AND daterange(s.valid_from, s.valid_to)
                 @> (t.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
             AND (t.resolved_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date >= p_from
             AND (t.resolved_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date < p_to) x ON true
     GROUP BY c.code, c.name
     ORDER BY c.code
$$;

-- The pending tip-offs p_code handles today (antt.pending_here: a dissolved
-- unit's pending tip-offs are in its heir's list — the first successor; a
-- district's, the province's): overdue ones (p_within NULL), or those due
-- from now to now + p_within, "now" being antt.now(). days_left is negative
-- when late.
CREATE OR REPLACE FUNCTION antt.tipoffs_open(p_code text, p_within interval DEFAULT NULL)
RETURNS TABLE (unit text, ref text, kind text, received_at timestamptz, deadline timestamptz,
               extended text, days_left integer)
LANGUAGE sql STABLE AS $$
    SELECT t.unit, t.ref, t.kind, t.received_at, t.deadline,
           concat_ws('+', CASE WHEN t.complex_extended THEN 'complex' END,
                          CASE WHEN t.procuracy_extended THEN 'procuracy' END),
           (t.deadline AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
             - (antt.now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
      FROM antt.pending_here(p_code) t
     WHERE CASE WHEN p_within IS NULL THEN t.deadline < antt.now()
                ELSE t.deadline >= antt.now() AND t.deadline < antt.now() + p_within END
     ORDER BY t.deadline, t.unit, t.ref
$$;

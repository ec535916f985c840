-- tests/sql/data/tipoffs.sql — tip-offs on the map of data/map.sql, read at
-- a pinned instant: antt.now() is 10 March 2026 at noon in Hanoi (the
-- session's antt.as_of, as `antt tipoffs --at` sets it). A deadline is the
-- last instant of its last day.
--   T1  C1 (dissolved; heir N1)   pending, due 21 May 2025          overdue
--   T2  N1                        pending, due 10 March 2026        due today
--   T3  N1 (complex extension)    pending, due 9 March 2026         overdue
--   T4  N1                        resolved, was due 5 March 2026
--   T5  C4 (split; heir N3)       pending, due 21 June 2025         overdue
--   T6  Q1 (of P2; heir P1)       pending, due 21 April 2025        overdue
--   T7  N4 (procuracy extension)  pending, due 12 March 2026        in 2 days
--   T8  N4                        suspended, was due 1 March 2026
\set QUIET on
SET antt.as_of = '2026-03-10 12:00:00+07';
INSERT INTO antt.tipoffs (unit, ref, report_id, kind, source, grp, received_at, deadline,
                          complex_extended, procuracy_extended, status, resolved_at, version)
SELECT t.unit, t.ref, gen_random_uuid(), 'denunciation', 'citizen', '', t.received::timestamptz,
       (t.due || ' 23:59:59.999999+07')::timestamptz, t.complex, t.procuracy, t.status,
       CASE WHEN t.status <> 'pending' THEN t.received::timestamptz + interval '3 days' END, 1
  FROM (VALUES ('10001', 'T1', '2025-05-01 09:00+07', '2025-05-21', false, false, 'pending'),
               ('10010', 'T2', '2026-02-18 09:00+07', '2026-03-10', false, false, 'pending'),
               ('10010', 'T3', '2026-01-10 09:00+07', '2026-03-09', true, false, 'pending'),
               ('10010', 'T4', '2026-02-13 09:00+07', '2026-03-05', false, false, 'resolved'),
               ('10004', 'T5', '2025-06-01 09:00+07', '2025-06-21', false, false, 'pending'),
               ('20001', 'T6', '2025-04-01 09:00+07', '2025-04-21', false, false, 'pending'),
               ('10011', 'T7', '2026-01-12 09:00+07', '2026-03-12', false, true, 'pending'),
               ('10011', 'T8', '2026-02-09 09:00+07', '2026-03-01', false, false, 'suspended'))
       t (unit, ref, received, due, complex, procuracy, status);
\set QUIET off

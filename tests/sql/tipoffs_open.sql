-- tests/sql/tipoffs_open.sql — the tip-offs a unit must act on
-- (antt.tipoffs_open over antt.pending_here, antt.now()).
-- docs/semantics.md: pending tip-offs are listed where they are handled today — a
-- dissolved unit's at its heir (the first successor; a district's or a
-- merged province's commune, the parent's heir) and nowhere else, a split
-- unit's at one successor only; overdue is "deadline < now"; days_left is
-- negative when late.
\ir data/map.sql
\ir data/tipoffs.sql
\pset null '∅'

-- 1. Overdue at the province: T6 (of P2's commune), T1 (C1's, at N1), T5
--    (C4's, at N3), T3 (N1's own); by deadline. Not T2 (due tonight), not T4
--    or T8 (decided).
SELECT * FROM antt.tipoffs_open('01');

-- 2. Overdue at N1: its own T3 and C1's T1. At N3: C4's T5 (its first
--    successor). At N4, the other successor of C4: none. At the dissolved
--    province P2: none (its commune's T6 is P1's now).
SELECT u, t.ref, t.days_left FROM unnest(ARRAY['10010', '10003', '10011', '02']) u,
       antt.tipoffs_open(u) t ORDER BY 1, 2;

-- 3. Due within 3 days (from now to now + 3 days): T2 today (days_left 0,
--    not overdue until midnight), T7 in two days (extended by the
--    procuracy); within 1 day, T2 only.
SELECT * FROM antt.tipoffs_open('01', interval '3 days');
SELECT ref FROM antt.tipoffs_open('01', interval '1 day');

-- 4. A cluster: N1's and N4's.
SELECT ref FROM antt.tipoffs_open('group:g1');

-- 5. At the last instant of its last day a tip-off is not overdue; at the
--    first of the next day it is.
SET antt.as_of = '2026-03-10 23:59:59+07';
SELECT count(*) FILTER (WHERE ref = 'T2') AS t2_overdue_at_235959 FROM antt.tipoffs_open('10010');
SET antt.as_of = '2026-03-11 00:00:00+07';
SELECT count(*) FILTER (WHERE ref = 'T2') AS t2_overdue_at_midnight,
       min(days_left) FILTER (WHERE ref = 'T2') AS t2_days_left FROM antt.tipoffs_open('10010');

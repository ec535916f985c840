-- tests/sql/rates.sql — the report's figures (antt.rates, antt.rates_many,
-- antt.rates_groups, antt.pct). docs/semantics.md: crime figures count
-- crime groups only (traffic is not one); the carry-over is everything
-- before the period (received minus settled); a rate is a percentage of
-- counts rounded to 2 decimals, NULL when its denominator is 0; a unit's
-- figures before the reorganisation are those of the units it is made of.
\ir data/map.sql
\pset null '∅'
\x on
-- Hand-made tallies (the triggers keep the month, year and before sums):
--   C1 (10001, dissolved into N1)  2024-05-10  2 incidents social_order serious
--                                  2024-06-01  1 cleared social_order serious
--   N1 (10010)  2025-11-01  2 tip-offs received
--               2025-12-20  1 incident drugs serious
--               2026-01-05  5 tip-offs received (1 of them drugs)
--               2026-02-01  3 incidents social_order very_serious, 3 tip-offs
--                           resolved, 1 transferred
--               2026-02-10  2 cleared social_order very_serious, 4 suspects
--               2026-03-01  1 traffic accident, 1 death
--   N4 (10011)  2026-02-02  1 incident drugs especially_serious, 2 suspects
INSERT INTO antt.tallies (unit, day, metric, grp, severity, value) VALUES
    ('10001', '2024-05-10', 'incidents', 'social_order', 'serious', 2),
    ('10001', '2024-06-01', 'cleared', 'social_order', 'serious', 1),
    ('10010', '2025-11-01', 'tipoffs_received', '', '', 2),
    ('10010', '2025-12-20', 'incidents', 'drugs', 'serious', 1),
    ('10010', '2026-01-05', 'tipoffs_received', '', '', 4),
    ('10010', '2026-01-05', 'tipoffs_received', 'drugs', '', 1),
    ('10010', '2026-02-01', 'incidents', 'social_order', 'very_serious', 3),
    ('10010', '2026-02-01', 'tipoffs_resolved', '', '', 3),
    ('10010', '2026-02-01', 'tipoffs_transferred', '', '', 1),
    ('10010', '2026-02-10', 'cleared', 'social_order', 'very_serious', 2),
    ('10010', '2026-02-10', 'suspects', 'social_order', 'very_serious', 4),
    ('10010', '2026-03-01', 'incidents', 'traffic', '', 1),
    ('10010', '2026-03-01', 'deaths', 'traffic', '', 1),
    ('10011', '2026-02-02', 'incidents', 'drugs', 'especially_serious', 1),
    ('10011', '2026-02-02', 'suspects', 'drugs', 'especially_serious', 2);

-- 1. N1 in 2026. Occurred 3, cleared 2, suspects 4; carried over: the
--    incidents before 2026 (C1's 2 of 2024, N1's drugs case of 2025) less
--    those cleared before 2026 (1): 2.
--    Clearance 2/3 = 66.67, with carry-over 2/(3+2) = 40.00. Major (very or
--    especially serious): 3 occurred, 2 cleared, none carried: 66.67 both.
--    Tip-offs: 5 received, 1 transferred, 3 resolved, 2 carried over (those
--    of November): to resolve 5 + 2 - 1 = 6, resolution 3/6 = 50.00, plain
--    3/5 = 60.00. Traffic: 1 accident, 1 death (not in the crime figures).
--    No drugs case in 2026 at N1. No tip-off pending: 0 overdue.
SELECT * FROM antt.rates('10010', '2026-01-01', '2027-01-01');

-- 2. N1 asked for 2024 is C1 (the commune it was made of): 2 occurred,
--    1 cleared, 50.00; nothing carried; no tip-offs, so resolution NULL.
SELECT * FROM antt.rates('10010', '2024-01-01', '2025-01-01');

-- 3. The province in 2026: N1's and N4's (3 + 1 occurred, 2 cleared, the
--    drugs case of N4 is major too: 4 major occurred, 2 cleared), drug
--    figures of N4 (1 case, 2 suspects).
SELECT occurred, cleared, suspects, carried_over, clearance_plain, clearance_carry,
       major_occurred, major_cleared, major_clearance_plain, drug_cases, drug_suspects,
       traffic_accidents FROM antt.rates('01', '2026-01-01', '2027-01-01');

-- 4. One crime group: drugs only (occurred 1, at N4; carried over 1, N1's
--    of December 2025; none cleared: 0.00).
SELECT occurred, cleared, carried_over, clearance_plain, drug_cases
  FROM antt.rates('01', '2026-01-01', '2027-01-01', 'drugs');

\x off
-- 5. Many units at once, with a row per group: a group's row holds that
--    group's figures only (N1's drugs tip-off in the drugs row, its four
--    others in no group's), the overdue count and traffic only in the
--    all-crimes row (NULL in the groups'), drug figures in the drugs row.
SELECT code, grp, occurred, cleared, carried_over, tipoffs_received, tipoffs_carried_over,
       tipoffs_overdue, traffic_accidents, drug_cases, drug_suspects
  FROM antt.rates_many(ARRAY['10010', '10011'], '2026-01-01', '2027-01-01', NULL, true)
 ORDER BY code, grp NULLS FIRST;

-- 6. rates_many answers for each unit as rates does alone, and rates_groups
--    is the grouped form of one unit.
SELECT (SELECT row(r.*)::text FROM antt.rates('01', '2026-01-01', '2027-01-01') r)
     = (SELECT row(m.occurred, m.cleared, m.suspects, m.carried_over, m.clearance_plain,
                   m.clearance_carry, m.major_occurred, m.major_cleared, m.major_carried_over,
                   m.major_clearance_plain, m.major_clearance_carry, m.tipoffs_received,
                   m.tipoffs_transferred, m.tipoffs_resumed, m.tipoffs_carried_over,
                   m.tipoffs_to_resolve, m.tipoffs_resolved, m.resolution_rate,
                   m.resolution_plain, m.tipoffs_overdue, m.traffic_accidents, m.traffic_deaths,
                   m.traffic_injuries, m.drug_cases, m.drug_suspects)::text
          FROM antt.rates_many(ARRAY['10010', '01'], '2026-01-01', '2027-01-01') m
         WHERE m.code = '01') AS same_alone_and_many;
SELECT grp, occurred, cleared FROM antt.rates_groups('01', '2026-01-01', '2027-01-01')
 ORDER BY grp NULLS FIRST;

-- 7. pct: rounded to 2 decimals, NULL over 0.
SELECT antt.pct(2, 3) AS two_thirds, antt.pct(1, 0) AS over_zero, antt.pct(0, 5) AS none;

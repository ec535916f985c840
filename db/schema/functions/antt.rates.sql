-- The figures of a year-end report for a scope and period [p_from, p_to).
-- Crime figures count crime groups only (antt.crime_groups.is_crime), or
-- the one group p_group when given. p_on: the day on which p_code is taken
-- (default: the period's last day), so a comparison year is read with the
-- units of the main year. Overdue is as of now (antt.now()), at each
-- tip-off's heir today; past overdue counts are not reconstructed. Through
-- antt.rates_many, so one unit and many read the same SQL.
CREATE OR REPLACE FUNCTION antt.rates(p_code text, p_from date, p_to date, p_group text DEFAULT NULL,
                                      p_on date DEFAULT NULL)
RETURNS TABLE (
    occurred bigint, cleared bigint, suspects bigint, carried_over bigint,
    clearance_plain numeric, clearance_carry numeric,
    major_occurred bigint, major_cleared bigint, major_carried_over bigint,
    major_clearance_plain numeric, major_clearance_carry numeric,
    tipoffs_received bigint, tipoffs_transferred bigint, tipoffs_resumed bigint,
    tipoffs_carried_over bigint, tipoffs_to_resolve bigint, tipoffs_resolved bigint,
    resolution_rate numeric, resolution_plain numeric, tipoffs_overdue bigint,
    traffic_accidents bigint, traffic_deaths bigint, traffic_injuries bigint,
    drug_cases bigint, drug_suspects bigint)
LANGUAGE sql STABLE AS $$
    SELECT occurred, cleared, suspects, carried_over, clearance_plain, clearance_carry,
           major_occurred, major_cleared, major_carried_over, major_clearance_plain,
           major_clearance_carry, tipoffs_received, tipoffs_transferred, tipoffs_resumed,
           tipoffs_carried_over, tipoffs_to_resolve, tipoffs_resolved, resolution_rate,
           resolution_plain, tipoffs_overdue, traffic_accidents, traffic_deaths,
           traffic_injuries, drug_cases, drug_suspects
      FROM antt.rates_many(ARRAY[p_code], p_from, p_to, p_on, false, p_group) r
     WHERE r.grp IS NOT DISTINCT FROM p_group
$$;

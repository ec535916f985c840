-- 011_months.sql — figures whose cost does not follow the length of history.
--
-- A year's figures need the whole history before it: the carry-over (cases
-- still open, tip-offs still pending on 1 January) is everything received
-- minus everything settled since records began. Summed from the daily
-- tallies that was ~3,650 rows per unit and metric after ten years; the
-- console's province page took 26 s on Lạng Sơn's ten years.
--
-- antt.tallies_month and antt.tallies_year hold the same counters by month
-- and by year. The store adds each batch's sums in its tally statement, in
-- the batch's transaction; statement triggers on antt.tallies keep them for
-- every other writer — --repair's rebuild, an operator's correction, a
-- test's seed — so they are always exact. A period is read as whole years, then
-- whole months, then the days at its ragged ends (antt.scope_sums).
--
-- And overdue counts no longer walk every overdue tip-off's heir for each
-- scope asked (antt.pending_here).
--
-- The functions and triggers are repeatable files (db/schema/functions/:
-- antt.tallies_roll, antt.scope_sums, …); the month and year sums of the
-- tallies already stored are made by antt.tallies_reroll, after them:
-- post-step: tallies_reroll

CREATE TABLE antt.tallies_month (
    unit     text COLLATE "C" NOT NULL,
    month    date NOT NULL,           -- its first day
    metric   text COLLATE "C" NOT NULL,
    grp      text COLLATE "C" NOT NULL DEFAULT '',
    severity text COLLATE "C" NOT NULL DEFAULT '',
    value    bigint NOT NULL,
    PRIMARY KEY (unit, month, metric, grp, severity)
);
CREATE TABLE antt.tallies_year (
    unit     text COLLATE "C" NOT NULL,
    year     date NOT NULL,           -- 1 January
    metric   text COLLATE "C" NOT NULL,
    grp      text COLLATE "C" NOT NULL DEFAULT '',
    severity text COLLATE "C" NOT NULL DEFAULT '',
    value    bigint NOT NULL,
    PRIMARY KEY (unit, year, metric, grp, severity)
);

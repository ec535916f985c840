-- 013_history.sql — figures whose cost grows neither with the years of
-- history nor with the number of units asked.
--
-- A year's figures need everything before it (the carry-over). From the
-- year table that was ten rows per unit and key after ten years: the whole
-- country's report read 400,000 of them. antt.tallies_before holds, per
-- unit and key, the sum of every day before antt.tallies_before_at (1
-- January of the current year): a period's history is that row, with the
-- year rows between `at` and the period's first 1 January added or taken
-- away — one or two rows a key for this year and last, however long the
-- records. Writers add to it what they write before `at` (late events, in
-- January; the store in its tally statement, the triggers for everyone
-- else); once a year, when the year turns, anttd moves the year just ended
-- into it (antt.tallies_before_advance). A reader does not depend on that:
-- before + the years since `at` is exact whatever `at` is.
--
-- And the console's children table, rollup_children and /metrics' province
-- figures asked antt.rates() once per unit: a SQL function called in a
-- LATERAL join is planned and started for each row, ~2 ms of every call
-- before it reads a tally, and antt.rates() read every crime group to keep
-- one. On a national map (a province of ~100 communes, 34 provinces) that
-- was 0.7 s for one province's children and 0.45 s for /metrics even on a
-- database holding one day. antt.scopes_sums and antt.rates_many take an
-- array of units and answer for all of them with one plan; the one-unit
-- functions are now these with an array of one, so both read the same SQL.
--
-- The functions are repeatable files (db/schema/functions/: antt.scopes_split,
-- antt.rates_many, antt.overdue_many, …); antt.tallies_before of the tallies
-- already stored is made by antt.tallies_reroll, after them:
-- post-step: tallies_reroll

-- A scope of the whole country reads one period of every unit: by these,
-- not the whole tables.
CREATE INDEX tallies_month_month_idx ON antt.tallies_month (month);
CREATE INDEX tallies_year_year_idx ON antt.tallies_year (year);

CREATE TABLE antt.tallies_before (
    unit     text COLLATE "C" NOT NULL,
    metric   text COLLATE "C" NOT NULL,
    grp      text COLLATE "C" NOT NULL DEFAULT '',
    severity text COLLATE "C" NOT NULL DEFAULT '',
    value    bigint NOT NULL,
    PRIMARY KEY (unit, metric, grp, severity)
);
CREATE TABLE antt.tallies_before_at (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    at  date NOT NULL CHECK (at = date_trunc('year', at::timestamp)::date)
);
INSERT INTO antt.tallies_before_at (at)
VALUES (date_trunc('year', now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date);

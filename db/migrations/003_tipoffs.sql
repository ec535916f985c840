-- 003_tipoffs.sql — tip-off monitoring: open items against their deadlines,
-- and processing times per unit. Days are Asia/Ho_Chi_Minh calendar days.

-- Its functions are repeatable files now (db/schema/functions/:
-- antt.tipoffs_open, antt.tipoff_processing); nothing left to run.

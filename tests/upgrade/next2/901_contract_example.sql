-- 901_contract_example.sql — the contract of the rolling upgrade test's next2 build: what
-- 900 added goes. The build that carries 900 does not use it, so it may run;
-- an older one refuses the database.
-- oldest-binary: 900
ALTER TABLE antt.tipoffs DROP COLUMN desk_note;
DROP FUNCTION antt.upgrade_probe();

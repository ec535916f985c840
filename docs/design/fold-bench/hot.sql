\set u random(1, 20)
BEGIN;
INSERT INTO ev VALUES (gen_random_uuid(), '060' || :u, current_date, '\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff');
INSERT INTO tally VALUES ('060' || :u, current_date, 'incidents', 1) ON CONFLICT (unit, day, metric) DO UPDATE SET value = tally.value + 1;
INSERT INTO tally VALUES ('20', current_date, 'incidents', 1) ON CONFLICT (unit, day, metric) DO UPDATE SET value = tally.value + 1;
INSERT INTO tally_month VALUES ('20', date_trunc('month', current_date)::date, 'incidents', 1) ON CONFLICT (unit, month, metric) DO UPDATE SET value = tally_month.value + 1;
COMMIT;

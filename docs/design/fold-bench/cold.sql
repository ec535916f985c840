\set u random(1, 20)
BEGIN;
INSERT INTO ev VALUES (gen_random_uuid(), '060' || :u, current_date, '\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff');
INSERT INTO fold_in (unit, day, metric, delta) VALUES ('060' || :u, current_date, 'incidents', 1);
COMMIT;

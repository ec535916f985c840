-- 900_expand_example.sql — the expand of the rolling upgrade test's next build (never
-- shipped: tests/CMakeLists.txt embeds it in anttd-next only). A column the
-- running build does not know, with a default, on a table every batch
-- writes, and a function: the older anttd goes on ingesting beside it.
-- expand
ALTER TABLE antt.tipoffs ADD COLUMN desk_note text DEFAULT '';
CREATE FUNCTION antt.upgrade_probe() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'next' $$;

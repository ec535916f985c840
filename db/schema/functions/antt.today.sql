-- Today in Hanoi: unit validity and statistics days are Vietnamese dates.
CREATE OR REPLACE FUNCTION antt.today() RETURNS date
LANGUAGE sql STABLE AS $$ SELECT (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date $$;

-- The tables of the fold experiment (docs/design/fold.md), in a scratch database:
--   psql -d foldx -f setup.sql
--   pgbench -n -f hot.sql -c 8 -j 2 -T 8 foldx;  pgbench -n -f cold.sql -c 8 -j 2 -T 8 foldx
--   ./fold.sh 12 > fold.out & pgbench -n -f cold.sql -c 8 -j 2 -T 10 foldx
CREATE TABLE ev (id uuid PRIMARY KEY, unit text, day date, raw bytea, at timestamptz DEFAULT now());
CREATE TABLE tally (unit text, day date, metric text, value bigint, PRIMARY KEY (unit, day, metric));
CREATE TABLE tally_month (unit text, month date, metric text, value bigint,
                          PRIMARY KEY (unit, month, metric));
CREATE TABLE fold_in (txid xid8 NOT NULL DEFAULT pg_current_xact_id(), unit text, day date,
                      metric text, delta bigint, at timestamptz DEFAULT clock_timestamp());
CREATE INDEX ON fold_in (txid);
CREATE TABLE fold_pos (pos xid8 NOT NULL, windows bigint NOT NULL DEFAULT 0);
INSERT INTO fold_pos VALUES ('0');

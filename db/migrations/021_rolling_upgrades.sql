-- 021_rolling_upgrades.sql — which older anttd may run against a schema newer
-- than it carries (db/schema/README.md, "Upgrades without stopping intake").
--
-- Until now an anttd refused any database newer than itself, so two daemons
-- on one database could not be upgraded one after the other: the first to
-- migrate shut the other out at its next connection. A migration now says,
-- when it is applied, the oldest anttd (by the latest version it carries)
-- that may still run: 0 for an expand (a table, a nullable column, a new
-- function: what an older anttd does not see does not hurt it), another
-- version for a contract (a column or function dropped that older ones
-- used). NULL, for every migration before this one: only an anttd that
-- carries it.
ALTER TABLE antt.schema_migrations ADD COLUMN oldest_binary integer
    CHECK (oldest_binary >= 0 AND oldest_binary <= version);

-- 019_federation.sql — a Ministry's provinces (docs/design/federation.md).
--
-- One row per province the Ministry's database subscribes to: the
-- subscription's name (antt_from_<code>), how to reach the province's
-- primary (the conninfo the subscription has: a formation's multi-host one),
-- and the unit codes whose subtrees are the province's (its code, and the
-- codes of the provinces merged into it by a reorganisation). Those subtrees
-- are what a resync compares and replaces: no other province writes a row
-- of their units. Empty on a province's own database.
CREATE TABLE antt.federation_provinces (
    code text PRIMARY KEY COLLATE "C" CHECK (code ~ '^[0-9]{2}$'),
    conninfo text NOT NULL,
    roots text[] NOT NULL CHECK (cardinality(roots) BETWEEN 1 AND 16),
    added_at timestamptz NOT NULL DEFAULT now(),
    -- the last resync: when, where the subscription's stream started again
    -- (the new slot's consistent point), and what it corrected
    resynced_at timestamptz,
    resync_lsn pg_lsn,
    resyncs int NOT NULL DEFAULT 0,
    last_report text NOT NULL DEFAULT '',
    -- a resync began and has not finished: the Ministry's anttd resyncs it
    resync_pending boolean NOT NULL DEFAULT false
);

-- The conninfo may hold a password: not for the console's readers.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'antt_reader') THEN
        REVOKE ALL ON antt.federation_provinces FROM antt_reader;
    END IF;
END $$;

-- What the Ministry last applied of each province (written by the trigger
-- antt.fold_input_local_txid in the apply workers): the province's time of
-- its newest batch (its transaction's start, as acked there) and the
-- Ministry's time of applying it. /metrics says the difference, the
-- replication lag, and how long ago the last batch came.
CREATE TABLE antt.federation_applied (
    code text PRIMARY KEY COLLATE "C",
    batch_at timestamptz NOT NULL,
    applied_at timestamptz NOT NULL,
    batches int8 NOT NULL DEFAULT 0
);

-- Rows a province sent for a unit outside its subtrees (a station enrolled
-- for another province's unit): set aside here, not applied, so that they
-- can neither overwrite the owning province's case nor stop the province's
-- feed (docs/design/federation.md, "Rows cannot collide").
CREATE TABLE antt.federation_conflicts (
    id bigserial PRIMARY KEY,
    code text NOT NULL COLLATE "C", -- the province that sent it
    tbl text NOT NULL,
    op text NOT NULL,
    unit text NOT NULL COLLATE "C",
    row_data jsonb NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);

-- The reference data travels down from the Ministry to its provinces
-- (publication antt_down): a replicated UPDATE or DELETE finds its row by
-- the table's replica identity. antt.units has no primary key (a code has
-- a version per era, kept apart by an exclusion constraint): the whole row.
ALTER TABLE antt.units REPLICA IDENTITY FULL;

-- 018_fold.sql — the fold's input and its position in the log
-- (docs/design/fold.md).
--
-- The transaction that acks a batch adds one row of fold_input: the batch's
-- tally deltas, summed per key, as the arrays the tally statement takes, and
-- how its stations are doing (antt.node_status, folded too).
-- txid is that transaction's id. The fold, one daemon at a time, takes the
-- rows whose txid is in [fold_state.pos, x), x the xmin of a snapshot it
-- takes first: every transaction below x has ended, so those rows are final
-- (a committed one visible, an aborted one never), and none below pos is
-- left. It sums them into the tallies and their month, year and before
-- sums, and moves pos to x in the same transaction: a window is folded
-- whole or not at all, once. The position is a row, replicated with the
-- figures, so it survives a failover (a logical slot does not).
CREATE TABLE antt.fold_input (
    txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    units text[] NOT NULL,
    days date[] NOT NULL,
    metrics text[] NOT NULL,
    grps text[] NOT NULL,
    severities text[] NOT NULL,
    vals int8[] NOT NULL,
    -- how each station of the batch is doing (antt.node_status): its node,
    -- lowest and highest sequence number, events with a final answer
    nodes text[] NOT NULL DEFAULT '{}',
    node_seq_min int8[] NOT NULL DEFAULT '{}',
    node_seq_max int8[] NOT NULL DEFAULT '{}',
    node_events int8[] NOT NULL DEFAULT '{}',
    at timestamptz NOT NULL DEFAULT now(), -- the batch's transaction began: the fold's lag
    CONSTRAINT fold_input_arrays CHECK (
        cardinality(days) = cardinality(units) AND cardinality(metrics) = cardinality(units)
        AND cardinality(grps) = cardinality(units) AND cardinality(severities) = cardinality(units)
        AND cardinality(vals) = cardinality(units)
        AND cardinality(node_seq_min) = cardinality(nodes)
        AND cardinality(node_seq_max) = cardinality(nodes)
        AND cardinality(node_events) = cardinality(nodes))
);
CREATE INDEX fold_input_txid ON antt.fold_input (txid);

-- One row: where the fold is. pos starts at the xmin of this migration's
-- snapshot: no row of fold_input can have a smaller txid (the table is new).
CREATE TABLE antt.fold_state (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    pos xid8 NOT NULL,
    windows bigint NOT NULL DEFAULT 0,     -- windows folded (with rows or not)
    rows_folded bigint NOT NULL DEFAULT 0, -- fold_input rows folded
    folded_at timestamptz                  -- the last window's commit
);
INSERT INTO antt.fold_state (pos) VALUES (pg_snapshot_xmin(pg_current_snapshot()));

-- The windows' deltas as the stream publishes them (db/tallylog.h's
-- layout, one message per unit), written with the window: the daemon that
-- takes the fold over publishes again the last windows its predecessor may
-- not have sent (subscribers skip a unit version they have). Trimmed by the
-- fold after a while.
CREATE TABLE antt.fold_windows (
    win bigint PRIMARY KEY,                         -- fold_state.windows after it
    committed_at timestamptz NOT NULL DEFAULT now(),
    content bytea NOT NULL
);

-- The stream's identity is now drawn once per database and kept: it is a
-- row the synchronous secondary has, so a failover keeps it (a logical
-- slot did not). An existing epoch stays (subscribers carry on).
INSERT INTO antt.stream_state (epoch)
VALUES ((random() * 9.2e18)::bigint)
ON CONFLICT (one) DO NOTHING;

-- The stream no longer reads a logical slot: the old one would hold the
-- server's log without bound. Dropped when no reader holds it (a daemon of
-- the previous build during an upgrade: the fold drops it once it lets go).
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
WHERE slot_name = 'antt_' || left(regexp_replace(lower(current_database()), '[^a-z0-9_]', '_', 'g'), 58)
  AND database = current_database() AND NOT active;
DROP PUBLICATION IF EXISTS antt_stream;

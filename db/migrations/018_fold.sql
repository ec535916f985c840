-- 018_fold.sql — the fold's input and its position in the log
-- (docs/design/fold.md).
--
-- The transaction that acks a batch adds one row of fold_input: the batch's
-- tally deltas, summed per key, as the arrays the tally statement takes.
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
    at timestamptz NOT NULL DEFAULT now(), -- the batch's transaction began: the fold's lag
    CONSTRAINT fold_input_arrays CHECK (
        cardinality(days) = cardinality(units) AND cardinality(metrics) = cardinality(units)
        AND cardinality(grps) = cardinality(units) AND cardinality(severities) = cardinality(units)
        AND cardinality(vals) = cardinality(units))
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

-- 006: the tally stream from the database's log.
--
-- Each batch's transaction writes its tally deltas into the WAL as one
-- logical decoding message (pg_logical_emit_message, prefix 'antt.tally';
-- db/tallylog.c gives its layout), and bumps the version of every unit whose
-- tallies it changed. Whichever daemon committed, the stream is read back from
-- one logical replication slot in commit order; a unit's version is its
-- messages' `useq` and is read with the tallies in a snapshot, so any daemon's
-- snapshot and any daemon's stream agree.

CREATE TABLE antt.unit_versions (
    unit    text COLLATE "C" PRIMARY KEY,
    version bigint NOT NULL CHECK (version > 0)
);

-- The stream's identity: drawn when its slot is created (a new epoch only
-- when continuity is really lost: the slot recreated, a failover).
CREATE TABLE antt.stream_state (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    epoch bigint NOT NULL
);

-- pgoutput needs a publication; an empty one makes it send only the
-- transactions' boundaries and our messages, none of the tables' rows.
CREATE PUBLICATION antt_stream;

-- 009_node_status.sql — how each station is doing: when it last
-- sent anything, the sequence numbers it used (PROTOCOL.md section 4: they
-- rise by one per new event, so a hole is an event that never arrived), its
-- events today, and whether it is connected now. Written by anttd: the
-- message figures with each batch, in its transaction; the connection state
-- when a connection opens or closes (known only with CURVE, where a
-- connection is a key, hence a node).
CREATE TABLE antt.node_status (
    node_id               text COLLATE "C" PRIMARY KEY,
    last_message_at       timestamptz,
    seq_min               bigint,
    seq_max               bigint,
    -- events with a final answer (accepted or rejected; not duplicates,
    -- not deferred ones, which come again)
    seq_seen              bigint NOT NULL DEFAULT 0,
    -- numbers never answered between the first and the last (a node that
    -- reuses numbers hides its holes: never below 0)
    missing               bigint GENERATED ALWAYS AS
                              (greatest(coalesce(seq_max - seq_min + 1 - seq_seen, 0), 0)) STORED,
    last_gap_at           timestamptz,
    events_total          bigint NOT NULL DEFAULT 0,
    day                   date,
    events_day            integer NOT NULL DEFAULT 0,
    connected             boolean,      -- NULL: not known (no CURVE)
    connected_via         text,         -- the daemon that saw it ("host:port")
    connection_changed_at timestamptz
);

-- 001_schema.sql — the ANTT schema: units, nodes, the event log, case and
-- tip-off state, running tallies, rejects. Applied by `anttd --migrate`.
-- Identifier columns (codes, references, slugs, names of the protocol) use
-- the "C" collation: they are compared byte by byte, never as words of a
-- language, which keeps their indexes fast and their order the same on every
-- server whatever its locale. Every object lives in schema antt. Names of event types, severities etc.
-- are the wire names of proto/PROTOCOL.md, stored as text so that SQL read
-- by people says what it means.

CREATE SCHEMA IF NOT EXISTS antt;

-- Administrative units. The hierarchy is data (parent_code), never a fixed
-- number of levels; path is the chain of codes from the root, dot-separated
-- ('20.183.06040'), so a subtree is a path prefix.
CREATE TABLE antt.units (
    code        text COLLATE "C" PRIMARY KEY CHECK (code ~ '^([0-9]{2}|[0-9]{3}|[0-9]{5})$'),
    name        text NOT NULL,
    level       text NOT NULL CHECK (level IN ('province', 'district', 'commune')),
    kind        text COLLATE "C" NOT NULL,
    parent_code text COLLATE "C" REFERENCES antt.units (code),
    path        text COLLATE "C" NOT NULL,
    valid_from  date,               -- NULL: from before the data begins
    valid_to    date,               -- exclusive; NULL: still valid
    source      text COLLATE "C" NOT NULL       -- the file the row was loaded from
);
CREATE INDEX units_path_idx ON antt.units (path text_pattern_ops);
CREATE INDEX units_parent_idx ON antt.units (parent_code);

-- Merges: code was succeeded by successor from `effective` on.
CREATE TABLE antt.unit_successors (
    code      text COLLATE "C" NOT NULL REFERENCES antt.units (code),
    successor text COLLATE "C" NOT NULL REFERENCES antt.units (code),
    effective date NOT NULL,
    PRIMARY KEY (code, successor)
);

-- Named groups of units for roll-ups (emulation clusters, cụm thi đua).
CREATE TABLE antt.unit_groups (
    grp  text COLLATE "C" NOT NULL,
    code text COLLATE "C" NOT NULL REFERENCES antt.units (code),
    PRIMARY KEY (grp, code)
);

CREATE TABLE antt.crime_groups (
    slug     text COLLATE "C" PRIMARY KEY CHECK (slug ~ '^[a-z][a-z0-9_]{0,31}$'),
    name_vi  text NOT NULL,
    name_en  text NOT NULL,
    is_crime boolean NOT NULL
);

-- Reporting nodes. A node reports for units in its own unit's subtree.
CREATE TABLE antt.nodes (
    node_id    text COLLATE "C" PRIMARY KEY CHECK (node_id ~ '^[A-Za-z0-9._:-]{1,64}$'),
    unit_code  text COLLATE "C" NOT NULL REFERENCES antt.units (code),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- Every id ever stored, once. Kept apart from the log so that the log can be
-- partitioned by time (a partitioned table's unique keys must include the
-- partition key) while ids stay unique across all time.
CREATE TABLE antt.event_ids (
    id uuid PRIMARY KEY
);

CREATE SEQUENCE antt.events_n_seq;

-- The append-only log of accepted events, with their original msgpack bytes.
-- Partitioned by logged_at; rows land in events_default until monthly
-- partitions are attached (see docs/operations.md).
CREATE TABLE antt.events (
    n            bigint NOT NULL DEFAULT nextval('antt.events_n_seq'),
    id           uuid NOT NULL,
    logged_at    timestamptz NOT NULL DEFAULT now(),
    type         text COLLATE "C" NOT NULL,
    node         text COLLATE "C" NOT NULL,
    unit         text COLLATE "C" NOT NULL,
    seq          bigint NOT NULL,
    event_time   timestamptz NOT NULL,
    ref          text COLLATE "C" NOT NULL,
    case_version integer NOT NULL,   -- the case's (tip-off's) version this event made
    raw          bytea NOT NULL
) PARTITION BY RANGE (logged_at);
CREATE TABLE antt.events_default PARTITION OF antt.events DEFAULT;
CREATE INDEX events_case_idx ON antt.events (unit, ref, case_version);
CREATE INDEX events_id_idx ON antt.events (id);

-- Current state of each incident, keyed by reporting unit and case reference.
CREATE TABLE antt.incidents (
    unit          text COLLATE "C" NOT NULL,
    ref           text COLLATE "C" NOT NULL,
    report_id     uuid NOT NULL,
    grp           text COLLATE "C" NOT NULL,
    severity      text COLLATE "C" NOT NULL DEFAULT '',
    occurred_at   timestamptz NOT NULL,
    occurred_unit text COLLATE "C" NOT NULL,
    deaths        integer NOT NULL DEFAULT 0,
    injuries      integer NOT NULL DEFAULT 0,
    cleared_at    timestamptz,
    suspects      integer NOT NULL DEFAULT 0,
    voided_at     timestamptz,
    version       integer NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit, ref)
);
CREATE INDEX incidents_occurred_unit_idx ON antt.incidents (occurred_unit);

-- Current state of each tip-off.
CREATE TABLE antt.tipoffs (
    unit               text COLLATE "C" NOT NULL,
    ref                text COLLATE "C" NOT NULL,
    report_id          uuid NOT NULL,
    kind               text COLLATE "C" NOT NULL,
    source             text COLLATE "C" NOT NULL,
    grp                text COLLATE "C" NOT NULL DEFAULT '',
    received_at        timestamptz NOT NULL,
    deadline           timestamptz NOT NULL,
    complex_extended   boolean NOT NULL DEFAULT false,
    procuracy_extended boolean NOT NULL DEFAULT false,
    status             text COLLATE "C" NOT NULL CHECK (status IN ('pending', 'resolved', 'suspended', 'transferred')),
    outcome            text COLLATE "C" NOT NULL DEFAULT '',
    resolved_at        timestamptz,
    version            integer NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit, ref)
);
CREATE INDEX tipoffs_open_idx ON antt.tipoffs (deadline) WHERE status = 'pending';

-- Running counters: unit x local day (Asia/Ho_Chi_Minh) x metric x crime
-- group x severity. Incremented in the transaction that stores the events.
CREATE TABLE antt.tallies (
    unit     text COLLATE "C" NOT NULL,
    day      date NOT NULL,
    metric   text COLLATE "C" NOT NULL,
    grp      text COLLATE "C" NOT NULL DEFAULT '',
    severity text COLLATE "C" NOT NULL DEFAULT '',
    value    bigint NOT NULL,
    PRIMARY KEY (unit, day, metric, grp, severity)
);

-- What was refused, for operators. raw is the first bytes only (raw_len says
-- how many there were).
CREATE TABLE antt.rejects (
    n        bigserial PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    path     text COLLATE "C" NOT NULL,          -- 'acked' or 'publish'
    status   text COLLATE "C" NOT NULL,          -- 'rejected' or 'deferred' (see PROTOCOL.md)
    node     text COLLATE "C",
    event_id uuid,
    code     integer NOT NULL,
    name     text NOT NULL,
    field    text NOT NULL DEFAULT '',
    message  text NOT NULL,
    raw      bytea,
    raw_len  integer NOT NULL
);
CREATE INDEX rejects_at_idx ON antt.rejects (at);

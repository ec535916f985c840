-- 005_security.sql — who may connect (PROTOCOL.md section 15).
-- A node's CURVE public key (Z85, 40 characters) authenticates its
-- connections: with CURVE on, anttd lets in only keys of nodes that are not
-- revoked, and takes the node from the key, never from what an event claims.
-- Subscribers of the tally stream are registered the same way, each with a
-- unit scope (NULL: every unit — the ministry, an emulation cluster's lead).
-- Every change to who may connect is announced on channel antt_registry, so a
-- running daemon reloads at once and cuts the connections of revoked keys
-- (the triggers: db/schema/functions/antt.registry_changed.sql).

ALTER TABLE antt.nodes
    ADD COLUMN public_key text COLLATE "C" UNIQUE
        CHECK (public_key ~ '^[0-9a-zA-Z.:+=^!/*?&<>()\[\]{}@%$#-]{40}$');

CREATE TABLE antt.subscribers (
    name       text COLLATE "C" PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._:-]{1,64}$'),
    public_key text COLLATE "C" NOT NULL UNIQUE
        CHECK (public_key ~ '^[0-9a-zA-Z.:+=^!/*?&<>()\[\]{}@%$#-]{40}$'),
    unit_code  text COLLATE "C" REFERENCES antt.units (code),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

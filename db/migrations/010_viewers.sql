-- 010_viewers.sql — the console's accounts. A viewer sees the
-- figures of one scope: a unit and what it is made of (antt.scope_units),
-- an emulation cluster ('group:NAME'), or every unit (NULL: the ministry).
-- The password is kept only as libsodium's crypto_pwhash_str (Argon2id,
-- salt and parameters included); accounts are made by `antt viewer add`.
CREATE TABLE antt.viewers (
    name          text COLLATE "C" PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._:@-]{1,64}$'),
    scope         text COLLATE "C",
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    lang          text NOT NULL DEFAULT 'vi' CHECK (lang IN ('vi', 'en')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);

-- The console reads through a role that can only read (docs/operations.md,
-- "The console"): anttweb's login is made a member of antt_reader. Made here
-- when the migrating user may (a superuser, or CREATEROLE); otherwise the
-- DBA makes it and runs the grants below.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'antt_reader') THEN
        BEGIN
            CREATE ROLE antt_reader NOLOGIN;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'antt_reader not created (no CREATEROLE): make it and grant it as in 010_viewers.sql';
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'antt_reader') THEN
        GRANT USAGE ON SCHEMA antt TO antt_reader;
        GRANT SELECT ON ALL TABLES IN SCHEMA antt TO antt_reader;
        GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA antt TO antt_reader;
        ALTER DEFAULT PRIVILEGES IN SCHEMA antt GRANT SELECT ON TABLES TO antt_reader;
    END IF;
END $$;

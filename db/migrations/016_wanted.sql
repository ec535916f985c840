-- 016_wanted.sql — wanted persons: a wanted notice (quyết định
-- truy nã), keyed by the unit that issued it and its number, closed once —
-- the person found (arrested, or surrendered after persuasion) or the notice
-- withdrawn (đình nã). No name, no identity: the station keeps those.
-- antt.events.unit is the key of the case an event is about: the reporting
-- unit for incidents and tip-offs, the issuing unit for a wanted notice (the
-- unit that found the person is `unit` here and in the event's bytes).
CREATE TABLE antt.wanted (
    issuer     text COLLATE "C" NOT NULL,
    ref        text COLLATE "C" NOT NULL,
    report_id  uuid NOT NULL,
    status     text NOT NULL CHECK (status IN ('found', 'withdrawn')),
    unit       text COLLATE "C" NOT NULL,
    how        text NOT NULL CHECK (how IN ('', 'arrested', 'surrendered')),
    category   text NOT NULL CHECK (category IN ('', 'dangerous', 'ordinary')),
    at         timestamptz NOT NULL,
    version    integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, ref)
);
CREATE INDEX wanted_unit_at_idx ON antt.wanted (unit, at);

-- Targets for counts too: "at least 400 wanted persons" (figure 'wanted').
ALTER TABLE antt.targets DROP CONSTRAINT targets_figure_check,
    DROP CONSTRAINT targets_target_check,
    ALTER COLUMN target TYPE numeric(10, 2),
    ADD CONSTRAINT targets_figure_check
        CHECK (figure IN ('clearance', 'major', 'tipoff', 'wanted')),
    ADD CONSTRAINT targets_target_check
        CHECK (target >= 0 AND (figure = 'wanted' OR target <= 100));

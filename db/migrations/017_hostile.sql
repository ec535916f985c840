-- 017_hostile.sql — what an attacker's inputs found in the schema.
--
-- 1. A station's sequence numbers span 0 … 2^63-1 (PROTOCOL.md section 4),
--    so "seq_max - seq_min + 1" overflows bigint for a legal pair (0 and
--    2^63-1), and the error failed the whole batch, other stations' events
--    with it. The span is counted in numeric and clamped to bigint.
-- 2. A crime group's figures in antt.rates_many (db/schema/functions/
--    antt.rates_many.sql) repeated the whole unit's
--    tip-offs, traffic accidents, drug cases and overdue count in every
--    group. A group's row now holds that group's figures: tip-offs of that
--    group (a tip-off names one when known), drug figures in the drugs
--    group only; figures that have no group are NULL there (the overdue
--    count, and traffic accidents, which are not a crime group).

ALTER TABLE antt.node_status DROP COLUMN missing;
ALTER TABLE antt.node_status ADD COLUMN missing bigint GENERATED ALWAYS AS
    (least(greatest(coalesce(seq_max::numeric - seq_min + 1 - seq_seen, 0), 0),
           9223372036854775807)::bigint) STORED;

-- 3. Reference data a loader took and the daemon could not use: a day off
--    of 'infinity' was committed, then every registry load failed on
--    "day - date '1970-01-01'" (revocations stopped reaching the daemon);
--    a target of 'NaN' passed "target >= 0" (NaN sorts above every number)
--    and printed as -9.2e18. The tables now refuse what no file may hold,
--    so a loader's transaction fails before its COMMIT and changes nothing.
--    Rows that could only have come from such a file are removed first.
DELETE FROM antt.days_off WHERE NOT (day BETWEEN DATE '2000-01-01' AND DATE '2100-12-31');
ALTER TABLE antt.days_off ADD CONSTRAINT days_off_day_check
    CHECK (day BETWEEN DATE '2000-01-01' AND DATE '2100-12-31');
DELETE FROM antt.targets WHERE target = 'NaN';
ALTER TABLE antt.targets DROP CONSTRAINT targets_target_check,
    ADD CONSTRAINT targets_target_check
        CHECK (target >= 0 AND target <= CASE WHEN figure = 'wanted' THEN 1000000000 ELSE 100 END
               AND (figure <> 'wanted' OR target = trunc(target)));
ALTER TABLE antt.units ADD CONSTRAINT units_valid_check
    CHECK ((valid_from IS NULL OR valid_from BETWEEN DATE '1900-01-01' AND DATE '2200-01-01')
           AND (valid_to IS NULL OR valid_to BETWEEN DATE '1900-01-01' AND DATE '2200-01-01'));
ALTER TABLE antt.unit_successors ADD CONSTRAINT unit_successors_effective_check
    CHECK (effective BETWEEN DATE '1900-01-01' AND DATE '2200-01-01');

-- 4. Case references are compared and stored in NFC (the daemon normalises
--    them; the events' bytes stay as sent): the same reference sent
--    decomposed after precomposed was a second case. References already
--    stored are normalised where that makes no two rows one; a pair that
--    would collide (the bug's own doing) is left as it is for an operator
--    to settle.
UPDATE antt.events SET ref = normalize(ref, NFC) WHERE ref IS NOT NFC NORMALIZED;
-- (a row is left when its NFC form is on record already, or when another
-- spelling of it, not in NFC either, would become the same)
UPDATE antt.incidents i SET ref = normalize(i.ref, NFC) WHERE i.ref IS NOT NFC NORMALIZED
   AND NOT EXISTS (SELECT 1 FROM antt.incidents o WHERE o.unit = i.unit AND o.ref <> i.ref
                      AND normalize(o.ref, NFC) = normalize(i.ref, NFC));
UPDATE antt.tipoffs t SET ref = normalize(t.ref, NFC) WHERE t.ref IS NOT NFC NORMALIZED
   AND NOT EXISTS (SELECT 1 FROM antt.tipoffs o WHERE o.unit = t.unit AND o.ref <> t.ref
                      AND normalize(o.ref, NFC) = normalize(t.ref, NFC));
UPDATE antt.wanted w SET ref = normalize(w.ref, NFC) WHERE w.ref IS NOT NFC NORMALIZED
   AND NOT EXISTS (SELECT 1 FROM antt.wanted o WHERE o.issuer = w.issuer AND o.ref <> w.ref
                      AND normalize(o.ref, NFC) = normalize(w.ref, NFC));

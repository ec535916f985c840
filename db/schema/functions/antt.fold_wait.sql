-- Reading one's own writes (docs/design/fold.md): wait until the fold has
-- added every batch committed when this was called, at most p_timeout_ms.
-- True when it has; false when the time ran out (the figures are then as of
-- antt.fold_state.folded_at). A batch committed before the call has a txid
-- below the call's xmax; it is folded once pos has passed it. (Not "pos
-- reached xmax": the fold's own transactions take ids too, so pos stays
-- behind the newest id.) Each check takes a fresh snapshot (a volatile
-- function under READ COMMITTED), so it sees the fold move; under
-- REPEATABLE READ it cannot, and returns false at the timeout.
CREATE OR REPLACE FUNCTION antt.fold_wait(p_timeout_ms int) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    target xid8 := pg_snapshot_xmax(pg_current_snapshot());
    deadline timestamptz := clock_timestamp() + make_interval(secs => p_timeout_ms / 1000.0);
BEGIN
    LOOP
        IF NOT EXISTS (SELECT 1 FROM antt.fold_input f
                        WHERE f.txid >= (SELECT pos FROM antt.fold_state) AND f.txid < target) THEN
            RETURN true;
        END IF;
        IF clock_timestamp() >= deadline THEN
            RETURN false;
        END IF;
        PERFORM pg_sleep(0.005);
    END LOOP;
END $$;

-- 004_successors.sql — roll-ups across unit merges. A unit's scope now also
-- holds every unit that was merged into a unit of the scope (antt.unit_
-- successors, recursively, with their subtrees), so a year before a merge is
-- counted under the unit that exists now: year-on-year comparisons across the
-- 2025 reorganisation compare like with like. Without successor rows nothing
-- changes.

-- antt.scope is a repeatable file now (db/schema/functions/antt.scope.sql);
-- nothing left to run.

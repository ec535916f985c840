-- tests/sql/data/map.sql — the small map every SQL test reads: two provinces
-- and their units before and after a reorganisation on 1 July 2025, drawn
-- so that each rule of docs/semantics.md has a case.
--
--   until 30 June 2025                     from 1 July 2025
--   01 P1 (province, always valid)         01 P1
--   ├ 101 D1 (district)                    ├ 10010 N1   = C1 + C2 (both of D1)
--   │ ├ 10001 C1                           ├ 10003 N3   = C3 + part of C4
--   │ └ 10002 C2                           │   (the code of C3 reused)
--   └ 102 D2 (district)                    └ 10011 N4   = part of C4
--     ├ 10003 C3
--     └ 10004 C4 (split: N3 first, N4)
--   02 P2 (province) → merged into 01; its commune 20001 Q1 has no successor
--
-- Districts disappear without successors: their work passes to their
-- parent's heir. Cluster g1 is N1 and N4.
\set QUIET on
INSERT INTO antt.crime_groups (slug, name_vi, name_en, is_crime) VALUES
    ('social_order', 'Trật tự xã hội', 'Social order', true),
    ('drugs', 'Ma túy', 'Drugs', true),
    ('traffic', 'Giao thông', 'Traffic', false);
INSERT INTO antt.units (code, name, level, kind, parent_code, path, valid_from, valid_to, source) VALUES
    ('01', 'P1', 'province', 'tinh', NULL, '01', NULL, NULL, 'test'),
    ('101', 'D1', 'district', 'huyen', '01', '01.101', NULL, '2025-07-01', 'test'),
    ('10001', 'C1', 'commune', 'xa', '101', '01.101.10001', NULL, '2025-07-01', 'test'),
    ('10002', 'C2', 'commune', 'xa', '101', '01.101.10002', NULL, '2025-07-01', 'test'),
    ('102', 'D2', 'district', 'huyen', '01', '01.102', NULL, '2025-07-01', 'test'),
    ('10003', 'C3', 'commune', 'xa', '102', '01.102.10003', NULL, '2025-07-01', 'test'),
    ('10004', 'C4', 'commune', 'xa', '102', '01.102.10004', NULL, '2025-07-01', 'test'),
    ('10010', 'N1', 'commune', 'xa', '01', '01.10010', '2025-07-01', NULL, 'test'),
    ('10003', 'N3', 'commune', 'xa', '01', '01.10003', '2025-07-01', NULL, 'test'),
    ('10011', 'N4', 'commune', 'phuong', '01', '01.10011', '2025-07-01', NULL, 'test'),
    ('02', 'P2', 'province', 'tinh', NULL, '02', NULL, '2025-07-01', 'test'),
    ('20001', 'Q1', 'commune', 'xa', '02', '02.20001', NULL, '2025-07-01', 'test');
INSERT INTO antt.unit_successors (code, successor, effective, share_note, note, ord) VALUES
    ('10001', '10010', '2025-07-01', '', '', 0),
    ('10002', '10010', '2025-07-01', '', '', 0),
    ('10003', '10003', '2025-07-01', '', '', 0),
    ('10004', '10003', '2025-07-01', 'partial', '', 0),
    ('10004', '10011', '2025-07-01', 'partial', '', 1),
    ('02', '01', '2025-07-01', '', '', 0);
INSERT INTO antt.unit_groups (grp, code) VALUES ('g1', '10010'), ('g1', '10011');
\set QUIET off

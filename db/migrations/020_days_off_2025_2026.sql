-- 020_days_off_2025_2026.sql — the days off of 2025 and 2026, as an upgrade
-- brings them.
--
-- Until now only 2024 was shipped, so a database kept since then counted this
-- year's limits past Saturdays and Sundays only (Tết 2026 ignored). These are
-- the rows of data/days-off.csv for 2025 and 2026 (tests/data/days_off_check.py
-- checks that they are the same), each with its source; data/README.md says
-- how they were checked. A year the operator already loaded is left as it is
-- (anttd --load-days-off replaces whole years, and theirs may be newer), and
-- so is a province that takes its reference data from the Ministry
-- (subscription antt_down): the Ministry's rows arrive by replication, and a
-- row made here would collide with them.
--
-- The days off change antt.days_off_digest(), so the rules on record no
-- longer match: the runner's deadlines step after `anttd --migrate`, or a
-- starting daemon, recomputes every pending tip-off's deadline (014).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_subscription WHERE subname = 'antt_down'
               AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())) THEN
        RETURN;
    END IF;
    INSERT INTO antt.days_off (day, off, name, source)
    SELECT v.day::date, v.off, v.name, v.source
      FROM (VALUES
        ('2025-01-01', true, 'Tết Dương lịch (New Year''s Day)', 'Bộ luật Lao động 2019 Điều 112'),
        ('2025-01-25', true, 'Nghỉ Tết Âm lịch (thứ Bảy; 26 tháng Chạp Giáp Thìn)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-01-26', true, 'Nghỉ Tết Âm lịch (Chủ nhật; 27 tháng Chạp)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-01-27', true, 'Tết Âm lịch (28 tháng Chạp Giáp Thìn)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-01-28', true, 'Tết Âm lịch (29 tháng Chạp; năm không có ngày 30)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-01-29', true, 'Tết Âm lịch (mùng 1 Giêng Ất Tỵ)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-01-30', true, 'Tết Âm lịch (mùng 2)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-01-31', true, 'Tết Âm lịch (mùng 3)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-02-01', true, 'Nghỉ Tết Âm lịch (thứ Bảy; mùng 4)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-02-02', true, 'Nghỉ Tết Âm lịch (Chủ nhật; mùng 5)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-04-07', true, 'Giỗ Tổ Hùng Vương (10 tháng 3 âm lịch)', 'Bộ luật Lao động 2019 Điều 112'),
        ('2025-04-26', false, 'Làm bù cho thứ Sáu 02/5/2025', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-04-30', true, 'Ngày Chiến thắng (30/4)', 'Bộ luật Lao động 2019 Điều 112'),
        ('2025-05-01', true, 'Ngày Quốc tế Lao động (1/5)', 'Bộ luật Lao động 2019 Điều 112'),
        ('2025-05-02', true, 'Nghỉ lễ 30/4 – 1/5 (hoán đổi: làm bù thứ Bảy 26/4/2025)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-05-03', true, 'Nghỉ lễ 30/4 – 1/5 (thứ Bảy)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-05-04', true, 'Nghỉ lễ 30/4 – 1/5 (Chủ nhật)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-08-30', true, 'Nghỉ lễ Quốc khánh (thứ Bảy)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-08-31', true, 'Nghỉ lễ Quốc khánh (Chủ nhật)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-09-01', true, 'Quốc khánh (ngày liền kề)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2025-09-02', true, 'Quốc khánh (2/9)', 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024; Văn bản 8726/VPCP-KGVX ngày 26/11/2024'),
        ('2026-01-01', true, 'Tết Dương lịch (New Year''s Day)', 'Bộ luật Lao động 2019 Điều 112'),
        ('2026-01-02', true, 'Nghỉ Tết Dương lịch (hoán đổi: làm bù thứ Bảy 10/01/2026)', 'Văn bản 12729/VPCP-KGVX ngày 25/12/2025'),
        ('2026-01-03', true, 'Nghỉ Tết Dương lịch (thứ Bảy)', 'Văn bản 12729/VPCP-KGVX ngày 25/12/2025'),
        ('2026-01-04', true, 'Nghỉ Tết Dương lịch (Chủ nhật)', 'Văn bản 12729/VPCP-KGVX ngày 25/12/2025'),
        ('2026-01-10', false, 'Làm bù cho thứ Sáu 02/01/2026', 'Văn bản 12729/VPCP-KGVX ngày 25/12/2025'),
        ('2026-02-14', true, 'Nghỉ Tết Âm lịch (thứ Bảy; 27 tháng Chạp Ất Tỵ)', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-02-15', true, 'Nghỉ Tết Âm lịch (Chủ nhật; 28 tháng Chạp)', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-02-16', true, 'Tết Âm lịch (29 tháng Chạp Ất Tỵ; năm không có ngày 30)', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-02-17', true, 'Tết Âm lịch (mùng 1 Giêng Bính Ngọ)', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-02-18', true, 'Tết Âm lịch (mùng 2)', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-02-19', true, 'Tết Âm lịch (mùng 3)', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-02-20', true, 'Tết Âm lịch (mùng 4)', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-02-21', true, 'Nghỉ Tết Âm lịch (thứ Bảy; mùng 5)', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-02-22', true, 'Nghỉ Tết Âm lịch (Chủ nhật; mùng 6)', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-04-26', true, 'Giỗ Tổ Hùng Vương (10 tháng 3 âm lịch; Chủ nhật)', 'Bộ luật Lao động 2019 Điều 112'),
        ('2026-04-27', true, 'Giỗ Tổ Hùng Vương (nghỉ bù cho Chủ nhật 26/4)', 'Bộ luật Lao động 2019 Điều 111 khoản 3 và Điều 112'),
        ('2026-04-30', true, 'Ngày Chiến thắng (30/4)', 'Bộ luật Lao động 2019 Điều 112'),
        ('2026-05-01', true, 'Ngày Quốc tế Lao động (1/5)', 'Bộ luật Lao động 2019 Điều 112'),
        ('2026-08-22', false, 'Làm bù cho thứ Hai 31/8/2026', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-08-29', true, 'Nghỉ lễ Quốc khánh (thứ Bảy)', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-08-30', true, 'Nghỉ lễ Quốc khánh (Chủ nhật)', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-08-31', true, 'Nghỉ lễ Quốc khánh (hoán đổi: làm bù thứ Bảy 22/8/2026)', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-09-01', true, 'Quốc khánh (ngày liền kề)', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-09-02', true, 'Quốc khánh (2/9)', 'Thông báo 9441/TB-BNV ngày 16/10/2025; Văn bản 9859/VPCP-KGVX ngày 13/10/2025'),
        ('2026-11-24', true, 'Ngày Văn hóa Việt Nam (24/11)', 'Nghị quyết 28/2026/QH16 Điều 2; Văn bản 10065/VPCP-KGVX ngày 02/10/2026')
           ) AS v (day, off, name, source)
     WHERE NOT EXISTS (SELECT 1 FROM antt.days_off o
                        WHERE extract(year FROM o.day) = extract(year FROM v.day::date));
END
$$;

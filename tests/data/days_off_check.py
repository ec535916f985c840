#!/usr/bin/env python3
"""tests/data/days_off_check.py SOURCE_DIR — the shipped calendars hold.

Checks data/days-off.csv and data/days-off-2027-unconfirmed.csv as the
sources' notes say they were checked (data/README.md), so that a row mistyped
later is caught:
  * the header, one row a day, in day order, every field filled;
  * every Saturday worked (off = false) is a Saturday;
  * every weekday a name gives, its own ("thứ Bảy") or another day's
    ("làm bù thứ Bảy 26/4/2025"), is that day's weekday;
  * every swap names a day that is in the file the other way round (a day
    off "hoán đổi: làm bù thứ Bảy 26/4/2025" and a worked Saturday "Làm bù
    cho thứ Sáu 02/5/2025"), and a "nghỉ bù" the holiday it makes up for;
  * each year has the statutory days of Labour Code Art. 112: 1/1, five
    days of Tết, Giỗ Tổ, 30/4, 1/5, 2/9 and an adjacent day;
  * migration 020 inserts exactly the rows of data/days-off.csv for 2025
    and 2026 (an upgraded database gets the calendar a fresh one loads).
Prints what it checked; exits 1 with every problem found.
"""
import csv
import datetime as dt
import re
import sys

src = sys.argv[1]
problems = []
WEEKDAYS = {"thứ Hai": 0, "thứ Ba": 1, "thứ Tư": 2, "thứ Năm": 3, "thứ Sáu": 4,
            "thứ Bảy": 5, "Chủ nhật": 6}
WD = "(" + "|".join(WEEKDAYS) + ")"


def bad(where, why):
    problems.append(f"{where}: {why}")


def load(path):
    with open(path, encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        head = next(r)
        if head != ["day", "off", "name", "source"]:
            bad(path, f"header {head}, not day,off,name,source")
        rows = {}
        last = None
        for n, row in enumerate(r, start=2):
            where = f"{path}:{n}"
            if len(row) != 4 or not all(x.strip() for x in row):
                bad(where, f"want 4 filled fields, got {row}")
                continue
            try:
                day = dt.date.fromisoformat(row[0])
            except ValueError:
                bad(where, f"not a date: {row[0]}")
                continue
            if row[1] not in ("true", "false"):
                bad(where, f"off is '{row[1]}', not true or false")
            if last and day <= last:
                bad(where, f"{day} is not after {last}")
            last = day
            rows[day] = (row[1] == "true", row[2], row[3], where)
        return rows


def check(rows):
    for day, (off, name, _source, where) in rows.items():
        if not off and day.weekday() != 5:
            bad(where, f"a day worked in exchange on a {day.strftime('%A')}, not a Saturday")
        # "Chủ nhật 26/4", "thứ Sáu 02/5/2025": another day, by its date
        for m in re.finditer(WD + r" (\d{1,2})/(\d{1,2})(?:/(\d{4}))?", name):
            other = dt.date(int(m[4] or day.year), int(m[3]), int(m[2]))
            if other.weekday() != WEEKDAYS[m[1]]:
                bad(where, f"'{m[0]}': {other} is a {other.strftime('%A')}")
            o = rows.get(other)
            text = name[: m.start()].lower()
            if "làm bù" in text and "làm bù cho" not in text:  # swapped off: other is worked
                if not o or o[0]:
                    bad(where, f"'{m[0]}': {other} is not in the file as a Saturday worked")
            elif "làm bù cho" in text or "nghỉ bù cho" in text:  # other is off
                if not o or not o[0]:
                    bad(where, f"'{m[0]}': {other} is not in the file as a day off")
        # "(thứ Bảy; mùng 4)", "(Chủ nhật)": this day
        for m in re.finditer(r"[(;] ?" + WD + r"(?=[;)])", name):
            if day.weekday() != WEEKDAYS[m[1]]:
                bad(where, f"'{m[1]}' but {day} is a {day.strftime('%A')}")
    for year in sorted({d.year for d in rows}):
        off = {d: v for d, v in rows.items() if d.year == year and v[0]}
        named = lambda s: [d for d, v in off.items() if s in v[1]]
        for m, d in ((1, 1), (4, 30), (5, 1), (9, 2)):
            if dt.date(year, m, d) not in off:
                bad(str(year), f"{d}/{m} is not a day off (Labour Code Art. 112)")
        if len([d for d in named("Tết Âm lịch") if not off[d][1].startswith("Nghỉ")]) < 5:
            bad(str(year), "fewer than five days of Tết (Art. 112)")
        if len(named("Giỗ Tổ Hùng Vương")) < 1:
            bad(str(year), "no Giỗ Tổ Hùng Vương (Art. 112)")
        if len(named("ngày liền kề")) != 1:
            bad(str(year), "National Day wants one adjacent day off (Art. 112)")


def migration_rows(path):
    text = open(path, encoding="utf-8").read()
    out = {}
    for m in re.finditer(r"\('(\d{4}-\d\d-\d\d)', (true|false), '((?:[^']|'')*)', '((?:[^']|'')*)'\)",
                         text):
        out[dt.date.fromisoformat(m[1])] = (m[2] == "true", m[3].replace("''", "'"),
                                            m[4].replace("''", "'"))
    return out


shipped = load(f"{src}/data/days-off.csv")
check(shipped)
later = load(f"{src}/data/days-off-2027-unconfirmed.csv")
check(later)
if set(d.year for d in later) != {2027}:
    bad("days-off-2027-unconfirmed.csv", "holds other years than 2027")
if any(d.year == 2027 for d in shipped):
    bad("days-off.csv", "holds 2027, which is not confirmed")

mig = migration_rows(f"{src}/db/migrations/020_days_off_2025_2026.sql")
want = {d: v[:3] for d, v in shipped.items() if d.year in (2025, 2026)}
for d in sorted(set(mig) | set(want)):
    if mig.get(d) != want.get(d):
        bad("020_days_off_2025_2026.sql", f"{d}: migration {mig.get(d)}, file {want.get(d)}")

years = sorted({d.year for d in shipped})
print(f"days off: {len(shipped)} rows for {years[0]}-{years[-1]}, {len(later)} for 2027 "
      f"(unconfirmed); migration 020 has {len(mig)} rows")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print("days off: ok")

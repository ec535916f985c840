#!/usr/bin/env python3
"""browser_test.py ANTTD ANTT ANTTWEB ARTIFACTS — the console in a real
browser (headless Chromium driven by Selenium, Debian's packages), against
the real anttweb, anttd and PostgreSQL (the suite's throwaway server,
ANTT_TEST_DSN). A seeded year of Lạng Sơn: log in; the overview shows the
figures computed by hand; an event sent with `antt submit` changes the page
without a reload within 2 s; drill-down to a child; no errors in the
browser's console; a viewer of Lạng Sơn gets 403 for Cao Bằng's data through
the page and through the raw endpoint. Screenshots of each step are saved in
ARTIFACTS."""
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ANTTD, ANTT, ANTTWEB, ARTIFACTS = sys.argv[1:5]
BASE = os.environ["ANTT_TEST_DSN"]
SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
procs = []


GIVEN = set()


def free_port():
    """A port below the kernel's ephemeral range, free now, and not handed out
    before (it stays free until its server binds it)."""
    for _ in range(1000):
        p = random.randrange(20000, 32000)
        if p in GIVEN:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
                GIVEN.add(p)
                return p
            except OSError:
                pass
    raise RuntimeError("no free port")


def run(*args, stdin=None):
    r = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("%s: %s%s" % (" ".join(args), r.stdout, r.stderr))
    return r.stdout


def psql(dsn, sql):
    return run("psql", dsn, "-Atqc", sql)


def wait_port(port, what):
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(what + " did not listen")


def submit(port, args):
    return run(ANTT, "--insecure", "--endpoint", "tcp://127.0.0.1:%d" % port, "--node",
               "ls-180-06040", "--spool", os.path.join(ARTIFACTS, "spool"), "--timeout", "10",
               "submit", *args)


def main():
    os.makedirs(ARTIFACTS, exist_ok=True)
    for f in os.listdir(ARTIFACTS):  # this run's screenshots only
        if f.endswith((".png", ".pdf")):
            os.remove(os.path.join(ARTIFACTS, f))
    name = "antt_browser_%d" % os.getpid()
    psql(BASE, "CREATE DATABASE %s" % name)
    dsn = BASE + " dbname=" + name
    try:
        run(ANTTD, "--db", dsn, "--log-level", "warn", "--migrate",
            "--load-units", SRC + "/data/units-cluster2.csv",
            "--load-units", SRC + "/data/units-2025.csv",
            "--load-successors", SRC + "/data/successors-2025.csv",
            "--load-groups", SRC + "/data/crime_groups.csv",
            "--load-clusters", SRC + "/data/clusters.csv",
            "--load-days-off", SRC + "/data/days-off.csv", "--add-node", "ls-180-06040=06040",
            # 29 stations that never reported (silent): the stations table's pages
            *[a for i in range(29) for a in ("--add-node", "ls-st-%02d=06040" % i)])
        listen, pub, snap, http, web = (free_port() for _ in range(5))
        procs.append(subprocess.Popen(
            [ANTTD, "--db", dsn, "--insecure", "--listen", "tcp://127.0.0.1:%d" % listen,
             "--publish-listen", "", "--tally-publish", "tcp://127.0.0.1:%d" % pub,
             "--tally-snapshot", "tcp://127.0.0.1:%d" % snap, "--http-listen",
             "127.0.0.1:%d" % http, "--overdue-record-seconds", "1"],
            stderr=open(os.path.join(ARTIFACTS, "anttd.log"), "w")))
        wait_port(listen, "anttd")
        procs.append(subprocess.Popen(
            [ANTTWEB, "--db", dsn, "--listen", "127.0.0.1:%d" % web, "--stream",
             "tcp://127.0.0.1:%d" % pub, "--insecure"],
            stderr=open(os.path.join(ARTIFACTS, "anttweb.log"), "w")))
        wait_port(web, "anttweb")
        for viewer, scope in (("tinh20", ["--unit=20"]), ("caobang", ["--unit=04"]), ("bo", ["--all"])):
            run(ANTT, "viewer", "add", viewer, *scope, "--db", dsn, stdin="a long secret\n")
        # The seeded year: 2023 in commune 06040 (district 180), by hand:
        # 4 crimes (one very serious), 2 cleared with 3 suspects.
        for i, sev in enumerate(["serious", "serious", "serious", "very_serious"]):
            submit(listen, ["incident", "--unit", "06040", "--case", "B%d/2023" % i, "--group",
                            "social_order", "--severity", sev, "--occurred-at",
                            "2023-0%d-10" % (i + 2)])
        for i in range(2):
            submit(listen, ["clear", "--unit", "06040", "--case", "B%d/2023" % i, "--suspects",
                            "2" if i == 0 else "1", "--cleared-at", "2023-08-0%d" % (i + 1)])
        # two tip-offs: one decided in 9 days, one still pending (overdue since 2023)
        for ref, day in (("TG-1/2023", "2023-03-01"), ("TG-2/2023", "2023-09-01")):
            submit(listen, ["tipoff", "--unit", "06040", "--ref", ref, "--kind", "to-giac",
                            "--source", "cong-dan", "--received-at", day])
        submit(listen, ["resolve", "--unit", "06040", "--ref", "TG-1/2023", "--outcome", "khoi-to",
                        "--resolved-at", "2023-03-10"])
        browse(web, listen)
        print("browser_test: all checks passed; screenshots in %s" % ARTIFACTS)
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        psql(BASE, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)


def browse(web, listen):
    url = "http://127.0.0.1:%d/" % web
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1600",
              "--lang=vi"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    shot = lambda n: d.save_screenshot(os.path.join(ARTIFACTS, n + ".png"))
    # a table or list the page redraws between finding an element and reading
    # it goes stale: a condition that meets one is tried again, not failed
    wait = WebDriverWait(d, 10, ignored_exceptions=(StaleElementReferenceException,
                                                    NoSuchElementException))
    loads = lambda: int(d.execute_script("return document.body.dataset.loads || '0'"))
    def settled(before, cond=lambda d: True):
        """Waits until the page has drawn everything again since `before` and cond holds."""
        wait.until(lambda d: loads() > before and cond(d))
    def card(k):
        """A card's value; None while the page redraws it."""
        try:
            return d.find_element(By.CSS_SELECTOR, "[data-key=%s] .v" % k).text
        except (StaleElementReferenceException, NoSuchElementException):
            return None
    try:
        d.get(url)
        wait.until(lambda d: d.find_element(By.ID, "login").is_displayed())
        shot("1-login")
        d.find_element(By.NAME, "name").send_keys("tinh20")
        d.find_element(By.NAME, "password").send_keys("a long secret")
        d.find_element(By.CSS_SELECTOR, "#login button").click()
        try:
            wait.until(lambda d: d.find_element(By.ID, "app").is_displayed())
        except Exception:
            shot("1b-after-login")
            print(d.get_log("browser"))
            raise
        assert not d.find_element(By.ID, "login").is_displayed(), "the login form stays shown"
        year = d.find_element(By.ID, "year")
        year.clear()
        year.send_keys("2023")
        n = loads()
        d.find_element(By.CSS_SELECTOR, "#period button").click()
        settled(n, lambda d: "Lạng Sơn" in d.find_element(By.ID, "unit-name").text
                and card("occurred") == "4")
        assert card("cleared") == "2", card("cleared")
        assert card("suspects") == "3", card("suspects")
        assert card("clearance_plain") == "50,00%", card("clearance_plain")  # vi: decimal comma
        assert card("major_occurred") == "1", card("major_occurred")
        assert card("tipoffs_received") == "2", card("tipoffs_received")
        assert card("tipoffs_overdue") == "1", card("tipoffs_overdue")
        assert card("wanted_found") == "0", card("wanted_found")
        # the rate against its target as antt report states it (1 of 2: 50,00%)
        sub = d.find_element(By.CSS_SELECTOR, "[data-key=resolution_rate] .sub").text
        assert sub == "chỉ tiêu 90% · thấp hơn 40,00% so với chỉ tiêu", sub
        assert "bad" in d.find_element(By.CSS_SELECTOR, "[data-key=resolution_rate] .v") \
            .get_attribute("class")
        shot("2-overview-2023")
        overdue = d.find_element(By.ID, "overdue").text
        assert "TG-2/2023" in overdue and "TG-1/2023" not in overdue, overdue
        report = d.find_element(By.ID, "report").text
        assert "Báo cáo năm 2023 — Tỉnh Lạng Sơn (20)" in report, report
        assert "Tội phạm: xảy ra 4 vụ" in report, report
        d.execute_script("document.getElementById('report-section').scrollIntoView()")
        shot("2b-tipoffs-and-report")
        # the children in 2023 are the districts; district 180 holds the cases
        rows = d.find_elements(By.CSS_SELECTOR, "#children tbody tr")
        assert any(r.find_element(By.TAG_NAME, "td").text == "180" for r in rows), \
            [r.text for r in rows]
        # an event sent from a station changes the page, without a reload, within 2 s
        d.execute_script("window.notReloaded = true")
        t0 = time.time()
        submit(listen, ["incident", "--unit", "06040", "--case", "B9/2023", "--group",
                        "social_order", "--severity", "serious", "--occurred-at", "2023-11-11"])
        WebDriverWait(d, 2, poll_frequency=0.05).until(lambda d: card("occurred") == "5")
        took = time.time() - t0
        assert d.execute_script("return window.notReloaded === true"), "the page was reloaded"
        print("browser_test: the page showed the new event %.2f s after antt submit sent it" % took)
        shot("3-live-update")
        # drill-down: district 180, one level down
        link = [a for a in d.find_elements(By.CSS_SELECTOR, "#children tbody a") if a.text == "180"]
        n = loads()
        link[0].click()
        settled(n, lambda d: "(180)" in d.find_element(By.ID, "unit-name").text)
        assert card("occurred") == "5", card("occurred")
        shot("4-district-180")
        # and down to the commune
        link = [a for a in d.find_elements(By.CSS_SELECTOR, "#children tbody a") if a.text == "06040"]
        n = loads()
        link[0].click()
        settled(n, lambda d: "(06040)" in d.find_element(By.ID, "unit-name").text)
        assert card("occurred") == "5", card("occurred")
        assert d.find_elements(By.CSS_SELECTOR, "#children tbody tr") == [], "a commune has no children"
        shot("4a-commune-06040")
        # the way back up: the crumbs link the district and the province
        crumbs = d.find_element(By.ID, "crumbs")
        assert "Tỉnh Lạng Sơn (20)" in crumbs.text and "Huyện Tràng Định (180)" in crumbs.text, \
            crumbs.text
        n = loads()
        [a for a in crumbs.find_elements(By.TAG_NAME, "a") if "(180)" in a.text][0].click()
        settled(n, lambda d: "(180)" in d.find_element(By.ID, "unit-name").text)
        assert card("occurred") == "5", card("occurred")
        # every table has its CSV and JSON
        for table in ("children", "overdue", "due", "times", "stations"):
            links = d.find_elements(By.CSS_SELECTOR, "#%s + p.export a" % table)
            assert [a.text for a in links] == ["Tải CSV", "JSON"], (table, [a.text for a in links])
        # the CSV is the server's (format=csv), fetched with the page's session
        href = d.find_element(By.CSS_SELECTOR, "#children + p a.csv").get_attribute("href")
        assert "/api/children?" in href and href.endswith("&format=csv"), href
        csv = d.execute_async_script(
            "const done = arguments[1]; fetch(arguments[0], {credentials: 'same-origin'})"
            ".then((r) => r.text().then((b) => done(r.headers.get('Content-Type') + '|' + b)));",
            href)
        assert csv.startswith("text/csv; charset=utf-8|code,name,occurred,cleared,") and \
            "\n06040,Xã Đại Đồng,5,2," in csv, csv[:300]
        # a month: March 2023 holds one of the cases
        def period(kind, **fields):
            d.execute_script(
                "const k = document.getElementById('kind'); k.value = arguments[0];"
                "k.dispatchEvent(new Event('change'));"
                "for (const [id, v] of Object.entries(arguments[1]))"
                " document.getElementById(id).value = v;", kind, fields)
            n = loads()
            d.find_element(By.CSS_SELECTOR, "#period button").click()
            settled(n)
        period("month", year="2023", month="3")
        assert card("occurred") == "1", card("occurred")
        assert "1/3/2023 – 31/3/2023" in d.find_element(By.ID, "period-label").text
        assert d.find_element(By.ID, "report-year-only").is_displayed()
        # a custom period, both days included: February to April
        period("custom", **{"from": "2023-02-01", "to": "2023-04-30"})
        assert card("occurred") == "3", card("occurred")
        shot("4b-custom-period")
        # the unit picker offers what the viewer may open, by name
        unit = d.find_element(By.ID, "unit")
        unit.clear()
        unit.send_keys("Lạng Sơn")
        # the list is refilled as each key arrives: read it in one script, so
        # a refill between finding an option and reading it cannot go stale
        def options(d):
            return d.execute_script(
                "return [...document.querySelectorAll('#units option')].map(o => o.value)")
        wait.until(lambda d: "20" in options(d))
        offered = options(d)
        assert "all" not in offered and "04" not in offered, offered
        # overdue over time: anttd records today's (every second here); this
        # year's chart has today's point, the overdue tip-off of 2023
        d.execute_script("document.getElementById('unit').value = '20'")
        period("year", year=str(time.gmtime().tm_year))
        assert "(20)" in d.find_element(By.ID, "unit-name").text
        assert d.execute_script(
            "const c = window.Chart && Chart.getChart('overdue-trend');"
            "return c ? c.data.datasets[0].data : null;") == [1]
        assert not d.find_element(By.ID, "overdue-none").is_displayed()
        d.execute_script("document.getElementById('overdue-trend').scrollIntoView()")
        shot("4c-overdue-trend")
        d.execute_script("document.getElementById('unit').value = '180'")
        period("year", year="2023")
        assert "(180)" in d.find_element(By.ID, "unit-name").text and card("occurred") == "5"
        # English
        n = loads()
        d.find_element(By.ID, "lang").click()
        settled(n)
        label = d.find_element(By.CSS_SELECTOR, "[data-key=clearance_plain] .s").text
        assert label == "Clearance rate (plain)", label
        assert card("clearance_plain") == "40.00%", card("clearance_plain")
        sub = d.find_element(By.CSS_SELECTOR, "[data-key=resolution_rate] .sub").text
        assert sub == "target 90% · 40.00 points below the target", sub
        shot("5-english")
        # nothing went wrong in the browser so far
        errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
        # another province's data: 403 through the page's own fetch and the raw endpoint
        status = d.execute_async_script(
            "const done = arguments[0];"
            "fetch('/api/overview?unit=04&from=2023-01-01&to=2024-01-01')"
            ".then(r => done(r.status), e => done(String(e)));")
        assert status == 403, status
        cookie = d.get_cookie("antt_session")
        assert cookie and cookie.get("httpOnly"), cookie
        req = urllib.request.Request(url + "api/overview?unit=04&from=2023-01-01&to=2024-01-01",
                                     headers={"Cookie": "antt_session=" + cookie["value"]})
        try:
            urllib.request.urlopen(req, timeout=5)
            raise AssertionError("Cao Bằng's figures answered to Lạng Sơn's viewer")
        except urllib.error.HTTPError as e:
            assert e.code == 403, e.code
        # the page's weight at its first render: opened afresh (the session is
        # kept), everything drawn once
        d.get(url + "?fresh=1#20")
        wait.until(lambda d: loads() >= 1)
        weight = d.execute_script(
            "return performance.getEntriesByType('resource').concat("
            "performance.getEntriesByType('navigation'))"
            ".reduce((n, e) => n + (e.encodedBodySize || 0), 0)")
        print("browser_test: page weight %d bytes (limit 300 KB)" % weight)
        assert weight <= 300 * 1024, weight
        desk_officer(d, url, listen, shot, loads, settled, card)
    except Exception:
        # what the page looked like, and what it said, when a check failed
        shot("failed")
        print("browser_test: FAILED at %s; the page: %s" % (d.current_url, d.find_element(
            By.TAG_NAME, "body").text[:2000]))
        print("browser_test: browser log: %s" % d.get_log("browser"))
        raise
    finally:
        d.quit()


def desk_officer(d, url, listen, shot, loads, settled, card):
    """What a desk officer sees (issue 27): the page at 1366x768 and 1920x1080
    in both languages, the stations a page at a time with the silent ones
    first, the report as a document and on A4, the country's and the
    cluster's provinces ranked. Screenshots of each."""
    def show(unit, year, cmp=""):
        d.execute_script(
            "document.getElementById('unit').value = arguments[0];"
            "const k = document.getElementById('kind'); k.value = 'year';"
            "k.dispatchEvent(new Event('change'));"
            "document.getElementById('year').value = arguments[1];"
            "document.getElementById('cmp').value = arguments[2];", unit, year, cmp)
        n = loads()
        d.find_element(By.CSS_SELECTOR, "#period button").click()
        # a load started before (at login, for the unit in the address) may
        # finish first: wait for this unit's own
        settled(n, lambda d: d.execute_script("return document.body.dataset.unit") == unit)
    def layout_ok(where):
        """No sideways scrolling; each heading aligned as its column; no
        heading broken over two lines; every figure against the comparison."""
        bad = d.execute_script("""
            const out = [];
            if (document.documentElement.scrollWidth > window.innerWidth)
              out.push('page wider than the window: ' + document.documentElement.scrollWidth);
            for (const t of document.querySelectorAll('table')) {
              if (!t.offsetParent) continue;
              const ths = [...t.tHead.rows[0].cells], row = t.tBodies[0].rows[0];
              ths.forEach((th, i) => {
                if (th.getBoundingClientRect().height > 40) out.push(t.id + ': heading wraps: ' + th.textContent);
                if (row && getComputedStyle(th).textAlign !== getComputedStyle(row.cells[i]).textAlign)
                  out.push(t.id + ': heading ' + th.textContent + ' not aligned as its column');
              });
            }
            return out;""")
        assert not bad, (where, bad)
    d.get_log("browser")  # the 403s asked for above are not this part's
    # the province, 2023 against 2022, as its desk officer opens it, in Vietnamese
    d.execute_script("localStorage.setItem('antt-lang', 'vi')")
    d.get(url + "#20")
    settled(0)
    show("20", "2023", "2022")
    for k in ("occurred", "cleared", "suspects", "tipoffs_received", "traffic_accidents"):
        line = d.find_element(By.CSS_SELECTOR, "[data-key=%s] .d" % k).text
        assert "2022" in line, (k, line)
    occ = d.find_element(By.CSS_SELECTOR, "[data-key=occurred] .d").text
    assert occ == "tăng 5 so với năm 2022", occ  # the seeded 4 and the live one
    rate = d.find_element(By.CSS_SELECTOR, "[data-key=clearance_carry] .d").text
    assert rate == "", "nothing to compare a rate with in 2022: %s" % rate
    # whole ticks on the count charts, months as the language says them
    ticks = d.execute_script("return Chart.getChart('trend').scales.y.ticks.map(t => t.value)")
    assert all(float(v).is_integer() for v in ticks), ticks
    months = d.execute_script("return Chart.getChart('trend').data.labels")
    assert months[0] in ("1/2023", "tháng 1, 2023", "thg 1, 2023") or "2023" in months[0], months
    assert "-" not in months[0], months
    # nothing overdue was recorded in 2023: no empty chart, a sentence
    assert not d.find_element(By.ID, "overdue-chart").is_displayed()
    assert d.find_element(By.ID, "overdue-none").is_displayed()
    # the unit's name once: in the heading, not in the crumbs
    assert "Tỉnh Lạng Sơn" not in d.find_element(By.ID, "crumbs").text
    # stations: silent ones first, twenty at a time, sequence numbers as numbers
    rows = d.find_elements(By.CSS_SELECTOR, "#stations tbody tr")
    assert len(rows) == 20, len(rows)
    assert rows[0].find_elements(By.TAG_NAME, "td")[7].text == "mất liên lạc", rows[0].text
    assert "(06040)" in rows[0].text, rows[0].text
    more = d.find_element(By.ID, "st-more")
    assert more.text == "Xem thêm (còn 10)", more.text
    more.click()
    assert len(d.find_elements(By.CSS_SELECTOR, "#stations tbody tr")) == 30
    # a live reload keeps what the reader opened and the order chosen
    d.find_element(By.CSS_SELECTOR, "#stations thead th:nth-child(1)").click()  # node, A-Z
    d.find_element(By.CSS_SELECTOR, "#stations thead th:nth-child(1)").click()  # node, Z-A
    n = loads()
    submit(listen, ["incident", "--unit", "06040", "--case", "LIVE-2/2023", "--group",
                    "social_order", "--severity", "serious", "--occurred-at", "2023-11-10"])
    settled(n)
    nodes = d.execute_script("return [...document.querySelectorAll('#stations tbody tr')]"
                             ".map(r => r.cells[0].textContent)")
    assert len(nodes) == 30 and nodes == sorted(nodes, reverse=True), nodes
    assert card("occurred") == "6", card("occurred")
    seq = d.execute_script("return [...document.querySelectorAll('#stations tbody tr')]"
                           ".map(r => r.cells[3].textContent).filter(s => s !== '—')")
    assert seq and all(s.isdigit() for s in seq), seq
    from selenium.webdriver.support.ui import Select
    Select(d.find_element(By.ID, "st-filter")).select_by_value("attention")
    states = d.execute_script("return [...document.querySelectorAll('#stations tbody tr')]"
                              ".map(r => r.cells[7].textContent)")
    assert len(states) == 20 and set(states) == {"mất liên lạc"}, states
    Select(d.find_element(By.ID, "st-filter")).select_by_value("all")
    # the overdue table names the unit
    od = d.find_element(By.ID, "overdue").text
    assert "Xã Đại Đồng (06040)" in od, od
    # the report in the page's own face, as paragraphs
    face = d.execute_script("return getComputedStyle(document.querySelector('#report p')).fontFamily")
    assert "Be Vietnam Pro" in face, face
    assert d.execute_script("return document.fonts.check('16px \"Be Vietnam Pro\"', 'Lạng Sơn')")
    paras = d.find_elements(By.CSS_SELECTOR, "#report p")
    assert len(paras) > 8 and paras[0].get_attribute("class") == "title", len(paras)
    for lang in ("vi", "en"):
        if d.execute_script("return document.documentElement.lang") != lang:
            n = loads()
            d.find_element(By.ID, "lang").click()
            settled(n)
        for w, h in ((1366, 768), (1920, 1080)):
            d.set_window_size(w, h)
            d.execute_script("window.scrollTo(0, 0)")
            layout_ok("%s %dx%d" % (lang, w, h))
            shot("6-%s-%dx%d-top" % (lang, w, h))
            d.execute_script("document.getElementById('trend').scrollIntoView()")
            shot("6-%s-%dx%d-charts" % (lang, w, h))
            d.execute_script("document.getElementById('overdue').scrollIntoView()")
            shot("6-%s-%dx%d-tipoffs" % (lang, w, h))
            d.execute_script("document.getElementById('stations').scrollIntoView()")
            shot("6-%s-%dx%d-stations" % (lang, w, h))
    n = loads()
    d.find_element(By.ID, "lang").click()  # back to Vietnamese
    settled(n)
    # the year-end report on A4, as the office prints it to sign
    d.set_window_size(1366, 768)
    pdf = d.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69,
                                                "preferCSSPageSize": True, "printBackground": False})
    import base64
    with open(os.path.join(ARTIFACTS, "7-report-a4.pdf"), "wb") as f:
        f.write(base64.b64decode(pdf["data"]))
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    printed = d.find_element(By.CSS_SELECTOR, "#report-section .sheet").text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in printed and "CÔNG AN TỈNH LẠNG SƠN" in printed \
        and "BỘ CÔNG AN" in printed and "THỦ TRƯỞNG ĐƠN VỊ" in printed and "Lạng Sơn, ngày" in printed \
        and "Số: ……/BC" in printed and "Nơi nhận:" in printed, printed
    assert not d.find_element(By.ID, "children").is_displayed(), "only the report prints"
    d.set_window_size(794, 1123)
    shot("7-report-print")
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    # the Ministry: the country's provinces ranked on each rate; the cluster's
    d.set_window_size(1366, 768)
    n = loads()
    d.find_element(By.ID, "logout").click()
    for field, value in (("name", "bo"), ("password", "a long secret")):
        d.find_element(By.NAME, field).clear()
        d.find_element(By.NAME, field).send_keys(value)
    d.find_element(By.CSS_SELECTOR, "#login button").click()
    WebDriverWait(d, 10).until(lambda d: d.find_element(By.ID, "app").is_displayed())
    show("all", "2023")
    assert d.find_element(By.ID, "ranking-section").is_displayed()
    ranked = d.execute_script("return [...document.querySelectorAll('#ranking tbody tr')]"
                              ".map(r => [r.cells[0].textContent, r.cells[2].textContent,"
                              " r.cells[3].textContent, r.cells[4].textContent])")
    assert len(ranked) == 7, ranked
    assert ranked[0][:3] == ["20", "1", "33,33%"], ranked[0]  # 2 of 6: the only rate there is
    assert all(r[1] == "—" for r in ranked[1:]), ranked  # nothing to divide by: no rank
    heads = d.execute_script("return [...document.querySelectorAll('#ranking thead th')].map(t => t.textContent)")
    assert heads[2] == "Hạng khám phá" and heads[4] == "Hạng giải quyết", heads
    # sorted by a rank, the unranked stay below the ranked, either way
    for _ in range(2):
        d.find_element(By.CSS_SELECTOR, "#ranking thead th:nth-child(3)").click()
        first = d.execute_script("return document.querySelector('#ranking tbody tr').cells[0].textContent")
        assert first == "20", first
    assert ranked[0][3] == "1", ranked[0]  # resolution: 1 of 2 tip-offs, the only one
    layout_ok("the country")
    d.execute_script("document.getElementById('ranking-section').scrollIntoView()")
    shot("8-country-ranking")
    show("group:cluster2", "2023")
    assert d.find_element(By.ID, "ranking-section").is_displayed()
    assert len(d.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")) == 7
    d.execute_script("document.getElementById('ranking-section').scrollIntoView()")
    shot("8-cluster-ranking")
    show("20", "2023")
    assert not d.find_element(By.ID, "ranking-section").is_displayed(), "a province ranks no one"
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


if __name__ == "__main__":
    main()

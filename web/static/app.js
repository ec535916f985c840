// app.js — the console's page: log in, then a unit's figures for a period,
// its children (a link one level down), trends and stations, updated live
// from the server's event stream. Vietnamese by default, English on the
// switch; numbers in each locale's format (1.315; 23,25%). Everything comes
// from the server's JSON; the server checks every unit against the viewer's
// scope.
'use strict';

const T = {
  vi: {
    title: 'Số liệu an ninh trật tự', login: 'Đăng nhập', name: 'Tên', password: 'Mật khẩu',
    enter: 'Vào', logout: 'Thoát', unit: 'Đơn vị', year: 'Năm', statyear: 'năm thống kê (15/12–14/12)',
    compare: 'So với năm', show: 'Xem', live: '● trực tiếp', children: 'Đơn vị trực thuộc',
    csv: 'Tải CSV', trends: 'Diễn biến theo tháng', stations: 'Trạm báo cáo',
    occurred: 'Tội phạm xảy ra', cleared: 'Điều tra làm rõ', suspects: 'Đối tượng',
    clearance_carry: 'Tỷ lệ khám phá (có tính tồn)', clearance_plain: 'Tỷ lệ khám phá (trên số xảy ra)',
    major_occurred: 'Trọng án xảy ra', major_clearance_carry: 'Tỷ lệ khám phá trọng án',
    tipoffs_received: 'Tố giác, tin báo tiếp nhận', tipoffs_resolved: 'Đã giải quyết',
    resolution_rate: 'Tỷ lệ giải quyết', tipoffs_overdue: 'Quá hạn hiện tại',
    traffic_accidents: 'Tai nạn giao thông', drug_cases: 'Vụ ma túy',
    change: 'so với năm', up: 'tăng', down: 'giảm', code: 'Mã', unitname: 'Tên',
    node: 'Trạm', last: 'Tin cuối', missing: 'Thiếu', today: 'Hôm nay', state: 'Tình trạng',
    quiet: 'yên lặng', silent: 'mất liên lạc', losing: 'mất sự kiện', active: 'hoạt động',
    partial: 'Gồm cả đơn vị chỉ nhập một phần (tính toàn bộ):', wrong: 'Sai tên hoặc mật khẩu',
    throttled: 'Đăng nhập sai quá nhiều lần: chờ vài phút', target: 'chỉ tiêu 90%',
    month_occ: 'Tội phạm', month_clr: 'Làm rõ', month_cmp: 'Tội phạm năm so sánh',
    rate_month: 'Tỷ lệ giải quyết theo tháng (%)', tipoffs: 'Tố giác, tin báo',
    overdue: 'Quá hạn', due: 'Đến hạn trong 3 ngày', times: 'Thời gian giải quyết (ngày)',
    ref: 'Số', kind: 'Loại', received: 'Tiếp nhận', deadline: 'Hạn', late: 'Trễ (ngày)',
    left: 'Còn (ngày)', decided: 'Đã giải quyết', p50: 'Trung vị', p90: '90%', max: 'Lâu nhất',
    report: 'Báo cáo năm', print: 'In (A4)',
  },
  en: {
    title: 'Security and order figures', login: 'Log in', name: 'Name', password: 'Password',
    enter: 'Enter', logout: 'Log out', unit: 'Unit', year: 'Year', statyear: 'statistical year (15/12–14/12)',
    compare: 'Compare with', show: 'Show', live: '● live', children: 'Units under it',
    csv: 'Download CSV', trends: 'By month', stations: 'Stations',
    occurred: 'Crimes occurred', cleared: 'Cleared', suspects: 'Suspects',
    clearance_carry: 'Clearance rate (with carry-over)', clearance_plain: 'Clearance rate (plain)',
    major_occurred: 'Major cases', major_clearance_carry: 'Major-case clearance',
    tipoffs_received: 'Tip-offs received', tipoffs_resolved: 'Resolved',
    resolution_rate: 'Resolution rate', tipoffs_overdue: 'Overdue now',
    traffic_accidents: 'Traffic accidents', drug_cases: 'Drug cases',
    change: 'on', up: 'up', down: 'down', code: 'Code', unitname: 'Name',
    node: 'Station', last: 'Last message', missing: 'Missing', today: 'Today', state: 'State',
    quiet: 'quiet', silent: 'silent', losing: 'losing events', active: 'active',
    partial: 'Includes units merged in part (counted whole):', wrong: 'Wrong name or password',
    throttled: 'Too many failed logins: wait a few minutes', target: 'target 90%',
    month_occ: 'Crimes', month_clr: 'Cleared', month_cmp: 'Crimes, comparison year',
    rate_month: 'Tip-off resolution by month (%)', tipoffs: 'Tip-offs',
    overdue: 'Overdue', due: 'Due within 3 days', times: 'Processing time (days)',
    ref: 'Ref', kind: 'Kind', received: 'Received', deadline: 'Deadline', late: 'Late (days)',
    left: 'Left (days)', decided: 'Decided', p50: 'Median', p90: '90th pct', max: 'Longest',
    report: 'Year-end report', print: 'Print (A4)',
  },
};
const RATES = ['clearance_carry', 'clearance_plain', 'major_clearance_carry', 'resolution_rate'];
const DAYS = ['p50', 'p90', 'max'];
let lang = localStorage.getItem('antt-lang') || 'vi';
let me = null, unit = null, events = null, chart = null, rateChart = null, refresh = null;

const $ = (id) => document.getElementById(id);
const t = (k) => T[lang][k] || k;
const locale = () => (lang === 'vi' ? 'vi-VN' : 'en-GB');
const num = (v, d) => v === null || v === undefined ? '—'
  : Number(v).toLocaleString(locale(), {minimumFractionDigits: d || 0, maximumFractionDigits: d || 0});
const pct = (v) => v === null || v === undefined ? '—' : num(v, 2) + '%';
const day = (ts) => new Date(ts).toLocaleDateString(locale(), {timeZone: 'Asia/Ho_Chi_Minh'});

function translate() {
  document.documentElement.lang = lang;
  document.querySelectorAll('[data-t]').forEach((e) => { e.textContent = t(e.dataset.t); });
  $('lang').textContent = lang === 'vi' ? 'EN' : 'VI';
}

async function get(path) {
  const r = await fetch(path, {credentials: 'same-origin'});
  if (r.status === 401) { showLogin(); throw new Error('401'); }
  if (!r.ok) throw new Error((await r.json()).error || r.status);
  return r.json();
}

function period() {
  const y = Number($('year').value);
  const stat = $('statyear').checked;
  const from = stat ? `${y - 1}-12-15` : `${y}-01-01`, to = stat ? `${y}-12-15` : `${y + 1}-01-01`;
  const c = Number($('cmp').value);
  const cf = c ? (stat ? `${c - 1}-12-15` : `${c}-01-01`) : '', ct = c ? (stat ? `${c}-12-15` : `${c + 1}-01-01`) : '';
  return {from, to, cf, ct, y, c};
}

function card(key, value, sub) {
  const d = document.createElement('div');
  d.className = 'card';
  d.dataset.key = key;
  d.innerHTML = '<div class="s"></div><div class="v"></div><div class="s sub"></div>';
  d.children[0].textContent = t(key);
  d.children[1].textContent = value;
  d.children[2].textContent = sub || '';
  return d;
}

async function load() {
  const p = period();
  const q = `unit=${encodeURIComponent(unit)}&from=${p.from}&to=${p.to}`;
  const ov = await get(`/api/overview?${q}` + (p.c ? `&cfrom=${p.cf}&cto=${p.ct}` : ''));
  $('unit-name').textContent = `${ov.name || unit} (${unit})`;
  const f = ov.figures, o = $('overview');
  o.replaceChildren();
  let change = '';
  if (ov.compare) {
    const b = ov.compare.occurred, d = f.occurred - b;
    change = `${d >= 0 ? t('up') : t('down')} ${num(Math.abs(d))}` +
      (b ? ` (${num(Math.abs(d) * 100 / b, 2)}%)` : '') + ` ${t('change')} ${p.c}`;
  }
  o.append(card('occurred', num(f.occurred), change), card('cleared', num(f.cleared)),
    card('suspects', num(f.suspects)), card('clearance_carry', pct(f.clearance_carry)),
    card('clearance_plain', pct(f.clearance_plain)), card('major_occurred', num(f.major_occurred)),
    card('major_clearance_carry', pct(f.major_clearance_carry)),
    card('tipoffs_received', num(f.tipoffs_received)), card('tipoffs_resolved', num(f.tipoffs_resolved)),
    card('resolution_rate', pct(f.resolution_rate), t('target')),
    card('tipoffs_overdue', num(f.tipoffs_overdue)), card('traffic_accidents', num(f.traffic_accidents)),
    card('drug_cases', num(f.drug_cases)));
  const rr = o.querySelector('[data-key=resolution_rate] .v');
  if (f.resolution_rate !== null) rr.className = 'v ' + (f.resolution_rate >= 90 ? 'good' : 'bad');
  $('partials').textContent = ov.partial_units.length
    ? `${t('partial')} ${ov.partial_units.map((u) => `${u.code} ${u.name}`).join('; ')}` : '';
  const kids = await get(`/api/children?${q}`);
  table($('children'), ['code', 'unitname', 'occurred', 'cleared', 'clearance_carry', 'tipoffs_received',
    'resolution_rate', 'tipoffs_overdue'], kids.map((k) => [k.code, k.name, k.occurred, k.cleared,
    k.clearance_carry, k.tipoffs_received, k.resolution_rate, k.tipoffs_overdue]), (row, tr) => {
    const a = document.createElement('a');
    a.href = `#${row[0]}`;
    a.textContent = row[0];
    tr.children[0].replaceChildren(a);
    const r = tr.children[6];
    if (row[6] !== null) r.className = row[6] >= 90 ? 'good' : 'bad';
  });
  $('children-csv').href = 'data:text/csv;charset=utf-8,' + encodeURIComponent(
    'code,name,occurred,cleared,clearance_carry,tipoffs_received,resolution_rate,tipoffs_overdue\n' +
    kids.map((k) => [k.code, `"${k.name}"`, k.occurred, k.cleared, k.clearance_carry ?? '',
      k.tipoffs_received, k.resolution_rate ?? '', k.tipoffs_overdue].join(',')).join('\n'));
  $('children-csv').download = `antt-${unit}-${p.y}.csv`;
  const months = await get(`/api/months?${q}`);
  const cmpMonths = p.c ? await get(`/api/months?unit=${encodeURIComponent(unit)}&from=${p.cf}&to=${p.ct}`) : [];
  if (window.Chart) {
    if (chart) chart.destroy();
    if (rateChart) rateChart.destroy();
    const sets = [{label: t('month_occ'), data: months.map((m) => m.occurred), backgroundColor: '#a3161b'},
      {label: t('month_clr'), data: months.map((m) => m.cleared), backgroundColor: '#17692b'}];
    if (cmpMonths.length) {
      sets.push({label: `${t('month_cmp')} ${p.c}`, data: cmpMonths.map((m) => m.occurred),
        type: 'line', borderColor: '#555', backgroundColor: '#555'});
    }
    chart = new window.Chart($('trend'), {type: 'bar', data: {labels: months.map((m) => m.month), datasets: sets},
      options: {animation: false, locale: locale()}});
    rateChart = new window.Chart($('resolution'), {type: 'line', data: {labels: months.map((m) => m.month),
      datasets: [{label: t('rate_month'), borderColor: '#0b4f8a', backgroundColor: '#0b4f8a',
        data: months.map((m) => (m.received ? Math.round(m.resolved * 10000 / m.received) / 100 : null))}]},
      options: {animation: false, locale: locale(), scales: {y: {min: 0}}}});
  }
  const tip = await get(`/api/tipoffs?${q}&within=3`);
  table($('overdue'), ['unit', 'ref', 'kind', 'received', 'deadline', 'late'], tip.overdue.map((o) =>
    [o.unit, o.ref, o.kind, day(o.received_at), day(o.deadline), -o.days_left]));
  table($('due'), ['unit', 'ref', 'kind', 'received', 'deadline', 'left'], tip.due.map((o) =>
    [o.unit, o.ref, o.kind, day(o.received_at), day(o.deadline), o.days_left]));
  table($('times'), ['code', 'unitname', 'decided', 'p50', 'p90', 'max'], tip.times.map((x) =>
    [x.unit, x.name, x.decided, x.p50_days, x.p90_days, x.max_days]));
  const rq = `unit=${encodeURIComponent(unit)}&year=${p.y}${p.c ? `&cmp=${p.c}` : ''}&lang=${lang}` +
    ($('statyear').checked ? '&stat=1' : '');
  const rep = await fetch(`/api/report?${rq}`, {credentials: 'same-origin'});
  $('report').textContent = rep.ok ? await rep.text() : '';
  $('report-csv').href = `/api/report?${rq}&format=csv`;
  $('report-json').href = `/api/report?${rq}&format=json`;
  const st = await get(`/api/stations?unit=${encodeURIComponent(unit)}`);
  table($('stations'), ['node', 'unit', 'last', 'missing', 'today', 'state'], st.map((s) => [s.node, s.unit,
    s.last_message_at ? new Date(s.last_message_at).toLocaleString(locale()) : '—', s.missing,
    s.events_today, t(s.state)]), (row, tr, i) => { tr.children[5].className = 'state-' + st[i].state; });
}

function table(el, cols, rows, decorate) {
  const head = document.createElement('tr');
  cols.forEach((c, i) => {
    const th = document.createElement('th');
    th.textContent = t(c);
    th.onclick = () => sortBy(el, i);
    head.append(th);
  });
  el.tHead.replaceChildren(head);
  const body = el.tBodies[0];
  body.replaceChildren();
  rows.forEach((row, i) => {
    const tr = document.createElement('tr');
    row.forEach((v, j) => {
      const td = document.createElement('td');
      td.dataset.v = v === null || v === undefined ? '' : v;
      td.textContent = typeof v === 'number'
        ? (RATES.includes(cols[j]) ? pct(v) : num(v, DAYS.includes(cols[j]) ? 1 : 0))
        : v === null || v === undefined ? '—' : v;
      if (j === 1) td.className = 'name';
      tr.append(td);
    });
    if (decorate) decorate(row, tr, i);
    body.append(tr);
  });
}

function sortBy(el, i) {
  const rows = [...el.tBodies[0].rows];
  const dir = el.dataset.sort === String(i) ? -1 : 1;
  el.dataset.sort = dir === 1 ? String(i) : '';
  const key = (r) => { const v = r.children[i].dataset.v; return v !== '' && !isNaN(v) ? Number(v) : v; };
  rows.sort((a, b) => (key(a) > key(b) ? dir : key(a) < key(b) ? -dir : 0));
  el.tBodies[0].append(...rows);
}

function live() {
  if (events) events.close();
  events = new EventSource('/api/events');
  events.addEventListener('tally', () => {
    $('live').classList.add('on');
    clearTimeout(refresh);
    refresh = setTimeout(() => load().catch(() => {}), 300); // a burst: one reload
  });
}

function showLogin() {
  $('app').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('who').textContent = '';
  if (events) { events.close(); events = null; }
}

async function start() {
  try { me = await get('/api/me'); } catch (e) { me = null; }
  if (!me || !me.name) { me = null; showLogin(); return; }
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  $('who').textContent = me.name;
  unit = location.hash.slice(1) || me.scope || '20';
  $('unit').value = unit;
  if (!$('year').value) $('year').value = new Date().getFullYear();
  await load().catch((e) => { $('unit-name').textContent = String(e.message || e); });
  live();
}

document.addEventListener('DOMContentLoaded', () => {
  translate();
  $('lang').onclick = () => { lang = lang === 'vi' ? 'en' : 'vi'; localStorage.setItem('antt-lang', lang); translate(); if (me) load(); };
  $('login').onsubmit = async (ev) => {
    ev.preventDefault();
    const r = await fetch('/api/login', {method: 'POST', body: new URLSearchParams(new FormData($('login')))});
    $('login-error').textContent = r.ok ? '' : t(r.status === 429 ? 'throttled' : 'wrong');
    if (r.ok) { const j = await r.json(); if (!localStorage.getItem('antt-lang')) { lang = j.lang; translate(); } start(); }
  };
  $('print').onclick = () => window.print();
  $('logout').onclick = async () => { await fetch('/api/logout', {method: 'POST'}); me = null; showLogin(); };
  $('period').onsubmit = (ev) => { ev.preventDefault(); unit = $('unit').value.trim(); location.hash = unit; load().catch((e) => { $('unit-name').textContent = String(e.message || e); }); };
  window.addEventListener('hashchange', () => { if (me && location.hash.slice(1) !== unit) { unit = location.hash.slice(1); $('unit').value = unit; load().catch(() => {}); } });
  start();
});

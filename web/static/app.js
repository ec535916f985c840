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
    compare: 'So với năm', show: 'Xem', live: '● trực tiếp', stale: 'Số liệu tính đến', children: 'Đơn vị trực thuộc',
    csv: 'Tải CSV', trends: 'Diễn biến theo tháng', stations: 'Trạm báo cáo',
    occurred: 'Tội phạm xảy ra', cleared: 'Điều tra làm rõ', suspects: 'Đối tượng',
    clearance_carry: 'Tỷ lệ khám phá (có tính tồn)', clearance_plain: 'Tỷ lệ khám phá (trên số xảy ra)',
    major_occurred: 'Trọng án xảy ra', major_clearance_carry: 'Tỷ lệ khám phá trọng án',
    tipoffs_received: 'Tố giác, tin báo tiếp nhận', tipoffs_resolved: 'Đã giải quyết',
    resolution_rate: 'Tỷ lệ giải quyết', tipoffs_overdue: 'Quá hạn hiện tại',
    traffic_accidents: 'Tai nạn giao thông', drug_cases: 'Vụ ma túy',
    change: 'so với năm', up: 'tăng', down: 'giảm', code: 'Mã', unitname: 'Tên đơn vị',
    node: 'Trạm', last: 'Tin cuối', missing: 'Thiếu', today: 'Hôm nay', state: 'Tình trạng',
    seq: 'Số thứ tự cuối', connected: 'Đang kết nối', yes: 'có', no: 'không',
    quiet: 'yên lặng', silent: 'mất liên lạc', losing: 'mất sự kiện', active: 'hoạt động',
    partial: 'Gồm cả đơn vị chỉ nhập một phần (tính toàn bộ):', wrong: 'Sai tên hoặc mật khẩu',
    throttled: 'Đăng nhập sai quá nhiều lần: chờ vài phút', target: 'chỉ tiêu',
    above: (m) => `vượt ${m}% chỉ tiêu`, below: (m) => `thấp hơn ${m}% so với chỉ tiêu`,
    on_target: 'đúng chỉ tiêu', wanted_found: 'Bắt, vận động đầu thú truy nã',
    dangerous: 'đặc biệt nguy hiểm', above_n: (m) => `vượt ${m}`,
    below_n: (m) => `thấp hơn ${m} so với chỉ tiêu`, persons: 'đối tượng',
    month_occ: 'Tội phạm', month_clr: 'Làm rõ', month_cmp: 'Tội phạm năm so sánh',
    rate_month: 'Tỷ lệ giải quyết theo tháng (%)', tipoffs: 'Tố giác, tin báo',
    overdue: 'Quá hạn', due_pre: 'Đến hạn trong', due_post: 'ngày', times: 'Thời gian giải quyết (ngày)',
    month_cmp_clr: 'Làm rõ năm so sánh', figure: 'Chỉ tiêu', value: 'Số liệu',
    ref: 'Số', kind: 'Loại', received: 'Tiếp nhận', deadline: 'Hạn', late: 'Trễ (ngày)',
    left: 'Còn (ngày)', decided: 'Đã giải quyết', p50: 'Trung vị', p90: '90%', max: 'Lâu nhất',
    report: 'Báo cáo năm', print: 'In (A4)', period: 'Thời kỳ', k_year: 'Năm',
    k_stat: 'Năm thống kê (15/12–14/12)', k_month: 'Tháng', k_custom: 'Tùy chọn', month: 'Tháng',
    from: 'Từ ngày', to: 'Đến ngày', country: 'Toàn quốc', cluster: 'Cụm thi đua',
    overdue_trend: 'Tố giác, tin báo quá hạn theo ngày',
    overdue_none: 'Chưa có số quá hạn được ghi cho thời kỳ này (anttd ghi 10 phút một lần khi chạy).',
    report_year_only: 'Báo cáo năm chỉ lập cho một năm hoặc một năm thống kê.',
    report_cluster: 'Báo cáo năm lập cho từng tỉnh và toàn quốc; cụm thi đua so sánh các tỉnh ở bảng xếp hạng.',
    denunciation: 'Tố giác', information: 'Tin báo', recommendation: 'Kiến nghị khởi tố',
    ranking: 'Xếp hạng các tỉnh', rank_clearance_carry: 'Hạng khám phá', rank_resolution_rate: 'Hạng giải quyết',
    rank_major_clearance_carry: 'Hạng trọng án', report_failed: 'Không lập được báo cáo:',
    report_no: 'Số:', report_to: 'Nơi nhận:', report_to_list: ['- Như trên;', '- Lưu: VT.'], ranking_note: 'Xếp theo từng tỷ lệ (bấm tiêu đề cột để sắp xếp); cùng tỷ lệ thì cùng hạng; tỉnh không có số liệu để tính thì không xếp hạng.',
    show_stations: 'Hiển thị', st_attention: 'Cần chú ý (mất liên lạc, mất sự kiện)', st_all: 'Tất cả các trạm',
    st_count: (n, s, l) => `${n} trạm · ${s} mất liên lạc · ${l} mất sự kiện`,
    more: (n) => `Xem thêm (còn ${n})`, st_none: 'Không có trạm nào cần chú ý.',
    points: (v, y) => `${v} điểm so với năm ${y}`, count_change: (w, v, p, y) => `${w} ${v}${p} so với năm ${y}`,
    same: (y) => `bằng năm ${y}`,
    h_occurred: 'Xảy ra', h_cleared: 'Làm rõ', h_clearance_carry: 'Tỷ lệ khám phá', h_tipoffs_received: 'TG, TB nhận',
    h_resolution_rate: 'Tỷ lệ giải quyết', h_tipoffs_overdue: 'Quá hạn', h_major_clearance_carry: 'Khám phá trọng án',
    h_unit: 'Đơn vị', lh_state: 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', lh_motto: 'Độc lập - Tự do - Hạnh phúc',
    sig_maker: 'NGƯỜI LẬP BIỂU', sig_head: 'THỦ TRƯỞNG ĐƠN VỊ', ministry: 'BỘ CÔNG AN',
    sig_place: (place, d) => `${place}, ngày ${d.getDate()} tháng ${d.getMonth() + 1} năm ${d.getFullYear()}`,
  },
  en: {
    title: 'Security and order figures', login: 'Log in', name: 'Name', password: 'Password',
    enter: 'Enter', logout: 'Log out', unit: 'Unit', year: 'Year', statyear: 'statistical year (15/12–14/12)',
    compare: 'Compare with', show: 'Show', live: '● live', stale: 'Figures as of', children: 'Units under it',
    csv: 'Download CSV', trends: 'By month', stations: 'Stations',
    occurred: 'Crimes occurred', cleared: 'Cleared', suspects: 'Suspects',
    clearance_carry: 'Clearance rate (with carry-over)', clearance_plain: 'Clearance rate (plain)',
    major_occurred: 'Major cases', major_clearance_carry: 'Major-case clearance',
    tipoffs_received: 'Tip-offs received', tipoffs_resolved: 'Resolved',
    resolution_rate: 'Resolution rate', tipoffs_overdue: 'Overdue now',
    traffic_accidents: 'Traffic accidents', drug_cases: 'Drug cases',
    change: 'on', up: 'up', down: 'down', code: 'Code', unitname: 'Name',
    node: 'Station', last: 'Last message', missing: 'Missing', today: 'Today', state: 'State',
    seq: 'Last seq', connected: 'Connected', yes: 'yes', no: 'no',
    quiet: 'quiet', silent: 'silent', losing: 'losing events', active: 'active',
    partial: 'Includes units merged in part (counted whole):', wrong: 'Wrong name or password',
    throttled: 'Too many failed logins: wait a few minutes', target: 'target',
    above: (m) => `${m} points above the target`, below: (m) => `${m} points below the target`,
    on_target: 'exactly on the target', wanted_found: 'Wanted persons found',
    dangerous: 'for very serious crimes', above_n: (m) => `${m} above the target`,
    below_n: (m) => `${m} below the target`, persons: '',
    month_occ: 'Crimes', month_clr: 'Cleared', month_cmp: 'Crimes, comparison year',
    rate_month: 'Tip-off resolution by month (%)', tipoffs: 'Tip-offs',
    overdue: 'Overdue', due_pre: 'Due within', due_post: 'days', times: 'Processing time (days)',
    month_cmp_clr: 'Cleared, comparison year', figure: 'Figure', value: 'Value',
    ref: 'Ref', kind: 'Kind', received: 'Received', deadline: 'Deadline', late: 'Late (days)',
    left: 'Left (days)', decided: 'Decided', p50: 'Median', p90: '90th pct', max: 'Longest',
    report: 'Year-end report', print: 'Print (A4)', period: 'Period', k_year: 'Year',
    k_stat: 'Statistical year (15/12–14/12)', k_month: 'Month', k_custom: 'Custom', month: 'Month',
    from: 'From', to: 'To', country: 'Whole country', cluster: 'Emulation cluster',
    overdue_trend: 'Overdue tip-offs by day',
    overdue_none: 'No overdue figures recorded for this period (anttd records them every 10 minutes while it runs).',
    report_year_only: 'The year-end report is made for a year or a statistical year.',
    report_cluster: 'Year-end reports are made for each province and the country; a cluster compares its provinces in the ranking.',
    denunciation: 'Denunciation', information: 'Crime report', recommendation: 'Prosecution request',
    ranking: 'Provinces ranked', rank_clearance_carry: 'Clearance rank', rank_resolution_rate: 'Resolution rank',
    rank_major_clearance_carry: 'Major-case rank', report_failed: 'The report could not be made:',
    report_no: 'No.:', report_to: 'To:', report_to_list: ['- As above;', '- File.'], ranking_note: 'Ranked on each rate (click a heading to sort); equal rates share a rank; a province with nothing to divide by is not ranked.',
    show_stations: 'Show', st_attention: 'Needing attention (silent, losing events)', st_all: 'All stations',
    st_count: (n, s, l) => `${n} stations · ${s} silent · ${l} losing events`,
    more: (n) => `Show more (${n} left)`, st_none: 'No station needs attention.',
    points: (v, y) => `${v} points on ${y}`, count_change: (w, v, p, y) => `${w} ${v}${p} on ${y}`,
    same: (y) => `the same as ${y}`,
    h_occurred: 'Occurred', h_cleared: 'Cleared', h_clearance_carry: 'Clearance', h_tipoffs_received: 'Tip-offs',
    h_resolution_rate: 'Resolution', h_tipoffs_overdue: 'Overdue', h_major_clearance_carry: 'Major clearance',
    h_unit: 'Unit', lh_state: 'SOCIALIST REPUBLIC OF VIET NAM', lh_motto: 'Independence - Freedom - Happiness',
    sig_maker: 'PREPARED BY', sig_head: 'HEAD OF UNIT', ministry: 'MINISTRY OF PUBLIC SECURITY',
    sig_place: (place, d) => `${place}, ${d.toLocaleDateString('en-GB', {day: 'numeric', month: 'long', year: 'numeric'})}`,
  },
};
const RATES = ['clearance_carry', 'clearance_plain', 'major_clearance_carry', 'resolution_rate'];
const DAYS = ['p50', 'p90', 'max'];
let lang = localStorage.getItem('antt-lang') || 'vi';
let me = null, unit = null, events = null, chart = null, rateChart = null, odChart = null, refresh = null;

const $ = (id) => document.getElementById(id);
const t = (k) => T[lang][k] || k;
const locale = () => (lang === 'vi' ? 'vi-VN' : 'en-GB');
const num = (v, d) => v === null || v === undefined ? '—'
  : Number(v).toLocaleString(locale(), {minimumFractionDigits: d || 0, maximumFractionDigits: d || 0});
const pct = (v) => v === null || v === undefined ? '—' : num(v, 2) + '%';
const monthLabel = (m) => new Date(`${m}-15T00:00:00Z`).toLocaleDateString(locale(),
  {month: lang === 'vi' ? 'numeric' : 'short', year: 'numeric', timeZone: 'UTC'});
const PLAIN = ['seq']; // numbers that are not amounts: no thousands separator
// the tables' columns of text (left, as their headings); the rest are numbers
const TEXT_COLS = ['code', 'unitname', 'h_unit', 'ref', 'kind', 'received', 'deadline', 'node', 'last',
  'connected', 'state'];
const day = (ts) => new Date(ts).toLocaleDateString(locale(), {timeZone: 'Asia/Ho_Chi_Minh'});
const iso = (d) => d.toISOString().slice(0, 10);
const addDays = (s, n) => { const d = new Date(s + 'T00:00:00Z'); d.setUTCDate(d.getUTCDate() + n); return iso(d); };
const addYears = (s, n) => `${Number(s.slice(0, 4)) + n}${s.slice(4)}`;
const pad = (n) => String(n).padStart(2, '0');
const unitLabel = (code, name) => code === 'all' ? t('country')
  : code.startsWith('group:') ? `${t('cluster')} ${code.slice(6)}` : `${name || code} (${code})`;

function translate() {
  document.documentElement.lang = lang;
  document.querySelectorAll('[data-t]').forEach((e) => { e.textContent = t(e.dataset.t); });
  $('lang').textContent = lang === 'vi' ? 'EN' : 'VI';
}

async function get(path) {
  const r = await fetch(path, {credentials: 'same-origin'});
  if (r.status === 401) { showLogin(); throw new Error('401'); }
  if (!r.ok) throw new Error((await r.json()).error || r.status);
  // the server says when the figures trail what was acked (the fold lags)
  const asOf = r.headers.get('X-Antt-Figures-As-Of');
  $('stale').hidden = !asOf;
  if (asOf) $('stale').textContent = `${t('stale')} ${asOf}`;
  return r.json();
}

// The period asked: [from, to) for the server (to exclusive), the
// comparison period the same length one or more years earlier, and whether
// the year-end report applies (a year or a statistical year).
function period() {
  const kind = $('kind').value, y = Number($('year').value), c = Number($('cmp').value);
  let from, to;
  if (kind === 'stat') { from = `${y - 1}-12-15`; to = `${y}-12-15`; }
  else if (kind === 'month') {
    const m = Math.min(12, Math.max(1, Number($('month').value) || 1));
    from = `${y}-${pad(m)}-01`; to = m === 12 ? `${y + 1}-01-01` : `${y}-${pad(m + 1)}-01`;
  } else if (kind === 'custom') {
    from = $('from').value || `${y}-01-01`;
    to = addDays($('to').value || `${y}-12-31`, 1); // the day typed is included
  } else { from = `${y}-01-01`; to = `${y + 1}-01-01`; }
  const shift = c ? c - Number(from.slice(0, 4)) : 0;
  return {kind, from, to, y, c, cf: c ? addYears(from, shift) : '', ct: c ? addYears(to, shift) : '',
    yearly: kind === 'year' || kind === 'stat'};
}

function showPeriodFields() {
  const k = $('kind').value;
  document.querySelectorAll('.p-month').forEach((e) => { e.hidden = k !== 'month'; });
  document.querySelectorAll('.p-custom').forEach((e) => { e.hidden = k !== 'custom'; });
  document.querySelectorAll('.p-year').forEach((e) => { e.hidden = k === 'custom'; });
}

// The server's files of a question, as two links after its table: CSV
// (format=csv: ISO days, codes, empty for no value, as antt report's CSV)
// and the JSON the table was drawn from.
function exportLinks(el, url) {
  let p = el.classList.contains('export') ? el : el.nextElementSibling;
  if (!p || !p.classList.contains('export')) {
    p = document.createElement('p');
    p.className = 'export';
    el.after(p);
  }
  const a = document.createElement('a'), j = document.createElement('a');
  a.href = `${url}&format=csv`;
  a.textContent = t('csv');
  a.className = 'csv';
  j.href = `${url}&format=json`; // saved as a file: the page and its live stream stay
  j.download = '';
  j.textContent = 'JSON';
  j.className = 'json';
  p.replaceChildren(a, ' · ', j);
}

function crumbs(ov) {
  const nav = $('crumbs'), links = [];
  if (!me.scope) links.push({code: 'all'});
  if (me.scope && me.scope.startsWith('group:')) links.push({code: me.scope});
  let parents = ov.parents || [];
  const i = parents.findIndex((x) => x.code === me.scope);
  if (me.scope && !me.scope.startsWith('group:')) parents = i >= 0 ? parents.slice(i) : [];
  links.push(...parents);
  nav.replaceChildren();
  // the parents only: the heading below names the unit
  links.filter((l) => l.code !== unit).forEach((l, i) => {
    const a = document.createElement('a');
    a.href = `#${l.code}`;
    a.textContent = unitLabel(l.code, l.name);
    nav.append(...(i ? [' › ', a] : [a]));
  });
}

/* A figure against the comparison period, as a report states it: "tăng 3
 * (12,50%) so với năm 2022" for counts, "+7,22 điểm so với năm 2022" for
 * rates; green where the change is for the better (more cleared, a higher
 * rate), red where for the worse (more crimes), grey where neither. */
const BETTER_UP = ['cleared', 'suspects', 'clearance_carry', 'clearance_plain', 'major_clearance_carry',
  'tipoffs_resolved', 'resolution_rate'];
const WORSE_UP = ['occurred', 'major_occurred', 'traffic_accidents'];
const AS_OF_TODAY = ['tipoffs_overdue']; // counted today whatever the period: nothing to compare
function versus(k, now, then, year) {
  if (then === null || then === undefined || now === null || now === undefined || AS_OF_TODAY.includes(k))
    return null;
  const tone = (d) => (!d ? 'flat' : (d > 0) === BETTER_UP.includes(k) ? 'better'
    : (d > 0) === WORSE_UP.includes(k) ? 'worse' : 'flat');
  if (RATES.includes(k)) {
    const m = Math.round((now - then) * 100) / 100;
    return {text: T[lang].points((m > 0 ? '+' : m < 0 ? '−' : '±') + num(Math.abs(m), 2), year), cls: tone(m)};
  }
  const d = now - then;
  if (!d) return {text: T[lang].same(year), cls: 'flat'};
  return {text: T[lang].count_change(t(d > 0 ? 'up' : 'down'), num(Math.abs(d)),
    then ? ` (${num(Math.abs(d) * 100 / then, 2)}%)` : '', year), cls: tone(d)};
}

/* A rate against its target as antt report states it, on the rate as
 * printed (two decimals): "chỉ tiêu 90% · vượt 7,09% chỉ tiêu". */
function margin(v, target) {
  if (target === undefined || target === null) return null;
  const head = `${t('target')} ${num(target, Number.isInteger(target) ? 0 : 2)}%`;
  if (v === null || v === undefined) return {text: head, cls: ''};
  const m = Math.round((Math.round(v * 100) / 100 - target) * 100) / 100;
  const words = m > 0 ? T[lang].above(num(m, 2)) : m < 0 ? T[lang].below(num(-m, 2)) : t('on_target');
  return {text: `${head} · ${words}`, cls: m >= 0 ? 'good' : 'bad'};
}

/* A count against its target: "chỉ tiêu 400 đối tượng · vượt 50". */
function countMargin(v, target) {
  if (target === undefined || target === null) return null;
  const head = `${t('target')} ${num(target)}${t('persons') ? ' ' + t('persons') : ''}`;
  const m = v - target;
  const words = m > 0 ? T[lang].above_n(num(m)) : m < 0 ? T[lang].below_n(num(-m)) : t('on_target');
  return {text: `${head} · ${words}`, cls: m >= 0 ? 'good' : 'bad'};
}

function card(key, value, sub, vs) {
  const d = document.createElement('div');
  d.className = 'card';
  d.dataset.key = key;
  d.innerHTML = '<div class="s"></div><div class="v"></div><div class="d"></div><div class="s sub"></div>';
  d.children[0].textContent = t(key);
  d.children[1].textContent = value;
  if (vs) { d.children[2].textContent = vs.text; d.children[2].className = 'd ' + vs.cls; }
  d.children[3].textContent = sub || '';
  return d;
}

async function draw(gen) {
  // a newer load started (the reader asked again, a live reload): this one stops
  const ask = async (path) => { const r = await get(path); if (gen !== loadGen) throw STALE; return r; };
  const p = period();
  const u = encodeURIComponent(unit);
  const q = `unit=${u}&from=${p.from}&to=${p.to}`;
  const ov = await ask(`/api/overview?${q}` + (p.c ? `&cfrom=${p.cf}&cto=${p.ct}` : ''));
  $('unit-name').textContent = unitLabel(unit, ov.name);
  $('period-label').textContent = `${day(p.from + 'T12:00:00Z')} – ${day(addDays(p.to, -1) + 'T12:00:00Z')}`;
  crumbs(ov);
  const f = ov.figures, o = $('overview');
  o.replaceChildren();
  const tg = ov.targets || {};
  const against = {clearance_carry: margin(f.clearance_carry, tg.clearance),
    major_clearance_carry: margin(f.major_clearance_carry, tg.major),
    resolution_rate: margin(f.resolution_rate, tg.tipoff)};
  const sub = (k) => (against[k] ? against[k].text : '');
  // every figure against the comparison year, as a report states them
  const c = (k) => (ov.compare ? versus(k, f[k], ov.compare[k], p.c) : null);
  const fig = (k) => card(k, RATES.includes(k) ? pct(f[k]) : num(f[k]), sub(k), c(k));
  o.append(...['occurred', 'cleared', 'suspects', 'clearance_carry', 'clearance_plain', 'major_occurred',
    'major_clearance_carry', 'tipoffs_received', 'tipoffs_resolved', 'resolution_rate', 'tipoffs_overdue',
    'traffic_accidents', 'drug_cases'].map(fig));
  if (ov.wanted) { /* wanted persons found, of which dangerous; against a count target */
    const w = ov.wanted, m = countMargin(w.wanted_found, tg.wanted);
    o.append(card('wanted_found', num(w.wanted_found),
      (m ? m.text + ' · ' : '') + `${num(w.wanted_dangerous)} ${t('dangerous')}`));
    if (m) o.querySelector('[data-key=wanted_found] .v').className = 'v ' + m.cls;
  }
  for (const [k, m] of Object.entries(against))
    if (m && m.cls) o.querySelector(`[data-key=${k}] .v`).className = 'v ' + m.cls;
  exportLinks($('overview-export'), `/api/overview?${q}` + (p.c ? `&cfrom=${p.cf}&cto=${p.ct}` : ''));
  $('partials').textContent = ov.partial_units.length
    ? `${t('partial')} ${ov.partial_units.map((x) => `${x.code} ${x.name}`).join('; ')}` : '';
  const kids = await ask(`/api/children?${q}`);
  ranking(kids, unit === 'all' || unit.startsWith('group:'));
  const kidCols = ['code', 'unitname', 'h_occurred', 'h_cleared', 'h_clearance_carry', 'h_tipoffs_received',
    'h_resolution_rate', 'h_tipoffs_overdue'];
  const kidRows = kids.map((k) => [k.code, k.name, k.occurred, k.cleared, k.clearance_carry,
    k.tipoffs_received, k.resolution_rate, k.tipoffs_overdue]);
  table($('children'), kidCols, kidRows, (row, tr) => {
    const a = document.createElement('a');
    a.href = `#${row[0]}`;
    a.textContent = row[0];
    tr.children[0].replaceChildren(a);
    const r = tr.children[6];
    if (row[6] !== null) r.classList.add(row[6] >= (tg.tipoff ?? 90) ? 'good' : 'bad');
  });
  exportLinks($('children'), `/api/children?${q}`);
  const months = await ask(`/api/months?${q}`);
  const cmpMonths = p.c ? await ask(`/api/months?unit=${u}&from=${p.cf}&to=${p.ct}`) : [];
  exportLinks($('months-export'), `/api/months?${q}`);
  const od = await ask(`/api/overdue?${q}`);
  $('overdue-none').hidden = od.length > 0;
  $('overdue-chart').hidden = od.length === 0; // nothing recorded: no empty chart
  if (window.Chart) {
    [chart, rateChart, odChart].forEach((c) => c && c.destroy());
    const sets = [{label: t('month_occ'), data: months.map((m) => m.occurred), backgroundColor: '#a3161b'},
      {label: t('month_clr'), data: months.map((m) => m.cleared), backgroundColor: '#17692b'}];
    if (cmpMonths.length) {
      sets.push({label: `${t('month_cmp')} ${p.c}`, data: cmpMonths.map((m) => m.occurred),
        type: 'line', borderColor: '#555', backgroundColor: '#555'},
      // its own marks, so that it shows where it equals the cases line
      {label: `${t('month_cmp_clr')} ${p.c}`, data: cmpMonths.map((m) => m.cleared),
        type: 'line', borderColor: '#4f9a62', backgroundColor: '#4f9a62', borderDash: [6, 4],
        pointStyle: 'triangle', pointRadius: 5, borderWidth: 2});
    }
    // counts are whole: whole ticks from 0, months as each language says them
    const flat = {ticks: {maxRotation: 0, autoSkip: true}}; // month labels level, some skipped if narrow
    const counts = {x: flat, y: {beginAtZero: true, ticks: {precision: 0}}};
    const labels = months.map((m) => monthLabel(m.month));
    chart = new window.Chart($('trend'), {type: 'bar', data: {labels, datasets: sets},
      options: {animation: false, locale: locale(), scales: counts}});
    rateChart = new window.Chart($('resolution'), {type: 'line', data: {labels,
      datasets: [{label: t('rate_month'), borderColor: '#0b4f8a', backgroundColor: '#0b4f8a',
        data: months.map((m) => (m.received ? Math.round(m.resolved * 10000 / m.received) / 100 : null))}]},
      options: {animation: false, locale: locale(), scales: {x: flat, y: {min: 0, suggestedMax: 100}}}});
    odChart = new window.Chart($('overdue-trend'), {type: 'line', data: {labels: od.map((x) => day(x.day + 'T12:00:00Z')),
      datasets: [{label: t('overdue_trend'), borderColor: '#b85c00', backgroundColor: '#b85c00',
        data: od.map((x) => x.overdue), stepped: true}]},
      options: {animation: false, locale: locale(), scales: counts}});
  }
  const within = Math.min(366, Math.max(1, Number($('within').value) || 3));
  const tip = await ask(`/api/tipoffs?${q}&within=${within}`);
  const named = (code, name) => (name ? `${name} (${code})` : code);
  const odCols = ['h_unit', 'ref', 'kind', 'received', 'deadline', 'late'];
  const odRows = tip.overdue.map((x) => [named(x.unit, x.unit_name), x.ref, t(x.kind), day(x.received_at),
    day(x.deadline), -x.days_left]);
  table($('overdue'), odCols, odRows);
  exportLinks($('overdue'), `/api/tipoffs?${q}&within=${within}&part=overdue`);
  const dueCols = ['h_unit', 'ref', 'kind', 'received', 'deadline', 'left'];
  const dueRows = tip.due.map((x) => [named(x.unit, x.unit_name), x.ref, t(x.kind), day(x.received_at),
    day(x.deadline), x.days_left]);
  table($('due'), dueCols, dueRows);
  exportLinks($('due'), `/api/tipoffs?${q}&within=${within}&part=due`);
  const tCols = ['code', 'unitname', 'decided', 'p50', 'p90', 'max'];
  const tRows = tip.times.map((x) => [x.unit, x.name, x.decided, x.p50_days, x.p90_days, x.max_days]);
  table($('times'), tCols, tRows);
  exportLinks($('times'), `/api/tipoffs?${q}&within=${within}&part=times`);
  // a year-end report is a unit's or the country's; a cluster compares its
  // provinces in the ranking above
  const cluster = unit.startsWith('group:'), yearly = p.yearly && !cluster;
  $('report-year-only').hidden = p.yearly || cluster;
  $('report-cluster').hidden = !cluster;
  $('report-failed').hidden = true;
  $('report-section').querySelector('.sheet').hidden = !yearly;
  $('print').parentElement.hidden = !yearly;
  if (yearly) {
    const rq = `unit=${u}&year=${p.y}${p.c ? `&cmp=${p.c}` : ''}&lang=${lang}` + (p.kind === 'stat' ? '&stat=1' : '');
    const rep = await fetch(`/api/report?${rq}`, {credentials: 'same-origin'});
    if (gen !== loadGen) throw STALE;
    const text = rep.ok ? await rep.text() : '';
    if (gen !== loadGen) throw STALE;
    if (rep.ok) showReport(text, ov);
    else {
      $('report-section').querySelector('.sheet').hidden = true;
      $('print').parentElement.hidden = true;
      $('report-failed').hidden = false;
      $('report-failed').textContent = `${t('report_failed')} ${(await rep.json().catch(() => ({}))).error || rep.status}`;
    }
    $('report-csv').href = `/api/report?${rq}&format=csv`;
    $('report-json').href = `/api/report?${rq}&format=json`;
  }
  stations = await ask(`/api/stations?unit=${u}`);
  drawStations(); // on a live reload, as many as were shown
  exportLinks($('stations'), `/api/stations?unit=${u}`);
  document.body.dataset.unit = unit; // for tests: which unit was drawn
  document.body.dataset.loads = Number(document.body.dataset.loads || 0) + 1; // for tests: all drawn
}

/* Draw the page for the unit and period asked. Loads can overlap (a live
 * reload while the reader asks for another unit): only the newest draws. */
const STALE = new Error('superseded');
let loadGen = 0;
async function load() {
  const gen = ++loadGen;
  try {
    await draw(gen);
  } catch (e) {
    if (e !== STALE) throw e;
  }
}

/* The provinces of the country or of a cluster ranked on each rate, the
 * emulation cluster's comparison: equal rates share a rank (1, 2, 2, 4),
 * a province with nothing to divide by has none. */
const RANKED = ['clearance_carry', 'resolution_rate', 'major_clearance_carry'];
function ranking(kids, show) {
  $('ranking-section').hidden = !show;
  if (!show) return;
  const rankOf = (k) => {
    const vals = kids.map((x) => x[k]).filter((v) => v !== null && v !== undefined);
    return (v) => (v === null || v === undefined ? null : 1 + vals.filter((w) => w > v).length);
  };
  const ranks = Object.fromEntries(RANKED.map((k) => [k, rankOf(k)]));
  const cols = ['code', 'unitname'];
  RANKED.forEach((k) => cols.push('rank_' + k, 'h_' + k));
  cols.push('h_occurred', 'h_cleared', 'h_tipoffs_received');
  const rows = kids.map((x) => [x.code, x.name, ...RANKED.flatMap((k) => [ranks[k](x[k]), x[k]]),
    x.occurred, x.cleared, x.tipoffs_received]);
  rows.sort((a, b) => (a[2] ?? 1e9) - (b[2] ?? 1e9) || a[0].localeCompare(b[0]));
  table($('ranking'), cols, rows, (row, tr) => {
    const a = document.createElement('a');
    a.href = `#${row[0]}`;
    a.textContent = row[0];
    tr.children[0].replaceChildren(a);
    RANKED.forEach((k, i) => { tr.children[2 + 2 * i].classList.add('rank'); });
  });
}

/* A unit's police as its letterhead names it: "CÔNG AN TỈNH LẠNG SƠN";
 * in English "LẠNG SƠN PROVINCE POLICE". */
const LEVEL_EN = {'Tỉnh': 'province', 'Thành phố': 'city', 'Huyện': 'district', 'Quận': 'district',
  'Thị xã': 'town', 'Xã': 'commune', 'Phường': 'ward', 'Thị trấn': 'township'};
function police(name) {
  if (lang === 'vi') return `CÔNG AN ${name}`.toLocaleUpperCase('vi-VN');
  const m = /^(Thành phố|Thị trấn|Thị xã|Tỉnh|Huyện|Quận|Xã|Phường) (.+)$/.exec(name);
  return (m ? `${m[2]} ${LEVEL_EN[m[1]]} police` : `${name} police`).toLocaleUpperCase('en-GB');
}

/* The year-end report as a document: `antt report`'s lines as paragraphs
 * (an indented line is a part of the one before), with the heading and
 * the places to sign that print. */
function showReport(text, ov) {
  const doc = $('report');
  doc.replaceChildren(...text.split('\n').filter((l) => l.trim()).map((l, i) => {
    const para = document.createElement('p');
    para.textContent = l.trim();
    if (i === 0) para.className = 'title';
    else if (/^\s/.test(l)) para.className = 'sub';
    return para;
  }));
  const parents = ov.parents || [];
  const up = parents.length ? parents[parents.length - 1] : null;
  $('lh-parent').textContent = up ? police(up.name) : t('ministry');
  $('lh-no').textContent = `${t('report_no')} ……/BC`;
  $('report-to').replaceChildren(...[t('report_to'), ...T[lang].report_to_list].map((l, i) => {
    const e = document.createElement(i ? 'div' : 'b');
    e.textContent = l;
    return e;
  }));
  $('lh-unit').textContent = unit === 'all' || unit.startsWith('group:') ? '' : police(ov.name || unit);
  const province = parents.length ? parents[0].name : ov.level === 'province' ? ov.name : '';
  const place = province ? province.replace(/^(Tỉnh|Thành phố) /, '') : 'Hà Nội';
  $('sig-place').textContent = T[lang].sig_place(place, new Date());
}

/* Stations: those that lose events or went silent first, the rest by
 * name; a page at a time, and a filter for those needing attention. */
const STATION_PAGE = 20;
const STATE_ORDER = {losing: 0, silent: 1, quiet: 2, active: 3};
let stations = [], stationsShown = STATION_PAGE;
function drawStations() {
  const attention = $('st-filter').value === 'attention';
  const all = [...stations].sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.node.localeCompare(b.node));
  const list = attention ? all.filter((x) => x.state === 'losing' || x.state === 'silent') : all;
  const shown = list.slice(0, stationsShown);
  const n = (s) => stations.filter((x) => x.state === s).length;
  $('st-count').textContent = stations.length ? T[lang].st_count(num(stations.length), num(n('silent')), num(n('losing')))
    : '';
  const sCols = ['node', 'h_unit', 'last', 'seq', 'missing', 'today', 'connected', 'state'];
  const sRows = shown.map((x) => [x.node, x.unit_name ? `${x.unit_name} (${x.unit})` : x.unit,
    x.last_message_at ? new Date(x.last_message_at).toLocaleString(locale(), {timeZone: 'Asia/Ho_Chi_Minh'}) : '—',
    x.seq_max, x.missing, x.events_today, x.connected === null ? '—' : t(x.connected ? 'yes' : 'no'), t(x.state)]);
  table($('stations'), sCols, sRows, (row, tr, i) => { tr.children[7].className = 'text state-' + shown[i].state; });
  const left = list.length - shown.length;
  $('st-more').hidden = left <= 0;
  $('st-more').textContent = T[lang].more(num(left));
  if (attention && !list.length) $('st-count').textContent += ` · ${t('st_none')}`;
}

let pick = null;
function picker() { // the unit picker: codes and names inside the viewer's scope
  clearTimeout(pick);
  pick = setTimeout(async () => {
    const v = $('unit').value.trim();
    const list = await get(`/api/units?q=${encodeURIComponent(v)}`).catch(() => []);
    $('units').replaceChildren(...list.map((x) => {
      const o = document.createElement('option');
      o.value = x.code;
      o.label = unitLabel(x.code, x.name);
      return o;
    }));
  }, 200);
}

function table(el, cols, rows, decorate) {
  // a column of text is left, of numbers right, and its heading with it
  const kind = cols.map((c) => (TEXT_COLS.includes(c) ? 'text' : 'num'));
  const head = document.createElement('tr');
  cols.forEach((c, i) => {
    const th = document.createElement('th');
    th.textContent = t(c);
    th.className = kind[i];
    th.onclick = () => sortBy(el, i);
    head.append(th);
  });
  const sorted = el.dataset.sort, dir = el.dataset.dir; // a redraw keeps the reader's order
  el.tHead.replaceChildren(head);
  const body = el.tBodies[0];
  body.replaceChildren();
  rows.forEach((row, i) => {
    const tr = document.createElement('tr');
    row.forEach((v, j) => {
      const td = document.createElement('td');
      td.dataset.v = v === null || v === undefined ? '' : v;
      const c = cols[j].replace(/^h_/, '');
      td.textContent = typeof v === 'number'
        ? (RATES.includes(c) ? pct(v) : PLAIN.includes(c) ? String(v) : num(v, DAYS.includes(c) ? 1 : 0))
        : v === null || v === undefined ? '—' : v;
      td.className = kind[j] + (j === 1 && kind[j] === 'text' ? ' name' : '');
      tr.append(td);
    });
    if (decorate) decorate(row, tr, i);
    body.append(tr);
  });
  if (sorted) applySort(el, Number(sorted), Number(dir));
}

function applySort(el, i, dir) {
  el.dataset.sort = String(i);
  el.dataset.dir = String(dir);
  [...el.tHead.rows[0].cells].forEach((th, j) => { th.dataset.dir = j === i ? dir : ''; });
  // numbers as numbers; a cell with nothing in it ('—') last either way
  const key = (r) => { const v = r.children[i].dataset.v; return v === '' ? null : !isNaN(v) ? Number(v) : v; };
  const rows = [...el.tBodies[0].rows];
  rows.sort((a, b) => {
    const x = key(a), y = key(b);
    if (x === null || y === null) return (x === null) - (y === null);
    return x > y ? dir : x < y ? -dir : 0;
  });
  el.tBodies[0].append(...rows);
}

function sortBy(el, i) { // a heading clicked: that column, then the other way
  applySort(el, i, el.dataset.sort === String(i) && el.dataset.dir === '1' ? -1 : 1);
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
  unit = decodeURIComponent(location.hash.slice(1)) || me.scope || 'all';
  $('unit').value = unit;
  if (!$('year').value) $('year').value = new Date().getFullYear();
  if (!$('month').value) $('month').value = new Date().getMonth() + 1;
  picker();
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
  $('st-filter').onchange = () => { stationsShown = STATION_PAGE; drawStations(); };
  $('period').addEventListener('submit', () => { stationsShown = STATION_PAGE; }, true);
  $('st-more').onclick = () => { stationsShown += STATION_PAGE; drawStations(); };
  $('kind').onchange = showPeriodFields;
  $('within').onchange = () => load().catch(() => {});
  $('unit').oninput = picker;
  $('logout').onclick = async () => { await fetch('/api/logout', {method: 'POST'}); me = null; showLogin(); };
  $('period').onsubmit = (ev) => { ev.preventDefault(); unit = $('unit').value.trim(); location.hash = unit; load().catch((e) => { $('unit-name').textContent = String(e.message || e); }); };
  window.addEventListener('hashchange', () => {
    const h = decodeURIComponent(location.hash.slice(1));
    if (me && h && h !== unit) {
      unit = h; $('unit').value = unit; stationsShown = STATION_PAGE; load().catch(() => {});
    }
  });
  start();
});

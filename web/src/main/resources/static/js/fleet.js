// The fleet dashboard: services → deployments → hosts, each with its heap and leaked memory over
// the chosen time range, its leak rate and verdict, from GET /api/fleet. Search and time range
// live in the URL so a view can be shared. Every value is written with textContent.
import { cell, debounce, getJson, setStatus } from './api.js';
import { ago, bytes, rate, time } from './format.js';

const root = document.getElementById('fleet');
const scope = {
  service: root.dataset.service || null,
  deployment: root.dataset.deployment || null,
  host: root.dataset.host || null,
  level: root.dataset.level,
};
const els = {
  form: document.getElementById('fleet-filters'),
  search: document.getElementById('fleet-search'),
  range: document.getElementById('fleet-range'),
  custom: document.getElementById('fleet-custom'),
  from: document.getElementById('fleet-from'),
  to: document.getElementById('fleet-to'),
  rangeLabel: document.getElementById('fleet-range-label'),
  status: document.getElementById('fleet-status'),
  empty: document.getElementById('fleet-empty'),
  overview: document.getElementById('fleet-overview'),
  chart: document.getElementById('fleet-chart'),
  rowsCard: document.getElementById('fleet-rows-card'),
  table: document.getElementById('fleet-table'),
  rows: document.getElementById('fleet-rows'),
  processes: document.getElementById('fleet-processes'),
  processRows: document.getElementById('process-rows'),
  compare: document.getElementById('fleet-compare'),
};
const RANGES = ['all', '1h', '6h', '24h', '7d', '30d'];
const COLORS = ['#2f6fdb', '#c43d3d'];
const DEPTH = { fleet: 0, service: 1, deployment: 2, host: 3 };

const state = readUrl();
let request = 0;
let charts = [];
let pendingSparks = []; // [element, node] of the rows just added, drawn once the table is in place
let overviewChart = null;
let shown = null; // [from, to] of the data on screen, epoch ms

function readUrl() {
  const p = new URLSearchParams(location.search);
  const from = p.get('from') || '';
  const to = p.get('to') || '';
  const custom = from !== '' && to !== '';
  return {
    q: p.get('q') || '',
    range: custom ? 'custom' : (RANGES.includes(p.get('range')) ? p.get('range') : 'all'),
    from: custom ? from : '',
    to: custom ? to : '',
  };
}

/** The time range as query parameters: range=…, or from/to for a custom one, nothing for all. */
function rangeParams(p) {
  if (state.range === 'custom') {
    p.set('from', state.from);
    p.set('to', state.to);
  } else if (state.range !== 'all') {
    p.set('range', state.range);
  }
  return p;
}

function scopeParams(s) {
  const p = new URLSearchParams();
  if (s.service) p.set('service', s.service);
  if (s.deployment) p.set('deployment', s.deployment);
  if (s.host) p.set('host', s.host);
  return p;
}

/** A link to another scope of this page, keeping the time range (not the search). */
function scopeUrl(s) {
  const query = rangeParams(scopeParams(s)).toString();
  return query ? `/?${query}` : '/';
}

function writeUrl() {
  const p = scopeParams(scope);
  if (state.q) p.set('q', state.q);
  rangeParams(p);
  const query = p.toString();
  history.replaceState(null, '', query ? `${location.pathname}?${query}` : location.pathname);
}

function iso(ms) {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

// ---------------------------------------------------------------- loading

async function load() {
  const mine = ++request;
  writeUrl();
  setStatus(els.status, 'loading', 'Loading the fleet…');
  els.table.setAttribute('aria-busy', 'true');
  const p = rangeParams(scopeParams(scope));
  if (state.q) p.set('q', state.q);
  p.set('points', '60');
  let data;
  try {
    data = await getJson(`/api/fleet?${p}`);
  } catch (e) {
    if (mine !== request) return;
    setStatus(els.status, 'error', `Could not load the fleet: ${e.message}`);
    els.table.setAttribute('aria-busy', 'false');
    return;
  }
  if (mine !== request) return; // a newer request is on its way
  render(data);
  els.table.setAttribute('aria-busy', 'false');
}

/** The node this page is about: the fleet, or the one service / deployment / host below it. */
function scopeNode(fleet) {
  let node = fleet;
  for (let i = 0; i < DEPTH[scope.level]; i++) {
    node = node.children[0];
    if (!node) return null;
  }
  return node;
}

function render(data) {
  disposeCharts();
  els.rows.replaceChildren();
  els.processRows.replaceChildren();
  els.processes.hidden = true;
  els.compare.hidden = true;
  shown = data.from === null ? null : [data.from, data.to];
  els.rangeLabel.textContent = shown ? `${time(shown[0])} – ${time(shown[1])}` : '';
  const node = scopeNode(data.fleet);
  if (!data.anySessions) {
    showEmpty(false, 'No sessions yet — run ', './plumb demo', ' (or profile a program with ', './plumb run -- CMD', ').');
    return;
  }
  if (!node || node.sessions === 0) {
    const what = state.q ? `matching “${state.q}”` : 'here';
    showEmpty(state.range !== 'all', `No processes ${what} in this time range.`);
    return;
  }
  els.empty.hidden = true;
  els.overview.hidden = false;
  els.rowsCard.hidden = false;
  setStatus(els.status, '', summary(node, data));
  drawOverview(node);
  const levels = { fleet: state.q ? 3 : 2, service: 2, deployment: 1, host: 0 }[scope.level];
  if (scope.level === 'host') {
    els.rows.append(row(node, 0));
    renderProcesses(node.processes);
  } else {
    addRows(node.children, 0, levels);
  }
  if (node.compare) {
    els.compare.hidden = false;
    els.compare.href = compareUrl(node);
  }
  if (typeof echarts !== 'undefined') {
    for (const [el, n] of pendingSparks) charts.push(sparkline(el, n));
  }
  pendingSparks = [];
}

function summary(node, data) {
  const hosts = `${node.hosts} host${node.hosts === 1 ? '' : 's'}`;
  const processes = `${node.sessions} process${node.sessions === 1 ? '' : 'es'}`;
  const more = data.truncated ? ' (the newest shown)' : '';
  return `${processes}${more} on ${hosts}; leaking ${rate(node.leakRate)} now (${node.verdict}).`;
}

/** parts alternate text and code; offerAll adds a button that widens the range to all time. */
function showEmpty(offerAll, ...parts) {
  setStatus(els.status, '', '');
  els.overview.hidden = true;
  els.rowsCard.hidden = true;
  els.processes.hidden = true;
  els.empty.hidden = false;
  els.empty.replaceChildren();
  parts.forEach((text, i) => {
    if (i % 2 === 1) {
      const code = document.createElement('code');
      code.textContent = text;
      els.empty.append(code);
    } else {
      els.empty.append(text);
    }
  });
  if (offerAll) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Show all time';
    button.addEventListener('click', () => setRange('all'));
    els.empty.append(' ', button);
  }
}

// ---------------------------------------------------------------- rows

function addRows(nodes, depth, levels) {
  if (depth >= levels) return;
  for (const n of nodes) {
    els.rows.append(row(n, depth));
    addRows(n.children, depth + 1, levels);
  }
}

function nameOf(n) {
  return n[n.level];
}

function row(n, depth) {
  const tr = document.createElement('tr');
  tr.className = `node node-${n.level}`;
  tr.dataset.level = n.level;
  tr.dataset.name = nameOf(n);
  const name = cell(tr, '', 'name');
  name.style.paddingLeft = `${0.6 + depth * 1.4}rem`;
  const label = document.createElement('span');
  label.className = 'label';
  label.textContent = `${n.level} `;
  const link = document.createElement('a');
  link.className = 'drill';
  link.href = scopeUrl({ service: n.service, deployment: n.deployment, host: n.host });
  link.textContent = nameOf(n);
  name.append(label, link);

  const spark = document.createElement('div');
  spark.className = 'spark';
  cell(tr, '', 'spark-cell').append(spark);
  pendingSparks.push([spark, n]);

  cell(tr, bytes(n.heapBytes), 'num heap-now').title = `${n.heapBytes} bytes`;
  cell(tr, bytes(n.leakedBytes), 'num leaked-now').title = `${n.leakedBytes} bytes`;
  cell(tr, rate(n.leakRate), 'num leak-rate').title = `${n.leakRate} bytes/s, R² ${n.r2}`;
  const verdict = cell(tr, '');
  const badge = document.createElement('span');
  badge.className = `badge verdict-${n.verdict}`;
  badge.textContent = n.verdict;
  verdict.append(badge);
  cell(tr, n.running ? `${n.sessions} (${n.running} running)` : String(n.sessions), 'num');
  const last = n.lastSeen ? Date.parse(n.lastSeen) : null;
  const seen = cell(tr, n.running ? 'running' : ago(last), 'last-seen');
  if (last !== null) seen.title = time(last);

  const actions = cell(tr, '', 'actions');
  if (n.compare) {
    const a = document.createElement('a');
    a.className = 'compare-link';
    a.href = compareUrl(n);
    a.textContent = 'compare deploys';
    a.title = `${n.compare.base} → ${n.compare.target}`;
    actions.append(a);
  }
  if (n.level === 'host' && n.processes.length) {
    const a = document.createElement('a');
    a.className = 'session-link';
    a.href = `/sessions/${n.processes[0].id}`;
    a.textContent = `session ${n.processes[0].id}`;
    actions.append(a);
  }
  return tr;
}

function compareUrl(n) {
  const p = new URLSearchParams({ service: n.service, base: n.compare.base, target: n.compare.target });
  return `/compare?${p}`;
}

function renderProcesses(processes) {
  els.processes.hidden = false;
  for (const s of processes) {
    const tr = document.createElement('tr');
    const a = document.createElement('a');
    a.href = `/sessions/${s.id}`;
    a.textContent = `session ${s.id}`;
    cell(tr, '').append(a);
    cell(tr, String(s.pid), 'num');
    const exe = document.createElement('code');
    exe.textContent = s.exe;
    exe.title = s.exe;
    cell(tr, '', 'exe').append(exe);
    cell(tr, time(Date.parse(s.startedAt)));
    const state = document.createElement('span');
    state.className = `state state-${s.state}`;
    state.textContent = s.state;
    cell(tr, '').append(state);
    const verdict = cell(tr, s.verdict ? '' : '—');
    if (s.verdict) {
      const badge = document.createElement('span');
      badge.className = `badge verdict-${s.verdict}`;
      badge.textContent = s.verdict;
      verdict.append(badge);
    }
    cell(tr, s.leakRate === null ? '—' : rate(s.leakRate), 'num');
    cell(tr, ago(Date.parse(s.lastSeen))).title = s.lastSeen;
    els.processRows.append(tr);
  }
}

// ---------------------------------------------------------------- charts

function series(n, smooth) {
  return [
    { name: 'heap', type: 'line', showSymbol: false, data: n.heap, lineStyle: { width: smooth ? 1.2 : 2 } },
    { name: 'leaked', type: 'line', showSymbol: false, data: n.leaked, areaStyle: { opacity: 0.15 },
      lineStyle: { width: smooth ? 1.2 : 2 } },
  ];
}

function sparkline(el, n) {
  const chart = echarts.init(el);
  chart.setOption({
    animation: false,
    color: COLORS,
    grid: { left: 2, right: 2, top: 3, bottom: 3 },
    xAxis: { type: 'time', show: false },
    yAxis: { type: 'value', show: false, min: 0 },
    tooltip: { trigger: 'axis', confine: true, valueFormatter: (v) => bytes(v) },
    series: series(n, true),
  });
  return chart;
}

function drawOverview(n) {
  if (typeof echarts === 'undefined') {
    setStatus(els.status, 'error', 'The charting library did not load.');
    return;
  }
  overviewChart = echarts.init(els.chart);
  overviewChart.setOption({
    animation: false,
    color: COLORS,
    tooltip: { trigger: 'axis', valueFormatter: (v) => bytes(v) },
    legend: { data: ['heap', 'leaked'], top: 0 },
    grid: { left: 80, right: 24, top: 32, bottom: 70 },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', axisLabel: { formatter: (v) => bytes(v) } },
    dataZoom: [{ type: 'slider', xAxisIndex: 0, filterMode: 'none', bottom: 8, labelFormatter: (v) => time(v) }],
    series: series(n, false),
  });
  overviewChart.on('datazoom', debounce(onZoom, 400));
}

/** Zooming the overview's slider makes its window the custom time range of the whole page. */
function onZoom() {
  const dz = overviewChart.getOption().dataZoom[0];
  if (!shown || (dz.start <= 0.01 && dz.end >= 99.99)) return;
  const span = shown[1] - shown[0];
  state.range = 'custom';
  state.from = iso(Math.round(shown[0] + (span * dz.start) / 100));
  state.to = iso(Math.round(shown[0] + (span * dz.end) / 100));
  showRange();
  load();
}

function disposeCharts() {
  charts.forEach((c) => c.dispose());
  charts = [];
  if (overviewChart) overviewChart.dispose();
  overviewChart = null;
}

// ---------------------------------------------------------------- controls

function showRange() {
  els.range.value = state.range;
  els.custom.hidden = state.range !== 'custom';
  els.from.value = state.from;
  els.to.value = state.to;
}

function setRange(range) {
  state.range = range;
  if (range === 'custom') {
    // start from what is on screen, so "custom" is a small edit away
    if (!state.from && shown) state.from = iso(shown[0]);
    if (!state.to && shown) state.to = iso(shown[1]);
    showRange();
    return;
  }
  state.from = '';
  state.to = '';
  showRange();
  load();
}

els.search.value = state.q;
showRange();
els.search.addEventListener('input', debounce(() => {
  state.q = els.search.value.trim();
  load();
}, 300));
els.range.addEventListener('change', () => setRange(els.range.value));
els.form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (state.range === 'custom') {
    state.from = els.from.value.trim();
    state.to = els.to.value.trim();
    if (!state.from || !state.to) {
      setStatus(els.status, 'error', 'A custom range needs both from and to (e.g. 2024-05-01T00:00:00Z).');
      return;
    }
  }
  load();
});
window.addEventListener('resize', debounce(() => {
  charts.forEach((c) => c.resize());
  if (overviewChart) overviewChart.resize();
}, 200));
load();

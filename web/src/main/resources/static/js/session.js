// The session page: memory graph with a range slider, and the leak table grouped by
// backtrace. Everything comes from the REST API; data is written with textContent only.
import { bytes, count, parseSize, rate, time } from './format.js';

const root = document.getElementById('session');
const sessionId = root.dataset.sessionId;
const api = `/api/sessions/${encodeURIComponent(sessionId)}`;

const els = {
  memoryStatus: document.getElementById('memory-status'),
  memoryChart: document.getElementById('memory-chart'),
  form: document.getElementById('leak-filters'),
  minSize: document.getElementById('filter-min-size'),
  fn: document.getElementById('filter-function'),
  rangeLabel: document.getElementById('range-label'),
  rangeReset: document.getElementById('range-reset'),
  clear: document.getElementById('filter-clear'),
  leakStatus: document.getElementById('leak-status'),
  table: document.getElementById('leak-table'),
  rows: document.getElementById('leak-rows'),
};

// The view's state lives in the URL so a view can be shared: from/to (ISO-8601), minSize, function.
const state = readUrl();
let memoryChart = null;
let memoryExtent = null; // [first t, last t] of the memory series, epoch ms
let sparklines = [];
let leakRequest = 0;

function readUrl() {
  const p = new URLSearchParams(location.search);
  return {
    from: toMillis(p.get('from')),
    to: toMillis(p.get('to')),
    minSize: p.get('minSize') || '',
    fn: p.get('function') || '',
  };
}

function toMillis(value) {
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function writeUrl() {
  const p = new URLSearchParams();
  if (state.from !== null) p.set('from', new Date(state.from).toISOString());
  if (state.to !== null) p.set('to', new Date(state.to).toISOString());
  if (state.minSize) p.set('minSize', state.minSize);
  if (state.fn) p.set('function', state.fn);
  const query = p.toString();
  history.replaceState(null, '', query ? `${location.pathname}?${query}` : location.pathname);
}

async function getJson(url) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: 'application/json' } });
  } catch (e) {
    throw new Error(`cannot reach the server (${e.message})`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    // not JSON: fall through to the status
  }
  if (!response.ok) {
    throw new Error(body && body.error ? body.error : `HTTP ${response.status}`);
  }
  return body;
}

function setStatus(el, kind, text) {
  el.className = `status ${kind}`;
  el.textContent = text;
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// ---------------------------------------------------------------- memory graph

async function loadMemory() {
  setStatus(els.memoryStatus, 'loading', 'Loading memory usage…');
  let items;
  try {
    items = (await getJson(`${api}/memory?points=200`)).items;
  } catch (e) {
    setStatus(els.memoryStatus, 'error', `Could not load the memory graph: ${e.message}`);
    return;
  }
  if (!items.length) {
    setStatus(els.memoryStatus, '', 'No events recorded.');
    return;
  }
  memoryExtent = [items[0].t, items[items.length - 1].t];
  const peak = Math.max(...items.map((p) => p.heapBytes));
  setStatus(els.memoryStatus, '', `Peak heap ${bytes(peak)}, leaked at the end ${bytes(items[items.length - 1].leakedBytes)}.`);
  if (typeof echarts === 'undefined') {
    setStatus(els.memoryStatus, 'error', 'The charting library did not load.');
    return;
  }
  memoryChart = echarts.init(els.memoryChart);
  const zoom = { type: 'slider', xAxisIndex: 0, filterMode: 'none', bottom: 8, labelFormatter: (v) => time(v) };
  if (state.from !== null) zoom.startValue = state.from;
  if (state.to !== null) zoom.endValue = state.to;
  memoryChart.setOption({
    animation: false,
    color: ['#2f6fdb', '#c43d3d'],
    tooltip: { trigger: 'axis', valueFormatter: (v) => bytes(v) },
    legend: { data: ['heap', 'leaked'], top: 0 },
    grid: { left: 80, right: 24, top: 32, bottom: 70 },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', axisLabel: { formatter: (v) => bytes(v) } },
    dataZoom: [zoom, { type: 'inside', xAxisIndex: 0, filterMode: 'none' }],
    series: [
      { name: 'heap', type: 'line', showSymbol: false, data: items.map((p) => [p.t, p.heapBytes]) },
      { name: 'leaked', type: 'line', showSymbol: false, areaStyle: { opacity: 0.15 },
        data: items.map((p) => [p.t, p.leakedBytes]) },
    ],
  });
  memoryChart.on('datazoom', debounce(onZoom, 250));
}

function onZoom() {
  const dz = memoryChart.getOption().dataZoom[0];
  const [first, last] = memoryExtent;
  const span = last - first;
  const whole = dz.start <= 0.01 && dz.end >= 99.99;
  state.from = whole ? null : Math.round(first + (span * dz.start) / 100);
  state.to = whole ? null : Math.round(first + (span * dz.end) / 100);
  writeUrl();
  loadLeaks();
}

function resetRange() {
  state.from = null;
  state.to = null;
  if (memoryChart) memoryChart.dispatchAction({ type: 'dataZoom', start: 0, end: 100 });
  writeUrl();
  loadLeaks();
}

// ---------------------------------------------------------------- leak table

async function loadLeaks() {
  const request = ++leakRequest;
  els.rangeLabel.textContent = state.from === null && state.to === null ? 'whole session'
    : `${state.from === null ? 'start' : time(state.from)} → ${state.to === null ? 'end' : time(state.to)}`;
  const p = new URLSearchParams();
  if (state.from !== null) p.set('from', String(state.from));
  if (state.to !== null) p.set('to', String(state.to));
  if (state.minSize) p.set('minSize', state.minSize);
  if (state.fn) p.set('function', state.fn);
  p.set('limit', '100');
  setStatus(els.leakStatus, 'loading', 'Loading leaks…');
  els.table.setAttribute('aria-busy', 'true');
  let items;
  try {
    items = (await getJson(`${api}/leaks?${p}`)).items;
  } catch (e) {
    if (request !== leakRequest) return;
    els.table.setAttribute('aria-busy', 'false');
    clearLeaks();
    setStatus(els.leakStatus, 'error', `Could not load the leak table: ${e.message}`);
    return;
  }
  if (request !== leakRequest) return; // a newer request is on its way
  els.table.setAttribute('aria-busy', 'false');
  renderLeaks(items);
}

function clearLeaks() {
  sparklines.forEach((chart) => chart.dispose());
  sparklines = [];
  els.rows.replaceChildren();
}

function renderLeaks(items) {
  clearLeaks();
  if (!items.length) {
    setStatus(els.leakStatus, '', 'Nothing leaked with these filters.');
    return;
  }
  const total = items.reduce((sum, g) => sum + g.bytesLeaked, 0);
  setStatus(els.leakStatus, '',
    `${count(items.length)} backtrace${items.length === 1 ? '' : 's'}${items.length >= 100 ? ' (largest 100)' : ''}, ${bytes(total)} leaked.`);
  const charts = [];
  for (const group of items) {
    const [row, detail, spark] = leakRows(group);
    els.rows.append(row, detail);
    charts.push([spark, group.series]);
  }
  if (typeof echarts !== 'undefined') {
    for (const [el, series] of charts) sparklines.push(sparkline(el, series));
  }
}

function cell(text, className) {
  const td = document.createElement('td');
  if (className) td.className = className;
  if (text !== undefined) td.textContent = text;
  return td;
}

function leakRows(group) {
  const row = document.createElement('tr');
  row.className = 'group';

  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.className = 'toggle';
  toggle.textContent = '▸';
  toggle.setAttribute('aria-expanded', 'false');
  toggle.title = 'Show the full backtrace';
  const toggleCell = cell();
  toggleCell.append(toggle);

  const leaked = cell(bytes(group.bytesLeaked), 'num');
  leaked.title = `${count(group.bytesLeaked)} bytes`;

  const verdictCell = cell();
  const badge = document.createElement('span');
  badge.className = `badge verdict-${group.verdict}`;
  badge.textContent = group.verdict;
  badge.title = `R² ${group.r2.toFixed(3)}`;
  verdictCell.append(badge);

  const fnCell = cell(undefined, 'fn');
  const fn = document.createElement('code');
  const site = group.frames[0];
  fn.textContent = site ? site.function : '?';
  fn.title = site ? `${site.function} (${site.module})` : '';
  fnCell.append(fn);

  const sparkCell = cell();
  const spark = document.createElement('div');
  spark.className = 'spark';
  sparkCell.append(spark);

  row.append(toggleCell, leaked, cell(count(group.count), 'num'), verdictCell,
    cell(rate(group.slope), 'num'), fnCell, sparkCell);

  const detail = document.createElement('tr');
  detail.className = 'backtrace';
  detail.hidden = true;
  const detailCell = cell();
  detailCell.colSpan = 7;
  const list = document.createElement('ol');
  list.start = 0;
  for (const frame of group.frames) {
    const li = document.createElement('li');
    const name = document.createElement('code');
    name.textContent = frame.function;
    const module = document.createElement('span');
    module.className = 'module';
    module.textContent = frame.module;
    li.append(name, module);
    if (frame.file) {
      const where = document.createElement('span');
      where.className = 'where';
      where.textContent = frame.line ? `${frame.file}:${frame.line}` : frame.file;
      li.append(where);
    }
    list.append(li);
  }
  detailCell.append(list);
  detail.append(detailCell);

  toggle.addEventListener('click', () => {
    detail.hidden = !detail.hidden;
    toggle.textContent = detail.hidden ? '▸' : '▾';
    toggle.setAttribute('aria-expanded', String(!detail.hidden));
  });
  return [row, detail, spark];
}

function sparkline(el, series) {
  const chart = echarts.init(el);
  chart.setOption({
    animation: false,
    grid: { left: 2, right: 2, top: 3, bottom: 3 },
    xAxis: { type: 'time', show: false },
    yAxis: { type: 'value', show: false, min: 0 },
    tooltip: { trigger: 'axis', confine: true, valueFormatter: (v) => bytes(v),
      axisPointer: { type: 'line' } },
    series: [{ type: 'line', data: series, showSymbol: false, lineStyle: { width: 1.2, color: '#c43d3d' },
      areaStyle: { color: '#c43d3d', opacity: 0.12 } }],
  });
  return chart;
}

// ---------------------------------------------------------------- filters

function applyFilters(event) {
  event.preventDefault();
  const sizeText = els.minSize.value.trim();
  if (sizeText) {
    const size = parseSize(sizeText);
    if (size === null) {
      setStatus(els.leakStatus, 'error', `Min size "${sizeText}" is not a size: use bytes (4096) or 4 KiB, 1 MiB.`);
      return;
    }
    state.minSize = String(size);
  } else {
    state.minSize = '';
  }
  state.fn = els.fn.value;
  writeUrl();
  loadLeaks();
}

function clearFilters() {
  els.minSize.value = '';
  els.fn.value = '';
  state.minSize = '';
  state.fn = '';
  writeUrl();
  loadLeaks();
}

els.minSize.value = state.minSize;
els.fn.value = state.fn;
els.form.addEventListener('submit', applyFilters);
els.clear.addEventListener('click', clearFilters);
els.rangeReset.addEventListener('click', resetRange);
window.addEventListener('resize', debounce(() => {
  if (memoryChart) memoryChart.resize();
  sparklines.forEach((c) => c.resize());
}, 150));

loadMemory();
loadLeaks();

// The session page: memory graph with a range slider, and the leak table grouped by
// backtrace. Everything comes from the REST API; data is written with textContent only.
import { debounce, getJson, setStatus } from './api.js';
import { bytes, count, parseSize, rate, time } from './format.js';
import { createFlamegraph, warm } from './flamegraph.js';

const root = document.getElementById('session');
const sessionId = root.dataset.sessionId;
const api = `/api/sessions/${encodeURIComponent(sessionId)}`;

const els = {
  memoryStatus: document.getElementById('memory-status'),
  memoryChart: document.getElementById('memory-chart'),
  form: document.getElementById('leak-filters'),
  minSize: document.getElementById('filter-min-size'),
  maxSize: document.getElementById('filter-max-size'),
  sort: document.getElementById('filter-sort'),
  flameFilter: document.getElementById('flame-filter'),
  flameAt: document.getElementById('flame-at'),
  flameAtLabel: document.getElementById('flame-at-label'),
  flameSearch: document.getElementById('flame-search'),
  flameMatch: document.getElementById('flame-match'),
  flameReset: document.getElementById('flame-reset'),
  flameStatus: document.getElementById('flame-status'),
  flame: document.getElementById('flamegraph'),
  fn: document.getElementById('filter-function'),
  rangeLabel: document.getElementById('range-label'),
  rangeReset: document.getElementById('range-reset'),
  clear: document.getElementById('filter-clear'),
  leakStatus: document.getElementById('leak-status'),
  table: document.getElementById('leak-table'),
  rows: document.getElementById('leak-rows'),
};

// The view's state lives in the URL so a view can be shared: from/to and at (ISO-8601), minSize,
// maxSize, function, sort, the flamegraph's filter and search.
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
    maxSize: p.get('maxSize') || '',
    fn: p.get('function') || '',
    sort: ['bytes', 'count', 'growth'].includes(p.get('sort')) ? p.get('sort') : 'bytes',
    flame: ['all', 'leaked', 'temporary', 'live'].includes(p.get('flame')) ? p.get('flame') : 'all',
    at: toMillis(p.get('at')),
    search: p.get('search') || '',
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
  if (state.maxSize) p.set('maxSize', state.maxSize);
  if (state.fn) p.set('function', state.fn);
  if (state.sort !== 'bytes') p.set('sort', state.sort);
  if (state.flame !== 'all') p.set('flame', state.flame);
  if (state.at !== null) p.set('at', new Date(state.at).toISOString());
  if (state.search) p.set('search', state.search);
  const query = p.toString();
  history.replaceState(null, '', query ? `${location.pathname}?${query}` : location.pathname);
}

// ---------------------------------------------------------------- memory graph

async function loadMemory() {
  setStatus(els.memoryStatus, 'loading', 'Loading memory usage…');
  let items;
  try {
    items = (await getJson(`${api}/memory?points=200`)).items;
  } catch (e) {
    setStatus(els.memoryStatus, 'error', `Could not load the memory graph: ${e.message}`);
    loadFlamegraph();
    return;
  }
  if (!items.length) {
    setStatus(els.memoryStatus, '', 'No events recorded.');
    loadFlamegraph();
    return;
  }
  memoryExtent = [items[0].t, items[items.length - 1].t];
  const peak = Math.max(...items.map((p) => p.heapBytes));
  setStatus(els.memoryStatus, '', `Peak heap ${bytes(peak)}, leaked at the end ${bytes(items[items.length - 1].leakedBytes)}.`);
  if (typeof echarts === 'undefined') {
    setStatus(els.memoryStatus, 'error', 'The charting library did not load.');
    loadFlamegraph();
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
  // a click on the graph picks T for "live at time T"
  memoryChart.getZr().on('click', (event) => {
    const point = memoryChart.convertFromPixel({ gridIndex: 0 }, [event.offsetX, event.offsetY]);
    if (!point || !Number.isFinite(point[0])) return;
    state.at = Math.round(Math.min(Math.max(point[0], memoryExtent[0]), memoryExtent[1]));
    state.flame = 'live';
    els.flameFilter.value = 'live';
    writeUrl();
    loadFlamegraph();
  });
  loadFlamegraph();
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
  loadFlamegraph();
}

function resetRange() {
  state.from = null;
  state.to = null;
  if (memoryChart) memoryChart.dispatchAction({ type: 'dataZoom', start: 0, end: 100 });
  writeUrl();
  loadLeaks();
  loadFlamegraph();
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
  if (state.maxSize) p.set('maxSize', state.maxSize);
  if (state.fn) p.set('function', state.fn);
  p.set('sort', state.sort);
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

// ---------------------------------------------------------------- flamegraph

let flameRequest = 0;
const flamegraph = createFlamegraph(els.flame, {
  value: (n) => n.bytes,
  color: (n) => warm(n.name),
  title: (n, fraction) => `${n.name}\n${bytes(n.bytes)} (${(fraction * 100).toFixed(1)}%), ${count(n.count)} allocations`,
  onZoom: () => showMatch(),
});

async function loadFlamegraph() {
  const request = ++flameRequest;
  const p = new URLSearchParams();
  const live = state.flame === 'live';
  p.set('filter', live ? 'all' : state.flame);
  if (live) {
    const at = state.at !== null ? state.at : (state.to !== null ? state.to : memoryExtent && memoryExtent[1]);
    if (at !== null && at !== undefined) p.set('at', String(at));
    els.flameAt.textContent = at ? time(at) : 'end';
  }
  els.flameAtLabel.hidden = !live;
  if (state.from !== null) p.set('from', String(state.from));
  if (state.to !== null) p.set('to', String(state.to));
  setStatus(els.flameStatus, 'loading', 'Loading flamegraph…');
  els.flame.setAttribute('aria-busy', 'true');
  let graph;
  try {
    graph = await getJson(`${api}/flamegraph?${p}`);
  } catch (e) {
    if (request !== flameRequest) return;
    els.flame.setAttribute('aria-busy', 'false');
    setStatus(els.flameStatus, 'error', `Could not load the flamegraph: ${e.message}`);
    return;
  }
  if (request !== flameRequest) return;
  els.flame.setAttribute('aria-busy', 'false');
  setStatus(els.flameStatus, '', graph.totalBytes
    ? `${bytes(graph.totalBytes)} in ${count(graph.totalCount)} allocations.`
    : 'No allocations with these filters.');
  flamegraph.setData(graph.totalBytes ? graph.nodes : []);
  showMatch();
}

function showMatch() {
  const share = flamegraph.search(state.search);
  els.flameMatch.textContent = share === null ? '' : `matched: ${(share * 100).toFixed(1)}%`;
}

// ---------------------------------------------------------------- filters

function sizeFrom(input, label) {
  const text = input.value.trim();
  if (!text) return '';
  const size = parseSize(text);
  if (size === null) {
    setStatus(els.leakStatus, 'error', `${label} "${text}" is not a size: use bytes (4096) or 4 KiB, 1 MiB.`);
    return null;
  }
  return String(size);
}

function applyFilters(event) {
  event.preventDefault();
  const min = sizeFrom(els.minSize, 'Size from');
  const max = sizeFrom(els.maxSize, 'Size to');
  if (min === null || max === null) return;
  state.minSize = min;
  state.maxSize = max;
  state.sort = els.sort.value;
  state.fn = els.fn.value;
  writeUrl();
  loadLeaks();
}

function clearFilters() {
  els.minSize.value = '';
  els.maxSize.value = '';
  els.fn.value = '';
  els.sort.value = 'bytes';
  state.minSize = '';
  state.maxSize = '';
  state.fn = '';
  state.sort = 'bytes';
  writeUrl();
  loadLeaks();
}

els.minSize.value = state.minSize;
els.maxSize.value = state.maxSize;
els.fn.value = state.fn;
els.sort.value = state.sort;
els.flameFilter.value = state.flame;
els.flameSearch.value = state.search;
els.sort.addEventListener('change', applyFilters);
els.flameFilter.addEventListener('change', () => {
  state.flame = els.flameFilter.value;
  writeUrl();
  loadFlamegraph();
});
els.flameSearch.addEventListener('input', debounce(() => {
  state.search = els.flameSearch.value.trim();
  writeUrl();
  showMatch();
}, 200));
els.flameReset.addEventListener('click', () => flamegraph.zoom(0));
els.form.addEventListener('submit', applyFilters);
els.clear.addEventListener('click', clearFilters);
els.rangeReset.addEventListener('click', resetRange);
window.addEventListener('resize', debounce(() => {
  if (memoryChart) memoryChart.resize();
  sparklines.forEach((c) => c.resize());
}, 150));

loadMemory();
loadLeaks();

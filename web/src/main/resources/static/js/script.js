// The script console: runs the script through POST /api/script and draws one line per .add.
// Errors point at line and column, and the caret is moved there.
import { getJson, setStatus, debounce } from './api.js';
import { bytes } from './format.js';

const root = document.getElementById('script-page');
const els = {
  form: document.getElementById('script-form'),
  session: document.getElementById('script-session'),
  text: document.getElementById('script-text'),
  status: document.getElementById('script-status'),
  chart: document.getElementById('script-chart'),
};
let chart = null;

async function loadSessions() {
  const wanted = new URLSearchParams(location.search).get('session') || root.dataset.sessionId || '';
  let items = [];
  try {
    items = (await getJson('/api/sessions?limit=200')).items;
  } catch (e) {
    setStatus(els.status, 'error', `Could not list sessions: ${e.message}`);
  }
  els.session.replaceChildren();
  for (const s of items) {
    const option = document.createElement('option');
    option.value = String(s.id);
    option.textContent = `#${s.id} ${s.service} ${s.deployment} on ${s.host} (pid ${s.pid})`;
    els.session.append(option);
  }
  if (wanted && !items.some((s) => String(s.id) === wanted)) {
    const option = document.createElement('option');
    option.value = wanted;
    option.textContent = `#${wanted}`;
    els.session.prepend(option);
  }
  if (wanted) els.session.value = wanted;
  if (!els.session.value) {
    setStatus(els.status, '', 'No sessions recorded yet.');
    return;
  }
  run();
}

/** Offset in the textarea of a 1-based line and column. */
function offsetOf(text, line, column) {
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
  return Math.min(text.length, offset + column - 1);
}

async function run(event) {
  if (event) event.preventDefault();
  const session = els.session.value;
  if (!session) return;
  const p = new URLSearchParams(location.search);
  p.set('session', session);
  history.replaceState(null, '', `${location.pathname}?${p}`);
  setStatus(els.status, 'loading', 'Running…');
  els.chart.setAttribute('aria-busy', 'true');
  let result;
  try {
    result = await getJson('/api/script', { session: Number(session), script: els.text.value });
  } catch (e) {
    els.chart.setAttribute('aria-busy', 'false');
    setStatus(els.status, 'error', e.message);
    if (e.body && e.body.line) {
      const at = offsetOf(els.text.value, e.body.line, e.body.column);
      els.text.focus();
      els.text.setSelectionRange(at, at + 1);
    }
    return;
  }
  els.chart.setAttribute('aria-busy', 'false');
  draw(result.series);
}

function draw(series) {
  const last = series.map((s) => `${s.name}: ${bytes(s.points.length ? s.points[s.points.length - 1][1] : 0)}`);
  setStatus(els.status, '', `${series.length} series; at the end ${last.join(', ')}.`);
  if (typeof echarts === 'undefined') {
    setStatus(els.status, 'error', 'The charting library did not load.');
    return;
  }
  if (!chart) chart = echarts.init(els.chart);
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis', valueFormatter: (v) => bytes(v) },
    legend: { top: 0, type: 'scroll' },
    grid: { left: 80, right: 24, top: 36, bottom: 40 },
    xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', axisLabel: { formatter: (v) => bytes(v) } },
    series: series.map((s) => ({ name: s.name, type: 'line', showSymbol: false, data: s.points })),
  }, { notMerge: true });
}

els.form.addEventListener('submit', run);
els.session.addEventListener('change', () => run());
els.text.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) run(e);
});
window.addEventListener('resize', debounce(() => chart && chart.resize(), 150));
loadSessions();

// Two sessions side by side: leak-rate change, diff flamegraph, per-backtrace deltas (GET /api/compare).
import { cell, getJson, setStatus } from './api.js';
import { bytes, rate } from './format.js';
import { createFlamegraph } from './flamegraph.js';

const root = document.getElementById('compare-page');
const els = {
  form: document.getElementById('compare-form'),
  base: document.getElementById('compare-base'),
  target: document.getElementById('compare-target'),
  filter: document.getElementById('compare-filter'),
  status: document.getElementById('compare-status'),
  summary: document.getElementById('compare-summary'),
  summaryBase: document.getElementById('summary-base'),
  summaryTarget: document.getElementById('summary-target'),
  summaryChange: document.getElementById('summary-change'),
  search: document.getElementById('compare-search'),
  reset: document.getElementById('compare-reset'),
  rows: document.getElementById('delta-rows'),
};

/** Red when the target holds more, green when less; stronger with the relative change. */
function diffColor(n) {
  const total = n.base + n.target;
  if (total === 0 || n.base === n.target) return 'rgb(220,220,220)';
  const change = (n.target - n.base) / Math.max(n.base, n.target); // -1 … 1
  const strength = Math.round(200 - 120 * Math.abs(change));
  return change > 0 ? `rgb(235,${strength},${strength})` : `rgb(${strength},225,${strength})`;
}

const flamegraph = createFlamegraph(document.getElementById('diff-flamegraph'), {
  value: (n) => n.base + n.target,
  color: diffColor,
  title: (n) => `${n.name}\nbase ${bytes(n.base)} → target ${bytes(n.target)} (${signed(n.target - n.base)})`,
});

function signed(v) {
  return v > 0 ? `+${bytes(v)}` : bytes(v);
}

function side(s) {
  return `#${s.id} ${s.service} ${s.deployment} on ${s.host}: ${rate(s.leakRate)}`;
}

async function load() {
  const base = els.base.value.trim();
  const target = els.target.value.trim();
  if (!base || !target) {
    setStatus(els.status, '', 'Enter two session ids (see the fleet page) to compare them.');
    return;
  }
  const p = new URLSearchParams({ base, target, filter: els.filter.value });
  history.replaceState(null, '', `${location.pathname}?${p}`);
  setStatus(els.status, 'loading', 'Comparing…');
  let c;
  try {
    c = await getJson(`/api/compare?${p}`);
  } catch (e) {
    setStatus(els.status, 'error', `Could not compare: ${e.message}`);
    return;
  }
  setStatus(els.status, '', `${bytes(c.base.bytes)} in the base, ${bytes(c.target.bytes)} in the target (${c.filter}).`);
  els.summary.hidden = false;
  els.summaryBase.textContent = side(c.base);
  els.summaryTarget.textContent = side(c.target);
  els.summaryChange.textContent = `${c.leakRateChange > 0 ? '+' : ''}${rate(c.leakRateChange)}`;
  flamegraph.setData(c.flamegraph);
  flamegraph.search(els.search.value.trim());
  els.rows.replaceChildren();
  for (const s of c.stacks) {
    const tr = document.createElement('tr');
    const fn = cell(tr, '', 'fn');
    const code = document.createElement('code');
    const site = s.frames[0];
    code.textContent = site ? site.function : '?';
    code.title = s.frames.map((f) => (f.file ? `${f.function} ${f.file}:${f.line}` : f.function)).join('\n');
    fn.append(code);
    cell(tr, bytes(s.baseBytes), 'num');
    cell(tr, bytes(s.targetBytes), 'num');
    cell(tr, signed(s.deltaBytes), `num ${s.deltaBytes > 0 ? 'delta-up' : s.deltaBytes < 0 ? 'delta-down' : ''}`);
    cell(tr, rate(s.baseRate), 'num');
    cell(tr, rate(s.targetRate), 'num');
    els.rows.append(tr);
  }
}

const params = new URLSearchParams(location.search);
if (['leaked', 'all', 'temporary'].includes(params.get('filter'))) els.filter.value = params.get('filter');
els.base.value = root.dataset.base || '';
els.target.value = root.dataset.target || '';
els.form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
els.search.addEventListener('input', () => flamegraph.search(els.search.value.trim()));
els.reset.addEventListener('click', () => flamegraph.zoom(0));
load();

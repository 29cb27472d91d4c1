// Two sessions, or two deployments of a service, side by side: leak-rate change with its 95%
// interval, diff flamegraph, per-backtrace deltas (GET /api/compare). textContent only.
import { cell, getJson, setStatus } from './api.js';
import { bytes, rate } from './format.js';
import { createFlamegraph } from './flamegraph.js';

const root = document.getElementById('compare-page');
const els = {
  title: document.getElementById('compare-title'),
  form: document.getElementById('compare-form'),
  mode: document.getElementById('compare-mode'),
  sessionInputs: document.getElementById('session-inputs'),
  deploymentInputs: document.getElementById('deployment-inputs'),
  base: document.getElementById('compare-base'),
  target: document.getElementById('compare-target'),
  service: document.getElementById('compare-service'),
  baseDeployment: document.getElementById('compare-base-deployment'),
  targetDeployment: document.getElementById('compare-target-deployment'),
  filter: document.getElementById('compare-filter'),
  status: document.getElementById('compare-status'),
  summary: document.getElementById('compare-summary'),
  summaryPer: document.getElementById('summary-per'),
  summaryBase: document.getElementById('summary-base'),
  summaryTarget: document.getElementById('summary-target'),
  summaryChange: document.getElementById('summary-change'),
  summaryRateChange: document.getElementById('summary-rate-change'),
  verdicts: document.getElementById('verdicts'),
  search: document.getElementById('compare-search'),
  reset: document.getElementById('compare-reset'),
  table: document.getElementById('delta-table'),
  rows: document.getElementById('delta-rows'),
};

let services = []; // GET /api/services: [{service, deployments: [{deployment, …}, …newest first]}]

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

function signedRate(v) {
  return `${v > 0 ? '+' : ''}${rate(v)}`;
}

function side(s) {
  if (s.id !== null) return `#${s.id} ${s.service} ${s.deployment} on ${s.host}: ${rate(s.leakRate)}, ${s.verdict}`;
  return `${s.deployment}: ${rate(s.leakRate)} per process over ${s.sessions} process${s.sessions === 1 ? '' : 'es'}, ${s.verdict}`;
}

function interval(r) {
  return `${signedRate(r.delta)} [${rate(r.ci95[0])}, ${rate(r.ci95[1])}]`;
}

function badge(text, className) {
  const span = document.createElement('span');
  span.className = `badge ${className}`;
  span.textContent = text;
  return span;
}

// ---------------------------------------------------------------- mode and selectors

function deploymentMode() {
  return els.mode.value === 'deployments';
}

function showMode() {
  els.sessionInputs.hidden = deploymentMode();
  els.deploymentInputs.hidden = !deploymentMode();
  els.summaryPer.textContent = deploymentMode() ? 'per process: the mean over each deployment\'s newest processes' : '';
  for (const th of els.table.querySelectorAll('th.rate-col')) th.hidden = !deploymentMode();
  els.title.textContent = deploymentMode() && els.service.value
    ? `Compare deployments of ${els.service.value}` : 'Compare';
}

/** Fills a select; a chosen value that is not offered (e.g. from a link) is added, so the API can say what is wrong with it. */
function options(select, values, chosen) {
  select.replaceChildren();
  const all = chosen && !values.includes(chosen) ? [chosen, ...values] : values;
  for (const value of all) {
    const option = document.createElement('option');
    option.value = value;
    option.textContent = value;
    select.append(option);
  }
  if (chosen) select.value = chosen;
}

/** The deployments of the chosen service; by default the two newest (base = the older). */
function fillDeployments(base, target) {
  const entry = services.find((s) => s.service === els.service.value);
  const names = entry ? entry.deployments.map((d) => d.deployment) : [];
  options(els.baseDeployment, names, base || names[1] || names[0]);
  options(els.targetDeployment, names, target || names[0]);
}

async function loadServices(service, base, target) {
  try {
    services = (await getJson('/api/services')).items;
  } catch (e) {
    setStatus(els.status, 'error', `Could not list the services: ${e.message}`);
    return;
  }
  options(els.service, services.map((s) => s.service), service);
  fillDeployments(base, target);
}

// ---------------------------------------------------------------- comparing

function query() {
  if (deploymentMode()) {
    const service = els.service.value;
    const base = els.baseDeployment.value;
    const target = els.targetDeployment.value;
    if (!service || !base || !target) return null;
    return new URLSearchParams({ service, base, target, filter: els.filter.value });
  }
  const base = els.base.value.trim();
  const target = els.target.value.trim();
  if (!base || !target) return null;
  return new URLSearchParams({ base, target, filter: els.filter.value });
}

async function load() {
  showMode();
  const p = query();
  if (!p) {
    setStatus(els.status, '', deploymentMode()
      ? 'Choose a service and two of its deployments.'
      : 'Enter two session ids (see the fleet page) to compare them.');
    return;
  }
  history.replaceState(null, '', `${location.pathname}?${p}`);
  setStatus(els.status, 'loading', 'Comparing…');
  els.table.setAttribute('aria-busy', 'true');
  let c;
  try {
    c = await getJson(`/api/compare?${p}`);
  } catch (e) {
    setStatus(els.status, 'error', `Could not compare: ${e.message}`);
    els.table.setAttribute('aria-busy', 'false');
    return;
  }
  setStatus(els.status, '', `${bytes(c.base.bytes)} in the base, ${bytes(c.target.bytes)} in the target (${c.filter}${
    c.mode === 'deployments' ? ', per process' : ''}).`);
  els.summary.hidden = false;
  els.summaryBase.textContent = side(c.base);
  els.summaryTarget.textContent = side(c.target);
  els.summaryChange.textContent = signedRate(c.leakRateChange);
  els.summaryRateChange.replaceChildren(interval(c.rateChange), ' ',
    badge(c.rateChange.change, `change-${c.rateChange.change}`));
  els.verdicts.textContent = '';
  if (c.mode === 'deployments') showHostVerdicts(c);
  flamegraph.setData(c.flamegraph);
  flamegraph.search(els.search.value.trim());
  renderStacks(c);
  els.table.setAttribute('aria-busy', 'false');
}

function renderStacks(c) {
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
    if (c.mode === 'deployments') {
      cell(tr, s.rate ? interval(s.rate) : '—', 'num rate-change');
      const change = cell(tr, '');
      if (s.rate) change.append(badge(s.rate.change, `change-${s.rate.change}`));
    }
    els.rows.append(tr);
  }
}

/** Each deployment's verdict over its hosts, naming hosts that behave unlike the rest. */
async function showHostVerdicts(c) {
  const api = `/api/services/${encodeURIComponent(c.base.service)}/deployments`;
  const texts = await Promise.all([c.base, c.target].map(async (s) => {
    try {
      const v = await getJson(`${api}/${encodeURIComponent(s.deployment)}/verdict`);
      const odd = v.hosts.filter((h) => h.deviates).map((h) => h.host);
      return `${s.deployment}: ${v.verdict} on ${v.hosts.length} host(s)${odd.length ? `; deviating: ${odd.join(', ')}` : ''}`;
    } catch (e) {
      return `${s.deployment}: ${e.message}`;
    }
  }));
  els.verdicts.textContent = texts.join(' · ');
}

// ---------------------------------------------------------------- start

const params = new URLSearchParams(location.search);
if (['leaked', 'all', 'temporary'].includes(params.get('filter'))) els.filter.value = params.get('filter');
const service = root.dataset.service || '';
els.mode.value = service ? 'deployments' : 'sessions';
if (!service) {
  els.base.value = root.dataset.base || '';
  els.target.value = root.dataset.target || '';
}
els.form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
els.mode.addEventListener('change', async () => {
  if (deploymentMode() && !services.length) await loadServices('', '', '');
  showMode();
});
els.service.addEventListener('change', () => { fillDeployments('', ''); showMode(); });
els.search.addEventListener('input', () => flamegraph.search(els.search.value.trim()));
els.reset.addEventListener('click', () => flamegraph.zoom(0));
if (service) {
  loadServices(service, root.dataset.base || '', root.dataset.target || '').then(load);
} else {
  load();
}

// Deploy comparison: per-backtrace leak rates in two deployments from
// /api/services/{service}/compare, and both deployments' verdicts. textContent only.
import { cell, here } from './api.js';
import { rate } from './format.js';

const root = document.getElementById('deploy-compare');
const service = root.dataset.service;
const form = document.getElementById('compare-form');
const status = document.getElementById('compare-status');
const verdicts = document.getElementById('verdicts');
const rows = document.getElementById('compare-rows');
const api = `/api/services/${encodeURIComponent(service)}`;

async function json(path) {
  const response = await fetch(here(path));
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

async function verdictText(deployment) {
  try {
    const v = await json(`${api}/deployments/${encodeURIComponent(deployment)}/verdict`);
    const odd = v.hosts.filter((h) => h.deviates).map((h) => h.host);
    return `${deployment}: ${v.verdict}, ${rate(v.slope)} per host over ${v.hosts.length} host(s)`
      + (odd.length ? `; deviating: ${odd.join(', ')}` : '');
  } catch (e) {
    return `${deployment}: ${e.message}`;
  }
}

async function load(base, target) {
  if (!base || !target) return;
  status.textContent = 'Loading…';
  status.classList.remove('error');
  verdicts.textContent = (await Promise.all([verdictText(base), verdictText(target)])).join(' · ');
  try {
    const { items } = await json(`${api}/compare?base=${encodeURIComponent(base)}&target=${encodeURIComponent(target)}`);
    rows.replaceChildren();
    for (const r of items) {
      const tr = document.createElement('tr');
      const fn = cell(tr, '', 'fn');
      const code = document.createElement('code');
      code.textContent = r.frames.slice(0, 4).map((f) => f.function).join(' ← ');
      fn.appendChild(code);
      cell(tr, `${rate(r.baseSlope)} (${r.baseSessions})`, 'num');
      cell(tr, `${rate(r.targetSlope)} (${r.targetSessions})`, 'num');
      cell(tr, `${rate(r.delta)} [${rate(r.ci95[0])}, ${rate(r.ci95[1])}]`, 'num');
      const verdict = cell(tr, '');
      const badge = document.createElement('span');
      badge.className = `badge change-${r.change}`;
      badge.textContent = r.change;
      verdict.appendChild(badge);
      rows.appendChild(tr);
    }
    status.textContent = items.length ? '' : 'Neither deployment has leaked allocations.';
  } catch (e) {
    status.textContent = `Could not compare: ${e.message}`;
    status.classList.add('error');
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const base = form.elements.base.value.trim();
  const target = form.elements.target.value.trim();
  const url = new URL(window.location.href);
  url.searchParams.set('base', base);
  url.searchParams.set('target', target);
  window.history.replaceState(null, '', url);
  load(base, target);
});

load(form.elements.base.value.trim(), form.elements.target.value.trim());

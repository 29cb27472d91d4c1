// The alerts page: active alerts and the rules, all through /api/alerts. Every value from the
// API is written with textContent, never as HTML.
import { here } from './api.js';
import { rate, time } from './format.js';

const els = {
  alertStatus: document.getElementById('alerts-status'),
  alertRows: document.getElementById('alert-rows'),
  ruleStatus: document.getElementById('rules-status'),
  ruleRows: document.getElementById('rule-rows'),
  form: document.getElementById('rule-form'),
  formTitle: document.getElementById('rule-form-title'),
  cancel: document.getElementById('rule-cancel'),
};
const NUMBER_FIELDS = ['minSlopeBytesPerSecond', 'minR2', 'memoryLimitBytes', 'maxTimeToLimitSeconds', 'forSeconds'];
const TEXT_FIELDS = ['name', 'service', 'deployment', 'host'];

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined || text === '' ? '—' : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function say(el, text, isError) {
  el.textContent = text;
  el.classList.toggle('error', Boolean(isError));
}

async function api(method, path, body) {
  const response = await fetch(here(path), {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.status === 204) return null;
  const json = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(json.error || `HTTP ${response.status}`);
  return json;
}

async function loadAlerts() {
  try {
    const { items } = await api('GET', '/api/alerts');
    els.alertRows.replaceChildren();
    for (const a of items) {
      const tr = document.createElement('tr');
      const status = cell(tr, '');
      const badge = document.createElement('span');
      badge.className = `badge status-${a.status}`;
      badge.textContent = a.status;
      status.replaceChildren(badge);
      cell(tr, a.labels.service);
      cell(tr, a.labels.deployment);
      cell(tr, a.labels.host);
      cell(tr, a.labels.rule);
      cell(tr, rate(Number(a.annotations.slope_bytes_per_second)), 'num');
      cell(tr, a.annotations.r2, 'num');
      cell(tr, time(Date.parse(a.startsAt || a.pendingSince)));
      const evidence = cell(tr, '');
      const pre = document.createElement('pre');
      pre.className = 'evidence';
      pre.textContent = a.annotations.top_backtraces || '';
      evidence.replaceChildren(pre);
      const link = cell(tr, '');
      if (a.annotations.view_url) {
        const anchor = document.createElement('a');
        anchor.href = new URL(a.annotations.view_url, window.location.href).pathname;
        anchor.textContent = 'view';
        link.replaceChildren(anchor);
      }
      els.alertRows.appendChild(tr);
    }
    say(els.alertStatus, items.length ? '' : 'No alerts pending or firing.');
  } catch (e) {
    say(els.alertStatus, `Could not load alerts: ${e.message}`, true);
  }
}

async function loadRules() {
  try {
    const { items } = await api('GET', '/api/alerts/rules');
    els.ruleRows.replaceChildren();
    for (const r of items) {
      const tr = document.createElement('tr');
      const name = cell(tr, r.name);
      if (r.builtIn) {
        const badge = document.createElement('span');
        badge.className = 'badge';
        badge.textContent = 'built-in';
        name.append(' ', badge);
      }
      cell(tr, r.service || 'any');
      cell(tr, r.deployment || 'any');
      cell(tr, r.host || 'any');
      cell(tr, r.minSlopeBytesPerSecond, 'num');
      cell(tr, r.minR2, 'num');
      cell(tr, r.memoryLimitBytes, 'num');
      cell(tr, r.maxTimeToLimitSeconds, 'num');
      cell(tr, r.forSeconds, 'num');
      cell(tr, r.enabled ? 'yes' : 'no');
      const actions = cell(tr, r.builtIn ? 'set by plumb.alerts.default-rule.*' : '');
      if (!r.builtIn) {
        const edit = document.createElement('button');
        edit.type = 'button';
        edit.textContent = 'Edit';
        edit.addEventListener('click', () => fillForm(r));
        const del = document.createElement('button');
        del.type = 'button';
        del.textContent = 'Delete';
        del.addEventListener('click', () => removeRule(r));
        actions.replaceChildren(edit, ' ', del);
      }
      els.ruleRows.appendChild(tr);
    }
    say(els.ruleStatus, '');
  } catch (e) {
    say(els.ruleStatus, `Could not load rules: ${e.message}`, true);
  }
}

function fillForm(rule) {
  const f = els.form.elements;
  f.id.value = rule ? rule.id : '';
  for (const name of [...TEXT_FIELDS, ...NUMBER_FIELDS]) {
    f[name].value = rule && rule[name] !== null && rule[name] !== undefined ? rule[name] : '';
  }
  f.enabled.checked = rule ? rule.enabled : true;
  els.formTitle.textContent = rule ? `Edit rule ${rule.id}` : 'New rule';
}

function formBody() {
  const f = els.form.elements;
  const body = { enabled: f.enabled.checked };
  for (const name of TEXT_FIELDS) body[name] = f[name].value.trim() || null;
  for (const name of NUMBER_FIELDS) body[name] = f[name].value === '' ? null : Number(f[name].value);
  return body;
}

async function removeRule(rule) {
  if (!window.confirm(`Delete rule "${rule.name}"?`)) return;
  try {
    await api('DELETE', `/api/alerts/rules/${encodeURIComponent(rule.id)}`);
    await loadRules();
  } catch (e) {
    say(els.ruleStatus, `Could not delete: ${e.message}`, true);
  }
}

els.form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const id = els.form.elements.id.value;
  try {
    if (id) {
      await api('PUT', `/api/alerts/rules/${encodeURIComponent(id)}`, formBody());
    } else {
      await api('POST', '/api/alerts/rules', formBody());
    }
    fillForm(null);
    say(els.ruleStatus, 'Saved.');
    await loadRules();
  } catch (e) {
    say(els.ruleStatus, `Not saved: ${e.message}`, true);
  }
});
els.cancel.addEventListener('click', () => fillForm(null));

loadRules();
loadAlerts();
setInterval(loadAlerts, 15000);

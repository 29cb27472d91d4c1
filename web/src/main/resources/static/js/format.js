// Human formatting shared by the pages (Humanize.java does the same on the server).
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB". */
export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '—';
  let v = Math.abs(Number(n));
  let unit = 0;
  while (v >= 1024 && unit < UNITS.length - 1) { v /= 1024; unit++; }
  const sign = Number(n) < 0 ? '-' : '';
  if (unit === 0) return `${sign}${Math.round(v)} B`;
  return `${sign}${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[unit]}`;
}

/** bytes per second → "1.2 KiB/s". */
export function rate(bytesPerSecond) {
  if (!Number.isFinite(bytesPerSecond)) return '—';
  if (Math.abs(bytesPerSecond) < 0.05) return '0 B/s';
  if (Math.abs(bytesPerSecond) < 10) return `${bytesPerSecond.toFixed(1)} B/s`;
  return `${bytes(bytesPerSecond)}/s`;
}

/** 1234567 → "1,234,567". */
export function count(n) {
  return Number(n).toLocaleString('en-US');
}

/** epoch ms → "2024-05-01 12:00:00 UTC". */
export function time(ms) {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** "4096", "4k", "4 KiB", "1.5MB" → bytes (1024-based); null when it is not a size. */
export function parseSize(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) return null;
  const power = { '': 0, k: 1, m: 2, g: 3, t: 4 }[m[2].toLowerCase()];
  return Math.round(Number(m[1]) * 1024 ** power);
}

/** 95000 → "1 min 35 s", 3725000 → "1 h 2 min" (as Humanize.duration on the server). */
export function duration(ms) {
  const v = Math.max(0, Math.round(ms));
  if (v < 1000) return `${v} ms`;
  const s = Math.floor(v / 1000);
  if (s < 60) return `${(v / 1000).toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** epoch ms → "3 min 5 s ago" within a week, else the UTC time. */
export function ago(ms, now = Date.now()) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  const d = now - ms;
  if (d < 0 || d > 7 * 86400000) return time(ms);
  if (d < 5000) return 'just now';
  return `${duration(d).replace(/ \d+ (s|min)$/, '')} ago`;
}

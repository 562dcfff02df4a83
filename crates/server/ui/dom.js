// The dashboard's DOM helpers and formatting. Every text from the server goes in as text: el() turns
// strings into text nodes and callers set textContent, never HTML.

export const JOB_STATES = ['Open', 'UploadComplete', 'InProgress', 'JobComplete', 'Failed', 'Aborted'];
export const FINAL_STATES = new Set(['JobComplete', 'Failed', 'Aborted']);

export const $ = (id) => document.getElementById(id);

/** An element with properties and children; strings become text nodes, never markup. */
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'testid') node.dataset.testid = value;
    else if (key === 'data') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function show(node, visible) {
  node.hidden = !visible;
}

/** "2026-12-04T16:40:54.123Z" -> "2026-12-04 16:40:54" (UTC), the full text in the title. */
export function timeText(value) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

export function timeCell(value) {
  return el('time', { datetime: value || undefined, title: value || undefined }, timeText(value));
}

export function count(value) {
  return typeof value === 'number' ? value.toLocaleString('en-US') : value == null ? '' : String(value);
}

export function duration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60000);
  return `${minutes} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function plural(n, noun) {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
}

export function bytes(value) {
  if (typeof value !== 'number') return '';
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KB`;
  return `${(value / 1024 / 1024).toFixed(1)} MB`;
}

export function stateBadge(state, held) {
  return el('span', { class: 'state-cell' },
    el('span', { class: `badge state-${state}`, testid: 'job-state' }, state),
    held ? el('span', { class: 'badge held', testid: 'job-held', title: 'Held: the job waits for a release' }, 'held') : null);
}

// ---------------------------------------------------------------------------------------------------
// Messages

export function flash(message, kind) {
  const box = $('flash');
  box.textContent = message;
  box.className = `flash ${kind || 'error'}`;
  show(box, Boolean(message));
}

export function say(id, message, kind) {
  const node = $(id);
  node.textContent = message || '';
  node.className = kind === 'error' ? 'error-text' : kind === 'ok' ? 'ok-text' : 'muted';
}

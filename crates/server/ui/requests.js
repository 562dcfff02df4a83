// The request log: the latest requests newest first, the dashboard's own calls hidden unless asked for.
import { $, bytes, count, el, timeCell } from './dom.js';
import { getJson, run } from './api.js';

export const requestsView = {
  wire,
  async refresh(force) {
    if (!force && !$('requests-live').checked) return;
    const limit = $('requests-limit').value;
    const { requests, capacity } = await getJson(`/_bulkforce/requests?limit=${encodeURIComponent(limit)}`);
    const hide = $('requests-hide-control').checked;
    const shown = hide ? requests.filter((r) => !String(r.path).startsWith('/_bulkforce/')) : requests;
    $('requests-body').replaceChildren(...shown.map((r) => el('tr', { testid: 'request-row' },
      el('td', {}, timeCell(r.time)),
      el('td', {}, r.method),
      el('td', { class: 'mono path' }, r.path),
      el('td', { class: r.status >= 400 ? 'num error-text' : 'num' }, r.status),
      el('td', { class: 'num' }, typeof r.milliseconds === 'number' ? r.milliseconds.toFixed(1) : ''),
      el('td', { class: 'mono' }, r.org || ''),
      el('td', { class: 'mono' }, r.jobId ? el('a', { href: `#/jobs/${encodeURIComponent(r.jobId)}` }, r.jobId) : ''),
      el('td', { class: 'num' }, bytes(r.bytesIn)),
      el('td', { class: 'num' }, bytes(r.bytesOut)))));
    const hidden = requests.length - shown.length;
    $('requests-status').textContent =
      `${shown.length} shown${hidden ? `, ${hidden} dashboard calls hidden` : ''} · the server keeps the last ${count(capacity)}`;
  },
};

function wire() {
  for (const id of ['requests-limit', 'requests-hide-control', 'requests-live']) {
    $(id).addEventListener('change', () => run(() => requestsView.refresh(true)));
  }
  $('requests-options').addEventListener('submit', (event) => event.preventDefault());
}

// ---------------------------------------------------------------------------------------------------

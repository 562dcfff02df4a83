// The orgs view, and the org choices of the jobs filter.
import { $, count, el, flash, plural } from './dom.js';
import { confirmButton, getJson, send } from './api.js';
import { showJobsOf } from './jobs.js';

const REREAD_EVERY = 5; // polls between two reads of the orgs while the view is open

export async function loadOrgs() {
  const { orgs } = await getJson('/_bulkforce/orgs');
  const select = $('filter-org');
  const chosen = select.value;
  select.replaceChildren(el('option', { value: '' }, 'any'),
    ...orgs.map((org) => el('option', { value: org.id }, `${org.name || org.id}${org.isDefault ? ' (default)' : ''}`)));
  select.value = chosen;
  return orgs;
}

let app = null; // the page: polls()

export const orgsView = {
  wire(context) {
    app = context;
  },
  // Orgs do not change by the second: read when the view opens and on every few polls.
  async refresh(force) {
    if (!force && app.polls() % REREAD_EVERY !== 0) return;
    const orgs = await loadOrgs();
    $('orgs-body').replaceChildren(...orgs.map((org) => el('tr', { testid: 'org-row', data: { orgId: org.id } },
      el('td', { class: 'mono' }, org.id),
      el('td', {}, org.name || '', org.isDefault ? el('span', { class: 'badge default' }, 'default') : null),
      el('td', { class: 'num' }, count(org.users)),
      el('td', { class: 'actions' },
        el('a', {
          href: '#/jobs', class: 'small',
          onclick: () => showJobsOf(org.id),
        }, 'Jobs'),
        ' ',
        confirmButton('Reset org', 'Click again to reset', async () => {
          await send('POST', `/_bulkforce/orgs/${encodeURIComponent(org.id)}/reset`);
          flash(`Org ${org.id} reset.`, 'ok');
        }, { class: 'small danger', testid: 'org-reset' })))));
    $('orgs-status').textContent = plural(orgs.length, 'org');
  },
};

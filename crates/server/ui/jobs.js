// The jobs view: every org's jobs, filtered by state, type, object and org, polled every second; rows are
// kept by job id and redrawn only when their job changed, so a click never lands on a replaced button.
import { $, FINAL_STATES, JOB_STATES, count, el, plural, stateBadge, timeCell } from './dom.js';
import { getJson, run, send } from './api.js';

const jobFilters = { state: '', type: '', object: '', org: '' };
const jobRows = new Map();

/** Shows the jobs of one org (the orgs view's link): the filter set before the view opens. */
export function showJobsOf(orgId) {
  jobFilters.org = orgId;
  $('filter-org').value = orgId;
}

function jobsQuery() {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(jobFilters)) if (value) query.set(key, value);
  query.set('limit', '200');
  return `/_bulkforce/jobs?${query}`;
}

function holdButton(job, onDone) {
  if (FINAL_STATES.has(job.state)) return null;
  const action = job.held ? 'release' : 'hold';
  return el('button', {
    type: 'button',
    class: 'small',
    testid: `job-${action}`,
    onclick: () => run(async () => {
      await send('POST', `/_bulkforce/jobs/${encodeURIComponent(job.id)}/${action}`);
      await onDone();
    }),
  }, job.held ? 'Release' : 'Hold');
}

/** One job's row; rows are kept by id and updated in place, so a click is never lost to a redraw. */
function jobRow(job) {
  let row = jobRows.get(job.id);
  if (!row) {
    row = el('tr', { testid: 'job-row', data: { jobId: job.id } });
    jobRows.set(job.id, row);
  }
  const signature = JSON.stringify(job);
  if (row.dataset.signature === signature) return row;
  row.dataset.signature = signature;
  row.replaceChildren(
    el('td', {}, el('a', { href: `#/jobs/${encodeURIComponent(job.id)}`, testid: 'job-link', class: 'mono' }, job.id)),
    el('td', {}, job.type),
    el('td', {}, job.object),
    el('td', {}, job.operation),
    el('td', {}, stateBadge(job.state, job.held)),
    el('td', { class: 'num', testid: 'job-processed' }, count(job.numberRecordsProcessed)),
    el('td', { class: job.numberRecordsFailed ? 'num error-text' : 'num', testid: 'job-failed' }, count(job.numberRecordsFailed)),
    el('td', {}, timeCell(job.createdDate)),
    el('td', { class: 'actions' }, holdButton(job, () => jobsView.refresh())),
  );
  row.classList.toggle('live', job.state === 'InProgress');
  return row;
}

export const jobsView = {
  wire,
  async refresh() {
    const { jobs } = await getJson(jobsQuery());
    const body = $('jobs-body');
    const rows = jobs.map(jobRow);
    const keep = new Set(jobs.map((job) => job.id));
    for (const id of [...jobRows.keys()]) if (!keep.has(id)) jobRows.delete(id);
    if (rows.length === 0) {
      body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: 9 }, 'No jobs match.')));
    } else if (rows.some((row, i) => body.children[i] !== row) || body.children.length !== rows.length) {
      body.replaceChildren(...rows);
    }
    const live = jobs.filter((job) => !FINAL_STATES.has(job.state)).length;
    $('jobs-status').textContent = `${plural(jobs.length, 'job')}, ${live} not finished · updated ${new Date().toLocaleTimeString()}`;
  },
};

function wire(app) {
  const state = $('filter-state');
  state.replaceChildren(el('option', { value: '' }, 'any'), ...JOB_STATES.map((s) => el('option', { value: s }, s)));
  const bind = (id, key, eventName) => $(id).addEventListener(eventName, () => {
    jobFilters[key] = $(id).value.trim();
    app.refresh(true);
  });
  bind('filter-state', 'state', 'change');
  bind('filter-type', 'type', 'change');
  bind('filter-org', 'org', 'change');
  bind('filter-object', 'object', 'input');
  $('jobs-filters').addEventListener('submit', (event) => event.preventDefault());
}

// The bulkforce dashboard: one page over the control API (/_bulkforce/…). No framework and no build step:
// the server embeds these modules as they are. Every text that comes from the server is put in the page
// as text (textContent, or a string given to el()), never parsed as HTML, and the page's CSP forbids
// inline script, so a hostile job name or request path can never run as code.
//
// This module routes (#/jobs, #/jobs/<id>, #/orgs, #/requests, #/faults, #/data, #/clock) and polls the
// current view every second; each view is a module with refresh() (and show(), wire(page) if it needs).
import { $, flash, show } from './dom.js';
import { Unauthorized, askToken, getJson, run, setToken, token } from './api.js';
import { clockView, headerClock } from './clock.js';
import { dataView } from './data.js';
import { faultsView } from './faults.js';
import { jobView } from './job.js';
import { jobsView } from './jobs.js';
import { loadOrgs, orgsView } from './orgs.js';
import { requestsView } from './requests.js';

const POLL_MS = 1000;
const HEADER_CLOCK_EVERY = 5; // polls between two looks at the clock from views other than the clock's

const views = {
  jobs: jobsView,
  job: jobView,
  orgs: orgsView,
  requests: requestsView,
  faults: faultsView,
  data: dataView,
  clock: clockView,
};
let current = { name: 'jobs', params: [] };
let polls = 0;
let busy = false;

/** What the views may ask of the page. */
const page = {
  params: () => current.params,
  polls: () => polls,
  refresh: (force) => refresh(force),
};

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'jobs' && parts[1]) return { name: 'job', params: [parts[1]] };
  return { name: views[parts[0]] ? parts[0] : 'jobs', params: parts.slice(1) };
}

function route() {
  const next = parseHash();
  current = next;
  for (const name of Object.keys(views)) show($(`view-${name}`), name === next.name);
  const navName = next.name === 'job' ? 'jobs' : next.name;
  for (const link of document.querySelectorAll('#nav a')) {
    link.classList.toggle('active', link.dataset.view === navName);
  }
  flash('');
  if (views[next.name].show) views[next.name].show(...next.params);
  refresh(true);
}

/** One poll: the current view, and now and then the header clock; never two at once. */
async function refresh(force) {
  if (!token() || (busy && !force) || (document.hidden && !force)) return;
  busy = true;
  try {
    const view = views[current.name];
    if (view.refresh) await view.refresh(force);
    if (force || polls % HEADER_CLOCK_EVERY === 0) await headerClock();
    polls += 1;
  } catch (error) {
    if (!(error instanceof Unauthorized)) flash(error.message || String(error));
  } finally {
    busy = false;
  }
}

function wireTokenDialog() {
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const entered = $('token-input').value.trim();
    if (!entered) return;
    setToken(entered);
    $('token-input').value = '';
    run(async () => {
      // A call every token must pass: a refused one brings the dialog back with the reason.
      await getJson('/_bulkforce/requests?limit=1');
      show($('login'), false);
      await refresh(true);
      await loadOrgs().catch(() => {});
    });
  });
  $('token-forget').addEventListener('click', () => {
    setToken(null);
    askToken('');
  });
}

function start() {
  wireTokenDialog();
  for (const view of Object.values(views)) if (view.wire) view.wire(page);
  window.addEventListener('hashchange', route);
  document.addEventListener('visibilitychange', () => refresh(true));
  setInterval(() => refresh(false), POLL_MS);
  if (!token()) askToken('');
  route();
  if (token()) loadOrgs().catch(() => {});
}

start();

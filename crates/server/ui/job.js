// One job: its fields, timeline, error, hold and release, and its files. Result files are Salesforce
// URLs that need the Bearer token, so they are fetched here and shown in a <pre> (as text) or saved
// through a Blob download.
import { $, FINAL_STATES, bytes, count, duration, el, show, stateBadge, timeCell } from './dom.js';
import { call, getJson, run, send } from './api.js';

const RESULT_SHOWN_CHARS = 512 * 1024; // the <pre> shows this much; Download saves everything

let app = null; // the page: params() and refresh(force)
let shownJob = null; // the last JobDetail shown, so a poll of a finished job can stop

/** The links of a job detail as [name, url] pairs, whether the server sends an object or a list. */
function linkEntries(links) {
  if (!links) return [];
  if (Array.isArray(links)) {
    return links.map((link) => [link.name || link.rel || link.href || link.url, link.href || link.url]);
  }
  return Object.entries(links).filter(([, url]) => typeof url === 'string');
}

/** A URL the page may fetch: same origin, whatever host the server put in it. */
function sameOrigin(url) {
  const parsed = new URL(url, location.href);
  return parsed.pathname + parsed.search;
}

function field(list, label, value, testid) {
  list.append(el('dt', {}, label), el('dd', { testid }, value));
}

function renderJob(job) {
  shownJob = job;
  $('job-title').replaceChildren(`${job.type === 'query' ? 'Query' : 'Ingest'} job `, el('span', { class: 'mono' }, job.id));
  const fields = $('job-fields');
  fields.replaceChildren();
  field(fields, 'State', stateBadge(job.state, job.held), 'detail-state');
  field(fields, 'Object', job.object || '', 'detail-object');
  field(fields, 'Operation', job.operation || '', 'detail-operation');
  field(fields, 'Org', el('span', { class: 'mono' }, job.orgId || ''), 'detail-org');
  field(fields, 'Processed', count(job.numberRecordsProcessed), 'detail-processed');
  field(fields, 'Failed', count(job.numberRecordsFailed), 'detail-failed');
  field(fields, 'Created', timeCell(job.createdDate), 'detail-created');
  field(fields, 'Last change', timeCell(job.systemModstamp), 'detail-modstamp');
  field(fields, 'Processing time', duration(job.totalProcessingTime), 'detail-processing-time');
  const error = $('job-error');
  error.textContent = job.errorMessage ? `Error: ${job.errorMessage}` : '';
  show(error, Boolean(job.errorMessage));
  renderTimeline(job.timeline || []);
  renderLinks(job);
  const final = FINAL_STATES.has(job.state);
  show($('job-hold'), !final && !job.held);
  show($('job-release'), !final && Boolean(job.held));
}

function renderTimeline(timeline) {
  const items = timeline.map((entry, i) => {
    const next = timeline[i + 1];
    const spent = next ? new Date(next.at) - new Date(entry.at) : null;
    return el('li', { testid: 'timeline-entry', data: { state: entry.state } },
      el('span', { class: `badge state-${entry.state}` }, entry.state),
      ' ', timeCell(entry.at),
      spent !== null && Number.isFinite(spent) ? el('span', { class: 'muted' }, ` · ${duration(spent)}`) : null);
  });
  $('job-timeline').replaceChildren(...items);
}

function renderLinks(job) {
  const items = linkEntries(job.links).map(([name, url]) => el('li', {},
    el('button', {
      type: 'button', class: 'link', testid: 'result-link', data: { link: name },
      onclick: () => run(() => openFile(job, name, url)),
    }, name),
    ' ',
    el('button', {
      type: 'button', class: 'small quiet', testid: 'result-download', data: { link: name },
      onclick: () => run(() => downloadFile(job, name, url)),
    }, 'Download')));
  const list = $('job-links');
  // Rebuilt only when the set changes: a poll must not swap a button under the pointer.
  const signature = JSON.stringify(linkEntries(job.links));
  if (list.dataset.signature !== signature) {
    list.dataset.signature = signature;
    list.replaceChildren(...items);
  }
}

async function fetchFile(url) {
  const response = await call('GET', sameOrigin(url), undefined, { salesforce: true });
  const type = response.headers.get('content-type') || '';
  const text = await response.text();
  const locator = response.headers.get('sforce-locator');
  return { type, text, locator };
}

async function openFile(job, name, url) {
  const { type, text, locator } = await fetchFile(url);
  let shown = text;
  if (type.includes('json')) {
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch (_) {
      // shown as it came
    }
  }
  const lines = text ? text.split('\n').filter((line) => line !== '').length : 0;
  const notes = [`${bytes(new Blob([text]).size)}`, `${lines.toLocaleString('en-US')} lines`];
  if (shown.length > RESULT_SHOWN_CHARS) notes.push(`first ${bytes(RESULT_SHOWN_CHARS)} shown; Download has it all`);
  if (locator && locator !== 'null') notes.push(`more pages (Sforce-Locator ${locator})`);
  $('result-title').textContent = `${name} of ${job.id}`;
  $('result-meta').textContent = notes.join(' · ');
  $('result-text').textContent = shown.slice(0, RESULT_SHOWN_CHARS);
  show($('result-view'), true);
}

async function downloadFile(job, name, url) {
  const { type, text } = await fetchFile(url);
  const extension = type.includes('json') ? 'json' : 'csv';
  const blob = new Blob([text], { type: type || 'text/plain' });
  const href = URL.createObjectURL(blob);
  const link = el('a', { href, download: `${job.id}-${name}.${extension}`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60000);
}

export const jobView = {
  wire,
  show() {
    shownJob = null;
    show($('result-view'), false);
    $('job-links').replaceChildren();
    delete $('job-links').dataset.signature;
    $('job-title').textContent = '';
    $('job-fields').replaceChildren();
    $('job-timeline').replaceChildren();
    show($('job-error'), false);
  },
  async refresh() {
    const id = app.params()[0];
    if (shownJob && shownJob.id === id && FINAL_STATES.has(shownJob.state)) return;
    renderJob(await getJson(`/_bulkforce/jobs/${encodeURIComponent(id)}`));
  },
};

function wire(context) {
  app = context;
  const act = (action) => () => run(async () => {
    if (!shownJob) return;
    await send('POST', `/_bulkforce/jobs/${encodeURIComponent(shownJob.id)}/${action}`);
    shownJob = null; // the whole detail is read again
    await app.refresh(true);
  });
  $('job-hold').addEventListener('click', act('hold'));
  $('job-release').addEventListener('click', act('release'));
  $('result-close').addEventListener('click', () => show($('result-view'), false));
}

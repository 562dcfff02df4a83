// The bulkforce dashboard: one page over the control API (/_bulkforce/…). No framework and no build step:
// the server embeds this file as it is. Every text that comes from the server is put in the page as text
// (textContent, or a string given to el()/append()), never parsed as HTML, and the page's CSP forbids
// inline script, so a hostile job name or request path can never run as code.
'use strict';

(() => {
  const TOKEN_KEY = 'bulkforce.dashboard.token';
  const POLL_MS = 1000;
  const HEADER_CLOCK_EVERY = 5; // polls between two looks at the clock from other views
  const RESULT_SHOWN_CHARS = 512 * 1024; // the <pre> shows this much; Download saves everything
  const JOB_STATES = ['Open', 'UploadComplete', 'InProgress', 'JobComplete', 'Failed', 'Aborted'];
  const FINAL_STATES = new Set(['JobComplete', 'Failed', 'Aborted']);

  // ---------------------------------------------------------------------------------------------------
  // DOM helpers

  const $ = (id) => document.getElementById(id);

  /** An element with properties and children; strings become text nodes, never markup. */
  function el(tag, props, ...children) {
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

  function show(node, visible) {
    node.hidden = !visible;
  }

  /** "2026-12-04T16:40:54.123Z" -> "2026-12-04 16:40:54" (UTC), the full text in the title. */
  function timeText(value) {
    if (!value) return '';
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return String(value);
    return date.toISOString().slice(0, 19).replace('T', ' ');
  }

  function timeCell(value) {
    return el('time', { datetime: value || undefined, title: value || undefined }, timeText(value));
  }

  function count(value) {
    return typeof value === 'number' ? value.toLocaleString('en-US') : value == null ? '' : String(value);
  }

  function duration(ms) {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
    const minutes = Math.floor(ms / 60000);
    return `${minutes} min ${Math.round((ms % 60000) / 1000)} s`;
  }

  function plural(n, noun) {
    return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
  }

  function bytes(value) {
    if (typeof value !== 'number') return '';
    if (value < 1024) return `${value} B`;
    if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KB`;
    return `${(value / 1024 / 1024).toFixed(1)} MB`;
  }

  function stateBadge(state, held) {
    return el('span', { class: 'state-cell' },
      el('span', { class: `badge state-${state}`, testid: 'job-state' }, state),
      held ? el('span', { class: 'badge held', testid: 'job-held', title: 'Held: the job waits for a release' }, 'held') : null);
  }

  /** A button that acts on the second click within a few seconds (no blocking confirm() dialogs). */
  function confirmButton(label, armedLabel, action, props) {
    const button = el('button', { type: 'button', ...props }, label);
    let disarm = null;
    button.addEventListener('click', () => {
      if (disarm === null) {
        button.textContent = armedLabel;
        button.classList.add('armed');
        disarm = setTimeout(reset, 4000);
        return;
      }
      reset();
      run(action);
    });
    function reset() {
      clearTimeout(disarm);
      disarm = null;
      button.textContent = label;
      button.classList.remove('armed');
    }
    return button;
  }

  // ---------------------------------------------------------------------------------------------------
  // Messages

  function flash(message, kind) {
    const box = $('flash');
    box.textContent = message;
    box.className = `flash ${kind || 'error'}`;
    show(box, Boolean(message));
  }

  function say(id, message, kind) {
    const node = $(id);
    node.textContent = message || '';
    node.className = kind === 'error' ? 'error-text' : kind === 'ok' ? 'ok-text' : 'muted';
  }

  // ---------------------------------------------------------------------------------------------------
  // The API: every call carries the token; 401 asks for it again.

  /** The server refused the token; the token dialog is already showing. */
  class Unauthorized extends Error {}

  /** Any other error answer, with the server's errorCode and message. */
  class ApiError extends Error {
    constructor(status, code, message) {
      super(`${code ? `${code}: ` : ''}${message || `HTTP ${status}`}`);
      this.status = status;
      this.code = code;
    }
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  /** Reads an error body: the control API's {errorCode,message} or Salesforce's [{errorCode,message}]. */
  async function errorOf(response) {
    const text = await response.text();
    try {
      const parsed = JSON.parse(text);
      const first = Array.isArray(parsed) ? parsed[0] : parsed;
      if (first && (first.errorCode || first.message)) {
        return new ApiError(response.status, first.errorCode, first.message);
      }
    } catch (_) {
      // not JSON: the text itself says what is wrong
    }
    return new ApiError(response.status, '', text.slice(0, 300) || response.statusText);
  }

  /**
   * Calls the server with the token. `salesforce`: a Salesforce path (result files), whose 401 means the
   * token is a control token and not a Salesforce one, so it is reported rather than asked for again.
   */
  async function call(method, path, body, { salesforce = false } = {}) {
    const current = token();
    if (!current) {
      askToken('');
      throw new Unauthorized('no token');
    }
    const init = { method, headers: { Authorization: `Bearer ${current}` }, cache: 'no-store' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (response.status === 401 && !salesforce) {
      askToken('The server refused this token (401 Unauthorized). Enter the default org admin\'s access token or the --control-token.');
      throw new Unauthorized('401');
    }
    if (response.status === 401) {
      throw new ApiError(401, 'UNAUTHORIZED', 'Salesforce paths need a Salesforce token: use the admin\'s access token, not the --control-token.');
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  async function getJson(path) {
    return (await call('GET', path)).json();
  }

  async function send(method, path, body) {
    const response = await call(method, path, body);
    const type = response.headers.get('content-type') || '';
    return response.status !== 204 && type.includes('json') ? response.json() : null;
  }

  /** Runs a user action: errors go to the flash line (a refused token has its own dialog). */
  async function run(action) {
    try {
      flash('');
      await action();
    } catch (error) {
      if (!(error instanceof Unauthorized)) flash(error.message || String(error));
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // The token dialog

  function askToken(message) {
    const box = $('token-message');
    box.textContent = message || '';
    show(box, Boolean(message));
    show($('login'), true);
    $('token-input').focus();
  }

  function wireTokenDialog() {
    $('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const entered = $('token-input').value.trim();
      if (!entered) return;
      sessionStorage.setItem(TOKEN_KEY, entered);
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
      sessionStorage.removeItem(TOKEN_KEY);
      askToken('');
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // Views: each has show(params) when it becomes current and refresh() on every poll.

  const views = {};
  let current = { name: null, params: [] };
  let polls = 0;
  let busy = false;

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

  // ---------------------------------------------------------------------------------------------------
  // Jobs

  const jobFilters = { state: '', type: '', object: '', org: '' };
  const jobRows = new Map();

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
      el('td', { class: 'actions' }, holdButton(job, () => views.jobs.refresh())),
    );
    row.classList.toggle('live', job.state === 'InProgress');
    return row;
  }

  views.jobs = {
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

  function wireJobFilters() {
    const state = $('filter-state');
    state.replaceChildren(el('option', { value: '' }, 'any'), ...JOB_STATES.map((s) => el('option', { value: s }, s)));
    const bind = (id, key, eventName) => $(id).addEventListener(eventName, () => {
      jobFilters[key] = $(id).value.trim();
      refresh(true);
    });
    bind('filter-state', 'state', 'change');
    bind('filter-type', 'type', 'change');
    bind('filter-org', 'org', 'change');
    bind('filter-object', 'object', 'input');
    $('jobs-filters').addEventListener('submit', (event) => event.preventDefault());
  }

  // ---------------------------------------------------------------------------------------------------
  // One job

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

  views.job = {
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
      const id = current.params[0];
      if (shownJob && shownJob.id === id && FINAL_STATES.has(shownJob.state)) return;
      renderJob(await getJson(`/_bulkforce/jobs/${encodeURIComponent(id)}`));
    },
  };

  function wireJobDetail() {
    const act = (action) => () => run(async () => {
      if (!shownJob) return;
      renderJob(await send('POST', `/_bulkforce/jobs/${encodeURIComponent(shownJob.id)}/${action}`) || shownJob);
      shownJob = null; // read the whole detail again on the next poll
      await refresh(true);
    });
    $('job-hold').addEventListener('click', act('hold'));
    $('job-release').addEventListener('click', act('release'));
    $('result-close').addEventListener('click', () => show($('result-view'), false));
  }

  // ---------------------------------------------------------------------------------------------------
  // Orgs

  async function loadOrgs() {
    const { orgs } = await getJson('/_bulkforce/orgs');
    const select = $('filter-org');
    const chosen = select.value;
    select.replaceChildren(el('option', { value: '' }, 'any'),
      ...orgs.map((org) => el('option', { value: org.id }, `${org.name || org.id}${org.isDefault ? ' (default)' : ''}`)));
    select.value = chosen;
    return orgs;
  }

  views.orgs = {
    // Orgs do not change by the second: read when the view opens and on every few polls.
    async refresh(force) {
      if (!force && polls % HEADER_CLOCK_EVERY !== 0) return;
      const orgs = await loadOrgs();
      $('orgs-body').replaceChildren(...orgs.map((org) => el('tr', { testid: 'org-row', data: { orgId: org.id } },
        el('td', { class: 'mono' }, org.id),
        el('td', {}, org.name || '', org.isDefault ? el('span', { class: 'badge default' }, 'default') : null),
        el('td', { class: 'num' }, count(org.users)),
        el('td', { class: 'actions' },
          el('a', {
            href: '#/jobs', class: 'small',
            onclick: () => { jobFilters.org = org.id; $('filter-org').value = org.id; },
          }, 'Jobs'),
          ' ',
          confirmButton('Reset org', 'Click again to reset', async () => {
            await send('POST', `/_bulkforce/orgs/${encodeURIComponent(org.id)}/reset`);
            flash(`Org ${org.id} reset.`, 'ok');
          }, { class: 'small danger', testid: 'org-reset' })))));
      $('orgs-status').textContent = plural(orgs.length, 'org');
    },
  };

  // ---------------------------------------------------------------------------------------------------
  // Requests

  views.requests = {
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

  function wireRequests() {
    for (const id of ['requests-limit', 'requests-hide-control', 'requests-live']) {
      $(id).addEventListener('change', () => run(() => views.requests.refresh(true)));
    }
    $('requests-options').addEventListener('submit', (event) => event.preventDefault());
  }

  // ---------------------------------------------------------------------------------------------------
  // Faults

  const FAULT_TEMPLATES = {
    'HTTP 503 on upload': {
      kind: 'http', method: 'PUT', path: '/services/data/*/jobs/ingest/*/batches', status: 503,
      errorCode: 'SERVER_UNAVAILABLE', message: 'The server is unavailable, try again', times: 1,
    },
    'Latency': { kind: 'http', path: '/services/data/**', latencyMs: 500 },
    'Disconnect': { kind: 'http', method: 'GET', path: '/services/data/*/jobs/ingest/*', disconnect: true, times: 1 },
    'Job fails': { kind: 'job', object: 'Account', operation: 'insert', afterRows: 100, message: 'Simulated failure' },
    'Row lock': {
      kind: 'row', object: 'Account', errorCode: 'UNABLE_TO_LOCK_ROW',
      message: 'unable to obtain exclusive access to this record or 1 records', probability: 0.1, seed: 42,
    },
    'Limit spent': { kind: 'limit', remaining: 0 },
  };

  function ruleText(rule) {
    const { kind: _kind, ...rest } = rule || {};
    return JSON.stringify(rest);
  }

  views.faults = {
    async refresh() {
      const { faults } = await getJson('/_bulkforce/faults');
      const rows = faults.map((fault) => el('tr', { testid: 'fault-row', data: { faultId: fault.id } },
        el('td', { class: 'mono', testid: 'fault-id' }, fault.id),
        el('td', {}, el('span', { class: 'badge' }, (fault.rule && fault.rule.kind) || '?')),
        el('td', { class: 'mono rule' }, ruleText(fault.rule)),
        el('td', { class: 'num', testid: 'fault-hits' }, count(fault.hits)),
        el('td', { class: 'num', testid: 'fault-remaining' }, fault.remaining == null ? '∞' : count(fault.remaining)),
        el('td', { class: 'actions' }, el('button', {
          type: 'button', class: 'small danger', testid: 'fault-remove',
          onclick: () => run(async () => {
            await send('DELETE', `/_bulkforce/faults/${encodeURIComponent(fault.id)}`);
            say('fault-message', `Removed ${fault.id}.`, 'ok');
            await views.faults.refresh();
          }),
        }, 'Remove'))));
      const body = $('faults-body');
      // Redrawn only when something changed, so a Remove button is not swapped under the pointer.
      const signature = JSON.stringify(faults);
      if (body.dataset.signature !== signature) {
        body.dataset.signature = signature;
        body.replaceChildren(...(rows.length ? rows
          : [el('tr', { class: 'empty' }, el('td', { colspan: 6 }, 'No fault rules: every request is served as it comes.'))]));
      }
      $('faults-status').textContent = plural(faults.length, 'rule');
    },
  };

  function wireFaults() {
    const templates = $('fault-templates');
    for (const [name, rule] of Object.entries(FAULT_TEMPLATES)) {
      templates.append(el('button', {
        type: 'button', class: 'small quiet', testid: 'fault-template',
        onclick: () => { $('fault-rule').value = JSON.stringify(rule, null, 2); },
      }, name));
    }
    $('fault-form').addEventListener('submit', (event) => {
      event.preventDefault();
      let rule;
      try {
        rule = JSON.parse($('fault-rule').value);
      } catch (error) {
        say('fault-message', `Not JSON: ${error.message}`, 'error');
        return;
      }
      run(async () => {
        try {
          const { id } = await send('POST', '/_bulkforce/faults', rule);
          say('fault-message', `Added ${id}.`, 'ok');
          $('fault-rule').value = '';
        } catch (error) {
          if (error instanceof ApiError) {
            say('fault-message', error.message, 'error');
            return;
          }
          throw error;
        }
        await views.faults.refresh();
      });
    });
    $('faults-clear').replaceWith(confirmButton('Remove all', 'Click again to remove all', async () => {
      await send('DELETE', '/_bulkforce/faults');
      say('fault-message', 'Every rule removed.', 'ok');
      await views.faults.refresh();
    }, { id: 'faults-clear', class: 'danger', testid: 'faults-clear' }));
  }

  // ---------------------------------------------------------------------------------------------------
  // Reset and snapshots

  views.data = {
    async refresh() {
      const { snapshots } = await getJson('/_bulkforce/snapshots');
      const body = $('snapshots-body');
      const signature = JSON.stringify(snapshots);
      if (body.dataset.signature === signature) return;
      body.dataset.signature = signature;
      body.replaceChildren(...(snapshots.length ? snapshots.map((snapshot) => el('tr', {
        testid: 'snapshot-row', data: { snapshot: snapshot.name },
      },
      el('td', { class: 'mono' }, snapshot.name),
      el('td', {}, timeCell(snapshot.createdDate)),
      el('td', { class: 'num' }, count(snapshot.orgs)),
      el('td', { class: 'actions' },
        confirmButton('Restore', 'Click again to restore', async () => {
          await send('POST', `/_bulkforce/snapshots/${encodeURIComponent(snapshot.name)}/restore`);
          say('snapshot-message', `Restored ${snapshot.name}.`, 'ok');
        }, { class: 'small', testid: 'snapshot-restore' }),
        ' ',
        confirmButton('Delete', 'Click again to delete', async () => {
          await send('DELETE', `/_bulkforce/snapshots/${encodeURIComponent(snapshot.name)}`);
          say('snapshot-message', `Deleted ${snapshot.name}.`, 'ok');
          await views.data.refresh();
        }, { class: 'small danger', testid: 'snapshot-delete' }))))
        : [el('tr', { class: 'empty' }, el('td', { colspan: 4 }, 'No snapshots yet.'))]));
    },
  };

  function wireData() {
    $('reset-all').replaceWith(confirmButton('Reset every org', 'Click again to reset everything', async () => {
      await send('POST', '/_bulkforce/reset');
      say('reset-message', `Reset at ${new Date().toLocaleTimeString()}.`, 'ok');
    }, { id: 'reset-all', class: 'danger', testid: 'reset-all' }));
    $('snapshot-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const name = $('snapshot-name').value.trim();
      run(async () => {
        try {
          const taken = await send('POST', '/_bulkforce/snapshots', { name });
          say('snapshot-message', `Took ${taken ? taken.name : name}.`, 'ok');
          $('snapshot-name').value = '';
        } catch (error) {
          if (error instanceof ApiError) {
            say('snapshot-message', error.message, 'error');
            return;
          }
          throw error;
        }
        await views.data.refresh();
      });
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // Clock

  let clock = null; // the last answer of GET /_bulkforce/clock

  function clockText(state) {
    if (!state) return 'clock: ?';
    const now = timeText(state.now);
    if (state.mode === 'frozen') return `clock frozen at ${now}`;
    if (state.mode === 'offset') return `clock ${state.offsetSeconds >= 0 ? '+' : ''}${state.offsetSeconds} s: ${now}`;
    return `clock: real (${now})`;
  }

  function showClock(state) {
    clock = state;
    const badge = $('header-clock');
    badge.textContent = clockText(state);
    badge.className = `clock-badge ${state ? `clock-${state.mode}` : ''}`;
    if (!state) return;
    $('clock-mode').textContent = state.mode;
    $('clock-now').replaceChildren(timeCell(state.now), el('span', { class: 'muted' }, ` (${state.now})`));
    $('clock-offset').textContent = state.mode === 'offset' ? `${state.offsetSeconds} s` : '—';
  }

  async function headerClock() {
    try {
      showClock(await getJson('/_bulkforce/clock'));
    } catch (error) {
      if (error instanceof Unauthorized) throw error;
      showClock(null);
      $('header-clock').title = error.message;
    }
  }

  async function setClock(body, done) {
    showClock(await send('PUT', '/_bulkforce/clock', body));
    say('clock-message', done, 'ok');
  }

  views.clock = {
    show() {
      const input = $('clock-freeze-at');
      if (!input.value) input.value = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    },
    refresh: headerClock,
  };

  function wireClock() {
    $('clock-freeze-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const now = $('clock-freeze-at').value.trim();
      run(() => setClock({ now }, `Frozen at ${now}.`));
    });
    $('clock-offset-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const offsetSeconds = Number($('clock-offset-input').value);
      run(() => setClock({ offsetSeconds }, `Offset ${offsetSeconds} s.`));
    });
    const advance = (seconds) => () => run(async () => {
      await headerClock();
      if (clock && clock.mode === 'frozen') {
        const now = new Date(new Date(clock.now).getTime() + seconds * 1000).toISOString();
        await setClock({ now }, `Frozen at ${now}.`);
      } else {
        const offsetSeconds = (clock && clock.offsetSeconds ? clock.offsetSeconds : 0) + seconds;
        await setClock({ offsetSeconds }, `Offset ${offsetSeconds} s.`);
      }
    });
    $('clock-advance-hour').addEventListener('click', advance(3600));
    $('clock-advance-day').addEventListener('click', advance(86400));
    $('clock-real').addEventListener('click', () => run(async () => {
      showClock(await send('DELETE', '/_bulkforce/clock'));
      say('clock-message', 'Back to real time.', 'ok');
    }));
  }

  // ---------------------------------------------------------------------------------------------------
  // Start

  function start() {
    wireTokenDialog();
    wireJobFilters();
    wireJobDetail();
    wireRequests();
    wireFaults();
    wireData();
    wireClock();
    window.addEventListener('hashchange', route);
    document.addEventListener('visibilitychange', () => refresh(true));
    setInterval(() => refresh(false), POLL_MS);
    if (!token()) askToken('');
    route();
    if (token()) loadOrgs().catch(() => {});
  }

  start();
})();

// The fault rules: listed with their hits (polled), added from JSON (templates to start from), removed.
import { $, count, el, plural, say } from './dom.js';
import { ApiError, confirmButton, getJson, run, send } from './api.js';

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

export const faultsView = {
  wire,
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
          await faultsView.refresh();
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

function wire() {
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
      await faultsView.refresh();
    });
  });
  $('faults-clear').replaceWith(confirmButton('Remove all', 'Click again to remove all', async () => {
    await send('DELETE', '/_bulkforce/faults');
    say('fault-message', 'Every rule removed.', 'ok');
    await faultsView.refresh();
  }, { id: 'faults-clear', class: 'danger', testid: 'faults-clear' }));
}

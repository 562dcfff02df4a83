// Reset and snapshots: the destructive buttons act on a second click.
import { $, count, el, say, timeCell } from './dom.js';
import { ApiError, confirmButton, getJson, run, send } from './api.js';

export const dataView = {
  wire,
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
        await dataView.refresh();
      }, { class: 'small danger', testid: 'snapshot-delete' }))))
      : [el('tr', { class: 'empty' }, el('td', { colspan: 4 }, 'No snapshots yet.'))]));
  },
};

function wire() {
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
      await dataView.refresh();
    });
  });
}

// ---------------------------------------------------------------------------------------------------

// The server's clock: shown in the header on every view, and set here (freeze, offset, advance, real).
import { $, el, say, timeCell, timeText } from './dom.js';
import { Unauthorized, run, send, getJson } from './api.js';

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

export async function headerClock() {
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

export const clockView = {
  wire,
  show() {
    const input = $('clock-freeze-at');
    if (!input.value) input.value = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  },
  refresh: headerClock,
};

function wire() {
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

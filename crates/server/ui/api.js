// The control API as the page calls it: every call carries the token kept in this tab's sessionStorage;
// a 401 brings the token dialog back with the reason.
import { $, el, flash, show } from './dom.js';

const TOKEN_KEY = 'bulkforce.dashboard.token';

/** The server refused the token; the token dialog is already showing. */
export class Unauthorized extends Error {}

/** Any other error answer, with the server's errorCode and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(`${code ? `${code}: ` : ''}${message || `HTTP ${status}`}`);
    this.status = status;
    this.code = code;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
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
export async function call(method, path, body, { salesforce = false } = {}) {
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

export async function getJson(path) {
  return (await call('GET', path)).json();
}

export async function send(method, path, body) {
  const response = await call(method, path, body);
  const type = response.headers.get('content-type') || '';
  return response.status !== 204 && type.includes('json') ? response.json() : null;
}

/** Runs a user action: errors go to the flash line (a refused token has its own dialog). */
export async function run(action) {
  try {
    flash('');
    await action();
  } catch (error) {
    if (!(error instanceof Unauthorized)) flash(error.message || String(error));
  }
}

export function askToken(message) {
  const box = $('token-message');
  box.textContent = message || '';
  show(box, Boolean(message));
  show($('login'), true);
  $('token-input').focus();
}

/** A button that acts on the second click within a few seconds (no blocking confirm() dialogs). */
export function confirmButton(label, armedLabel, action, props) {
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

// Tests of pipeline.mjs against `bulkforce serve`, using the emulator's control API (/_bulkforce/…) to reset
// the server between tests, make rows fail with UNABLE_TO_LOCK_ROW, and set the clock.
//
// Run against a server: BULKFORCE_URL=http://127.0.0.1:8080 BULKFORCE_TOKEN=<its --access-token> node --test
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { changedSince, connect, loadAccounts } from './pipeline.mjs';

const URL = process.env.BULKFORCE_URL ?? 'http://127.0.0.1:8080';
const TOKEN = process.env.BULKFORCE_TOKEN; // the server's --access-token (or its --control-token for the controls)
assert.ok(TOKEN, 'set BULKFORCE_TOKEN to the server’s --access-token');

/** The emulator's controls: what a test can do to the server that a real org never lets it. */
const bulkforce = {
  async call(method, path, body) {
    const response = await fetch(`${URL}/_bulkforce${path}`, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} /_bulkforce${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  },
  /** Every record, job and result gone, no fault rules, real time; users and tokens kept. */
  async reset() {
    await this.call('POST', '/reset');
    await this.call('DELETE', '/faults');
    await this.call('DELETE', '/clock');
  },
  setClock: (now) => bulkforce.call('PUT', '/clock', { now }),
  addFault: async (rule) => (await bulkforce.call('POST', '/faults', rule)).id,
  fault: async (id) => (await bulkforce.call('GET', '/faults')).faults.find((f) => f.id === id),
};

const conn = connect(URL, TOKEN);
const EPOCH = '2000-01-01T00:00:00Z';
const names = (rows) => rows.map((row) => row.Name).sort();

beforeEach(() => bulkforce.reset());

test('rows that fail with UNABLE_TO_LOCK_ROW are loaded by a retry', async () => {
  const fault = await bulkforce.addFault({
    kind: 'row',
    object: 'Account',
    errorCode: 'UNABLE_TO_LOCK_ROW',
    message: 'unable to obtain exclusive access to this record or 1 records: 001000000000001AAA',
    times: 2,
  });
  const accounts = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli'].map((Name) => ({ Name }));

  const report = await loadAccounts(conn, accounts);

  assert.equal(report.retried.length, 2);
  for (const row of report.retried) assert.match(row.sf__Error, /^UNABLE_TO_LOCK_ROW:/);
  assert.equal(report.jobs, 2);
  assert.deepEqual(report.failed, []);
  assert.deepEqual(names(report.loaded), names(accounts));
  assert.equal((await bulkforce.fault(fault)).hits, 2);
  // Each account is in the org once: the failed rows were not applied the first time.
  assert.deepEqual(names((await changedSince(conn, EPOCH)).records), names(accounts));
});

test('an incremental sync returns only what changed since its last run', async () => {
  await bulkforce.setClock('2027-01-01T09:00:00Z');
  await loadAccounts(conn, [{ Name: 'Acme' }, { Name: 'Globex' }]);
  const first = await changedSince(conn, EPOCH);
  assert.deepEqual(names(first.records), ['Acme', 'Globex']);
  assert.equal(first.watermark, '2027-01-01T09:00:00.000Z');

  await bulkforce.setClock('2027-01-02T09:00:00Z');
  await loadAccounts(conn, [{ Name: 'Initech' }]);
  const second = await changedSince(conn, first.watermark);
  assert.deepEqual(names(second.records), ['Initech']);
  assert.equal(second.watermark, '2027-01-02T09:00:00.000Z');

  assert.deepEqual((await changedSince(conn, second.watermark)).records, []);
});

#!/usr/bin/env node
// jsforce (npm) writing records through the REST API of a running `bulkforce serve`.
//
// Usage: BF_URL=http://127.0.0.1:PORT BF_TOKEN=00D…!… node jsforce_rest_test.js TMPDIR
// (NODE_PATH or the working directory must let `require('jsforce')` find the package.)
//
// Drives jsforce's own record calls at its default API version (50.0), where a single record goes to
// /sobjects and an array to sObject Collections (/composite/sobjects, upsert on /composite/sobjects/{Obj}/{ext}):
// conn.sobject('Account').create / retrieve / update / upsert / destroy on one record and on arrays, with
// allOrNone false (per-record results) and true (ALL_OR_NONE_OPERATION_ROLLED_BACK, nothing kept), the
// 200-record limit (EXCEEDED_ID_LIMIT; jsforce's allowRecursive splits larger arrays); the
// errors Salesforce answers for bad records; updated() / deleted() over a window of the server's clock (frozen
// through the control API, so that the minute-granular window is exact). Prints one line per check
// ("ok   …" or "FAIL …") and exits 1 if any check failed. A scenario that throws is reported as a failed
// check and the next scenario still runs.
//
// The server must know Account.Ext__c (string, externalId, unique) from a --schema describe file.
'use strict';

// jsforce honours HTTP(S)_PROXY and ignores NO_PROXY: never send local traffic to a proxy.
for (const v of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) {
  delete process.env[v];
}

const jsforce = require('jsforce');

const URL = process.env.BF_URL;
const TOKEN = process.env.BF_TOKEN;
const TMP = process.argv[2];
if (!URL || !TOKEN || !TMP) {
  console.error('usage: BF_URL=… BF_TOKEN=… node jsforce_rest_test.js TMPDIR');
  process.exit(2);
}

let count = 0;
const failures = [];

function check(name, cond, detail) {
  count += 1;
  if (cond) {
    console.log(`ok   jsforce-rest ${name}`);
  } else {
    failures.push(name);
    console.log(`FAIL jsforce-rest ${name}${detail ? `: ${detail}` : ''}`);
  }
  return cond;
}

function eq(name, got, want) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  return check(name, g === w, `got ${g}, want ${w}`);
}

async function scenario(fn) {
  try {
    await fn();
  } catch (err) {
    const where = (err && err.stack ? err.stack.split('\n')[1] || '' : '').trim();
    check(`${fn.name} ran without an exception`, false,
      `${err && err.name}: ${err && err.message}${err && err.errorCode ? ` [${err.errorCode}]` : ''} ${where}`);
  }
}

/** Checks that CALL is refused with Salesforce's errorCode (jsforce's HttpApiError); returns the error. */
async function refused(name, call, errorCode) {
  let result;
  try {
    result = await call();
  } catch (err) {
    eq(`${name}: errorCode`, err.errorCode, errorCode);
    return err;
  }
  check(`${name}: refused`, false, `it answered ${JSON.stringify(result)}`);
  return null;
}

function isId(value, prefix) {
  return typeof value === 'string' && value.length === 18 && value.startsWith(prefix);
}

/** The codes of one per-record result's errors (sObject Collections use `statusCode`). */
function codes(result) {
  return ((result && result.errors) || []).map((e) => e.statusCode);
}

const conn = new jsforce.Connection({ instanceUrl: URL, accessToken: TOKEN });
const accounts = conn.sobject('Account');
const ids = {}; // Ext__c -> Id

/** The server's control API (no part of Salesforce): the clock. */
async function control(method, path, body) {
  const res = await fetch(`${URL}/_bulkforce/${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  check(`control ${method} ${path} answers 200`, res.status === 200, `${res.status} ${await res.text()}`);
}

async function names(where) {
  const res = await conn.query(`SELECT Name FROM Account WHERE ${where} ORDER BY Name`);
  return res.records.map((r) => r.Name);
}

async function singleRecords() {
  const created = await accounts.create({ Name: 'JS One', NumberOfEmployees: 3, Ext__c: 'J-1' });
  check('create: an Account id', isId(created.id, '001'), JSON.stringify(created));
  eq('create: success and no errors', [created.success, created.errors], [true, []]);
  ids['J-1'] = created.id;

  const rec = await accounts.retrieve(created.id);
  eq('retrieve: Id, Name, NumberOfEmployees, Ext__c', [rec.Id, rec.Name, rec.NumberOfEmployees, rec.Ext__c],
    [created.id, 'JS One', 3, 'J-1']);
  eq('retrieve: attributes', rec.attributes,
    { type: 'Account', url: `/services/data/v50.0/sobjects/Account/${created.id}` });
  const some = await accounts.retrieve(created.id, { fields: ['Name'] });
  check('retrieve with fields: Name and not Ext__c', some.Name === 'JS One' && !('Ext__c' in some),
    JSON.stringify(some));

  const updated = await accounts.update({ Id: created.id, Description: 'from jsforce', NumberOfEmployees: null });
  eq('update: 204 becomes a success result', updated, { id: created.id, success: true, errors: [] });
  const after = await accounts.retrieve(created.id);
  eq('update: Description set, NumberOfEmployees cleared', [after.Description, after.NumberOfEmployees],
    ['from jsforce', null]);

  const inserted = await accounts.upsert({ Ext__c: 'J-2', Name: 'JS Upsert' }, 'Ext__c');
  check('upsert: no match creates (created true, an id)',
    inserted.created === true && inserted.success === true && isId(inserted.id, '001'), JSON.stringify(inserted));
  ids['J-2'] = inserted.id;
  const matched = await accounts.upsert({ Ext__c: 'J-2', Name: 'JS Upsert again' }, 'Ext__c');
  eq('upsert: one match updates (200 with created false)', matched,
    { id: inserted.id, success: true, errors: [], created: false });
  eq('upsert: renamed', (await accounts.retrieve(inserted.id)).Name, 'JS Upsert again');

  await refused('create without Name', () => accounts.create({ Description: 'no name' }), 'REQUIRED_FIELD_MISSING');
  const err = await refused('create with an unknown field', () => accounts.create({ Name: 'x', Bogus__c: 1 }),
    'INVALID_FIELD');
  if (err) {
    eq('create with an unknown field: message', err.message, "No such column 'Bogus__c' on sobject of type Account");
  }
  await refused('create with a taken Ext__c', () => accounts.create({ Name: 'dup', Ext__c: 'J-1' }), 'DUPLICATE_VALUE');
  await refused('retrieve an unknown id', () => accounts.retrieve('001000000000000AAA'), 'NOT_FOUND');

  const destroyed = await accounts.destroy(inserted.id);
  eq('destroy: 204 becomes a success result', destroyed, { id: inserted.id, success: true, errors: [] });
  await refused('destroy again', () => accounts.destroy(inserted.id), 'ENTITY_IS_DELETED');
}

async function createMany() {
  const res = await accounts.create([
    { Name: 'JS Many 1', Ext__c: 'J-11' },
    { Name: 'JS Many 2', Ext__c: 'J-12', NumberOfEmployees: 12 },
    { Name: 'JS Many 3', Ext__c: 'J-13' },
  ]);
  eq('create array: three successes', res.map((r) => [r.success, r.errors]), [[true, []], [true, []], [true, []]]);
  check('create array: three Account ids', res.every((r) => isId(r.id, '001')), JSON.stringify(res));
  res.forEach((r, i) => {
    ids[`J-1${i + 1}`] = r.id;
  });

  const partial = await accounts.create([{ Name: 'JS Partial ok' }, { Description: 'no name' }], { allOrNone: false });
  check('create array allOrNone false: the good record kept', partial[0].success === true && isId(partial[0].id, '001'),
    JSON.stringify(partial));
  eq('create array allOrNone false: the bad one fails on its own',
    [partial[1].success, codes(partial[1]), (partial[1].errors[0] || {}).fields], [false, ['REQUIRED_FIELD_MISSING'], ['Name']]);
  check('create array allOrNone false: no id on the failed record', !partial[1].id, JSON.stringify(partial[1]));

  const all = await accounts.create([{ Name: 'JS AllOrNone' }, { Description: 'no name' }], { allOrNone: true });
  eq('create array allOrNone true: all fail', all.map((r) => r.success), [false, false]);
  eq('create array allOrNone true: rolled back, then the real error', all.map(codes),
    [['ALL_OR_NONE_OPERATION_ROLLED_BACK'], ['REQUIRED_FIELD_MISSING']]);
  eq('create array allOrNone true: the rolled-back message', (all[0].errors[0] || {}).message,
    'Record rolled back because not all records were valid and the request was using AllOrNone header');
  eq('create array: what was kept', await names("Name LIKE 'JS Partial%' OR Name LIKE 'JS AllOrNone%'"),
    ['JS Partial ok']);
}

async function retrieveMany() {
  const recs = await accounts.retrieve([ids['J-11'], ids['J-12']], { fields: ['Name', 'Ext__c', 'NumberOfEmployees'] });
  eq('retrieve array: records in order', recs.map((r) => r && [r.Name, r.Ext__c, r.NumberOfEmployees]),
    [['JS Many 1', 'J-11', null], ['JS Many 2', 'J-12', 12]]);
  eq('retrieve array: attributes', recs.map((r) => r && r.attributes && r.attributes.type), ['Account', 'Account']);
  // Without fields, jsforce describes the object and asks for every field.
  const full = await accounts.retrieve([ids['J-13'], '001000000000000AAA']);
  check('retrieve array, all fields: the record', full[0] && full[0].Name === 'JS Many 3' && full[0].Id === ids['J-13']
    && 'CreatedDate' in full[0], JSON.stringify(full[0]));
  eq('retrieve array: null for an unknown id', full[1], null);
}

async function updateMany() {
  const res = await accounts.update([
    { Id: ids['J-11'], Description: 'many updated' },
    { Id: ids['J-12'], Name: null },
  ]);
  eq('update array allOrNone false: first ok, second REQUIRED_FIELD_MISSING',
    res.map((r) => [r.success, codes(r)]), [[true, []], [false, ['REQUIRED_FIELD_MISSING']]]);
  eq('update array: the success names its id', res[0].id, ids['J-11']);
  const all = await accounts.update([
    { Id: ids['J-11'], Description: 'never' },
    { Id: ids['J-12'], Name: null },
  ], { allOrNone: true });
  eq('update array allOrNone true: rolled back, then the real error', all.map(codes),
    [['ALL_OR_NONE_OPERATION_ROLLED_BACK'], ['REQUIRED_FIELD_MISSING']]);
  const recs = await accounts.retrieve([ids['J-11'], ids['J-12']], { fields: ['Name', 'Description'] });
  eq('update array: only the allOrNone-false success was kept', recs.map((r) => r && [r.Name, r.Description]),
    [['JS Many 1', 'many updated'], ['JS Many 2', null]]);
}

async function upsertMany() {
  const res = await accounts.upsert([
    { Ext__c: 'J-11', Name: 'JS Many 1 upserted' },
    { Ext__c: 'J-14', Name: 'JS Many 4' },
  ], 'Ext__c');
  eq('upsert array: matched then created', res.map((r) => [r.success, r.created]), [[true, false], [true, true]]);
  eq('upsert array: the match keeps its id', res[0].id, ids['J-11']);
  check('upsert array: the created record has an id', isId(res[1].id, '001'), JSON.stringify(res[1]));
  ids['J-14'] = res[1].id;
  const all = await accounts.upsert([
    { Ext__c: 'J-15', Name: 'JS never' },
    { Ext__c: 'J-16', Description: 'no name' },
  ], 'Ext__c', { allOrNone: true });
  eq('upsert array allOrNone true: rolled back, then the real error', all.map(codes),
    [['ALL_OR_NONE_OPERATION_ROLLED_BACK'], ['REQUIRED_FIELD_MISSING']]);
  eq('upsert array: renamed, created, nothing of the rolled-back call',
    await names("Ext__c IN ('J-11', 'J-14', 'J-15', 'J-16')"), ['JS Many 1 upserted', 'JS Many 4']);
}

async function destroyMany() {
  const all = await accounts.destroy([ids['J-13'], ids['J-2']], { allOrNone: true });
  eq('destroy array allOrNone true: rolled back, then the deleted one', all.map(codes),
    [['ALL_OR_NONE_OPERATION_ROLLED_BACK'], ['ENTITY_IS_DELETED']]);
  eq('destroy array allOrNone true: the good id is kept', (await accounts.retrieve(ids['J-13'])).Id, ids['J-13']);
  const res = await accounts.destroy([ids['J-13'], ids['J-14'], '001xyz']);
  eq('destroy array: two deleted, one malformed', res.map((r) => [r.success, codes(r)]),
    [[true, []], [true, []], [false, ['MALFORMED_ID']]]);
  eq('destroy array: the successes name their ids', [res[0].id, res[1].id], [ids['J-13'], ids['J-14']]);
  let gone = null;
  try {
    gone = await accounts.retrieve(ids['J-14']);
  } catch (err) {
    // Salesforce answers 404; the code for a record in the recycle bin is ENTITY_IS_DELETED or NOT_FOUND.
    check('retrieve a destroyed record: 404', ['ENTITY_IS_DELETED', 'NOT_FOUND'].includes(err.errorCode),
      `${err.errorCode}: ${err.message}`);
  }
  if (gone) {
    check('retrieve a destroyed record: refused', false, JSON.stringify(gone));
  }
}

/** sObject Collections take 200 records a call; jsforce splits larger arrays only with allowRecursive. */
async function moreThanTwoHundred() {
  const records = Array.from({ length: 201 }, (_, i) => ({ Name: `JS Bulk ${String(i).padStart(3, '0')}` }));
  const err = await refused('create 201 records in one call', () => accounts.create(records), 'EXCEEDED_ID_LIMIT');
  if (err) {
    eq('create 201 records in one call: message', err.message,
      'record limit reached. cannot submit more than 200 records into this call');
  }
  const made = await accounts.create(records, { allowRecursive: true });
  eq('create 201 records with allowRecursive: 201 successes', made.filter((r) => r.success).length, 201);
  const count = async () => (await conn.query("SELECT COUNT() FROM Account WHERE Name LIKE 'JS Bulk %'")).totalSize;
  eq('create 201 records with allowRecursive: all kept', await count(), 201);
  const gone = await accounts.destroy(made.map((r) => r.id), { allowRecursive: true });
  eq('destroy 201 ids with allowRecursive: 201 successes', gone.filter((r) => r.success).length, 201);
  eq('destroy 201 ids with allowRecursive: none left', await count(), 0);
}

/** Writes at a frozen 10:00:20, then reads the window 10:00–10:10 once the clock is at 10:20. */
async function updatedAndDeleted() {
  await control('PUT', 'clock', { now: '2031-03-10T10:00:20Z' });
  try {
    const made = await accounts.create({ Name: 'JS Synced' });
    await accounts.update({ Id: ids['J-11'], Description: 'synced' });
    await accounts.destroy(ids['J-12']);
    await control('PUT', 'clock', { now: '2031-03-10T10:20:00Z' });
    const start = new Date('2031-03-10T10:00:00Z');
    const end = new Date('2031-03-10T10:10:00Z');
    const up = await accounts.updated(start, end);
    // Live records only: the record deleted in the window is deleted()'s to report.
    eq('updated: the created and the updated record', [...(up.ids || [])].sort(), [made.id, ids['J-11']].sort());
    eq('updated: latestDateCovered is the end', up.latestDateCovered, '2031-03-10T10:10:00.000+0000');
    const del = await accounts.deleted(start, end);
    eq('deleted: the deleted record with its date', del.deletedRecords,
      [{ id: ids['J-12'], deletedDate: '2031-03-10T10:00:20.000+0000' }]);
    check('deleted: earliestDateAvailable', typeof del.earliestDateAvailable === 'string', JSON.stringify(del));
    eq('deleted: latestDateCovered is the end', del.latestDateCovered, '2031-03-10T10:10:00.000+0000');
    const later = await accounts.deleted(new Date('2031-03-10T10:01:00Z'), end);
    eq('deleted: nothing after 10:01', later.deletedRecords, []);
    await refused('updated with end before start', () => accounts.updated(end, start), 'INVALID_REPLICATION_DATE');
  } finally {
    await control('DELETE', 'clock');
  }
}

/** Values the org derives: an Opportunity at a closed stage reads back closed and won with the stage's
 * probability and forecast category; a new stage brings its own. */
async function derivedOpportunityFields() {
  const opportunities = conn.sobject('Opportunity');
  const created = await opportunities.create({ Name: 'Jsforce Derived', StageName: 'Closed Won', CloseDate: '2026-06-30' });
  check('derived: an Opportunity created', created.success && isId(created.id, '006'), JSON.stringify(created));
  const rec = await opportunities.retrieve(created.id);
  eq('derived: Closed Won is closed and won, probability 100, forecast Closed',
    [rec.IsClosed, rec.IsWon, rec.Probability, rec.ForecastCategory], [true, true, 100, 'Closed']);
  await opportunities.update({ Id: created.id, StageName: 'Negotiation/Review' });
  const open = await conn.query(`SELECT IsClosed, IsWon, Probability, ForecastCategoryName FROM Opportunity WHERE Id = '${created.id}'`);
  eq('derived: Negotiation/Review is open again, probability 90, forecast Pipeline',
    open.records.map((r) => [r.IsClosed, r.IsWon, r.Probability, r.ForecastCategoryName]), [[false, false, 90, 'Pipeline']]);
}

(async () => {
  for (const step of [singleRecords, createMany, retrieveMany, updateMany, upsertMany, destroyMany,
    moreThanTwoHundred, updatedAndDeleted, derivedOpportunityFields]) {
    await scenario(step);
  }
  console.log(`jsforce-rest: ${count - failures.length} passed, ${failures.length} failed`);
  process.exit(failures.length ? 1 : 0);
})();

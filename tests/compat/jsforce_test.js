#!/usr/bin/env node
// jsforce (npm) against a running `bulkforce serve`.
//
// Usage: BF_URL=http://127.0.0.1:PORT BF_TOKEN=00D…!… node jsforce_test.js TMPDIR
// (NODE_PATH or the working directory must let `require('jsforce')` find the package.)
//
// Drives the Bulk API 2.0 through jsforce's own calls (bulk2.loadAndWaitForResults, the step-by-step
// IngestJobV2 API, job.abort, bulk2.query) at jsforce's default API version (50.0). Prints one line per
// check ("ok   …" or "FAIL …") and exits 1 if any check failed. A scenario that throws is reported as a
// failed check and the next scenario still runs.
//
// The server must know Account.Ext__c (string, externalId) from a --schema describe file.
'use strict';

// jsforce honours HTTP(S)_PROXY and ignores NO_PROXY: never send local traffic to a proxy.
for (const v of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) {
  delete process.env[v];
}

const fs = require('fs');
const path = require('path');
const jsforce = require('jsforce');

const URL = process.env.BF_URL;
const TOKEN = process.env.BF_TOKEN;
const TMP = process.argv[2];
if (!URL || !TOKEN || !TMP) {
  console.error('usage: BF_URL=… BF_TOKEN=… node jsforce_test.js TMPDIR');
  process.exit(2);
}

let count = 0;
const failures = [];

function check(name, cond, detail) {
  count += 1;
  if (cond) {
    console.log(`ok   jsforce ${name}`);
  } else {
    failures.push(name);
    console.log(`FAIL jsforce ${name}${detail ? `: ${detail}` : ''}`);
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

function quote(v) {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function writeCsv(name, header, rows) {
  const file = path.join(TMP, name);
  const lines = [header, ...rows].map((r) => r.map(quote).join(','));
  fs.writeFileSync(file, lines.join('\n') + '\n', 'utf8');
  return file;
}

const conn = new jsforce.Connection({ instanceUrl: URL, accessToken: TOKEN });
conn.bulk2.pollInterval = 200;
conn.bulk2.pollTimeout = 60000;

// Values with quotes, commas, newlines, the other five delimiters jsforce's result parser accepts, and
// non-ASCII text.
const ACCOUNTS = [
  ['Acme, Inc.', 'He said "hello", then left', '10', 'J-1'],
  ['Globex "The Big One"', 'line one\nline two, with comma', '20', 'J-2'],
  ['Initech', '', '30', 'J-3'],
  ['Umbrella; Corp|Ltd', 'tab\there ^caret^ `tick`', '40', 'J-4'],
  ['Soylent', 'multi\n\nline "quoted"\n', '50', 'J-5'],
  ['Zürich Café', 'naïve – ünïcødé', '60', 'J-6'],
];
const ids = {}; // Ext__c -> Id

function byExt(rows) {
  const m = {};
  for (const r of rows || []) m[r.Ext__c] = r;
  return m;
}

async function insertFromCsvFile() {
  const file = writeCsv('insert.csv', ['Name', 'Description', 'NumberOfEmployees', 'Ext__c'], ACCOUNTS);
  const res = await conn.bulk2.loadAndWaitForResults({
    object: 'Account',
    operation: 'insert',
    input: fs.createReadStream(file),
  });
  check('insert: successfulResults parsed as records', Array.isArray(res.successfulResults),
    JSON.stringify(res.successfulResults).slice(0, 200));
  eq('insert: successful rows', (res.successfulResults || []).length, 6);
  eq('insert: failedResults empty', res.failedResults, []);
  eq('insert: unprocessedRecords empty', res.unprocessedRecords, []);
  const ok = byExt(res.successfulResults);
  for (const [name, desc, emp, ext] of ACCOUNTS) {
    const row = ok[ext];
    if (!check(`insert: ${ext} in successfulResults`, !!row)) continue;
    eq(`insert: ${ext} Name/Description/NumberOfEmployees round-trip`,
      [row.Name, row.Description, row.NumberOfEmployees], [name, desc, emp]);
    eq(`insert: ${ext} sf__Created`, row.sf__Created, 'true');
    check(`insert: ${ext} sf__Id is an Account id`, /^001\w{15}$/.test(row.sf__Id || ''), row.sf__Id);
    ids[ext] = row.sf__Id;
  }
}

async function upsertRecordsOnExternalId() {
  // A record array: jsforce serialises it with an empty Id column and `#N/A` for null.
  const res = await conn.bulk2.loadAndWaitForResults({
    object: 'Account',
    operation: 'upsert',
    externalIdFieldName: 'Ext__c',
    input: [
      { Ext__c: 'J-1', Name: 'Acme, Inc. (renamed)', NumberOfEmployees: 11, Description: null },
      { Ext__c: 'J-2', Name: 'Globex "Bigger"', NumberOfEmployees: 21, Description: 'line one\nline two, with comma' },
      { Ext__c: 'J-7', Name: 'Vandelay, Industries', NumberOfEmployees: 70, Description: 'new' },
      { Ext__c: 'J-8', Name: 'Hooli\nXYZ', NumberOfEmployees: 80, Description: null },
    ],
  });
  eq('upsert: failedResults empty', res.failedResults, []);
  const ok = byExt(res.successfulResults);
  eq('upsert: successful rows', Object.keys(ok).sort(), ['J-1', 'J-2', 'J-7', 'J-8']);
  for (const ext of ['J-1', 'J-2']) {
    if (!ok[ext]) continue;
    eq(`upsert: ${ext} matched (sf__Created false)`, ok[ext].sf__Created, 'false');
    eq(`upsert: ${ext} kept its Id`, ok[ext].sf__Id, ids[ext]);
  }
  for (const ext of ['J-7', 'J-8']) {
    if (!ok[ext]) continue;
    eq(`upsert: ${ext} created (sf__Created true)`, ok[ext].sf__Created, 'true');
    ids[ext] = ok[ext].sf__Id;
  }
  if (ok['J-8']) eq('upsert: newline in Name round-trips', ok['J-8'].Name, 'Hooli\nXYZ');
}

async function updateWithFailingRowsStepByStep() {
  const job = conn.bulk2.createJob({ object: 'Account', operation: 'update' });
  const info = await job.open();
  eq('update: created job is Open', info.state, 'Open');
  await job.uploadData(
    `Id,NumberOfEmployees\n${ids['J-3']},33\n${ids['J-4']},abc\n${ids['J-5']},55\n${ids['J-6']},"1,5"\n`);
  await job.close();
  eq('update: close answers UploadComplete (or later)',
    ['UploadComplete', 'InProgress', 'JobComplete'].includes(job.getInfo().state), true);
  await job.poll(200, 60000);
  const done = await job.check();
  eq('update: numberRecordsProcessed', done.numberRecordsProcessed, 4);
  eq('update: numberRecordsFailed', done.numberRecordsFailed, 2);
  const { successfulResults, failedResults, unprocessedRecords } = await job.getAllResults();
  eq('update: successful Ids', (successfulResults || []).map((r) => r.sf__Id).sort(),
    [ids['J-3'], ids['J-5']].sort());
  eq('update: unprocessedRecords empty', unprocessedRecords, []);
  const failed = {};
  for (const r of failedResults || []) failed[r.Id] = r;
  eq('update: failed Ids', Object.keys(failed).sort(), [ids['J-4'], ids['J-6']].sort());
  for (const [ext, bad] of [['J-4', 'abc'], ['J-6', '1,5']]) {
    const row = failed[ids[ext]];
    if (!row) continue;
    const err = row.sf__Error || '';
    check(`update: ${ext} sf__Error is INVALID_FIELD:Failed to deserialize field at col …`,
      err.startsWith('INVALID_FIELD:Failed to deserialize field at col ') &&
        err.includes(`'${bad}' is not a valid value for the type xsd:int:NumberOfEmployees`), JSON.stringify(err));
    eq(`update: ${ext} failed row echoes the value`, row.NumberOfEmployees, bad);
  }
  const raw = await job.getFailedResults(true);
  check('update: raw failedResults header', String(raw).startsWith('"sf__Id","sf__Error",Id,NumberOfEmployees'),
    JSON.stringify(String(raw).slice(0, 80)));
}

async function failedJobReportsErrorMessage() {
  let message = null;
  try {
    await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'insert',
      input: 'Name,Bogus__c\nx,y\n',
    });
  } catch (err) {
    message = err.message;
  }
  check('failed job: jsforce reports the errorMessage',
    typeof message === 'string' && message.startsWith('Ingest job failed to complete due to: ') &&
      message.includes('Bogus__c'), JSON.stringify(message));
}

const EXPECTED_QUERY = { // Ext__c -> [Name, Description] after insert, upsert and update
  'J-1': ['Acme, Inc. (renamed)', null],
  'J-2': ['Globex "Bigger"', 'line one\nline two, with comma'],
  'J-3': ['Initech', null],
  'J-4': ['Umbrella; Corp|Ltd', 'tab\there ^caret^ `tick`'],
  'J-5': ['Soylent', 'multi\n\nline "quoted"\n'],
  'J-6': ['Zürich Café', 'naïve – ünïcødé'],
  'J-7': ['Vandelay, Industries', 'new'],
  'J-8': ['Hooli\nXYZ', null],
};

async function querySinglePage() {
  const stream = await conn.bulk2.query('SELECT Id, Name, Description, Ext__c FROM Account ORDER BY Ext__c');
  const records = await new Promise((resolve, reject) => {
    const out = [];
    stream.on('record', (r) => out.push(r));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
  eq('query: Ext__c in order', records.map((r) => r.Ext__c), Object.keys(EXPECTED_QUERY));
  for (const r of records) {
    const want = EXPECTED_QUERY[r.Ext__c];
    if (!want) continue;
    // An empty CSV value reads as '' or null depending on the parser: compare both as null.
    eq(`query: ${r.Ext__c} Name/Description`, [r.Name, r.Description || null], want);
    eq(`query: ${r.Ext__c} Id`, r.Id, ids[r.Ext__c]);
  }
}

async function deleteAndHardDelete() {
  let res = await conn.bulk2.loadAndWaitForResults({
    object: 'Account',
    operation: 'delete',
    input: [{ Id: ids['J-5'] }, { Id: ids['J-6'] }],
  });
  eq('delete: successful Ids', (res.successfulResults || []).map((r) => r.sf__Id).sort(),
    [ids['J-5'], ids['J-6']].sort());
  eq('delete: failedResults empty', res.failedResults, []);

  res = await conn.bulk2.loadAndWaitForResults({
    object: 'Account',
    operation: 'hardDelete',
    input: [{ Id: ids['J-7'] }, { Id: ids['J-8'] }, { Id: '001000000000000AAA' }],
  });
  eq('hardDelete: successful Ids', (res.successfulResults || []).map((r) => r.sf__Id).sort(),
    [ids['J-7'], ids['J-8']].sort());
  eq('hardDelete: failed row is the unknown Id', (res.failedResults || []).map((r) => r.Id),
    ['001000000000000AAA']);
}

async function abortJob() {
  const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
  await job.open();
  await job.uploadData('Name,Description\nAborted One,"a, b"\nAborted Two,x\n');
  await job.abort();
  eq('abort: PATCH answers state Aborted', job.getInfo().state, 'Aborted');
  eq('abort: job info state', (await job.check()).state, 'Aborted');
  const unprocessed = await job.getUnprocessedRecords();
  eq('abort: unprocessedRecords are the uploaded rows',
    (unprocessed || []).map((r) => [r.Name, r.Description]), [['Aborted One', 'a, b'], ['Aborted Two', 'x']]);
  eq('abort: successfulResults empty', await job.getSuccessfulResults(), []);
  eq('abort: failedResults empty', await job.getFailedResults(), []);
  let message = null;
  try {
    await job.poll(200, 5000);
  } catch (err) {
    message = err.message;
  }
  eq('abort: polling an aborted job throws "Job has been aborted"', message, 'Job has been aborted');
}

(async () => {
  for (const step of [insertFromCsvFile, upsertRecordsOnExternalId, updateWithFailingRowsStepByStep,
    failedJobReportsErrorMessage, querySinglePage, deleteAndHardDelete, abortJob]) {
    await scenario(step);
  }
  console.log(`jsforce: ${count - failures.length} passed, ${failures.length} failed`);
  process.exit(failures.length ? 1 : 0);
})();

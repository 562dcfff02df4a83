#!/usr/bin/env node
// jsforce (npm): deletes as an org does them, against a running `bulkforce serve`.
//
// Usage: BF_URL=http://127.0.0.1:PORT BF_TOKEN=00D…!… node jsforce_cascade_test.js TMPDIR
//
// Deleting an Account (conn.sobject('Account').destroy over REST, destroy of an array over sObject
// Collections, and bulk2.loadAndWaitForResults delete) takes its Contacts and Opportunities to the
// recycle bin: conn.query no longer finds them, conn.query(…, { scanAll: true }) (queryAll) shows them with
// IsDeleted true; a child account's ParentId is cleared. Prints one line per check ("ok   …" or "FAIL …")
// and exits 1 if any check failed.
'use strict';

for (const v of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) {
  delete process.env[v];
}

const jsforce = require('jsforce');

const URL = process.env.BF_URL;
const TOKEN = process.env.BF_TOKEN;
if (!URL || !TOKEN || !process.argv[2]) {
  console.error('usage: BF_URL=… BF_TOKEN=… node jsforce_cascade_test.js TMPDIR');
  process.exit(2);
}

let count = 0;
const failures = [];

function check(name, cond, detail) {
  count += 1;
  if (cond) {
    console.log(`ok   jsforce-cascade ${name}`);
  } else {
    failures.push(name);
    console.log(`FAIL jsforce-cascade ${name}${detail ? `: ${detail}` : ''}`);
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

const conn = new jsforce.Connection({ instanceUrl: URL, accessToken: TOKEN });
conn.bulk2.pollInterval = 200;
conn.bulk2.pollTimeout = 60000;

/** An Account with a Contact, an Opportunity and a child account; their ids. */
async function family(name) {
  const account = (await conn.sobject('Account').create({ Name: name })).id;
  const contact = (await conn.sobject('Contact').create({ LastName: `Of ${name}`, AccountId: account })).id;
  const opportunity = (await conn.sobject('Opportunity').create({
    Name: `${name} Deal`, StageName: 'Prospecting', CloseDate: '2026-06-30', AccountId: account,
  })).id;
  const child = (await conn.sobject('Account').create({ Name: `${name} Sub`, ParentId: account })).id;
  return { account, contact, opportunity, child };
}

/** IsDeleted by Id over queryAll (scanAll), for the records of IDS still stored. */
async function deletedFlags(object, ids) {
  const quoted = ids.map((id) => `'${id}'`).join(', ');
  const res = await conn.query(`SELECT Id, IsDeleted FROM ${object} WHERE Id IN (${quoted})`, { scanAll: true });
  const flags = {};
  for (const r of res.records) flags[r.Id] = r.IsDeleted;
  return flags;
}

async function assertCascaded(label, f) {
  for (const [object, id] of [['Contact', f.contact], ['Opportunity', f.opportunity], ['Account', f.account]]) {
    const live = await conn.query(`SELECT Id FROM ${object} WHERE Id = '${id}'`);
    eq(`${label}: the ${object} is gone from query`, live.totalSize, 0);
    eq(`${label}: queryAll shows the ${object} deleted`, await deletedFlags(object, [id]), { [id]: true });
  }
  const child = await conn.sobject('Account').retrieve(f.child);
  eq(`${label}: the child account stays, its ParentId cleared`, [child.IsDeleted, child.ParentId], [false, null]);
}

async function restDeleteCascades() {
  const f = await family('JS Rest');
  const res = await conn.sobject('Account').destroy(f.account);
  eq('REST destroy: success', res.success, true);
  await assertCascaded('REST destroy', f);
}

async function collectionsDeleteCascades() {
  const one = await family('JS Coll One');
  const two = await family('JS Coll Two');
  const res = await conn.sobject('Account').destroy([one.account, two.account]);
  eq('collections destroy: both succeed', res.map((r) => r.success), [true, true]);
  await assertCascaded('collections destroy', one);
  await assertCascaded('collections destroy', two);
}

async function bulkDeleteCascades() {
  const f = await family('JS Bulk');
  const res = await conn.bulk2.loadAndWaitForResults({
    object: 'Account', operation: 'delete', input: [{ Id: f.account }],
  });
  eq('bulk delete: no failed row', res.failedResults, []);
  await assertCascaded('bulk delete', f);
}

(async () => {
  for (const step of [restDeleteCascades, collectionsDeleteCascades, bulkDeleteCascades]) {
    await scenario(step);
  }
  console.log(`jsforce-cascade: ${count - failures.length} passed, ${failures.length} failed`);
  process.exit(failures.length ? 1 : 0);
})();

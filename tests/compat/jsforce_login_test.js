#!/usr/bin/env node
// jsforce (npm) logging in to a running `bulkforce serve` with a username and password, then using the Bulk
// API 2.0.
//
// Usage: BF_URL=http://127.0.0.1:PORT BF_USERNAME=… BF_PASSWORD=… BF_CLIENT_ID=… BF_CLIENT_SECRET=…
//        BF_ORG_ID=00D… BF_USER_ID=005… node jsforce_login_test.js TMPDIR
// (NODE_PATH or the working directory must let `require('jsforce')` find the package. Over https, point
// NODE_EXTRA_CA_CERTS at the server's certificate.)
//
// Two ways in, each followed by a small bulk2 insert (records in, parsed results out) and a bulk2 query:
//   1. SOAP login: new Connection({ loginUrl }).login(username, password) -> POST /services/Soap/u/50.0.
//   2. OAuth 2.0 password grant: new Connection({ oauth2: { clientId, clientSecret, loginUrl } }).login(…)
//      -> POST /services/oauth2/token; then logout() revokes the token (POST /services/oauth2/revoke).
// Both must land on the server's URL (serverUrl / instance_url), in the right org, as the right user, and
// the identity URL jsforce derives must answer. Wrong credentials must fail the way Salesforce fails them.
//
// Prints one line per check ("ok   …" or "FAIL …") and exits 1 if any check failed. A scenario that throws
// is reported as a failed check and the next scenario still runs.
'use strict';

// jsforce honours HTTP(S)_PROXY and ignores NO_PROXY: never send local traffic to a proxy.
for (const v of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) {
  delete process.env[v];
}

const jsforce = require('jsforce');

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is required (see the usage at the top of jsforce_login_test.js)`);
    process.exit(2);
  }
  return v;
};
const URL = env('BF_URL').replace(/\/+$/, '');
const USERNAME = env('BF_USERNAME');
const PASSWORD = env('BF_PASSWORD');
const CLIENT_ID = env('BF_CLIENT_ID');
const CLIENT_SECRET = env('BF_CLIENT_SECRET');
const ORG_ID = env('BF_ORG_ID');
const USER_ID = env('BF_USER_ID');

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

/** The error a promise rejects with, as {name, message, errorCode}, or a marker if it resolves. */
async function failure(promise) {
  try {
    await promise;
    return { name: 'resolved' };
  } catch (err) {
    return { name: err && err.name, message: err && err.message, errorCode: err && err.errorCode };
  }
}

function newConnection(options) {
  const conn = new jsforce.Connection({ loginUrl: URL, logLevel: 'FATAL', ...options });
  conn.bulk2.pollInterval = 200;
  conn.bulk2.pollTimeout = 30000;
  return conn;
}

/** Checks that a logged-in connection talks to this server, in the right org, as the right user. */
async function loggedIn(label, conn, userInfo) {
  eq(`${label}: instanceUrl is the server's URL`, conn.instanceUrl, URL);
  check(`${label}: accessToken is an access token of the org`,
    (conn.accessToken || '').startsWith(`${ORG_ID.slice(0, 15)}!`), JSON.stringify(conn.accessToken));
  eq(`${label}: login answers the user and org ids`, [userInfo.id, userInfo.organizationId], [USER_ID, ORG_ID]);
  eq(`${label}: identity URL`, userInfo.url, `${URL}/id/${ORG_ID}/${USER_ID}`);
  const identity = await conn.identity();
  eq(`${label}: identity() answers the user`, [identity.user_id, identity.organization_id, identity.username],
    [USER_ID, ORG_ID, USERNAME]);
  const org = await conn.query('SELECT Id, Name FROM Organization');
  eq(`${label}: REST query of Organization answers the org`, org.records.map((r) => r.Id), [ORG_ID]);
}

/** Inserts three Accounts through bulk2 (a record array) and queries them back. */
async function bulkRoundtrip(label, conn) {
  const names = [`jsforce ${label} 1`, `jsforce ${label} 2; "quoted", too`, `jsforce ${label} 3 Zürich`];
  const res = await conn.bulk2.loadAndWaitForResults({
    object: 'Account',
    operation: 'insert',
    input: names.map((Name) => ({ Name })),
  });
  eq(`${label}: bulk2 insert failedResults empty`, res.failedResults, []);
  const ids = {};
  for (const r of res.successfulResults || []) ids[r.Name] = r.sf__Id;
  eq(`${label}: bulk2 insert successfulResults names`, Object.keys(ids).sort(), [...names].sort());
  check(`${label}: bulk2 insert ids are Account ids`, Object.values(ids).every((id) => /^001\w{15}$/.test(id)),
    JSON.stringify(ids));
  const stream = await conn.bulk2.query(
    `SELECT Id, Name FROM Account WHERE Name LIKE 'jsforce ${label} %' ORDER BY Name`);
  const records = await new Promise((resolve, reject) => {
    const out = [];
    stream.on('record', (r) => out.push(r));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
  eq(`${label}: bulk2 query answers the inserted rows`, records.map((r) => [r.Name, r.Id]),
    [...names].sort().map((n) => [n, ids[n]]));
}

async function soapLogin() {
  const conn = newConnection({});
  const userInfo = await conn.login(USERNAME, PASSWORD);
  await loggedIn('soap', conn, userInfo);
  await bulkRoundtrip('soap', conn);
  const err = await failure(newConnection({}).login(USERNAME, `${PASSWORD}x`));
  eq('soap: a wrong password fails with the INVALID_LOGIN faultstring', err.message,
    'INVALID_LOGIN: Invalid username, password, security token; or user locked out.');
}

async function oauthPassword() {
  const oauth2 = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, loginUrl: URL };
  const conn = newConnection({ oauth2 });
  const userInfo = await conn.login(USERNAME, PASSWORD);
  await loggedIn('oauth password', conn, userInfo);
  await bulkRoundtrip('oauth', conn);

  const all = await conn.query('SELECT Name FROM Account');
  eq('oauth password: the org holds the rows of both sessions',
    all.records.map((r) => r.Name.split(' ')[1]).sort(), ['oauth', 'oauth', 'oauth', 'soap', 'soap', 'soap']);

  const token = conn.accessToken;
  await conn.logout();
  const after = newConnection({ instanceUrl: URL, accessToken: token });
  const err = await failure(after.query('SELECT Id FROM Organization'));
  eq('oauth password: logout revokes the token (INVALID_SESSION_ID)', err.errorCode, 'INVALID_SESSION_ID');

  let bad = await failure(newConnection({ oauth2 }).login(USERNAME, `${PASSWORD}x`));
  eq('oauth password: a wrong password fails with invalid_grant / authentication failure',
    [bad.name, bad.message], ['invalid_grant', 'authentication failure']);
  bad = await failure(newConnection({ oauth2: { ...oauth2, clientSecret: `${CLIENT_SECRET}x` } })
    .login(USERNAME, PASSWORD));
  eq('oauth password: a wrong client secret fails with invalid_client', bad.name, 'invalid_client');
}

(async () => {
  for (const step of [soapLogin, oauthPassword]) {
    await scenario(step);
  }
  console.log(`jsforce logins: ${count - failures.length} passed, ${failures.length} failed`);
  process.exit(failures.length ? 1 : 0);
})();

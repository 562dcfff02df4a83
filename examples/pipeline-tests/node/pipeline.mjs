// The pipeline under test: loads Accounts and syncs changed Accounts over jsforce's Bulk API 2.0 client.
//
// Nothing here knows about bulkforce. It is ordinary Salesforce client code that gets an instance URL and an
// access token; pipeline.test.mjs points it at `bulkforce serve` and uses the emulator's controls to make
// rows fail as a busy org makes them fail, and to set the clock for the incremental sync.
import jsforce from 'jsforce';

/** Row errors that mean "another transaction had the record; the same row can succeed later". */
const RETRYABLE_ROW_ERRORS = new Set(['UNABLE_TO_LOCK_ROW']);

export function connect(instanceUrl, accessToken) {
  const conn = new jsforce.Connection({ instanceUrl, accessToken });
  conn.bulk2.pollInterval = 100;
  conn.bulk2.pollTimeout = 60_000;
  return conn;
}

/**
 * Inserts ACCOUNTS (plain objects) and retries, in a new job, the rows that failed with a retryable error.
 * Returns every loaded row, every retried failure, the rows that failed for good and the number of jobs.
 */
export async function loadAccounts(conn, accounts, { maxJobs = 3 } = {}) {
  const report = { loaded: [], retried: [], failed: [], jobs: 0 };
  let pending = accounts;
  while (pending.length > 0 && report.jobs < maxJobs) {
    report.jobs += 1;
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'insert',
      input: pending,
    });
    report.loaded.push(...results.successfulResults);
    pending = [];
    for (const row of results.failedResults) {
      if (RETRYABLE_ROW_ERRORS.has(errorCode(row))) {
        report.retried.push(row);
        pending.push(inputColumns(row));
      } else {
        report.failed.push(row);
      }
    }
  }
  report.failed.push(...pending); // still failing after the last job
  return report;
}

/**
 * Accounts modified after WATERMARK (a SOQL datetime), oldest first, and the watermark for the next run: the
 * newest SystemModstamp seen, so no change is missed or read twice whatever the clocks of this machine say.
 */
export async function changedSince(conn, watermark) {
  const stream = await conn.bulk2.query(
    `SELECT Id, Name, SystemModstamp FROM Account WHERE SystemModstamp > ${watermark} ORDER BY SystemModstamp`,
  );
  const records = await new Promise((resolve, reject) => {
    const rows = [];
    stream.on('record', (row) => rows.push(row));
    stream.on('error', reject);
    stream.on('end', () => resolve(rows));
  });
  const newest = records.reduce((max, row) => (row.SystemModstamp > max ? row.SystemModstamp : max), watermark);
  return { records, watermark: newest };
}

/** The code of a failed result row: `sf__Error` is `CODE:message:fields`. */
function errorCode(row) {
  return String(row.sf__Error ?? '').split(':')[0];
}

/** A failed result row as it was uploaded (without the `sf__` columns Salesforce adds). */
function inputColumns(row) {
  return Object.fromEntries(Object.entries(row).filter(([name]) => !name.startsWith('sf__')));
}

//! API usage in `bulkforce.api_usage`: one row per org, counter and minute, added to by every instance,
//! so the totals (`Sforce-Limit-Info`, `/limits`, `REQUEST_LIMIT_EXCEEDED`) are global. A total is the
//! sum of the buckets of the 24 hours ending at the caller's `now`, counted as the in-memory
//! `RollingUsage` of the SQLite backend counts: a bucket drops out once its minute is a full window old.
//!
//! Buckets that fell out of the window are deleted when a new bucket is made for the same org and
//! counter: at most once a minute per counter, without a timer.

use crate::postgres::PgStore;
use crate::usage::{ApiCounter, WINDOW_MINUTES};
use crate::{Result, StoreError};
use bulkforce_core::id::SfId;
use chrono::{DateTime, Utc};
use postgres::GenericClient;

/// The `counter` column's value.
fn counter_name(counter: ApiCounter) -> &'static str {
    match counter {
        ApiCounter::ApiRequests => "api_requests",
        ApiCounter::QueryJobs => "query_jobs",
        ApiCounter::IngestBatches => "ingest_batches",
    }
}

fn minute_of(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(60)
}

fn total_of(total: i64) -> Result<u64> {
    u64::try_from(total).map_err(|_| StoreError::Corrupt(format!("negative API usage {total}")))
}

/// Forgets every counter of `org`: a reset starts its allocations afresh. Run it in the reset's
/// transaction.
pub(in crate::postgres) fn forget_usage(client: &mut impl GenericClient, org: SfId) -> Result<()> {
    client.execute(
        "DELETE FROM bulkforce.api_usage WHERE org_id = $1",
        &[&org.as_str()],
    )?;
    Ok(())
}

impl PgStore {
    /// Counts `n` of `counter` for `org` at `now`; returns the total over the 24 hours ending then, all
    /// instances' counts included. One statement: the bucket's new count plus the window's other
    /// buckets as they were when it ran.
    pub(in crate::postgres) fn pg_add_api_usage(
        &self,
        org: SfId,
        counter: ApiCounter,
        n: u64,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let n = i64::try_from(n)
            .map_err(|_| StoreError::Invalid(format!("an API usage count of {n} is too large")))?;
        let minute = minute_of(now);
        let mut conn = self.conn()?;
        let row = conn.query_one(
            "WITH bump AS (
                 INSERT INTO bulkforce.api_usage AS u (org_id, counter, minute, n)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (org_id, counter, minute) DO UPDATE SET n = u.n + excluded.n
                 RETURNING u.n, u.xmax = 0 AS new_bucket)
             SELECT bump.n + COALESCE((SELECT SUM(o.n) FROM bulkforce.api_usage o
                        WHERE o.org_id = $1 AND o.counter = $2
                          AND o.minute > $3 - $5::bigint AND o.minute <> $3), 0)::bigint,
                    bump.new_bucket
             FROM bump",
            &[
                &org.as_str(),
                &counter_name(counter),
                &minute,
                &n,
                &WINDOW_MINUTES,
            ],
        )?;
        let (total, new_bucket): (i64, bool) = (row.try_get(0)?, row.try_get(1)?);
        if new_bucket {
            conn.execute(
                "DELETE FROM bulkforce.api_usage
                 WHERE org_id = $1 AND counter = $2 AND minute <= $3 - $4::bigint",
                &[
                    &org.as_str(),
                    &counter_name(counter),
                    &minute,
                    &WINDOW_MINUTES,
                ],
            )?;
        }
        total_of(total)
    }

    /// The total of `counter` for `org` over the 24 hours ending at `now`, all instances' counts.
    pub(in crate::postgres) fn pg_api_usage(
        &self,
        org: SfId,
        counter: ApiCounter,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let row = self.conn()?.query_one(
            "SELECT COALESCE(SUM(n), 0)::bigint FROM bulkforce.api_usage
             WHERE org_id = $1 AND counter = $2 AND minute > $3 - $4::bigint",
            &[
                &org.as_str(),
                &counter_name(counter),
                &minute_of(now),
                &WINDOW_MINUTES,
            ],
        )?;
        total_of(row.try_get(0)?)
    }
}

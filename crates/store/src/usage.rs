//! API usage counted per org over a rolling 24 hours, as Salesforce counts its daily allocations
//! (`Sforce-Limit-Info`, `/limits`, `REQUEST_LIMIT_EXCEEDED`).
//!
//! [`RollingUsage`] is the in-memory form an embedded, single-process store keeps: one-minute buckets per
//! org and counter, expired as the window moves. A store shared by several server instances keeps its
//! counters in the database instead, so that every instance sees the same totals.

use bulkforce_core::id::SfId;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};

/// What is counted per org, each against its own daily allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiCounter {
    /// Every authenticated API call (`DailyApiRequests`).
    ApiRequests,
    /// Query jobs created (`DailyBulkV2QueryJobs`).
    QueryJobs,
    /// Ingest uploads (`DailyBulkApiBatches`).
    IngestBatches,
}

/// The length of the rolling window, in minutes.
pub const WINDOW_MINUTES: i64 = 24 * 60;

/// Rolling 24-hour counters per org and counter, in one-minute buckets.
#[derive(Default)]
pub struct RollingUsage {
    windows: Mutex<HashMap<(SfId, ApiCounter), Window>>,
}

#[derive(Default)]
struct Window {
    /// (minute, count), oldest first.
    buckets: VecDeque<(i64, u64)>,
    total: u64,
}

impl Window {
    /// Drops the buckets that fell out of the 24 hours ending at `minute`.
    fn expire(&mut self, minute: i64) {
        while let Some(&(start, count)) = self.buckets.front() {
            if start > minute - WINDOW_MINUTES {
                break;
            }
            self.total -= count;
            self.buckets.pop_front();
        }
    }
}

fn minute_of(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(60)
}

impl RollingUsage {
    /// Counts `n` of `counter` for `org` at `now`; returns the total over the 24 hours ending then.
    pub fn add(&self, org: SfId, counter: ApiCounter, n: u64, now: DateTime<Utc>) -> u64 {
        let minute = minute_of(now);
        let mut windows = self.windows.lock();
        let window = windows.entry((org, counter)).or_default();
        window.expire(minute);
        match window.buckets.back_mut() {
            Some((start, count)) if *start >= minute => *count += n,
            _ => window.buckets.push_back((minute, n)),
        }
        window.total += n;
        window.total
    }

    /// Forgets every counter of `org`: a reset starts its allocations afresh.
    pub fn forget_org(&self, org: SfId) {
        self.windows.lock().retain(|(o, _), _| *o != org);
    }

    /// The total of `counter` for `org` over the 24 hours ending at `now`.
    pub fn total(&self, org: SfId, counter: ApiCounter, now: DateTime<Utc>) -> u64 {
        let mut windows = self.windows.lock();
        windows.get_mut(&(org, counter)).map_or(0, |window| {
            window.expire(minute_of(now));
            window.total
        })
    }
}

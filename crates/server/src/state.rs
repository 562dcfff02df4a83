//! What every request handler and worker shares.

use crate::config::ServerConfig;
use crate::wire;
use bulkforce_core::ApiError;
use bulkforce_core::id::{KeyPrefix, SfId};
use bulkforce_store::blob::BlobStore;
use bulkforce_store::{Store, StoreError};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn BlobStore>,
    pub config: Arc<ServerConfig>,
    /// Wakes the workers when a job becomes ready to process.
    pub wake: Arc<Notify>,
    pub usage: Arc<ApiUsage>,
    /// Open REST query cursors (`nextRecordsUrl`).
    pub cursors: Arc<Cursors>,
}

impl AppState {
    /// Runs store work on a blocking thread (the `Store` is synchronous), off the async threads; a storage
    /// failure is the server's fault and becomes a logged 500. What `work` needs besides the store (ids, a
    /// blob store handle) it takes by move.
    pub async fn with_store<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || work(&*store)).await {
            Ok(result) => result.map_err(wire::store_error),
            Err(e) => Err(ApiError::internal(e)),
        }
    }
}

/// A REST query to continue: the statement is re-run from the page's offset with the same date anchor.
#[derive(Debug, Clone)]
pub struct Cursor {
    pub org: SfId,
    pub soql: String,
    pub all_rows: bool,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// REST query cursors, bounded: the oldest are forgotten first, as Salesforce expires idle cursors.
#[derive(Default)]
pub struct Cursors {
    inner: Mutex<CursorTable>,
}

#[derive(Default)]
struct CursorTable {
    /// The last sequence number handed out.
    sequence: u64,
    /// Cursors by sequence (oldest first), with their ids.
    by_sequence: std::collections::BTreeMap<u64, (String, Cursor)>,
}

const MAX_CURSORS: usize = 10_000;

/// Cursor ids look like Salesforce's (`01g…`).
fn cursor_id(sequence: u64) -> String {
    SfId::mint(KeyPrefix::QUERY_CURSOR, 0, sequence).as_str()[..15].to_owned()
}

impl Cursors {
    pub fn insert(&self, cursor: Cursor) -> String {
        let mut inner = self.inner.lock();
        inner.sequence += 1;
        let sequence = inner.sequence;
        let id = cursor_id(sequence);
        inner.by_sequence.insert(sequence, (id.clone(), cursor));
        while inner.by_sequence.len() > MAX_CURSORS {
            inner.by_sequence.pop_first();
        }
        id
    }

    pub fn get(&self, id: &str) -> Option<Cursor> {
        self.inner
            .lock()
            .by_sequence
            .values()
            .find(|(i, _)| i == id)
            .map(|(_, c)| c.clone())
    }
}

/// What is counted per org over a rolling 24 hours, as Salesforce's daily allocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    ApiRequests,
    QueryJobs,
    IngestBatches,
}

/// Rolling 24-hour counters per org, kept in one-minute buckets.
#[derive(Default)]
pub struct ApiUsage {
    counts: Mutex<HashMap<(SfId, Counter), Window>>,
}

#[derive(Default)]
struct Window {
    buckets: std::collections::VecDeque<(i64, u64)>,
    total: u64,
}

const WINDOW_MINUTES: i64 = 24 * 60;

impl Window {
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

fn current_minute() -> i64 {
    chrono::Utc::now().timestamp() / 60
}

impl ApiUsage {
    /// Counts `n` of `counter` for `org`; returns the total over the last 24 hours.
    pub fn add(&self, org: SfId, counter: Counter, n: u64) -> u64 {
        let minute = current_minute();
        let mut counts = self.counts.lock();
        let window = counts.entry((org, counter)).or_default();
        window.expire(minute);
        match window.buckets.back_mut() {
            Some((start, count)) if *start == minute => *count += n,
            _ => window.buckets.push_back((minute, n)),
        }
        window.total += n;
        window.total
    }

    /// Counts one API request of `org`; returns the org's total.
    pub fn record(&self, org: SfId) -> u64 {
        self.add(org, Counter::ApiRequests, 1)
    }

    /// The total of `counter` over the last 24 hours.
    pub fn total(&self, org: SfId, counter: Counter) -> u64 {
        let mut counts = self.counts.lock();
        match counts.get_mut(&(org, counter)) {
            Some(window) => {
                window.expire(current_minute());
                window.total
            }
            None => 0,
        }
    }

    pub fn used(&self, org: SfId) -> u64 {
        self.total(org, Counter::ApiRequests)
    }
}

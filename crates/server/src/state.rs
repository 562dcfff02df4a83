//! What every request handler and worker shares.

use crate::config::ServerConfig;
use bulkforce_core::id::SfId;
use bulkforce_store::Store;
use bulkforce_store::blob::BlobStore;
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
    inner: Mutex<(u64, std::collections::BTreeMap<u64, (String, Cursor)>)>,
}

const MAX_CURSORS: usize = 10_000;

impl Cursors {
    pub fn insert(&self, cursor: Cursor) -> String {
        let mut inner = self.inner.lock();
        inner.0 += 1;
        let sequence = inner.0;
        let id = crate::routes::rest::cursor_id(sequence);
        inner.1.insert(sequence, (id.clone(), cursor));
        while inner.1.len() > MAX_CURSORS {
            inner.1.pop_first();
        }
        id
    }

    pub fn get(&self, id: &str) -> Option<Cursor> {
        self.inner
            .lock()
            .1
            .values()
            .find(|(i, _)| i == id)
            .map(|(_, c)| c.clone())
    }
}

/// API requests counted per org, for `Sforce-Limit-Info`.
#[derive(Default)]
pub struct ApiUsage {
    counts: Mutex<HashMap<SfId, u64>>,
}

impl ApiUsage {
    /// Counts one request of `org`; returns the org's total.
    pub fn record(&self, org: SfId) -> u64 {
        let mut counts = self.counts.lock();
        let count = counts.entry(org).or_insert(0);
        *count += 1;
        *count
    }

    pub fn used(&self, org: SfId) -> u64 {
        self.counts.lock().get(&org).copied().unwrap_or(0)
    }
}

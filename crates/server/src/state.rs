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

//! What every request handler and worker shares.

use crate::config::ServerConfig;
use crate::faults::Faults;
use crate::observe::Observers;
use crate::wire;
use bulkforce_core::ApiError;
use bulkforce_core::id::{KeyPrefix, SfId};
use bulkforce_store::blob::BlobStore;
use bulkforce_store::{Store, StoreError};
use parking_lot::Mutex;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn BlobStore>,
    pub config: Arc<ServerConfig>,
    /// Wakes the workers when a job becomes ready to process.
    pub wake: Arc<Notify>,
    /// Open REST query cursors (`nextRecordsUrl`).
    pub cursors: Arc<Cursors>,
    /// Metrics, the request log and the workers' pulse, for the control surface.
    pub observers: Arc<Observers>,
    /// What "now" is for the emulated orgs (`/_bulkforce/clock` freezes or shifts it): the store's own
    /// clock, so that both tell the same time.
    pub clock: bulkforce_core::clock::Clock,
    /// Fault injection rules (`/_bulkforce/faults`, `--faults`): per instance, in memory.
    pub faults: Arc<Faults>,
    /// Set when the server stops: workers claim nothing more and running jobs stop at their next chunk.
    pub shutdown: Arc<crate::worker::Shutdown>,
}

impl AppState {
    /// Runs store work on a blocking thread (the `Store` is synchronous), off the async threads; a storage
    /// failure is the server's fault and becomes a logged 500, or a 503 when the storage cannot be reached
    /// (see [`wire::store_error`]). What `work` needs besides the store (ids, a
    /// blob store handle) it takes by move.
    pub async fn with_store<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.store.clone();
        // The connection waits for the server meanwhile, it is not idle.
        let _busy = crate::connections::server_busy();
        match tokio::task::spawn_blocking(move || work(&*store)).await {
            Ok(result) => result.map_err(wire::store_error),
            Err(e) => Err(wire::internal_error(&e)),
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
    /// Set when the cursor pages one parent's child set of a subquery instead of the statement's rows.
    pub child: Option<ChildCursor>,
}

/// The child set a cursor pages: the subquery reached from the statement by `path` (an index into each
/// level's subqueries), for the parent record `parent`.
#[derive(Debug, Clone)]
pub struct ChildCursor {
    pub path: Vec<usize>,
    pub parent: String,
}

/// REST query cursors, bounded: the least recently used are forgotten first, as Salesforce expires idle
/// cursors.
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

    /// Forgets the cursors of `org`, or every cursor (`None`): a reset or a restore changed the records
    /// they page through.
    pub fn forget(&self, org: Option<SfId>) {
        self.inner
            .lock()
            .by_sequence
            .retain(|_, (_, cursor)| org.is_some_and(|org| cursor.org != org));
    }

    /// The cursor `id`, now the most recently used (so a long query's cursor outlives the child-set
    /// cursors its pages open).
    pub fn get(&self, id: &str) -> Option<Cursor> {
        let mut inner = self.inner.lock();
        let sequence = inner
            .by_sequence
            .iter()
            .find(|(_, (i, _))| i == id)
            .map(|(sequence, _)| *sequence)?;
        let entry = inner.by_sequence.remove(&sequence)?;
        let cursor = entry.1.clone();
        inner.sequence += 1;
        let latest = inner.sequence;
        inner.by_sequence.insert(latest, entry);
        Some(cursor)
    }
}

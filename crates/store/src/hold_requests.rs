//! Holds asked for and not yet written. A hold waits for the worker applying chunks to the job: on SQLite
//! for the org's writer connection, which the worker keeps for a whole transaction (up to a second); on
//! PostgreSQL for the job row, which the fenced chunk transaction keeps locked as long. A hold that waited
//! would only take effect after that transaction, however many chunks it still takes. So a hold is first
//! noted here, in memory, before it is written; the worker's chunk source looks here before each chunk
//! and ends the transaction, and the worker's give-up between transactions counts a noted hold as held.
//! The note goes once the held flag is written.

use bulkforce_core::id::SfId;
use parking_lot::Mutex;
use std::collections::HashMap;

#[derive(Default)]
pub(crate) struct HoldRequests {
    /// (org, job) → how many holds of it are waiting for the writer.
    waiting: Mutex<HashMap<(SfId, SfId), usize>>,
}

impl HoldRequests {
    /// Notes a hold of `job` until the returned guard is dropped (once the flag is written, or not).
    pub(crate) fn note(&self, org: SfId, job: SfId) -> Noted<'_> {
        *self.waiting.lock().entry((org, job)).or_default() += 1;
        Noted {
            requests: self,
            key: (org, job),
        }
    }

    /// Whether a hold of `job` is waiting to be written.
    pub(crate) fn is_noted(&self, org: SfId, job: SfId) -> bool {
        let waiting = self.waiting.lock();
        !waiting.is_empty() && waiting.contains_key(&(org, job))
    }
}

/// A hold noted in [`HoldRequests`]; dropping it takes the note back.
pub(crate) struct Noted<'a> {
    requests: &'a HoldRequests,
    key: (SfId, SfId),
}

impl Drop for Noted<'_> {
    fn drop(&mut self) {
        let mut waiting = self.requests.waiting.lock();
        if let Some(count) = waiting.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                waiting.remove(&self.key);
            }
        }
    }
}

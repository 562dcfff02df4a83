//! Waiting out a storage outage: a job whose storage could not be reached is never failed. Its worker
//! keeps the claim (a PostgreSQL lease goes on being renewed once the database answers), waits with a
//! growing pause, and resumes the job from its last committed checkpoint. If this instance dies meanwhile,
//! its lease lapses and another instance takes the job over; if another instance took it over during a
//! long outage, the resumed run's first commit is refused by the lease fence and this worker lets it go.

use super::outcome::is_transient;
use crate::state::AppState;
use bulkforce_core::id::SfId;
use bulkforce_core::job::JobState;
use bulkforce_store::{ClaimedJob, StoreError};
use std::time::Duration;

/// The first pause after an outage is seen.
const FIRST_PAUSE: Duration = Duration::from_millis(200);
/// The longest pause: a recovered database is noticed within this.
const LONGEST_PAUSE: Duration = Duration::from_secs(5);

/// A pause that doubles at each failed attempt, up to [`LONGEST_PAUSE`].
pub(super) struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST_PAUSE }
    }
}

impl Backoff {
    pub(super) fn reset(&mut self) {
        self.next = FIRST_PAUSE;
    }

    /// Sleeps for the current pause (cut short if the server stops), then doubles it.
    pub(super) async fn wait(&mut self, state: &AppState) {
        tokio::select! {
            () = tokio::time::sleep(self.next) => {}
            () = state.shutdown.wait() => {}
        }
        self.next = (self.next * 2).min(LONGEST_PAUSE);
    }
}

/// After a paused run: waits until the storage answers, then the job to run again from its checkpoint, or
/// `None` when there is nothing left to do (the job ended or went away meanwhile, or the server stops).
pub(super) async fn after_outage(
    state: &AppState,
    org: SfId,
    id: SfId,
    backoff: &mut Backoff,
) -> Option<ClaimedJob> {
    loop {
        backoff.wait(state).await;
        if state.shutdown.is_stopping() {
            return None;
        }
        let store = state.store.clone();
        let current = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
            let Some(job) = store.get_job(org, id)? else {
                return Ok(None);
            };
            let checkpoint = store.checkpoint(org, id)?.unwrap_or_default();
            Ok(Some((job, checkpoint)))
        })
        .await;
        match current {
            Ok(Ok(Some((job, checkpoint)))) if job.state == JobState::InProgress => {
                tracing::info!(job = %id, offset = checkpoint.next_offset, "storage back: resuming the job");
                return Some(ClaimedJob {
                    org_id: org,
                    job,
                    checkpoint,
                });
            }
            Ok(Ok(_)) => return None,
            Ok(Err(e)) if is_transient(&e) => {
                tracing::debug!(job = %id, error = %e, "storage still unavailable");
            }
            Ok(Err(e)) => {
                tracing::error!(job = %id, error = %e, "reading a paused job failed");
                return None;
            }
            Err(e) => {
                tracing::error!(job = %id, error = %e, "reading a paused job panicked");
                return None;
            }
        }
    }
}

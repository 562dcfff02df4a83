//! How a job's processing ends, and the one place that records it: both pipelines stop for the same
//! reasons and end their jobs the same way.

use crate::state::AppState;
use bulkforce_core::id::SfId;
use bulkforce_core::job::{Job, JobState};
use bulkforce_store::StoreError;

/// Why processing stopped before the job completed.
pub(super) enum Stop {
    /// The job fails with this `errorMessage` (Salesforce's text, such as `InvalidBatch : …`).
    Failed(String),
    /// The job left InProgress while it ran (aborted, or deleted): its state is already final.
    Aborted,
    /// The job was held while it ran: the worker gave it up after a commit (it stays InProgress and
    /// unclaimed, with its checkpoint) and a worker resumes it once it is released.
    Held,
    /// Storage failed: the job fails with `Unknown : ` and Salesforce's "unexpected error" message, and the
    /// error (which may hold SQL text or paths) is only logged, under the ErrorId the message gives.
    Store(StoreError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Store(e)
    }
}

/// Records the end of `job`: JobComplete when processing returned (with the number of records processed,
/// when the pipeline counted them only at the end), Failed with a message, or nothing when it was aborted.
pub(super) fn finish(state: &AppState, org: SfId, job: &Job, outcome: Result<Option<u64>, Stop>) {
    let store = &state.store;
    let finished = match outcome {
        Ok(processed) => store.finish_job(org, job.id, JobState::JobComplete, None, processed),
        Err(Stop::Aborted | Stop::Held) => Ok(false),
        Err(Stop::Failed(message)) => {
            store.finish_job(org, job.id, JobState::Failed, Some(&message), None)
        }
        Err(Stop::Store(e)) => {
            let kind = job.kind().segment();
            let message = crate::wire::unexpected_message(&format_args!(
                "{kind} job {} failed on a storage error: {e}",
                job.id
            ));
            store.finish_job(
                org,
                job.id,
                JobState::Failed,
                Some(&format!("Unknown : {message}")),
                None,
            )
        }
    };
    if let Err(e) = finished {
        tracing::error!(job = %job.id, error = %e, "recording the end of a job failed");
    }
}

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
    /// The server is stopping: processing stopped between chunks (the job stays InProgress with its
    /// checkpoint, and this instance's claims are released before it exits).
    ShuttingDown,
    /// Storage failed: the job fails with `Unknown : ` and Salesforce's "unexpected error" message, and the
    /// error (which may hold SQL text or paths) is only logged, under the ErrorId the message gives. A
    /// storage that could not be reached ([`is_transient`]) never fails the job: it pauses.
    Store(StoreError),
}

/// How processing of a claimed job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ended {
    /// Its end is recorded (or it was aborted, deleted, held): the worker is done with it.
    Done,
    /// Storage could not be reached: the job stays InProgress with its checkpoint, and the worker resumes
    /// it from there once the storage answers again.
    Paused,
    /// The server is stopping: the job stays InProgress with its checkpoint for the next claim.
    Stopping,
}

/// Whether a storage failure is the database or object store being out of reach (down, restarting, a
/// network error) rather than a fault of the data: an infrastructure fault never fails a job.
pub(crate) fn is_transient(e: &StoreError) -> bool {
    use std::io::ErrorKind;
    match e {
        StoreError::Unavailable(_) => true,
        StoreError::Io(io) => matches!(
            io.kind(),
            ErrorKind::ConnectionRefused
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::NotConnected
                | ErrorKind::BrokenPipe
                | ErrorKind::TimedOut
        ),
        _ => false,
    }
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Store(e)
    }
}

/// Records the end of `job`: JobComplete when processing returned (with the number of records processed,
/// when the pipeline counted them only at the end), Failed with a message, or nothing when it was aborted,
/// paused or stopped.
pub(super) fn finish(
    state: &AppState,
    org: SfId,
    job: &Job,
    outcome: Result<Option<u64>, Stop>,
) -> Ended {
    let store = &state.store;
    let finished = match outcome {
        Err(Stop::ShuttingDown) => return Ended::Stopping,
        Err(Stop::Store(e)) if is_transient(&e) => {
            tracing::warn!(job = %job.id, error = %e, "storage unavailable: the job pauses at its checkpoint");
            return Ended::Paused;
        }
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
    match finished {
        Ok(_) => Ended::Done,
        // The end was not recorded: the job is still InProgress, and is resumed rather than lost.
        Err(e) if is_transient(&e) => {
            tracing::warn!(job = %job.id, error = %e, "storage unavailable: the job's end is recorded later");
            Ended::Paused
        }
        Err(e) => {
            tracing::error!(job = %job.id, error = %e, "recording the end of a job failed");
            Ended::Done
        }
    }
}

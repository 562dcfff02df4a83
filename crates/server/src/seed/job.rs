//! One ingest job of the seed, on the path an HTTP client's job takes: created in the store for the
//! default org (listed like any job), its upload streamed to the upload blob, closed (UploadComplete) and
//! processed by the server's own workers, the ones that serve HTTP jobs; the seed waits for its end.

use super::error::SeedError;
use crate::state::AppState;
use bulkforce_core::csv::{Dialect, LineEnding};
use bulkforce_core::job::{ApiVersion, IngestJobSpec, Job, JobState, MAX_VERSION, Operation};
use bulkforce_store::blob::keys;
use bulkforce_store::{Principal, StoreError, UploadStart};
use std::io::Read;
use std::time::Duration;

/// How often the seed looks whether its job has ended.
const POLL: Duration = Duration::from_millis(20);

/// What a seed job loads: `operation` on `object`, from an upload whose lines end with `line_ending`.
pub(super) struct SeedJob {
    pub(super) object: String,
    pub(super) operation: Operation,
    pub(super) line_ending: LineEnding,
}

/// Creates, uploads and closes the job, then waits until the workers have finished it; returns the job
/// in its final state (JobComplete, Failed or Aborted).
pub(super) async fn run(
    state: &AppState,
    principal: &Principal,
    seed_job: SeedJob,
    mut upload: Box<dyn Read + Send>,
) -> Result<Job, SeedError> {
    let spec = IngestJobSpec {
        object: seed_job.object,
        operation: seed_job.operation,
        external_id_field_name: None,
        assignment_rule_id: None,
        dialect: Dialect {
            line_ending: seed_job.line_ending,
            ..Dialect::default()
        },
    };
    // The newest API version: a seed job is the server's own, not a client's.
    let job = Job::new_ingest(
        spec,
        crate::routes::new_job_origin(principal, ApiVersion(MAX_VERSION), state.clock.now()),
    );
    let (org, blobs) = (principal.org_id, state.blobs.clone());
    let id = state
        .with_store(move |store| {
            let job = store.create_job(org, job)?;
            if store.begin_upload(org, job.id)? != Some(UploadStart::Started) {
                return Err(StoreError::Corrupt("a new job refused its upload".into()));
            }
            let mut blob = blobs.create(&keys::upload(org, job.id))?;
            std::io::copy(&mut upload, &mut blob)?;
            let size = blob.commit()?;
            store.end_upload(org, job.id, Some(size))?;
            store.transition(
                org,
                job.id,
                &[JobState::Open],
                JobState::UploadComplete,
                None,
            )?;
            Ok(job.id)
        })
        .await?;
    state.wake.notify_waiters();
    loop {
        let job = state
            .with_store(move |store| store.get_job(org, id))
            .await?
            .ok_or_else(|| SeedError::Store(format!("the seed job {id} vanished")))?;
        if job.state.is_terminal() {
            return Ok(job);
        }
        tokio::time::sleep(POLL).await;
    }
}

//! Taking a refused seed back: the records its jobs created are hard-deleted, by ingest jobs on the same
//! path as the load, children before parents (the reverse of the load order), so that a refused seed
//! leaves the org as it found it and the next start with the fixed files loads it whole.

use super::error::SeedError;
use super::job::{self, SeedJob};
use super::results::JobResults;
use crate::state::AppState;
use bulkforce_core::csv::LineEnding;
use bulkforce_core::id::SfId;
use bulkforce_core::job::{JobState, Operation};
use bulkforce_store::Principal;

/// A seed job that ran (complete, or refused with some rows loaded).
pub(super) struct LoadedJob {
    pub(super) file: String,
    pub(super) object: String,
    pub(super) job: SfId,
}

/// Hard-deletes what `loaded` created, the last job first.
pub(super) async fn remove(
    state: &AppState,
    principal: &Principal,
    loaded: &[LoadedJob],
) -> Result<(), SeedError> {
    for loaded in loaded.iter().rev() {
        let results = JobResults::of(state, principal.org_id, loaded.job).await?;
        let ids = tokio::task::spawn_blocking(move || results.created_ids())
            .await
            .map_err(|e| SeedError::Store(e.to_string()))??;
        if ids.is_empty() {
            continue;
        }
        let mut upload = String::with_capacity(3 + ids.len() * 19);
        upload.push_str("Id\n");
        for id in ids {
            upload.push_str(id.as_str());
            upload.push('\n');
        }
        let seed_job = SeedJob {
            object: loaded.object.clone(),
            operation: Operation::HardDelete,
            line_ending: LineEnding::Lf,
        };
        let upload = Box::new(std::io::Cursor::new(upload.into_bytes()));
        let job = job::run(state, principal, seed_job, upload).await?;
        if job.state != JobState::JobComplete || job.number_records_failed > 0 {
            return Err(SeedError::JobFailed {
                file: loaded.file.clone(),
                job: job.id.to_string(),
                message: job.error_message.unwrap_or_else(|| {
                    format!(
                        "{} of its records could not be deleted",
                        job.number_records_failed
                    )
                }),
            });
        }
    }
    Ok(())
}

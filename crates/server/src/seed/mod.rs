//! `serve --seed DIR`: `DIR/<Object>.csv` files loaded into the default org at start, before the server
//! listens (so nothing sees a half-seeded org, and readiness answers only once the seed is in).
//!
//! Each file is an insert job on the normal ingest path ([`job`]): created in the store, its upload in the
//! upload blob, processed by the server's workers, its results in result files; it is listed like any
//! job. Files load parents first ([`order`], from the lookup columns of their headers), every header
//! checked before the first row loads ([`files`]). A seed is clean or refused: a failed row (or job)
//! stops the start with the file, the row's number, error and values ([`results`]), after the records
//! already loaded are taken back ([`undo`]). Once the last file loaded, the store keeps a marker of the
//! seed (a digest of its files, [`marker`]): a restart with the same seed does not load it twice, and a
//! start finding a partial or different seed is refused ([`skip`]).

mod error;
mod files;
mod job;
mod marker;
mod order;
mod results;
mod skip;
mod undo;

pub use error::{FailedRow, SeedError};

use crate::state::AppState;
use bulkforce_core::job::{Job, JobState, Operation};
use bulkforce_store::Principal;
use files::SeedFile;
use job::SeedJob;
use results::JobResults;
use std::path::Path;
use std::sync::Arc;
use undo::LoadedJob;

/// What a seed did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedOutcome {
    /// Every file loaded: how many, and their rows in all.
    Loaded { files: usize, rows: u64 },
    /// Not loaded, and why (the org already holds seeded records).
    Skipped(String),
}

/// Loads the seed in `dir` into the org of `principal` (the default org's admin, who creates the jobs).
/// The workers must be running.
pub async fn load(
    state: &AppState,
    principal: &Principal,
    dir: &Path,
) -> Result<SeedOutcome, SeedError> {
    let (files, digest) = {
        let (schema, dir) = (state.store.schema().clone(), dir.to_owned());
        let limit = state.config.max_upload_bytes;
        tokio::task::spawn_blocking(move || {
            let files = files::discover(&schema, &dir, limit)?;
            let digest = marker::digest(&files)?;
            Ok::<_, SeedError>((files, digest))
        })
        .await
        .map_err(|e| SeedError::Store(e.to_string()))??
    };
    let files = in_load_order(files)?;
    if let skip::Decision::Skip(reason) =
        skip::decide(state, principal.org_id, &files, &digest).await?
    {
        tracing::info!("seed skipped: {reason}");
        return Ok(SeedOutcome::Skipped(reason));
    }
    let mut loaded = Vec::with_capacity(files.len());
    let mut rows = 0;
    for file in &files {
        match load_file(state, principal, file).await {
            Ok(job) => {
                tracing::info!(file = %file.name, job = %job.id, rows = job.number_records_processed, "seed file loaded");
                rows += job.number_records_processed;
                loaded.push(loaded_job(file, &job));
            }
            Err((job, cause)) => {
                loaded.extend(job.map(|job| loaded_job(file, &job)));
                return Err(refuse(state, principal, &loaded, cause).await);
            }
        }
    }
    // Written only now: a start stopped before this point left records without a marker, which the next
    // start refuses instead of taking for a complete seed. An empty seed loaded nothing to mark.
    if !files.is_empty() {
        state
            .with_store(move |store| store.set_seed_marker(&digest))
            .await?;
    }
    tracing::info!(files = files.len(), rows, "seed loaded");
    Ok(SeedOutcome::Loaded {
        files: files.len(),
        rows,
    })
}

/// The files, parents first.
fn in_load_order(files: Vec<SeedFile>) -> Result<Vec<Arc<SeedFile>>, SeedError> {
    let nodes: Vec<order::Node<'_>> = files
        .iter()
        .map(|f| order::Node {
            name: &f.object.name,
            parents: f.plan.parent_objects(),
        })
        .collect();
    let order = order::parents_first(&nodes).map_err(|objects| SeedError::Cycle { objects })?;
    let mut files: Vec<Option<SeedFile>> = files.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|i| files[i].take().map(Arc::new))
        .collect())
}

/// Loads one file; a refusal carries the job when it ran, since it may have loaded rows.
async fn load_file(
    state: &AppState,
    principal: &Principal,
    file: &Arc<SeedFile>,
) -> Result<Job, (Option<Job>, SeedError)> {
    let upload = std::fs::File::open(&file.path).map_err(|source| {
        let file = file.name.clone();
        (None, SeedError::Io { file, source })
    })?;
    let seed_job = SeedJob {
        object: file.object.name.clone(),
        operation: Operation::Insert,
        line_ending: file.line_ending,
    };
    let job = job::run(state, principal, seed_job, Box::new(upload))
        .await
        .map_err(|e| (None, e))?;
    if job.state != JobState::JobComplete {
        let message = job
            .error_message
            .clone()
            .unwrap_or_else(|| format!("it ended {}", job.state));
        let cause = SeedError::JobFailed {
            file: file.name.clone(),
            job: job.id.to_string(),
            message,
        };
        return Err((Some(job), cause));
    }
    if job.number_records_failed == 0 {
        return Ok(job);
    }
    let failure = first_failure(state, principal, file, &job).await;
    Err((Some(job), failure))
}

/// The refusal of a job with failed rows: its first failed row, located in the file.
async fn first_failure(
    state: &AppState,
    principal: &Principal,
    file: &Arc<SeedFile>,
    job: &Job,
) -> SeedError {
    let results = match JobResults::of(state, principal.org_id, job.id).await {
        Ok(results) => results,
        Err(e) => return e,
    };
    let (file, failed) = (file.clone(), job.number_records_failed);
    match tokio::task::spawn_blocking(move || results.first_failure(&file, failed)).await {
        Ok(Ok(row)) => SeedError::RowFailed(Box::new(row)),
        Ok(Err(e)) => e,
        Err(e) => SeedError::Store(e.to_string()),
    }
}

fn loaded_job(file: &SeedFile, job: &Job) -> LoadedJob {
    LoadedJob {
        file: file.name.clone(),
        object: file.object.name.clone(),
        job: job.id,
    }
}

/// The error of a refused seed, once what it had loaded is taken back.
async fn refuse(
    state: &AppState,
    principal: &Principal,
    loaded: &[LoadedJob],
    cause: SeedError,
) -> SeedError {
    if loaded.is_empty() {
        return cause;
    }
    let undo = undo::remove(state, principal, loaded).await.err();
    SeedError::Refused {
        cause: Box::new(cause),
        undo: undo.map(Box::new),
    }
}

//! Background processing: workers claim ready jobs from the store and run them on blocking threads.

mod ingest;
mod outcome;
mod query;
mod recycle_bin;
mod resume;
mod shutdown;

pub use shutdown::Shutdown;

use crate::state::AppState;
use bulkforce_core::id::SfId;
use bulkforce_core::job::{JobKind, JobState};
use bulkforce_store::ClaimedJob;
use outcome::Ended;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// How often idle workers look for work they were not woken for (jobs of other `serve` instances).
const IDLE_POLL: Duration = Duration::from_millis(500);

/// Starts the configured number of workers (each runs ingest and query jobs) and the recycle bin's purge;
/// each ends once the server stops ([`Shutdown`]) and its job, if any, has stopped at a chunk boundary.
pub fn spawn(state: &AppState) -> Vec<JoinHandle<()>> {
    let mut tasks: Vec<JoinHandle<()>> = (0..state.config.workers.max(1))
        .map(|n| {
            let state = state.clone();
            tokio::spawn(async move { run(state, n).await })
        })
        .collect();
    tasks.push(tokio::spawn(recycle_bin::run(state.clone())));
    tasks
}

async fn run(state: AppState, n: usize) {
    let mut backoff = resume::Backoff::default();
    while !state.shutdown.is_stopping() {
        state.observers.pulse.beat();
        let notified = state.wake.notified();
        match state.with_store(|store| store.claim_job()).await {
            Ok(Some(claimed)) => {
                backoff.reset();
                process(&state, n, claimed).await;
                continue;
            }
            Ok(None) => backoff.reset(),
            Err(e) => {
                tracing::error!(worker = n, error = %e.message, "claiming a job failed");
                // The storage may be down: look again later rather than at every poll.
                backoff.wait(&state).await;
            }
        }
        tokio::select! {
            _ = tokio::time::timeout(IDLE_POLL, notified) => {}
            () = state.shutdown.wait() => {}
        }
    }
}

/// Runs a claimed job on a blocking thread, counting the time in the metrics (and, for a query job that
/// completed, its rows: the query worker writes them in one go, and the job's count is exact). A job
/// paused because the storage could not be reached is resumed from its checkpoint by this worker, under
/// the same claim, once the storage answers again (see [`resume`]).
async fn process(state: &AppState, n: usize, claimed: ClaimedJob) {
    let _busy = state.observers.pulse.busy();
    let started = Instant::now();
    let (org, id, kind) = (claimed.org_id, claimed.job.id, claimed.job.kind());
    tracing::info!(worker = n, job = %id, ?kind, "processing job");
    let mut claimed = Some(claimed);
    let mut backoff = resume::Backoff::default();
    while let Some(job) = claimed.take() {
        let work = {
            let state = state.clone();
            tokio::task::spawn_blocking(move || match kind {
                JobKind::Ingest => ingest::process(&state, job),
                JobKind::Query => query::process(&state, job),
            })
        };
        match work.await {
            Ok(Ended::Paused) => claimed = resume::after_outage(state, org, id, &mut backoff).await,
            Ok(Ended::Done | Ended::Stopping) => {}
            Err(e) => {
                tracing::error!(worker = n, job = %id, error = %e, "worker panicked; releasing the job's claim");
                release_after_panic(state, org, id).await;
            }
        }
    }
    state.observers.metrics.worker_busy(started.elapsed());
    if kind != JobKind::Query {
        return;
    }
    let completed = state
        .with_store(move |store| store.get_job(org, id))
        .await
        .ok()
        .flatten()
        .filter(|job| job.state == JobState::JobComplete);
    if let Some(job) = completed {
        state
            .observers
            .metrics
            .query_rows(job.number_records_processed);
    }
}

/// Lets go of the claim a panicked worker held, so the job resumes from its checkpoint (on any instance)
/// instead of staying claimed, and on PostgreSQL leased and renewed, for as long as this process runs.
async fn release_after_panic(state: &AppState, org: SfId, id: SfId) {
    match state
        .with_store(move |store| store.release_claim(org, id))
        .await
    {
        Ok(()) => state.wake.notify_waiters(),
        Err(e) => {
            tracing::error!(job = %id, error = %e.message, "releasing the claim of a panicked worker failed");
        }
    }
}

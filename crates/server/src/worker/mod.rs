//! Background processing: workers claim ready jobs from the store and run them on blocking threads.

mod ingest;
mod outcome;
mod query;

use crate::state::AppState;
use bulkforce_core::job::{JobKind, JobState};
use bulkforce_store::ClaimedJob;
use std::time::{Duration, Instant};

/// How often idle workers look for work they were not woken for (jobs of other `serve` instances).
const IDLE_POLL: Duration = Duration::from_millis(500);

/// Starts the configured number of workers (each runs ingest and query jobs).
pub fn spawn(state: &AppState) {
    for n in 0..state.config.workers.max(1) {
        let state = state.clone();
        tokio::spawn(async move { run(state, n).await });
    }
}

async fn run(state: AppState, n: usize) {
    loop {
        state.observers.pulse.beat();
        let notified = state.wake.notified();
        match state.with_store(|store| store.claim_job()).await {
            Ok(Some(claimed)) => {
                process(&state, n, claimed).await;
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(worker = n, error = %e.message, "claiming a job failed"),
        }
        let _ = tokio::time::timeout(IDLE_POLL, notified).await;
    }
}

/// Runs a claimed job on a blocking thread, counting the time in the metrics (and, for a query job that
/// completed, its rows: the query worker writes them in one go, and the job's count is exact).
async fn process(state: &AppState, n: usize, claimed: ClaimedJob) {
    let _busy = state.observers.pulse.busy();
    let started = Instant::now();
    let (org, id, kind) = (claimed.org_id, claimed.job.id, claimed.job.kind());
    tracing::info!(worker = n, job = %id, ?kind, "processing job");
    let work = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || match kind {
            JobKind::Ingest => ingest::process(&state, claimed),
            JobKind::Query => query::process(&state, claimed),
        })
    };
    if let Err(e) = work.await {
        tracing::error!(worker = n, job = %id, error = %e, "worker panicked");
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

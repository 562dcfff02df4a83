//! Background processing: workers claim ready jobs from the store and run them on blocking threads.

mod ingest;
mod outcome;
mod query;

use crate::state::AppState;
use bulkforce_core::job::JobKind;
use std::time::Duration;

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
        let notified = state.wake.notified();
        match state.with_store(|store| store.claim_job()).await {
            Ok(Some(claimed)) => {
                let state = state.clone();
                let id = claimed.job.id;
                let kind = claimed.job.kind();
                tracing::info!(worker = n, job = %id, ?kind, "processing job");
                let work = tokio::task::spawn_blocking(move || match kind {
                    JobKind::Ingest => ingest::process(&state, claimed),
                    JobKind::Query => query::process(&state, claimed),
                });
                if let Err(e) = work.await {
                    tracing::error!(worker = n, job = %id, error = %e, "worker panicked");
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(worker = n, error = %e.message, "claiming a job failed"),
        }
        let _ = tokio::time::timeout(IDLE_POLL, notified).await;
    }
}

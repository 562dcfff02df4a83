//! `GET /_bulkforce/health` (the process runs) and `GET /_bulkforce/ready` (it can do work: the store and
//! the blob store answer, the workers go round).

use super::answer;
use crate::state::AppState;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// A worker loop goes round at least every idle poll (half a second); one silent for this long and not
/// inside a job has stopped.
const WORKER_SILENCE: Duration = Duration::from_secs(5);

/// A blob key nothing is ever stored under: asking for its size proves the blob store answers.
const PROBE_KEY: &str = "_bulkforce/ready-probe";

pub(super) fn health() -> Response {
    answer(
        StatusCode::OK,
        &json!({"status": "UP", "version": env!("CARGO_PKG_VERSION")}),
    )
}

pub(super) async fn ready(state: &AppState) -> Response {
    let store = state
        .with_store(|store| store.list_orgs().map(|_| ()))
        .await
        .map_err(|e| e.message);
    let blobs = {
        let blobs = state.blobs.clone();
        tokio::task::spawn_blocking(move || blobs.size(PROBE_KEY).map(|_| ()))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
    };
    let workers = if state.observers.pulse.alive(WORKER_SILENCE) {
        Ok(())
    } else {
        Err(format!("no worker went round in {WORKER_SILENCE:?}"))
    };
    let mut checks = Map::new();
    let mut ready = true;
    for (name, outcome) in [("store", store), ("blobs", blobs), ("workers", workers)] {
        if let Err(problem) = &outcome {
            // The detail may hold paths: the log has it, the answer only says what is down.
            tracing::warn!(check = name, %problem, "not ready");
            ready = false;
        }
        let status = if outcome.is_ok() { "UP" } else { "DOWN" };
        checks.insert(name.to_owned(), Value::from(status));
    }
    let (status, word) = if ready {
        (StatusCode::OK, "READY")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "NOT_READY")
    };
    answer(status, &json!({"status": word, "checks": checks}))
}

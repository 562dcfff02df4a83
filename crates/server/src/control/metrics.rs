//! `GET /metrics`: the instance's Prometheus metrics, with the jobs gauge read from the store at scrape
//! time (one grouped count per org), so that it counts the jobs of every instance sharing the store.

use crate::observe::metrics::CONTENT_TYPE;
use crate::state::AppState;
use crate::wire;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(super) async fn scrape(state: &AppState) -> Response {
    let counts = state
        .with_store(|store| {
            let mut counts = Vec::new();
            for org in store.list_orgs()? {
                counts.extend(store.count_jobs(org.id)?);
            }
            Ok(counts)
        })
        .await;
    match counts {
        Ok(counts) => state
            .observers
            .metrics
            .set_jobs(counts.into_iter().map(|c| {
                let kind = match c.operation.kind() {
                    bulkforce_core::job::JobKind::Ingest => "ingest",
                    bulkforce_core::job::JobKind::Query => "query",
                };
                (kind, c.state.name(), c.count)
            })),
        // The other families still tell something; the gauge keeps its last reading.
        Err(e) => tracing::warn!(error = %e.message, "counting jobs for metrics failed"),
    }
    match state.observers.metrics.render() {
        Ok(text) => {
            let mut response = (StatusCode::OK, text).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
            response
        }
        Err(e) => wire::error(&wire::internal_error(&e)),
    }
}

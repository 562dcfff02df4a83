//! `POST /_bulkforce/reset` and `POST /_bulkforce/orgs/{orgId}/reset`: records, jobs, results and API
//! counters gone; orgs, users (with their User records), apps and tokens kept, so a test suite resets
//! between tests without a restart and its tokens go on working. The REST query cursors of a reset org
//! go too (they page through records that are gone). A worker running a job of a reset org finds the job
//! gone at its next chunk and stops; nothing of it is written after the reset.

use super::{answer, method_not_allowed, no_content, not_found};
use crate::state::AppState;
use crate::wire;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use bulkforce_core::id::{KeyPrefix, SfId};
use serde_json::json;

pub(super) async fn handle(state: &AppState, org: Option<String>, request: Request) -> Response {
    if request.method() != Method::POST {
        return method_not_allowed("POST");
    }
    let target = match org.as_deref().map(org_id) {
        None => None,
        Some(Some(org)) => Some(org),
        Some(None) => return unknown_org(org.as_deref().unwrap_or_default()),
    };
    let (store, blobs) = (state.store.clone(), state.blobs.clone());
    let _busy = crate::connections::server_busy();
    let reset = tokio::task::spawn_blocking(move || match target {
        None => store.reset_all(&*blobs).map(|()| true),
        Some(org) => store.reset_org(org, &*blobs),
    })
    .await;
    match reset {
        Ok(Ok(true)) => {
            state.cursors.forget(target);
            tracing::info!(org = ?target.map(|o| o.to_string()), "reset");
            no_content()
        }
        Ok(Ok(false)) => unknown_org(org.as_deref().unwrap_or_default()),
        Ok(Err(e)) => failure(&wire::store_error(e)),
        Err(e) => failure(&wire::internal_error(&e)),
    }
}

/// An org id (15 or 18 characters) from a path; `None` for anything that cannot be one.
fn org_id(text: &str) -> Option<SfId> {
    SfId::parse(text)
        .ok()
        .filter(|id| id.key_prefix() == KeyPrefix::ORG)
}

fn unknown_org(text: &str) -> Response {
    not_found(&format!("No org with id {text}"))
}

fn failure(e: &bulkforce_core::ApiError) -> Response {
    answer(
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &json!({"errorCode": e.error_code, "message": e.message}),
    )
}

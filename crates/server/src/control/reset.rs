//! `POST /_bulkforce/reset` and `POST /_bulkforce/orgs/{orgId}/reset`: records, jobs, results and API
//! counters gone; orgs, users, apps and tokens kept.

use crate::state::AppState;
use axum::extract::Request;
use axum::response::Response;

pub(super) async fn handle(_state: &AppState, _org: Option<String>, _request: Request) -> Response {
    super::not_found("The reset control is not built yet")
}

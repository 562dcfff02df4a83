//! `/_bulkforce/orgs` and `/_bulkforce/jobs…`: every org's jobs for the dashboard, and held jobs.

use super::JobPath;
use crate::state::AppState;
use axum::extract::Request;
use axum::response::Response;

pub(super) async fn orgs(_state: &AppState, _request: Request) -> Response {
    super::not_found("The orgs control is not built yet")
}

pub(super) async fn handle(_state: &AppState, _path: JobPath, _request: Request) -> Response {
    super::not_found("The job controls are not built yet")
}

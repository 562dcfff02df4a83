//! `/_bulkforce/faults`: fault injection rules.

use crate::state::AppState;
use axum::extract::Request;
use axum::response::Response;

pub(super) async fn handle(_state: &AppState, _id: Option<String>, _request: Request) -> Response {
    super::not_found("The fault controls are not built yet")
}

//! `GET|PUT|DELETE /_bulkforce/clock`: the server's time (frozen, shifted or real).

use crate::state::AppState;
use axum::extract::Request;
use axum::response::Response;

pub(super) async fn handle(_state: &AppState, _request: Request) -> Response {
    super::not_found("The clock control is not built yet")
}

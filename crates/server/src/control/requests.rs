//! `GET /_bulkforce/requests?limit=N`: the latest requests, newest first (see `observe::request_log`).

use super::answer;
use crate::state::AppState;
use crate::wire;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

/// Entries answered when the call sets no limit.
const DEFAULT_LIMIT: usize = 100;

pub(super) fn list(state: &AppState, query: Option<&str>) -> Response {
    let limit = match wire::query_param(query.unwrap_or_default(), "limit") {
        None => DEFAULT_LIMIT,
        Some(text) => match text.parse::<usize>() {
            Ok(limit) => limit,
            Err(_) => {
                return answer(
                    StatusCode::BAD_REQUEST,
                    &json!({"errorCode": "INVALID_LIMIT", "message": "limit must be a whole number"}),
                );
            }
        },
    };
    let log = &state.observers.requests;
    answer(
        StatusCode::OK,
        &json!({
            "capacity": log.capacity(),
            "requests": log.latest(limit),
        }),
    )
}

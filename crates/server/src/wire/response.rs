//! Writing responses: Salesforce's content types, headers and error envelope.

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bulkforce_core::ApiError;
use bulkforce_store::StoreError;
use std::fmt::Display;

pub const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";
/// With an explicit charset: clients that decode text (Python `requests`) would otherwise assume ISO-8859-1.
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=UTF-8";

/// A JSON body with Salesforce's content type.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    response
}

/// The error envelope every client parses: a JSON array of `{errorCode, message}`.
pub fn error(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json(
        status,
        &serde_json::json!([{ "errorCode": e.error_code, "message": e.message }]),
    )
}

/// A CSV body, gzip-encoded when `gzip` says the producer compressed it.
pub fn csv(body: Body, gzip: bool) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(CSV_CONTENT_TYPE),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if gzip {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

/// An empty response (201 for uploads, 204 for deletes).
pub fn empty(status: StatusCode) -> Response {
    status.into_response()
}

/// The 405 answer for `method` on a resource that allows only `allowed`.
pub fn not_allowed(method: &Method, allowed: &[&str]) -> ApiError {
    ApiError::method_not_allowed(method.as_str(), allowed)
}

/// Storage failures are the server's fault: 500, logged (see [`internal_error`]); storage that cannot be
/// reached right now (the database restarting, the bucket out of reach) is 503 [`SERVER_UNAVAILABLE`], so
/// that clients retry rather than give up.
pub fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Unavailable(detail) => unavailable(&detail),
        e => internal_error(&format_args!("store failure: {e}")),
    }
}

/// Salesforce's error code for an instance that cannot serve for now (maintenance, overload): a 503 with
/// this code, which clients treat as "retry later".
pub const SERVER_UNAVAILABLE: &str = "SERVER_UNAVAILABLE";

/// 503 `SERVER_UNAVAILABLE`: the database or object store is out of reach. `detail` (which may name hosts)
/// is only logged.
fn unavailable(detail: &dyn Display) -> ApiError {
    tracing::warn!(error = %detail, "storage unavailable");
    ApiError::new(
        503,
        SERVER_UNAVAILABLE,
        "The server is temporarily unavailable. Please try again later.",
    )
}

/// A failure of the server's own: 500 `UNKNOWN_EXCEPTION` with Salesforce's wording and nothing of
/// `detail`, which may hold SQL text, SQLite's words or file paths; it is logged under the ErrorId the
/// client sees.
pub fn internal_error(detail: &dyn Display) -> ApiError {
    ApiError::new(500, "UNKNOWN_EXCEPTION", unexpected_message(detail))
}

/// Logs `detail` under a fresh ErrorId and returns what a client may be told, as Salesforce words it:
/// `An unexpected error occurred. Please include this ErrorId if you contact support: 123456789-1234`.
pub fn unexpected_message(detail: &dyn Display) -> String {
    let error_id = format!("{}-{}", rand::random::<u32>() >> 1, rand::random::<u16>());
    tracing::error!(%error_id, error = %detail, "unexpected failure");
    format!(
        "An unexpected error occurred. Please include this ErrorId if you contact support: {error_id}"
    )
}

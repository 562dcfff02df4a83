//! `GET /_bulkforce/ui/…`: the dashboard, served from assets embedded in the binary.

use axum::extract::Request;
use axum::response::Response;

pub(super) fn handle(_path: &str, _request: &Request) -> Response {
    super::not_found("The dashboard is not built yet")
}

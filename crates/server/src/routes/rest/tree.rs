//! `POST /composite/tree/{Obj}`: records with nested children, created together, with reference ids.

use crate::state::AppState;
use axum::extract::Request;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::job::ApiVersion;
use bulkforce_store::Principal;

pub(super) async fn tree(
    _state: &AppState,
    _principal: &Principal,
    _version: ApiVersion,
    _object: &str,
    _request: Request,
) -> Result<Response, ApiError> {
    Err(ApiError::not_found())
}

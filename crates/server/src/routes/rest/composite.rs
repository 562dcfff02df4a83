//! `POST /composite` (up to 25 subrequests with references between them) and `POST /composite/batch`.

use crate::state::AppState;
use axum::extract::Request;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::job::ApiVersion;
use bulkforce_store::Principal;

pub(super) async fn composite(
    _state: &AppState,
    _base: &str,
    _principal: &Principal,
    _version: ApiVersion,
    _request: Request,
) -> Result<Response, ApiError> {
    Err(ApiError::not_found())
}

pub(super) async fn batch(
    _state: &AppState,
    _base: &str,
    _principal: &Principal,
    _version: ApiVersion,
    _request: Request,
) -> Result<Response, ApiError> {
    Err(ApiError::not_found())
}

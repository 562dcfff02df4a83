//! sObject Collections (`/composite/sobjects`): create, update, upsert, delete and retrieve up to 200
//! records in one call, with `allOrNone`.

use crate::state::AppState;
use axum::extract::Request;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::job::ApiVersion;
use bulkforce_store::Principal;

pub(super) async fn handle(
    _state: &AppState,
    _principal: &Principal,
    _version: ApiVersion,
    _object: Option<&str>,
    _field: Option<&str>,
    _request: Request,
) -> Result<Response, ApiError> {
    Err(ApiError::not_found())
}

//! sObject row writes: create (`POST /sobjects/{Obj}`), update and delete by id (`PATCH`/`DELETE
//! /sobjects/{Obj}/{id}`), and get, upsert and delete by external id (`/sobjects/{Obj}/{Field}/{value}`).

use crate::state::AppState;
use axum::extract::Request;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::job::ApiVersion;
use bulkforce_store::Principal;

pub(super) async fn create(
    _state: &AppState,
    _principal: &Principal,
    _version: ApiVersion,
    _object: &str,
    _request: Request,
) -> Result<Response, ApiError> {
    Err(ApiError::not_found())
}

pub(super) async fn by_id(
    _state: &AppState,
    _principal: &Principal,
    _version: ApiVersion,
    _object: &str,
    _record_id: &str,
    _request: Request,
) -> Result<Response, ApiError> {
    Err(ApiError::not_found())
}

pub(super) async fn by_external_id(
    _state: &AppState,
    _principal: &Principal,
    _version: ApiVersion,
    _object: &str,
    _field: &str,
    _value: &str,
    _request: Request,
) -> Result<Response, ApiError> {
    Err(ApiError::not_found())
}

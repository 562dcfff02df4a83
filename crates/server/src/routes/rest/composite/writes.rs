//! Record and collection subrequests: the record and sObject Collections functions of the standalone
//! resources, run over the composite's unit.

use super::subrequest::{Answer, Call, Context};
use crate::endpoint::Endpoint;
use axum::http::Method;
use bulkforce_core::ApiError;
use bulkforce_store::RecordUnit;

/// Runs a record (`/sobjects/…`) or collections (`/composite/sobjects…`) subrequest.
pub(super) fn execute(
    _unit: &mut dyn RecordUnit,
    _ctx: &Context,
    _endpoint: Endpoint,
    _method: &Method,
    _uri_query: &str,
    _call: &Call,
) -> Result<Answer, ApiError> {
    Err(ApiError::not_found())
}

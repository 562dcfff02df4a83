//! The REST read surface people and tools use to check their data: SOQL queries with `nextRecordsUrl`
//! paging ([`query`]), rows as REST JSON ([`json`]), column descriptions ([`columns`]), and the sObject
//! resources: describeGlobal, describe, single records ([`sobjects`]).

mod columns;
mod json;
mod query;
mod rows;
mod sobjects;

use crate::endpoint::Endpoint;
use crate::state::AppState;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_store::Principal;

/// `GET` on one of the REST resources (the dispatcher only sends those here).
pub async fn get(
    state: &AppState,
    principal: &Principal,
    endpoint: Endpoint,
    uri_query: &str,
) -> Result<Response, ApiError> {
    match endpoint {
        Endpoint::RestQuery {
            version,
            all_rows,
            cursor,
        } => query::query(state, principal, version, all_rows, cursor, uri_query).await,
        Endpoint::SObjects(version) => Ok(sobjects::describe_global(state, version)),
        Endpoint::SObject { version, object } => sobjects::sobject(state, version, &object),
        Endpoint::Describe { version, object } => sobjects::describe(state, version, &object),
        Endpoint::Record {
            version,
            object,
            record_id,
        } => sobjects::record(state, principal, version, &object, &record_id).await,
        _ => Err(ApiError::not_found()),
    }
}

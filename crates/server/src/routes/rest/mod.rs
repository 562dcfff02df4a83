//! The REST surface beside Bulk: SOQL queries with `nextRecordsUrl` paging ([`query`]), rows as REST JSON
//! ([`json`]), column descriptions ([`columns`]), the sObject resources: describeGlobal, describe, single
//! records ([`sobjects`]); record writes ([`records`]), sObject Collections ([`collections`]), composite
//! and composite batch ([`composite`]), sObject trees ([`tree`]) and the replication endpoints
//! `updated`/`deleted` ([`sync`]). Each handler checks its own methods.

mod children;
mod collections;
mod columns;
mod composite;
mod compound;
mod explain;
mod json;
mod parents;
mod query;
mod records;
mod rows;
mod sobjects;
mod sync;
mod tree;

use crate::endpoint::Endpoint;
use crate::state::AppState;
use crate::wire::not_allowed;
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_store::Principal;

/// A request on one of the REST resources: reads here, writes in their own modules.
pub async fn handle(
    state: &AppState,
    base: &str,
    principal: &Principal,
    endpoint: Endpoint,
    request: Request,
) -> Result<Response, ApiError> {
    let method = request.method().clone();
    match endpoint {
        Endpoint::SObject { version, object } if method == Method::POST => {
            records::create(state, principal, version, &object, request).await
        }
        Endpoint::Record {
            version,
            object,
            record_id,
        } => records::by_id(state, principal, version, &object, &record_id, request).await,
        Endpoint::RecordByExternalId {
            version,
            object,
            field,
            value,
        } => {
            records::by_external_id(state, principal, version, &object, &field, &value, request)
                .await
        }
        Endpoint::Updated { version, object } => {
            sync::updated(state, principal, version, &object, request).await
        }
        Endpoint::Deleted { version, object } => {
            sync::deleted(state, principal, version, &object, request).await
        }
        Endpoint::Collections {
            version,
            object,
            field,
        } => {
            collections::handle(
                state,
                principal,
                version,
                object.as_deref(),
                field.as_deref(),
                request,
            )
            .await
        }
        Endpoint::Composite(version) => {
            composite::composite(state, base, principal, version, request).await
        }
        Endpoint::CompositeBatch(version) => {
            composite::batch(state, base, principal, version, request).await
        }
        Endpoint::CompositeTree { version, object } => {
            tree::tree(state, principal, version, &object, request).await
        }
        read if method == Method::GET => {
            let query = request.uri().query().unwrap_or_default().to_owned();
            get(state, principal, read, &query).await
        }
        Endpoint::SObject { .. } => Err(not_allowed(&method, &["GET", "POST"])),
        _ => Err(not_allowed(&method, &["GET"])),
    }
}

/// `GET` on one of the REST read resources.
async fn get(
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
        Endpoint::Describe { version, object } => {
            sobjects::describe(state, principal, version, &object).await
        }
        _ => Err(ApiError::not_found()),
    }
}

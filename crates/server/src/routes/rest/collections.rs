//! sObject Collections (`/composite/sobjects`): create, update, upsert, delete and retrieve up to 200
//! records in one call, with `allOrNone`.
//!
//! The handler reads the request ([`request`], [`limits`]) and runs the writes as one unit of the store
//! ([`write`]: each record through the same per-record functions as `/sobjects`, so a record is refused with
//! the same error whichever resource wrote it); the answers are per-record results ([`results`]). Retrieve
//! reads through the query binder, over the store or a composite's unit ([`retrieve`]).

mod limits;
mod per_record;
mod request;
mod results;
mod retrieve;
mod write;

pub(crate) use limits::check_count;
pub(crate) use per_record::create as create_one;
pub(crate) use request::{DeleteRequest, WriteRequest};
pub(crate) use results::{RecordResult, SaveError};
pub(crate) use retrieve::{RetrieveRequest, retrieve_in};
pub(crate) use write::{WriteOp, delete_in, write_in};

use crate::state::AppState;
use crate::wire::{self, not_allowed};
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::job::ApiVersion;
use bulkforce_store::{Principal, RecordUnit, UnitEnd};
use serde_json::Value as Json;

/// The first API version with sObject Collections.
const COLLECTIONS_SINCE: u16 = 42;
/// The first API version with upsert through sObject Collections.
const UPSERT_SINCE: u16 = 46;
/// Largest collection or tree body read: 200 records of a few large text fields each.
const MAX_BODY: usize = 16 * 1024 * 1024;

pub(super) async fn handle(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    object: Option<&str>,
    field: Option<&str>,
    request: Request,
) -> Result<Response, ApiError> {
    if version.0 < COLLECTIONS_SINCE {
        return Err(ApiError::not_found());
    }
    let method = request.method().clone();
    match (object, field) {
        (None, _) => match method {
            Method::POST => {
                let body = WriteRequest::parse(&read_body(request).await?)?;
                run_writes(state, principal, move |unit, schema| {
                    write_in(unit, schema, version, &WriteOp::Create, &body)
                })
                .await
            }
            Method::PATCH => {
                let body = WriteRequest::parse(&read_body(request).await?)?;
                run_writes(state, principal, move |unit, schema| {
                    write_in(unit, schema, version, &WriteOp::Update, &body)
                })
                .await
            }
            Method::DELETE => {
                let query = request.uri().query().unwrap_or_default();
                let ids = DeleteRequest::from_query(query)?;
                run_writes(state, principal, move |unit, schema| {
                    delete_in(unit, schema, &ids)
                })
                .await
            }
            _ => Err(not_allowed(&method, &["DELETE", "PATCH", "POST"])),
        },
        (Some(object), None) => {
            let object = state
                .store
                .schema()
                .object(object)
                .ok_or_else(ApiError::not_found)?
                .clone();
            let ids = match method {
                Method::GET => {
                    RetrieveRequest::from_query(request.uri().query().unwrap_or_default())
                }
                Method::POST => RetrieveRequest::from_body(&read_body(request).await?)?,
                _ => return Err(not_allowed(&method, &["GET", "POST"])),
            };
            retrieve::retrieve(state, principal, version, &object, ids).await
        }
        (Some(object), Some(field)) => {
            if method != Method::PATCH {
                return Err(not_allowed(&method, &["PATCH"]));
            }
            if version.0 < UPSERT_SINCE {
                return Err(ApiError::not_found());
            }
            let op = WriteOp::upsert(state.store.schema(), object, field)?;
            let body = WriteRequest::parse(&read_body(request).await?)?;
            run_writes(state, principal, move |unit, schema| {
                write_in(unit, schema, version, &op, &body)
            })
            .await
        }
    }
}

/// Reads a collection (or tree) body, bounded by [`MAX_BODY`].
pub(crate) async fn read_body(request: Request) -> Result<axum::body::Bytes, ApiError> {
    wire::read_small_body(request, MAX_BODY)
        .await
        .map_err(|e| match e {
            wire::SmallBodyError::TooLarge => {
                ApiError::new(413, "JSON_PARSER_ERROR", "The request body is too large")
            }
            wire::SmallBodyError::Incomplete => ApiError::new(
                400,
                "JSON_PARSER_ERROR",
                "The request body did not arrive in full",
            ),
        })
}

/// Runs `work` as one write unit of the caller's org on a blocking thread and answers 200 with its JSON.
/// The unit commits what `work` kept (an `allOrNone` call that failed has already gone back to its
/// savepoint); an error from `work` rolls everything back.
async fn run_writes<F>(
    state: &AppState,
    principal: &Principal,
    work: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(&mut dyn RecordUnit, &bulkforce_core::schema::Schema) -> Result<Json, ApiError>
        + Send
        + 'static,
{
    let (org, user) = (principal.org_id, principal.user_id);
    let answer = state
        .with_store(move |store| {
            let schema = store.org_schema(org)?;
            let mut work = Some(work);
            let mut answer: Option<Result<Json, ApiError>> = None;
            store.write_unit(org, user, &mut |unit| {
                let unit = &mut crate::record_types::MemoizedUnit::new(unit);
                let Some(work) = work.take() else {
                    return Ok(UnitEnd::Rollback);
                };
                let result = work(unit, &schema);
                let end = if result.is_ok() {
                    UnitEnd::Commit
                } else {
                    UnitEnd::Rollback
                };
                answer = Some(result);
                Ok(end)
            })?;
            Ok(answer)
        })
        .await?;
    let json = answer.ok_or_else(|| wire::internal_error(&"the write unit did not run"))??;
    Ok(wire::json(StatusCode::OK, &json))
}

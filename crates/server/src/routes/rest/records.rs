//! sObject rows: create (`POST /sobjects/{Obj}`), get, update and delete by id (`GET`/`PATCH`/`DELETE
//! /sobjects/{Obj}/{id}`), and get, upsert and delete by external id (`/sobjects/{Obj}/{Field}/{value}`).
//!
//! The handlers here only speak HTTP: they read the request, run one operation of [`ops`] or [`read`]
//! (the functions composite and sObject Collections call too) in a unit of its own on a blocking thread,
//! and answer. A unit commits when its answer is a success and rolls back otherwise.

mod answer;
mod conditions;
mod ops;
mod read;

// The shared surface: composite and collections use what the handlers do not.
pub(crate) use answer::Answer;
pub(crate) use conditions::Conditions;
pub(crate) use ops::{create_in, delete_by_external_id_in, delete_in, update_in, upsert_in};
pub(crate) use read::{get_by_external_id_in, get_in};

use super::rows::StoreRows;
use crate::state::AppState;
use crate::wire::{self, not_allowed, query_param};
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::schema::Schema;
use bulkforce_store::{Principal, RecordUnit, StoreError, UnitEnd};
use serde_json::Value as Json;

/// The first version in which `POST /sobjects/{Obj}/Id` flags its answer `created: true`.
const CREATED_FLAG_VERSION: u16 = 46;

/// `POST /sobjects/{Obj}`.
pub(super) async fn create(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    object: &str,
    request: Request,
) -> Result<Response, ApiError> {
    let body = json_body(request).await?;
    let object = object.to_owned();
    write(state, principal, move |unit, schema| {
        create_in(unit, schema, version, &object, &body, false)
    })
    .await
}

/// `/sobjects/{Obj}/{id}`: GET (and HEAD), PATCH, DELETE; `POST …/Id` creates (v37.0 and later).
pub(super) async fn by_id(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    object: &str,
    record_id: &str,
    request: Request,
) -> Result<Response, ApiError> {
    let method = effective_method(&request);
    let (object, id) = (object.to_owned(), record_id.to_owned());
    if id.eq_ignore_ascii_case("Id") {
        // `/sobjects/{Obj}/Id`: the create-by-null-id resource, not a record.
        if method != Method::POST {
            return Err(not_allowed(&method, &["GET", "HEAD", "POST"]));
        }
        let body = json_body(request).await?;
        let flagged = version.0 >= CREATED_FLAG_VERSION;
        return write(state, principal, move |unit, schema| {
            create_in(unit, schema, version, &object, &body, flagged)
        })
        .await;
    }
    match method {
        Method::GET | Method::HEAD => {
            let fields = query_param(request.uri().query().unwrap_or_default(), "fields");
            let conditions = conditions(&request, false)?;
            let org = principal.org_id;
            let answer = state
                .with_store(move |store| {
                    let mut rows = StoreRows { store, org };
                    get_in(
                        &mut rows,
                        store.schema(),
                        version,
                        &object,
                        &id,
                        fields.as_deref(),
                        &conditions,
                    )
                })
                .await?;
            Ok(answer.into_response())
        }
        Method::PATCH => {
            let conditions = conditions(&request, true)?;
            let body = json_body(request).await?;
            write(state, principal, move |unit, schema| {
                update_in(unit, schema, &object, &id, &body, &conditions)
            })
            .await
        }
        Method::DELETE => {
            write(state, principal, move |unit, schema| {
                delete_in(unit, schema, &object, &id)
            })
            .await
        }
        _ => Err(not_allowed(&method, &["GET", "PATCH", "DELETE"])),
    }
}

/// `/sobjects/{Obj}/{Field}/{value}`: GET (and HEAD), PATCH (upsert, `?updateOnly=true`), DELETE.
pub(super) async fn by_external_id(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    object: &str,
    field: &str,
    value: &str,
    request: Request,
) -> Result<Response, ApiError> {
    let method = effective_method(&request);
    let (object, field, value) = (object.to_owned(), field.to_owned(), value.to_owned());
    let uri_query = request.uri().query().unwrap_or_default().to_owned();
    match method {
        Method::GET | Method::HEAD => {
            let fields = query_param(&uri_query, "fields");
            let conditions = conditions(&request, false)?;
            let org = principal.org_id;
            let answer = state
                .with_store(move |store| {
                    let mut rows = StoreRows { store, org };
                    get_by_external_id_in(
                        &mut rows,
                        store.schema(),
                        version,
                        &object,
                        &field,
                        &value,
                        fields.as_deref(),
                        &conditions,
                    )
                })
                .await?;
            Ok(answer.into_response())
        }
        Method::PATCH => {
            let update_only = query_param(&uri_query, "updateOnly")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let conditions = conditions(&request, true)?;
            let body = json_body(request).await?;
            write(state, principal, move |unit, schema| {
                upsert_in(
                    unit,
                    schema,
                    version,
                    &object,
                    &field,
                    &value,
                    &body,
                    update_only,
                    &conditions,
                )
            })
            .await
        }
        Method::DELETE => {
            write(state, principal, move |unit, schema| {
                delete_by_external_id_in(unit, schema, version, &object, &field, &value)
            })
            .await
        }
        _ => Err(not_allowed(&method, &["GET", "HEAD", "PATCH", "DELETE"])),
    }
}

/// Runs `operation` in a unit of its own on a blocking thread, as the principal's user: kept when it
/// answers a success, rolled back otherwise.
async fn write<F>(
    state: &AppState,
    principal: &Principal,
    mut operation: F,
) -> Result<Response, ApiError>
where
    F: FnMut(&mut dyn RecordUnit, &Schema) -> Result<Answer, StoreError> + Send + 'static,
{
    let (org, user) = (principal.org_id, principal.user_id);
    let answer = state
        .with_store(move |store| {
            let schema = store.org_schema(org)?;
            let mut answer = None;
            store.write_unit(org, user, &mut |unit| {
                let given = operation(unit, &schema)?;
                let end = if given.is_success() {
                    UnitEnd::Commit
                } else {
                    UnitEnd::Rollback
                };
                answer = Some(given);
                Ok(end)
            })?;
            answer.ok_or_else(|| StoreError::Invalid("the record unit ran no operation".into()))
        })
        .await?;
    Ok(answer.into_response())
}

/// The method a request stands for: `POST ?_HttpMethod=PATCH` is a PATCH, for HTTP stacks without it.
fn effective_method(request: &Request) -> Method {
    let method = request.method().clone();
    if method == Method::POST
        && query_param(request.uri().query().unwrap_or_default(), "_HttpMethod")
            .is_some_and(|m| m.eq_ignore_ascii_case("PATCH"))
    {
        return Method::PATCH;
    }
    method
}

fn conditions(request: &Request, strict: bool) -> Result<Conditions, ApiError> {
    Conditions::from_headers(request.headers(), strict)
}

/// The request's JSON body (at most the small-body limit); a body that is not JSON is 400
/// `JSON_PARSER_ERROR`, an empty one as Salesforce's parser words it.
async fn json_body(request: Request) -> Result<Json, ApiError> {
    let bytes = wire::small_body(request).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            400,
            "JSON_PARSER_ERROR",
            "No content to map due to end-of-input",
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| bulkforce_core::job::json_error(&e))
}

//! Record and collection subrequests: the functions of the standalone `/sobjects` and
//! `/composite/sobjects` resources ([`super::super::records`], [`super::super::collections`]), run over the
//! composite's unit so that they see, and can be undone with, the other subrequests' writes.

use super::super::collections::{
    DeleteRequest, RetrieveRequest, WriteOp, WriteRequest, delete_in, retrieve_in, write_in,
};
use super::super::records::{
    self, Conditions, create_in, delete_by_external_id_in, get_by_external_id_in, get_in,
    update_in, upsert_in,
};
use super::super::rows::UnitRows;
use super::subrequest::{Answer, Call, Context};
use crate::endpoint::Endpoint;
use crate::wire::{self, not_allowed, query_param};
use axum::http::Method;
use bulkforce_core::ApiError;
use bulkforce_core::job::ApiVersion;
use bulkforce_store::{RecordUnit, StoreError};
use serde_json::{Value as Json, json};

/// The first version in which `POST /sobjects/{Obj}/Id` flags its answer `created: true`.
const CREATED_FLAG_VERSION: u16 = 46;
/// The first version with sObject Collections, and with their upsert.
const COLLECTIONS_SINCE: u16 = 42;
const COLLECTIONS_UPSERT_SINCE: u16 = 46;

/// Runs a record (`/sobjects/…`) or collections (`/composite/sobjects…`) subrequest.
pub(super) fn execute(
    unit: &mut dyn RecordUnit,
    ctx: &Context,
    endpoint: Endpoint,
    method: &Method,
    uri_query: &str,
    call: &Call,
) -> Result<Answer, ApiError> {
    let schema = &ctx.schema;
    let answer = match endpoint {
        Endpoint::SObject { version, object } if method == Method::POST => {
            create_in(unit, schema, version, &object, body(call)?, false)
        }
        Endpoint::SObject { .. } => return Err(not_allowed(method, &["GET", "POST"])),
        Endpoint::Record {
            version,
            object,
            record_id,
        } if record_id.eq_ignore_ascii_case("Id") => {
            // `/sobjects/{Obj}/Id`: the create-by-null-id resource, not a record.
            if method != Method::POST {
                return Err(not_allowed(method, &["GET", "POST"]));
            }
            let flagged = version.0 >= CREATED_FLAG_VERSION;
            create_in(unit, schema, version, &object, body(call)?, flagged)
        }
        Endpoint::Record {
            version,
            object,
            record_id,
        } => match *method {
            Method::GET => {
                let fields = query_param(uri_query, "fields");
                let conditions = conditions(call, false)?;
                let mut rows = UnitRows(unit);
                get_in(
                    &mut rows,
                    schema,
                    version,
                    &object,
                    &record_id,
                    fields.as_deref(),
                    &conditions,
                )
            }
            Method::PATCH => {
                let conditions = conditions(call, true)?;
                update_in(unit, schema, &object, &record_id, body(call)?, &conditions)
            }
            Method::DELETE => records::delete_in(unit, schema, &object, &record_id),
            _ => return Err(not_allowed(method, &["GET", "PATCH", "DELETE"])),
        },
        Endpoint::RecordByExternalId {
            version,
            object,
            field,
            value,
        } => {
            let target = ExternalId {
                version,
                object: &object,
                field: &field,
                value: &value,
            };
            by_external_id(unit, ctx, &target, method, uri_query, call)?
        }
        Endpoint::Collections {
            version,
            object,
            field,
        } => {
            return collections(
                unit,
                ctx,
                version,
                (object.as_deref(), field.as_deref()),
                method,
                uri_query,
                call,
            );
        }
        _ => return Err(ApiError::not_found()),
    };
    Ok(from_record_answer(answer.map_err(wire::store_error)?))
}

/// A record named by an external id.
struct ExternalId<'a> {
    version: ApiVersion,
    object: &'a str,
    field: &'a str,
    value: &'a str,
}

fn by_external_id(
    unit: &mut dyn RecordUnit,
    ctx: &Context,
    target: &ExternalId,
    method: &Method,
    uri_query: &str,
    call: &Call,
) -> Result<Result<records::Answer, StoreError>, ApiError> {
    let schema = &ctx.schema;
    let ExternalId {
        version,
        object,
        field,
        value,
    } = *target;
    Ok(match *method {
        Method::GET => {
            let fields = query_param(uri_query, "fields");
            let conditions = conditions(call, false)?;
            let mut rows = UnitRows(unit);
            get_by_external_id_in(
                &mut rows,
                schema,
                version,
                object,
                field,
                value,
                fields.as_deref(),
                &conditions,
            )
        }
        Method::PATCH => {
            let update_only = query_param(uri_query, "updateOnly")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let conditions = conditions(call, true)?;
            upsert_in(
                unit,
                schema,
                version,
                object,
                field,
                value,
                body(call)?,
                update_only,
                &conditions,
            )
        }
        Method::DELETE => delete_by_external_id_in(unit, schema, version, object, field, value),
        _ => return Err(not_allowed(method, &["GET", "PATCH", "DELETE"])),
    })
}

/// An sObject Collections subrequest: create, update, upsert, delete or retrieve. A composite `allOrNone:
/// true` overrides the collection's own `allOrNone` (Salesforce's rule), so a failed record fails the
/// collection.
fn collections(
    unit: &mut dyn RecordUnit,
    ctx: &Context,
    version: ApiVersion,
    target: (Option<&str>, Option<&str>),
    method: &Method,
    uri_query: &str,
    call: &Call,
) -> Result<Answer, ApiError> {
    if version.0 < COLLECTIONS_SINCE {
        return Err(ApiError::not_found());
    }
    let schema = &ctx.schema;
    let write = |op: WriteOp, unit: &mut dyn RecordUnit| -> Result<Json, ApiError> {
        let mut request =
            WriteRequest::parse(&serde_json::to_vec(body(call)?).unwrap_or_default())?;
        request.all_or_none |= ctx.all_or_none;
        write_in(unit, schema, version, &op, &request)
    };
    let results = match (target, method) {
        ((None, _), &Method::POST) => write(WriteOp::Create, unit)?,
        ((None, _), &Method::PATCH) => write(WriteOp::Update, unit)?,
        ((None, _), &Method::DELETE) => {
            let mut request = DeleteRequest::from_query(uri_query)?;
            request.all_or_none |= ctx.all_or_none;
            delete_in(unit, schema, &request)?
        }
        ((None, _), _) => return Err(not_allowed(method, &["DELETE", "PATCH", "POST"])),
        ((Some(object), Some(field)), &Method::PATCH) => {
            if version.0 < COLLECTIONS_UPSERT_SINCE {
                return Err(ApiError::not_found());
            }
            write(WriteOp::upsert(schema, object, field)?, unit)?
        }
        ((Some(_), Some(_)), _) => return Err(not_allowed(method, &["PATCH"])),
        ((Some(object), None), _) => retrieve(unit, ctx, version, object, method, uri_query, call)?,
    };
    Ok(Answer::new(200, results))
}

/// A collections retrieve (`GET /composite/sobjects/{Obj}?ids=&fields=` or `POST` with `{"ids","fields"}`),
/// read through the unit so that it sees what earlier subrequests wrote.
fn retrieve(
    unit: &mut dyn RecordUnit,
    ctx: &Context,
    version: ApiVersion,
    object: &str,
    method: &Method,
    uri_query: &str,
    call: &Call,
) -> Result<Json, ApiError> {
    let sobject = ctx.schema.object(object).ok_or_else(ApiError::not_found)?;
    let request = match *method {
        Method::GET => RetrieveRequest::from_query(uri_query),
        Method::POST => RetrieveRequest::from_json(body(call)?)?,
        _ => return Err(not_allowed(method, &["GET", "POST"])),
    };
    let mut rows = UnitRows(unit);
    retrieve_in(&mut rows, &ctx.schema, ctx.now, version, sobject, &request)
}

/// A subrequest's JSON body; a write without one is refused as the standalone resource refuses it.
fn body<'a>(call: &Call<'a>) -> Result<&'a Json, ApiError> {
    call.body.ok_or_else(|| {
        ApiError::new(
            400,
            "JSON_PARSER_ERROR",
            "No content to map due to end-of-input",
        )
    })
}

/// `If-Modified-Since` / `If-Unmodified-Since` from the subrequest's `httpHeaders`.
fn conditions(call: &Call, strict: bool) -> Result<Conditions, ApiError> {
    Conditions::from_pairs(call.headers, strict)
}

/// A record operation's answer as a subresponse: `Location` and `ETag` mirrored into `httpHeaders`, no
/// body as `null`.
fn from_record_answer(answer: records::Answer) -> Answer {
    let mut converted = Answer::new(answer.status.as_u16(), answer.body.unwrap_or(Json::Null));
    if let Some(location) = answer.location {
        converted.headers.insert("Location".into(), json!(location));
    }
    if let Some(etag) = answer.etag {
        converted.headers.insert("ETag".into(), json!(etag));
    }
    converted
}

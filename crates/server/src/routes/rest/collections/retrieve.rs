//! sObject Collections retrieve: `GET /composite/sobjects/{Obj}?ids=…&fields=…` and `POST
//! /composite/sobjects/{Obj}` with `{"ids":[…],"fields":[…]}`. The answer is aligned with the ids: each
//! live record with `attributes` and the fields asked for, or `null` for an id that names no record of
//! the object (malformed, another object's, unknown, deleted), as Salesforce answers.
//!
//! The read is a SOQL statement (`SELECT … FROM Obj WHERE Id IN (…)`) compiled by the same binder as
//! `/query`, so field names (relationship paths included) are checked with the query's errors and the
//! records are written in JSON exactly as a query writes them. It reads through [`QueryRows`]
//! ([`retrieve_in`]), so the standalone resource and a composite's subrequest share it.

use super::super::json::{record_json, with_reference_columns};
use super::super::rows::{QueryRows, StoreRows};
use super::limits::{self, MAX_RETRIEVE_IDS};
use crate::soql::{Mode, compile_query};
use crate::state::AppState;
use crate::wire;
use axum::http::StatusCode;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::schema::{SObject, Schema};
use bulkforce_soql::bound::SelectItem;
use bulkforce_store::{Principal, QueryOptions};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::Arc;

/// What a retrieve asks for: ids as given (in answer order) and field names.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RetrieveRequest {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    fields: Vec<String>,
}

impl RetrieveRequest {
    /// The GET form: comma-separated `ids` and `fields` query parameters.
    pub(crate) fn from_query(uri_query: &str) -> RetrieveRequest {
        let list = |name: &str| -> Vec<String> {
            wire::query_param(uri_query, name)
                .map(|v| split_list(&v))
                .unwrap_or_default()
        };
        RetrieveRequest {
            ids: list("ids"),
            fields: list("fields"),
        }
    }

    /// The POST form: a JSON body `{"ids":[…],"fields":[…]}`.
    pub(super) fn from_body(body: &[u8]) -> Result<RetrieveRequest, ApiError> {
        serde_json::from_slice(body).map_err(|e| bulkforce_core::job::json_error(&e))
    }

    /// The POST form as a composite subrequest's `body`.
    pub(crate) fn from_json(body: &Json) -> Result<RetrieveRequest, ApiError> {
        RetrieveRequest::deserialize(body).map_err(|e| bulkforce_core::job::json_error(&e))
    }

    /// Both lists are required; the ids are bounded.
    fn check(&self) -> Result<(), ApiError> {
        if self.ids.is_empty() {
            return Err(limits::no_ids());
        }
        if self.fields.is_empty() {
            return Err(ApiError::new(
                400,
                "REQUIRED_FIELD_MISSING",
                "At least 1 field is required.",
            ));
        }
        limits::check_count(self.ids.len(), MAX_RETRIEVE_IDS)
    }
}

/// `a, b,,c` → `["a","b","c"]`.
pub(super) fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The live records among the asked ids, aligned with them: the answer of a retrieve, read through `rows`
/// (the store for the standalone resource, a composite's unit for a subrequest, which must see what earlier
/// subrequests wrote). Synchronous, so both share it.
pub(crate) fn retrieve_in(
    rows: &mut dyn QueryRows,
    schema: &Schema,
    now: DateTime<Utc>,
    version: ApiVersion,
    object: &SObject,
    request: &RetrieveRequest,
) -> Result<Json, ApiError> {
    request.check()?;
    let wanted: Vec<Option<SfId>> = request
        .ids
        .iter()
        .map(|text| {
            SfId::parse(text)
                .ok()
                .filter(|id| id.key_prefix() == object.key_prefix)
        })
        .collect();
    let found = find_records(rows, schema, now, version, object, &request.fields, &wanted)?;
    let answer: Vec<Json> = wanted
        .iter()
        .map(|id| {
            id.and_then(|id| found.get(&id).cloned())
                .unwrap_or(Json::Null)
        })
        .collect();
    Ok(Json::Array(answer))
}

/// The standalone resource: the retrieve over the org's committed rows, answered 200.
pub(super) async fn retrieve(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    object: &Arc<SObject>,
    request: RetrieveRequest,
) -> Result<Response, ApiError> {
    let (org, now, object) = (principal.org_id, state.clock.now(), object.clone());
    let answer = state
        .with_store(move |store| {
            let mut rows = StoreRows { store, org };
            Ok(retrieve_in(
                &mut rows,
                store.schema(),
                now,
                version,
                &object,
                &request,
            ))
        })
        .await??;
    Ok(wire::json(StatusCode::OK, &answer))
}

/// The names go into a statement: anything but a (dotted) API name is refused before that.
fn check_field_names(object: &SObject, fields: &[String]) -> Result<(), ApiError> {
    let legal = |field: &String| {
        !field.is_empty()
            && field
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    };
    match fields.iter().find(|field| !legal(field)) {
        None => Ok(()),
        Some(field) => Err(ApiError::new(
            400,
            "INVALID_FIELD",
            format!(
                "No such column '{field}' on sobject of type {}",
                object.name
            ),
        )),
    }
}

/// The live records among `ids`, by id, each with `attributes` and the fields asked for.
fn find_records(
    rows: &mut dyn QueryRows,
    schema: &Schema,
    now: DateTime<Utc>,
    version: ApiVersion,
    object: &SObject,
    fields: &[String],
    ids: &[Option<SfId>],
) -> Result<HashMap<SfId, Json>, ApiError> {
    check_field_names(object, fields)?;
    let id_asked = fields.iter().any(|f| f.eq_ignore_ascii_case("Id"));
    let mut select: Vec<&str> = fields.iter().map(String::as_str).collect();
    if !id_asked {
        select.push("Id");
    }
    let mut keys: Vec<&str> = ids.iter().flatten().map(SfId::as_str).collect();
    keys.sort_unstable();
    keys.dedup();
    let in_list = keys
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(",");
    // Without a well-formed id the statement is still compiled: an unknown field is refused either way.
    let filter = if keys.is_empty() {
        String::new()
    } else {
        format!(" WHERE Id IN ({in_list})")
    };
    let soql = format!("SELECT {} FROM {}{filter}", select.join(", "), object.name);
    let bound = compile_query(schema, &soql, now, Mode::Rest)?;
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let id_column = bound
        .select
        .iter()
        .position(|item| matches!(item, SelectItem::Field(p) if p.hops.is_empty() && p.field.name == "Id"))
        .ok_or_else(|| wire::internal_error(&"the retrieve statement selects no Id"))?;
    let (augmented, extra) = with_reference_columns(&bound);
    let read = rows
        .rows(&augmented, QueryOptions::default())
        .map_err(wire::store_error)?;
    let mut found = HashMap::with_capacity(read.len());
    for row in &read {
        let Some(bulkforce_core::value::Value::Text(text)) = row.get(id_column) else {
            continue;
        };
        let Ok(id) = SfId::parse(text) else { continue };
        let mut record = record_json(&bound, &extra, row, version);
        if !id_asked && let Json::Object(map) = &mut record {
            map.shift_remove("Id");
        }
        found.insert(id, record);
    }
    Ok(found)
}

//! sObject Collections retrieve: `GET /composite/sobjects/{Obj}?ids=…&fields=…` and `POST
//! /composite/sobjects/{Obj}` with `{"ids":[…],"fields":[…]}`. The answer is aligned with the ids: each
//! live record with `attributes` and the fields asked for, or `null` for an id that names no record of
//! the object (malformed, another object's, unknown, deleted), as Salesforce answers.
//!
//! The read is a SOQL statement (`SELECT … FROM Obj WHERE Id IN (…)`) compiled by the same binder as
//! `/query`, so field names (relationship paths included) are checked with the query's errors and the
//! records are written in JSON exactly as a query writes them.

use super::super::json::{record_json, with_reference_columns};
use super::super::rows::collect;
use super::limits::{self, MAX_RETRIEVE_IDS};
use crate::soql::{Mode, compile_query};
use crate::state::AppState;
use crate::wire;
use axum::http::StatusCode;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::schema::SObject;
use bulkforce_soql::bound::SelectItem;
use bulkforce_store::{Principal, QueryOptions};
use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::Arc;

/// What a retrieve asks for: ids as given (in answer order) and field names.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RetrieveRequest {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    fields: Vec<String>,
}

impl RetrieveRequest {
    /// The GET form: comma-separated `ids` and `fields` query parameters.
    pub(super) fn from_query(uri_query: &str) -> RetrieveRequest {
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

/// Runs a retrieve and answers 200 with the aligned array.
pub(super) async fn retrieve(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    object: &Arc<SObject>,
    request: RetrieveRequest,
) -> Result<Response, ApiError> {
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
    let found = find_records(state, principal, version, object, &request.fields, &wanted).await?;
    let answer: Vec<Json> = wanted
        .iter()
        .map(|id| {
            id.and_then(|id| found.get(&id).cloned())
                .unwrap_or(Json::Null)
        })
        .collect();
    Ok(wire::json(StatusCode::OK, &Json::Array(answer)))
}

/// The live records among `ids`, by id, each with `attributes` and the fields asked for.
async fn find_records(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    object: &Arc<SObject>,
    fields: &[String],
    ids: &[Option<SfId>],
) -> Result<HashMap<SfId, Json>, ApiError> {
    for field in fields {
        // The names go into a statement: anything but a (dotted) API name is refused before that.
        if field.is_empty()
            || !field
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        {
            return Err(ApiError::new(
                400,
                "INVALID_FIELD",
                format!(
                    "No such column '{field}' on sobject of type {}",
                    object.name
                ),
            ));
        }
    }
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
    let bound = compile_query(state.store.schema(), &soql, state.clock.now(), Mode::Rest)?;
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let id_column = bound
        .select
        .iter()
        .position(|item| matches!(item, SelectItem::Field(p) if p.hops.is_empty() && p.field.name == "Id"))
        .ok_or_else(|| wire::internal_error(&"the retrieve statement selects no Id"))?;
    let (augmented, extra) = with_reference_columns(&bound);
    let org = principal.org_id;
    let rows = state
        .with_store(move |store| collect(store, org, &augmented, QueryOptions::default()))
        .await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in &rows {
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

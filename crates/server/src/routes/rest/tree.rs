//! `POST /composite/tree/{Obj}`: records with nested children, created together, with reference ids.
//!
//! The body is read into a flat breadth-first list ([`request`]; children found by child relationship
//! name, [`relationships`]), then every record is created in one write unit through the same per-record
//! create as `/sobjects`, each child with its parent's new id in the relationship's lookup. Trees are
//! all-or-nothing: on any failure the unit rolls back and the answer is 400
//! `{"hasErrors":true,"results":[{"referenceId","errors":[…]}]}` listing only the failed records; on
//! success 201 `{"hasErrors":false,"results":[{"referenceId","id"}…]}` in breadth-first order.

mod relationships;
mod request;

use super::collections::{RecordResult, SaveError, create_one, read_body};
use crate::state::AppState;
use crate::wire::{self, not_allowed};
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::schema::Schema;
use bulkforce_store::{Principal, RecordUnit, UnitEnd};
use request::{TreeRecord, TreeRequest};
use serde_json::{Value as Json, json};

/// The first API version with sObject Tree.
const TREE_SINCE: u16 = 42;

pub(super) async fn tree(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    object: &str,
    request: Request,
) -> Result<Response, ApiError> {
    if version.0 < TREE_SINCE {
        return Err(ApiError::not_found());
    }
    let method = request.method().clone();
    if method != Method::POST {
        return Err(not_allowed(&method, &["POST"]));
    }
    let root = state
        .store
        .schema()
        .object(object)
        .ok_or_else(ApiError::not_found)?
        .clone();
    let body = read_body(request).await?;
    let records = match request::parse(state.store.schema(), &root, &body)? {
        TreeRequest::Records(records) => records,
        TreeRequest::Invalid(invalid) => return Ok(failed(&invalid)),
    };
    let (org, user) = (principal.org_id, principal.user_id);
    let outcome = state
        .with_store(move |store| {
            let schema = store.org_schema(org)?;
            let mut outcome = None;
            store.write_unit(org, user, &mut |unit| {
                let unit = &mut crate::record_types::MemoizedUnit::new(unit);
                let result = create_all(unit, &schema, version, &records);
                let end = match &result {
                    Ok(Created::All(_)) => UnitEnd::Commit,
                    _ => UnitEnd::Rollback,
                };
                outcome = Some(result);
                Ok(end)
            })?;
            Ok(outcome)
        })
        .await?
        .ok_or_else(|| wire::internal_error(&"the write unit did not run"))??;
    Ok(match outcome {
        Created::All(created) => {
            let results: Vec<Json> = created
                .iter()
                .map(|(reference_id, id)| json!({ "referenceId": reference_id, "id": id }))
                .collect();
            wire::json(
                StatusCode::CREATED,
                &json!({ "hasErrors": false, "results": results }),
            )
        }
        Created::Failed(failures) => failed(&failures),
    })
}

/// What creating a tree came to: every record's (reference id, id), or the records that failed.
enum Created {
    All(Vec<(String, String)>),
    Failed(Vec<(String, SaveError)>),
}

/// Creates the records in order inside `unit`, each child with its parent's id in the relationship's lookup.
/// The children of a failed record are not tried (they have no parent to point at). An unknown field
/// refuses the whole request with the REST error envelope, as Salesforce does for trees.
fn create_all(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    version: ApiVersion,
    records: &[TreeRecord],
) -> Result<Created, ApiError> {
    let mut ids: Vec<Option<String>> = Vec::with_capacity(records.len());
    let mut failures: Vec<(String, SaveError)> = Vec::new();
    for record in records {
        let mut fields = record.fields.clone();
        if let Some((parent, lookup)) = &record.parent {
            let Some(parent_id) = ids.get(*parent).cloned().flatten() else {
                ids.push(None);
                continue;
            };
            if let Some(key) = fields
                .keys()
                .find(|k| k.eq_ignore_ascii_case(lookup))
                .cloned()
            {
                fields.shift_remove(&key);
            }
            fields.insert(lookup.clone(), Json::String(parent_id));
        }
        match create_one(unit, schema, version, &record.object, &fields)? {
            RecordResult::Saved { id, .. } => ids.push(Some(id)),
            RecordResult::Failed(errors) => {
                if let Some(unknown) = errors.iter().find(|e| is_unknown_field(e)) {
                    return Err(ApiError::new(400, "INVALID_FIELD", unknown.message.clone()));
                }
                ids.push(None);
                failures.extend(errors.into_iter().map(|e| (record.reference_id.clone(), e)));
            }
        }
    }
    if !failures.is_empty() {
        return Ok(Created::Failed(failures));
    }
    Ok(Created::All(
        records
            .iter()
            .zip(ids)
            .map(|(record, id)| (record.reference_id.clone(), id.unwrap_or_default()))
            .collect(),
    ))
}

/// `INVALID_FIELD` `No such column 'X' on sobject of type Y`: the tree answer for it is the REST envelope.
fn is_unknown_field(error: &SaveError) -> bool {
    error.status_code == "INVALID_FIELD" && error.message.starts_with("No such column ")
}

/// 400 `{"hasErrors":true,"results":[…]}`: one entry per failed record, its errors together.
fn failed(failures: &[(String, SaveError)]) -> Response {
    let mut results: Vec<(String, Vec<Json>)> = Vec::new();
    for (reference_id, error) in failures {
        match results.iter_mut().find(|(r, _)| r == reference_id) {
            Some((_, errors)) => errors.push(error.to_json()),
            None => results.push((reference_id.clone(), vec![error.to_json()])),
        }
    }
    let results: Vec<Json> = results
        .into_iter()
        .map(|(reference_id, errors)| json!({ "referenceId": reference_id, "errors": errors }))
        .collect();
    wire::json(
        StatusCode::BAD_REQUEST,
        &json!({ "hasErrors": true, "results": results }),
    )
}

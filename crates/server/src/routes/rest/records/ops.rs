//! The sObject row writes as functions over an open [`RecordUnit`]: each takes what its URL and body say
//! and returns the REST answer, refusals included. The HTTP handlers run one in a unit of its own;
//! composite runs many in one unit and sObject Collections one per record, so a record is written and
//! refused the same way whichever resource names it. A function never commits: its caller keeps the unit's
//! writes when the answer is a success ([`Answer::is_success`]) and rolls them back otherwise.

use super::answer::Answer;
use super::conditions::{Conditions, RecordVersion};
use super::read::{etag_of, matching_ids, multiple_choices, stored_record};
use crate::routes::rest::rows::UnitRows;
use axum::http::StatusCode;
use bulkforce_core::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::rest_record::{
    self, JSON_PARSER_ERROR, JsonRecord, RestRow, RestWrite, external_id_field,
};
use bulkforce_core::schema::{SObject, Schema};
use bulkforce_store::{RecordUnit, RowOutcome, StoreError};
use serde_json::{Value as Json, json};
use std::sync::Arc;

/// The first API version whose upserts answer an update with 200 and a body, and flag `created`.
const UPSERT_BODY_VERSION: u16 = 46;

/// `POST /sobjects/{Obj}`: creates a record from `body`. 201 with `{id, success, errors}` (and
/// `created: true` when `created_flag`, as `POST /sobjects/{Obj}/Id` answers from v46.0).
pub(crate) fn create_in(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    version: ApiVersion,
    object: &str,
    body: &Json,
    created_flag: bool,
) -> Result<Answer, StoreError> {
    let Some(object) = schema.object(object) else {
        return Ok(Answer::not_found());
    };
    let record = match record_of(body) {
        Ok(record) => record,
        Err(refused) => return Ok(Answer::row_error(&refused)),
    };
    let row = build_row(unit, schema, object, RestWrite::Create, &record)?;
    Ok(match apply(unit, row)? {
        Ok(RowOutcome::Created(id)) => Answer::created(version, &object.name, id, created_flag),
        Ok(other) => unexpected(&other),
        Err(refused) => refused,
    })
}

/// `PATCH /sobjects/{Obj}/{id}`: sets the fields `body` names (null clears). 204; 404 for no such record,
/// 404 `ENTITY_IS_DELETED` for one in the recycle bin, 400 `MALFORMED_ID` for an id of another object.
pub(crate) fn update_in(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    object: &str,
    id: &str,
    body: &Json,
    conditions: &Conditions,
) -> Result<Answer, StoreError> {
    let Some(object) = schema.object(object) else {
        return Ok(Answer::not_found());
    };
    let id = match live_record(unit, object, id, conditions)? {
        Ok(id) => id,
        Err(refused) => return Ok(refused),
    };
    let record = match record_of(body) {
        Ok(record) => record,
        Err(refused) => return Ok(Answer::row_error(&refused)),
    };
    let row = build_row(unit, schema, object, RestWrite::Update(id), &record)?;
    Ok(match apply(unit, row)? {
        Ok(RowOutcome::Updated(_)) => Answer::empty(StatusCode::NO_CONTENT),
        Ok(other) => unexpected(&other),
        Err(refused) => refused,
    })
}

/// `DELETE /sobjects/{Obj}/{id}`: moves the record to the recycle bin, as a bulk delete does. 204; the
/// same refusals as [`update_in`].
pub(crate) fn delete_in(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    object: &str,
    id: &str,
) -> Result<Answer, StoreError> {
    let Some(object) = schema.object(object) else {
        return Ok(Answer::not_found());
    };
    let id = match live_record(unit, object, id, &Conditions::default())? {
        Ok(id) => id,
        Err(refused) => return Ok(refused),
    };
    delete_live(unit, schema, object, id)
}

/// `PATCH /sobjects/{Obj}/{Field}/{value}`: upserts on an external id (or `Id`). No match inserts (201;
/// 404 with `update_only`), one match updates (200 with a body from v46.0, 204 before), several answer
/// 300 with their URLs; a field that is no external id is 404.
#[allow(clippy::too_many_arguments)]
pub(crate) fn upsert_in(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    version: ApiVersion,
    object: &str,
    field: &str,
    value: &str,
    body: &Json,
    update_only: bool,
    conditions: &Conditions,
) -> Result<Answer, StoreError> {
    let Some(object) = schema.object(object) else {
        return Ok(Answer::not_found());
    };
    let Some(key) = external_id_field(object, field) else {
        return Ok(Answer::no_external_id_field(field));
    };
    let matches = matching_ids(&mut UnitRows(&mut *unit), object, key, value)?;
    let mut record = match record_of(body) {
        Ok(record) => record,
        Err(refused) => return Ok(Answer::row_error(&refused)),
    };
    let row = match matches.as_slice() {
        [] if update_only || key.name == "Id" => return Ok(Answer::not_found()),
        [] => {
            record.set(&key.name, Json::String(value.to_owned()));
            build_row(
                unit,
                schema,
                object,
                RestWrite::Upsert { field: &key.name },
                &record,
            )?
        }
        [id] => {
            if let Some(answer) = check_conditions(unit, object, *id, conditions)? {
                return Ok(answer);
            }
            // The matched record's id names it: the key in the body, if any, is the URL's.
            record.remove(&key.name);
            build_row(unit, schema, object, RestWrite::Update(*id), &record)?
        }
        ids => return Ok(multiple_choices(version, &object.name, ids)),
    };
    let flagged = version.0 >= UPSERT_BODY_VERSION;
    Ok(match apply(unit, row)? {
        Ok(RowOutcome::Created(id)) => Answer::created(version, &object.name, id, flagged),
        Ok(RowOutcome::Updated(id)) if flagged => Answer::new(
            StatusCode::OK,
            json!({ "id": id.as_str(), "success": true, "errors": [], "created": false }),
        ),
        Ok(RowOutcome::Updated(_)) => Answer::empty(StatusCode::NO_CONTENT),
        Ok(other) => unexpected(&other),
        Err(refused) => refused,
    })
}

/// `DELETE /sobjects/{Obj}/{Field}/{value}`: deletes the one live record the value matches (204; 404
/// for none, 300 for several).
pub(crate) fn delete_by_external_id_in(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    version: ApiVersion,
    object: &str,
    field: &str,
    value: &str,
) -> Result<Answer, StoreError> {
    let Some(object) = schema.object(object) else {
        return Ok(Answer::not_found());
    };
    let Some(key) = external_id_field(object, field) else {
        return Ok(Answer::no_external_id_field(field));
    };
    match matching_ids(&mut UnitRows(&mut *unit), object, key, value)?.as_slice() {
        [] => Ok(Answer::not_found()),
        [id] => delete_live(unit, schema, object, *id),
        ids => Ok(multiple_choices(version, &object.name, ids)),
    }
}

fn delete_live(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    object: &Arc<SObject>,
    id: SfId,
) -> Result<Answer, StoreError> {
    Ok(
        match apply(unit, Ok(rest_record::delete(schema, object, id)))? {
            Ok(RowOutcome::Deleted(_)) => Answer::empty(StatusCode::NO_CONTENT),
            Ok(other) => unexpected(&other),
            Err(refused) => refused,
        },
    )
}

/// The record a by-id write names, checked as Salesforce does before anything else: a well-formed id of
/// the object (400 `MALFORMED_ID`), stored (404), not in the recycle bin (404 `ENTITY_IS_DELETED`), and
/// passing the request's conditions.
fn live_record(
    unit: &mut dyn RecordUnit,
    object: &Arc<SObject>,
    id: &str,
    conditions: &Conditions,
) -> Result<Result<SfId, Answer>, StoreError> {
    let Some(id) = SfId::parse(id.trim())
        .ok()
        .filter(|id| id.key_prefix() == object.key_prefix)
    else {
        let label = format!("{} ID", object.label);
        return Ok(Err(Answer::row_error(&RowError::malformed_id(
            &label, "Id", id,
        ))));
    };
    let Some(fields) = unit.get_record(&object.name, id)? else {
        return Ok(Err(Answer::not_found()));
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    };
    if field("IsDeleted") == Some("1") {
        return Ok(Err(Answer::row_error(&RowError::entity_is_deleted())));
    }
    if let Some(answer) = check_conditions(unit, object, id, conditions)? {
        return Ok(Err(answer));
    }
    Ok(Ok(id))
}

/// The request's conditions checked against the stored record, as the unit sees it: the answer that
/// replaces the write's, if any. Nothing is read for a request without conditions.
fn check_conditions(
    unit: &mut dyn RecordUnit,
    object: &Arc<SObject>,
    id: SfId,
    conditions: &Conditions,
) -> Result<Option<Answer>, StoreError> {
    if *conditions == Conditions::default() {
        return Ok(None);
    }
    let Some(stored) = stored_record(&mut UnitRows(&mut *unit), object, id)? else {
        return Ok(None);
    };
    let etag = etag_of(object, &stored.fields);
    let current = RecordVersion {
        last_modified: stored.last_modified,
        etag: etag.as_deref(),
    };
    Ok(conditions.check(current, false))
}

/// The record a body holds: a JSON object (anything else is refused as Salesforce's parser does).
fn record_of(body: &Json) -> Result<JsonRecord, RowError> {
    let token = match body {
        Json::Object(map) => return Ok(JsonRecord::from_json(map)),
        Json::Array(_) => "START_ARRAY",
        Json::String(_) => "VALUE_STRING",
        Json::Number(_) => "VALUE_NUMBER_INT",
        Json::Bool(_) => "VALUE_TRUE",
        Json::Null => "VALUE_NULL",
    };
    Err(RowError::new(
        JSON_PARSER_ERROR,
        format!("Cannot deserialize instance of SObject from {token}"),
        Vec::new(),
    ))
}

/// Applies one built row in the unit: its outcome, or the refusal of a row that failed.
/// The row `write` makes of `record`, with the org's record types of `object` as the unit sees them.
fn build_row(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    object: &Arc<SObject>,
    write: RestWrite<'_>,
    record: &JsonRecord,
) -> Result<Result<RestRow, bulkforce_core::ingest::RowFailure>, StoreError> {
    let record_types = crate::record_types::from_unit(unit, schema, object)?;
    Ok(rest_record::build_with_record_types(
        schema,
        object,
        write,
        record,
        Some(record_types),
    ))
}

fn apply(
    unit: &mut dyn RecordUnit,
    row: Result<RestRow, bulkforce_core::ingest::RowFailure>,
) -> Result<Result<RowOutcome, Answer>, StoreError> {
    let row = match row {
        Ok(row) => row,
        Err(failure) => return Ok(Err(Answer::row_error(&failure.error))),
    };
    let outcome = unit
        .apply(&row.plan, vec![Ok(row.op)])?
        .pop()
        .ok_or_else(|| StoreError::Corrupt("a unit applied no outcome for its row".into()))?;
    Ok(match outcome {
        RowOutcome::Failed { error, .. } => Err(Answer::row_error(&error)),
        done => Ok(done),
    })
}

/// An outcome the operation cannot have (an update that created): a server fault, never silent.
fn unexpected(outcome: &RowOutcome) -> Answer {
    let message = crate::wire::unexpected_message(&format_args!(
        "a record write had an unexpected outcome: {outcome:?}"
    ));
    Answer::refused(
        StatusCode::INTERNAL_SERVER_ERROR,
        "UNKNOWN_EXCEPTION",
        &message,
        None,
    )
}

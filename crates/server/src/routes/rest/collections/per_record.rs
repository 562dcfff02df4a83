//! One record of a collection (or a tree) through the very functions `/sobjects` answers with
//! (`records::create_in`, `update_in`, `upsert_in`, `delete_in`), their answer turned into a collection
//! result. So a record is refused with the same error whichever resource wrote it.

use super::results::{RecordResult, SaveError};
use crate::routes::rest::records::{self, Answer, Conditions};
use crate::wire;
use axum::http::StatusCode;
use bulkforce_core::ApiError;
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::schema::{SObject, Schema};
use bulkforce_store::RecordUnit;
use serde_json::{Map, Value as Json};

/// Creates one record of `object` from its body.
pub(crate) fn create(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    version: ApiVersion,
    object: &SObject,
    record: &Map<String, Json>,
) -> Result<RecordResult, ApiError> {
    let body = Json::Object(record.clone());
    let answer = records::create_in(unit, schema, version, &object.name, &body, false)
        .map_err(wire::store_error)?;
    Ok(result(answer, None, None))
}

/// Updates record `id` (as the body gave it) of `object` with the body's other fields.
pub(crate) fn update(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    object: &SObject,
    id: &str,
    record: &Map<String, Json>,
) -> Result<RecordResult, ApiError> {
    let body = Json::Object(record.clone());
    let answer = records::update_in(
        unit,
        schema,
        &object.name,
        id,
        &body,
        &Conditions::default(),
    )
    .map_err(wire::store_error)?;
    Ok(result(answer, SfId::parse(id.trim()).ok(), None))
}

/// Upserts one record of `object` matched on `field`, whose value the body holds. Without a value an
/// upsert on `Id` creates (as a bulk upsert does) and one on an external id fails as bulk's does.
pub(crate) fn upsert(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    version: ApiVersion,
    object: &SObject,
    field: &str,
    record: &Map<String, Json>,
) -> Result<RecordResult, ApiError> {
    let value = record
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(field))
        .and_then(|(_, v)| match v {
            Json::String(s) if !s.is_empty() => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        });
    let Some(value) = value else {
        if field.eq_ignore_ascii_case("Id") {
            let mut record = record.clone();
            record.retain(|k, _| !k.eq_ignore_ascii_case("Id"));
            let created = create(unit, schema, version, object, &record)?;
            return Ok(created.with_created(true));
        }
        let missing = SaveError::new(
            "MISSING_ARGUMENT",
            format!("{field} not specified"),
            Vec::new(),
        );
        return Ok(RecordResult::failed(missing));
    };
    let body = Json::Object(record.clone());
    let answer = records::upsert_in(
        unit,
        schema,
        version,
        &object.name,
        field,
        &value,
        &body,
        false,
        &Conditions::default(),
    )
    .map_err(wire::store_error)?;
    if answer.status == StatusCode::MULTIPLE_CHOICES {
        // Several records hold the value: the per-record error a bulk upsert gives for it.
        let label = object.field(field).map_or(field, |f| f.label.as_str());
        let ids = matched_ids(&answer);
        return Ok(RecordResult::failed(
            RowError::duplicate_external_id(label, &ids).into(),
        ));
    }
    let created = answer.status == StatusCode::CREATED;
    Ok(result(answer, None, Some(created)))
}

/// Deletes record `id` of `object` (to the recycle bin).
pub(crate) fn delete(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    object: &SObject,
    id: SfId,
) -> Result<RecordResult, ApiError> {
    let answer =
        records::delete_in(unit, schema, &object.name, id.as_str()).map_err(wire::store_error)?;
    Ok(result(answer, Some(id), None))
}

/// A record operation's answer as a collection result: a success with the id it names (or `known`, for
/// answers without a body) and whether it existed before the call; a refusal's REST errors
/// (`errorCode`) as save errors (`statusCode`).
fn result(answer: Answer, known: Option<SfId>, created: Option<bool>) -> RecordResult {
    if answer.is_success() {
        let id = answer
            .body
            .as_ref()
            .and_then(|b| b.get("id"))
            .and_then(Json::as_str)
            .map(str::to_owned)
            .or_else(|| known.map(|id| id.as_str().to_owned()))
            .unwrap_or_default();
        let existed = answer.status != StatusCode::CREATED;
        return RecordResult::Saved {
            id,
            created,
            existed,
        };
    }
    let errors = answer
        .body
        .as_ref()
        .and_then(Json::as_array)
        .map(|errors| errors.iter().map(save_error).collect::<Vec<_>>())
        .filter(|errors| !errors.is_empty())
        .unwrap_or_else(|| {
            vec![SaveError::new(
                "UNKNOWN_EXCEPTION",
                format!("The record could not be saved ({})", answer.status),
                Vec::new(),
            )]
        });
    RecordResult::Failed(errors)
}

/// `{"message","errorCode","fields"?}` → `{"statusCode","message","fields"}`.
fn save_error(error: &Json) -> SaveError {
    let text = |key: &str| error.get(key).and_then(Json::as_str).unwrap_or_default();
    let fields = error
        .get("fields")
        .and_then(Json::as_array)
        .map(|f| {
            f.iter()
                .filter_map(Json::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    SaveError::new(text("errorCode"), text("message"), fields)
}

/// The ids of a 300 answer's record URLs.
fn matched_ids(answer: &Answer) -> Vec<String> {
    answer
        .body
        .as_ref()
        .and_then(Json::as_array)
        .map(|urls| {
            urls.iter()
                .filter_map(Json::as_str)
                .filter_map(|url| url.rsplit('/').next())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

//! Collection writes as functions over an open write unit: create, update and upsert ([`write_in`]) and
//! delete ([`delete_in`]). They run inside a savepoint of their own, so they compose: the standalone
//! resource commits the unit afterwards, and a composite request can call them among other subrequests.
//!
//! `allOrNone: false`: each record under its own savepoint, a failed record leaves nothing behind and the
//! others are kept. `allOrNone: true`: every record is still tried (each reports its own error), and if
//! any failed the call goes back to its savepoint and the saved ones report
//! `ALL_OR_NONE_OPERATION_ROLLED_BACK`.

use super::limits;
use super::per_record;
use super::request::{DeleteRequest, WriteRequest, record_type};
use super::results::{RecordResult, SaveError, answer};
use crate::wire;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::rest_record::external_id_field;
use bulkforce_core::schema::{SObject, Schema};
use bulkforce_store::RecordUnit;
use serde_json::{Map, Value as Json};
use std::sync::Arc;

/// What a create/update/upsert call does with each record.
#[derive(Debug, Clone)]
pub(crate) enum WriteOp {
    Create,
    Update,
    /// Upsert of records of `object` matched on `field`.
    Upsert {
        object: Arc<SObject>,
        field: String,
    },
}

impl WriteOp {
    /// The upsert of `PATCH /composite/sobjects/{object}/{field}`: the object must exist (404 otherwise) and
    /// the field must be an external id or `Id` (404 with Salesforce's message otherwise).
    pub(crate) fn upsert(schema: &Schema, object: &str, field: &str) -> Result<WriteOp, ApiError> {
        let object = schema.object(object).ok_or_else(ApiError::not_found)?;
        let key = external_id_field(object, field).ok_or_else(|| {
            ApiError::new(
                404,
                "NOT_FOUND",
                format!("Provided external ID field does not exist or is not accessible: {field}"),
            )
        })?;
        Ok(WriteOp::Upsert {
            field: key.name.clone(),
            object: object.clone(),
        })
    }
}

/// Saves the records of a create, update or upsert call and returns the per-record answer.
pub(crate) fn write_in(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    version: ApiVersion,
    op: &WriteOp,
    request: &WriteRequest,
) -> Result<Json, ApiError> {
    if !matches!(op, WriteOp::Upsert { .. }) {
        limits::check_type_chunks(request.records.iter().map(|r| record_type(r).unwrap_or("")))?;
    }
    in_savepoint(
        unit,
        request.all_or_none,
        request.records.iter(),
        |unit, record| write_one(unit, schema, version, op, record),
    )
}

/// Deletes the records a delete call names and returns the per-record answer.
pub(crate) fn delete_in(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    request: &DeleteRequest,
) -> Result<Json, ApiError> {
    in_savepoint(
        unit,
        request.all_or_none,
        request.ids.iter(),
        |unit, text| {
            let malformed = || {
                RecordResult::failed(SaveError::new(
                    "MALFORMED_ID",
                    format!("malformed id {text}"),
                    Vec::new(),
                ))
            };
            let Ok(id) = SfId::parse(text) else {
                return Ok(malformed());
            };
            let Some(object) = schema.object_by_prefix(id.key_prefix()) else {
                return Ok(malformed());
            };
            per_record::delete(unit, schema, object, id)
        },
    )
}

/// Runs `one` over `items` inside a savepoint, with `allOrNone`'s rules, and returns the answer array.
fn in_savepoint<'a, T: 'a + ?Sized>(
    unit: &mut dyn RecordUnit,
    all_or_none: bool,
    items: impl Iterator<Item = &'a T>,
    mut one: impl FnMut(&mut dyn RecordUnit, &T) -> Result<RecordResult, ApiError>,
) -> Result<Json, ApiError> {
    unit.savepoint().map_err(wire::store_error)?;
    let mut results = Vec::new();
    for item in items {
        if all_or_none {
            results.push(one(unit, item)?);
            continue;
        }
        unit.savepoint().map_err(wire::store_error)?;
        let result = one(unit, item)?;
        if result.is_failure() {
            unit.rollback_to_savepoint().map_err(wire::store_error)?;
        } else {
            unit.release_savepoint().map_err(wire::store_error)?;
        }
        results.push(result);
    }
    let rolled_back = all_or_none && results.iter().any(RecordResult::is_failure);
    if rolled_back {
        unit.rollback_to_savepoint().map_err(wire::store_error)?;
    } else {
        unit.release_savepoint().map_err(wire::store_error)?;
    }
    Ok(answer(&results, rolled_back))
}

/// One record of a create, update or upsert.
fn write_one(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    version: ApiVersion,
    op: &WriteOp,
    record: &Map<String, Json>,
) -> Result<RecordResult, ApiError> {
    let object = match (op, record_object(schema, record)) {
        (WriteOp::Upsert { object, .. }, Ok(given)) if given.name != object.name => {
            return Ok(RecordResult::failed(SaveError::new(
                "INVALID_TYPE",
                format!(
                    "The record's type {} is not the type of this upsert, {}",
                    given.name, object.name
                ),
                Vec::new(),
            )));
        }
        (WriteOp::Upsert { object, .. }, _) => object.clone(),
        (_, Ok(object)) => object,
        (_, Err(error)) => return Ok(RecordResult::failed(error)),
    };
    let mut fields = record.clone();
    fields.shift_remove("attributes");
    match op {
        WriteOp::Create => {
            if take_key(&mut fields, "Id").is_some_and(|v| !v.is_null()) {
                return Ok(RecordResult::failed(SaveError::new(
                    "INVALID_FIELD",
                    "cannot specify Id in an insert call",
                    Vec::new(),
                )));
            }
            Ok(per_record::create(unit, schema, version, &object, &fields)?.without_created())
        }
        WriteOp::Update => {
            let id = match take_key(&mut fields, "Id") {
                Some(Json::String(id)) if !id.is_empty() => id,
                _ => {
                    return Ok(RecordResult::failed(SaveError::new(
                        "MISSING_ARGUMENT",
                        "Id not specified in an update call",
                        Vec::new(),
                    )));
                }
            };
            Ok(per_record::update(unit, schema, &object, &id, &fields)?.without_created())
        }
        WriteOp::Upsert { field, .. } => {
            per_record::upsert(unit, schema, version, &object, field, &fields)
        }
    }
}

/// The object a record's `attributes.type` names, or the per-record error Salesforce gives.
fn record_object(schema: &Schema, record: &Map<String, Json>) -> Result<Arc<SObject>, SaveError> {
    let name = record_type(record).ok_or_else(|| {
        SaveError::new(
            "INVALID_TYPE",
            "Must send a concrete entity type.",
            Vec::new(),
        )
    })?;
    schema.object(name).cloned().ok_or_else(|| {
        SaveError::new(
            "INVALID_TYPE",
            format!(
                "sObject type '{name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
            ),
            Vec::new(),
        )
    })
}

/// Removes `key` (ignoring case, as field names are) and returns its value.
fn take_key(fields: &mut Map<String, Json>, key: &str) -> Option<Json> {
    let found = fields.keys().find(|k| k.eq_ignore_ascii_case(key))?.clone();
    fields.shift_remove(&found)
}

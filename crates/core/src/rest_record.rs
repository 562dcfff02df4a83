//! REST record bodies (JSON) as ingest rows: the one bridge from Salesforce's REST record shapes to the
//! row rules of bulk ingest, so a value is refused with the same error code whichever API wrote it.
//!
//! A JSON record becomes a header and a row of cells, each the text a CSV upload would carry for the same
//! value (`null` and `""` as `#N/A`, numbers and booleans as their JSON text), then goes through
//! [`IngestPlan::new`] and [`IngestPlan::build_row`] unchanged. Relationship objects
//! (`"Account": {"Ext__c": "A-1"}`) become relationship columns (`Account.Ext__c`). Only where Salesforce's
//! REST answers differ from bulk's is the error REST's own: a name that is no field is `INVALID_FIELD`
//! (`No such column …`), a JSON value that cannot be the field's type is `JSON_PARSER_ERROR`.
//!
//! A JSON string that is exactly `#N/A` clears its field, as the same cell does in bulk: the one value in
//! which a REST body is read as its CSV text rather than literally.

use crate::csv::Record;
use crate::error::RowError;
use crate::id::SfId;
use crate::ingest::{IngestPlan, NULL_MARKER, RowFailure, RowOp, is_header_column};
use crate::job::Operation;
use crate::org::record_types::ObjectRecordTypes;
use crate::schema::{Field, FieldType, SObject, Schema};
use crate::value::parse_value;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The error code of a value the JSON body cannot carry for its field.
pub const JSON_PARSER_ERROR: &str = "JSON_PARSER_ERROR";

/// One record of a REST body: its fields in body order, without `attributes`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JsonRecord {
    type_name: Option<String>,
    entries: Vec<(String, Value)>,
}

impl JsonRecord {
    /// Takes a JSON object's fields; `attributes` is dropped, but its `type` is kept (collections name
    /// each record's object there).
    pub fn from_json(body: &Map<String, Value>) -> JsonRecord {
        let mut record = JsonRecord::default();
        for (name, value) in body {
            if name.eq_ignore_ascii_case("attributes") {
                record.type_name = value.get("type").and_then(Value::as_str).map(str::to_owned);
            } else {
                record.entries.push((name.clone(), value.clone()));
            }
        }
        record
    }

    /// The object named by `attributes.type`, if the body had one.
    pub fn type_name(&self) -> Option<&str> {
        self.type_name.as_deref()
    }

    /// The value of a field, its name compared without case.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.position(name).map(|i| &self.entries[i].1)
    }

    /// Sets a field (replacing a value under the same name in any case), e.g. an upsert key from the URL.
    pub fn set(&mut self, name: &str, value: Value) {
        match self.position(name) {
            Some(i) => self.entries[i].1 = value,
            None => self.entries.push((name.to_owned(), value)),
        }
    }

    /// Removes a field, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.position(name).map(|i| self.entries.remove(i).1)
    }

    /// The field names, in body order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(name, _)| name.as_str())
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}

/// What a REST call does with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestWrite<'a> {
    /// Create a record (`POST /sobjects/{Obj}`).
    Create,
    /// Update this record with the body's fields (`PATCH /sobjects/{Obj}/{id}`).
    Update(SfId),
    /// Upsert on this field (an external id, or `Id`), whose value is in the record (put it there with
    /// [`JsonRecord::set`] when it comes from the URL).
    Upsert { field: &'a str },
}

/// A record ready for [`crate::ingest`]'s consumers: its plan (the object, operation and columns) and its row.
#[derive(Debug, Clone)]
pub struct RestRow {
    pub plan: IngestPlan,
    pub op: RowOp,
}

/// Builds the row `write` makes of `record` on `object`, or the error Salesforce's REST API answers.
/// A failure of an update carries its record id.
pub fn build(
    schema: &Schema,
    object: &Arc<SObject>,
    write: RestWrite<'_>,
    record: &JsonRecord,
) -> Result<RestRow, RowFailure> {
    build_with_record_types(schema, object, write, record, None)
}

/// [`build`] with the org's record types of `object`, so the row gets and is checked against them as a
/// bulk row is ([`IngestPlan::with_record_types`]).
pub fn build_with_record_types(
    schema: &Schema,
    object: &Arc<SObject>,
    write: RestWrite<'_>,
    record: &JsonRecord,
    record_types: Option<Arc<ObjectRecordTypes>>,
) -> Result<RestRow, RowFailure> {
    let target = match write {
        RestWrite::Update(id) => Some(id),
        _ => None,
    };
    let fail = |error: RowError| RowFailure { id: target, error };
    let (header, cells) = columns(schema, object, write, record).map_err(fail)?;
    let (operation, key) = match write {
        RestWrite::Create => (Operation::Insert, None),
        RestWrite::Update(_) => (Operation::Update, None),
        RestWrite::Upsert { field } => (Operation::Upsert, Some(field)),
    };
    let plan = IngestPlan::new(schema, object.clone(), operation, key, &header).map_err(|e| {
        // The columns were checked above; a plan refusing them anyway is still the body's fault.
        let message = e.trim_start_matches("InvalidBatch : ").to_owned();
        fail(RowError::new("INVALID_FIELD", message, Vec::new()))
    })?;
    let plan = match record_types {
        Some(record_types) => plan.with_record_types(record_types),
        None => plan,
    };
    let op = plan.build_row(&cells.iter().collect::<Record>())?;
    Ok(RestRow { plan, op })
}

/// The row that deletes record `id` of `object` (to the recycle bin, as a bulk delete does).
pub fn delete(schema: &Schema, object: &Arc<SObject>, id: SfId) -> RestRow {
    let plan = IngestPlan::new(
        schema,
        object.clone(),
        Operation::Delete,
        None,
        &["Id".to_owned()],
    )
    .expect("every object has an Id column");
    RestRow {
        plan,
        op: RowOp::Delete { id },
    }
}

/// A field that can name records in an external-id URL or an upsert: `Id`, an external id, or a unique
/// or id-lookup field. `None` when `name` is no such field of `object`.
pub fn external_id_field<'a>(object: &'a SObject, name: &str) -> Option<&'a Field> {
    object
        .field(name)
        .filter(|f| f.ftype == FieldType::Id || f.is_lookup_key())
}

/// The header and cells of `record` for `write`: the target `Id` first for an update, then each field of
/// the body (relationship objects as `Relationship.Key`), its value as bulk's cell text.
fn columns(
    schema: &Schema,
    object: &SObject,
    write: RestWrite<'_>,
    record: &JsonRecord,
) -> Result<(Vec<String>, Vec<String>), RowError> {
    let mut header = Vec::with_capacity(record.entries.len() + 1);
    let mut cells = Vec::with_capacity(record.entries.len() + 1);
    if let RestWrite::Update(id) = write {
        header.push("Id".to_owned());
        cells.push(id.as_str().to_owned());
    }
    let mut not_writable = Vec::new();
    for (name, value) in &record.entries {
        if name.eq_ignore_ascii_case("Id") {
            if ignorable_id(write, value) {
                continue;
            }
            if let RestWrite::Update(_) = write {
                // Another record's id (or null): an update cannot move its record.
                not_writable.push("Id".to_owned());
                continue;
            }
        }
        if header.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            return Err(RowError::new(
                JSON_PARSER_ERROR,
                format!("Duplicate field: {name}"),
                Vec::new(),
            ));
        }
        let (column, scalar, field) = match value {
            Value::Object(parent) => {
                let column = relationship_column(schema, object, name, parent)?;
                (column, relationship_key(parent)?.1, None)
            }
            _ if is_header_column(schema, object, name) => {
                (name.clone(), value, object.field(name))
            }
            _ => match object.field(name) {
                Some(field) => {
                    not_writable.push(field.name.clone());
                    continue;
                }
                None => return Err(no_such_column(name, object)),
            },
        };
        cells.push(cell_text(field, scalar, header.len())?);
        header.push(column);
    }
    if !not_writable.is_empty() {
        return Err(RowError::not_writable(not_writable));
    }
    if let RestWrite::Upsert { field } = write
        && !header.iter().any(|h| h.eq_ignore_ascii_case(field))
    {
        // No key in the record: an empty key cell, which the plan refuses as bulk does.
        header.push(field.to_owned());
        cells.push(String::new());
    }
    Ok((header, cells))
}

/// An `Id` in an update's body naming the URL's record (or null in a create) says nothing more: skipped.
/// Any other `Id` stays a column, for the plan to refuse as bulk does.
fn ignorable_id(write: RestWrite<'_>, value: &Value) -> bool {
    match (write, value) {
        (RestWrite::Create, Value::Null) => true,
        (RestWrite::Update(id), Value::String(text)) => {
            SfId::parse(text.trim()).is_ok_and(|given| given == id)
        }
        _ => false,
    }
}

/// The column of a relationship object: `Relationship.Key`, or `Type:Relationship.Key` when the object
/// names its parent's type in `attributes` (polymorphic lookups).
fn relationship_column(
    schema: &Schema,
    object: &SObject,
    name: &str,
    parent: &Map<String, Value>,
) -> Result<String, RowError> {
    let (key, _) = relationship_key(parent)?;
    let column = match parent
        .get("attributes")
        .and_then(|a| a.get("type"))
        .and_then(Value::as_str)
    {
        Some(parent_type) => format!("{parent_type}:{name}.{key}"),
        None => format!("{name}.{key}"),
    };
    if is_header_column(schema, object, &column) {
        return Ok(column);
    }
    match object.field(name) {
        // A field, not a relationship: a JSON object cannot be its value.
        Some(field) => Err(json_parser_error(field, "START_OBJECT", "{")),
        None => Err(no_such_column(name, object)),
    }
}

/// The one key field of a relationship object, and its value.
fn relationship_key(parent: &Map<String, Value>) -> Result<(&str, &Value), RowError> {
    let mut keys = parent
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("attributes"));
    match (keys.next(), keys.next()) {
        (Some((key, value)), None) => Ok((key.as_str(), value)),
        _ => Err(RowError::new(
            "INVALID_FIELD",
            "A relationship in a record body must name exactly one external id field of its parent",
            Vec::new(),
        )),
    }
}

/// The CSV cell text of a JSON value for `field` (`None`: a relationship key, typed by the parent).
/// A value of a JSON type the field cannot take is `JSON_PARSER_ERROR`, as Salesforce's deserializer
/// answers; other bad values are left for the plan, which refuses them with bulk's codes.
fn cell_text(field: Option<&Field>, value: &Value, column: usize) -> Result<String, RowError> {
    let text = match value {
        Value::Null => NULL_MARKER.to_owned(),
        Value::String(s) if s.is_empty() => NULL_MARKER.to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Object(_) | Value::Array(_) => {
            let (token, shown) = match value {
                Value::Object(_) => ("START_OBJECT", "{"),
                _ => ("START_ARRAY", "["),
            };
            return Err(match field {
                Some(field) => json_parser_error(field, token, shown),
                None => RowError::new(
                    JSON_PARSER_ERROR,
                    format!("Cannot deserialize instance of string from {token} value {shown}"),
                    Vec::new(),
                ),
            });
        }
    };
    if let Some(field) = field.filter(|f| is_typed(f.ftype))
        && text != NULL_MARKER
        && let Err(error) = parse_value(field, &text, column, &[])
        && error == RowError::deserialize(column, &text, field.ftype.xsd_name(), &field.name)
    {
        return Err(json_parser_error(field, token_of(value), &text));
    }
    Ok(text)
}

/// Types Salesforce's JSON deserializer converts (so a value that does not convert fails there).
fn is_typed(ftype: FieldType) -> bool {
    matches!(
        ftype,
        FieldType::Boolean
            | FieldType::Int
            | FieldType::Long
            | FieldType::Double
            | FieldType::Currency
            | FieldType::Percent
            | FieldType::Date
            | FieldType::DateTime
            | FieldType::Time
    )
}

/// The JSON parser's name for the token a scalar value is.
fn token_of(value: &Value) -> &'static str {
    match value {
        Value::Bool(true) => "VALUE_TRUE",
        Value::Bool(false) => "VALUE_FALSE",
        Value::Number(n) if n.is_f64() => "VALUE_NUMBER_FLOAT",
        Value::Number(_) => "VALUE_NUMBER_INT",
        _ => "VALUE_STRING",
    }
}

/// Salesforce's deserializer error: `Cannot deserialize instance of double from VALUE_STRING value x or
/// request may be missing a required field` (Salesforce adds the position in the body, which a parsed
/// record no longer has).
fn json_parser_error(field: &Field, token: &str, shown: &str) -> RowError {
    let type_name = field
        .ftype
        .xsd_name()
        .trim_start_matches("xsd:")
        .to_ascii_lowercase();
    RowError::new(
        JSON_PARSER_ERROR,
        format!(
            "Cannot deserialize instance of {type_name} from {token} value {shown} or request may be missing a required field"
        ),
        Vec::new(),
    )
}

/// `INVALID_FIELD` for a name that is no field of the object, with Salesforce's text and no fields.
fn no_such_column(name: &str, object: &SObject) -> RowError {
    RowError::new(
        "INVALID_FIELD",
        format!("No such column '{name}' on sobject of type {}", object.name),
        Vec::new(),
    )
}

#[cfg(test)]
mod tests;

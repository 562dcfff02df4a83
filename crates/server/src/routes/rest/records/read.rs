//! Reading sObject rows: one record by id or by external id as REST JSON (every stored field, or those
//! `?fields=` names), and the live records an external-id value matches. Reads go through [`QueryRows`], so
//! the same code serves a plain GET (the store) and a composite subrequest (its open unit).

use super::answer::{Answer, record_path};
use super::conditions::{Conditions, RecordVersion};
use crate::routes::rest::compound;
use crate::routes::rest::json::{attributes, json_value};
use crate::routes::rest::rows::QueryRows;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bulkforce_core::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::rest_record::external_id_field;
use bulkforce_core::schema::{Field, SObject, Schema};
use bulkforce_core::value::{Value, parse_datetime, parse_value};
use bulkforce_soql::bound::{
    ComparisonOp, Condition, FieldPath, Literal, Operand, Query, SelectItem, Value as Bound,
};
use bulkforce_store::{QueryOptions, StoreError};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Live records a lookup lists at most (a 300 answer names them all; Salesforce's lists are short).
const MAX_MATCHES: u32 = 200;

/// `GET /sobjects/{Obj}/{id}[?fields=…]`: the live record, 404 when there is none.
pub(crate) fn get_in(
    rows: &mut dyn QueryRows,
    schema: &Schema,
    version: ApiVersion,
    object: &str,
    id: &str,
    fields: Option<&str>,
    conditions: &Conditions,
) -> Result<Answer, StoreError> {
    let Some(object) = schema.object(object) else {
        return Ok(Answer::not_found());
    };
    let Some(id) = SfId::parse(id)
        .ok()
        .filter(|id| id.key_prefix() == object.key_prefix)
    else {
        return Ok(Answer::not_found());
    };
    read_record(rows, version, object, id, fields, conditions)
}

/// `GET /sobjects/{Obj}/{Field}/{value}`: the one live record whose external id is `value`; 300 with
/// the matching records' URLs when several are, 404 when none is.
#[allow(clippy::too_many_arguments)]
pub(crate) fn get_by_external_id_in(
    rows: &mut dyn QueryRows,
    schema: &Schema,
    version: ApiVersion,
    object: &str,
    field: &str,
    value: &str,
    fields: Option<&str>,
    conditions: &Conditions,
) -> Result<Answer, StoreError> {
    let Some(object) = schema.object(object) else {
        return Ok(Answer::not_found());
    };
    let Some(key) = external_id_field(object, field) else {
        return Ok(Answer::no_external_id_field(field));
    };
    match matching_ids(rows, object, key, value)?.as_slice() {
        [] => Ok(Answer::not_found()),
        [id] => read_record(rows, version, object, *id, fields, conditions),
        ids => Ok(multiple_choices(version, &object.name, ids)),
    }
}

/// The live records of `object` whose `field` holds `value` (none when the value cannot be the field's).
pub(super) fn matching_ids(
    rows: &mut dyn QueryRows,
    object: &Arc<SObject>,
    field: &Field,
    value: &str,
) -> Result<Vec<SfId>, StoreError> {
    let Some(literal) = literal_of(object, field, value) else {
        return Ok(Vec::new());
    };
    let id_field = id_field(object)?;
    let query = record_query(object, vec![id_field], field, literal, MAX_MATCHES);
    rows.rows(&query, QueryOptions::default())?
        .iter()
        .filter_map(|row| match row.first() {
            Some(Value::Text(id)) => {
                Some(SfId::parse(id).map_err(|e| StoreError::Corrupt(e.to_string())))
            }
            _ => None,
        })
        .collect()
}

/// 300 Multiple Choices: a JSON array of the matching records' URLs.
pub(crate) fn multiple_choices(version: ApiVersion, object: &str, ids: &[SfId]) -> Answer {
    let urls: Vec<String> = ids
        .iter()
        .map(|id| record_path(version, object, id.as_str()))
        .collect();
    Answer::new(StatusCode::MULTIPLE_CHOICES, json!(urls))
}

/// One live record as REST JSON, after the request's conditions.
fn read_record(
    rows: &mut dyn QueryRows,
    version: ApiVersion,
    object: &Arc<SObject>,
    id: SfId,
    fields: Option<&str>,
    conditions: &Conditions,
) -> Result<Answer, StoreError> {
    let fields = match selected_fields(object, fields) {
        Ok(fields) => fields,
        Err(refused) => return Ok(Answer::row_error(&refused)),
    };
    let Some(stored) = stored_record(rows, object, id)? else {
        return Ok(Answer::not_found());
    };
    let etag = etag_of(object, &stored.fields);
    let current = RecordVersion {
        last_modified: stored.last_modified,
        etag: etag.as_deref(),
    };
    let mut answer = conditions.check(current, true).unwrap_or_else(|| {
        let shown = shown_record(version, object, id, &fields, &stored.fields);
        Answer::new(StatusCode::OK, shown)
    });
    answer.etag = etag;
    Ok(answer)
}

/// The record as a GET shows it: `attributes`, then `fields` in order.
fn shown_record(
    version: ApiVersion,
    object: &SObject,
    id: SfId,
    fields: &[Field],
    stored: &Map<String, Json>,
) -> Json {
    let mut record = Map::new();
    record.insert(
        "attributes".into(),
        attributes(&object.name, Some(id.as_str()), version),
    );
    let stored_value = |field: &Field| stored.get(&field.name).cloned().unwrap_or(Json::Null);
    for field in fields {
        let value = if field.ftype.is_stored() {
            stored_value(field)
        } else {
            compound::of_record(object, field, stored_value)
        };
        record.insert(field.name.clone(), value);
    }
    Json::Object(record)
}

/// A live record as stored: every stored field as REST JSON, and when it was last modified.
pub(crate) struct StoredRecord {
    pub fields: Map<String, Json>,
    pub last_modified: Option<DateTime<Utc>>,
}

/// The live record `id` of `object` (`None`: there is none).
pub(crate) fn stored_record(
    rows: &mut dyn QueryRows,
    object: &Arc<SObject>,
    id: SfId,
) -> Result<Option<StoredRecord>, StoreError> {
    let all: Vec<Field> = object
        .fields()
        .iter()
        .filter(|f| f.ftype.is_stored())
        .cloned()
        .collect();
    let query = record_query(
        object,
        all.clone(),
        &id_field(object)?,
        Literal::Text(id.as_str().to_owned()),
        1,
    );
    let found = rows.rows(&query, QueryOptions::default())?;
    let Some(row) = found.first() else {
        return Ok(None);
    };
    let mut last_modified = None;
    let mut fields = Map::new();
    for (field, value) in all.iter().zip(row) {
        if let ("LastModifiedDate", Value::Text(text)) = (field.name.as_str(), value) {
            last_modified = parse_datetime(text);
        }
        fields.insert(field.name.clone(), json_value(field, value));
    }
    Ok(Some(StoredRecord {
        fields,
        last_modified,
    }))
}

/// A record's `ETag`: a digest of its stored values, so any change gives a new one even under a frozen
/// clock. Salesforce gives ETags to Account records only, and so does this server.
pub(crate) fn etag_of(object: &SObject, fields: &Map<String, Json>) -> Option<String> {
    if object.name != "Account" {
        return None;
    }
    let digest = Sha256::digest(Json::Object(fields.clone()).to_string().as_bytes());
    Some(format!("\"{}\"", STANDARD.encode(&digest[..20])))
}

/// Every field (compound ones read through their parts), or the fields `?fields=a,b` names in that order
/// with `Id` after them (as Salesforce answers); an unknown name is a 400 `INVALID_FIELD`.
fn selected_fields(object: &SObject, names: Option<&str>) -> Result<Vec<Field>, RowError> {
    let Some(names) = names.filter(|n| !n.trim().is_empty()) else {
        return Ok(object.fields().to_vec());
    };
    let mut fields: Vec<Field> = Vec::new();
    for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some(field) = object.field(name) else {
            return Err(RowError::new(
                "INVALID_FIELD",
                format!(
                    "No such column '{name}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
                    object.name
                ),
                Vec::new(),
            ));
        };
        if !fields.iter().any(|f| f.name == field.name) {
            fields.push(field.clone());
        }
    }
    if !fields.iter().any(|f| f.name == "Id")
        && let Some(id) = object.field("Id")
    {
        fields.push(id.clone());
    }
    Ok(fields)
}

/// `SELECT select FROM object WHERE field = value LIMIT limit` over live records.
fn record_query(
    object: &Arc<SObject>,
    select: Vec<Field>,
    field: &Field,
    value: Literal,
    limit: u32,
) -> Query {
    let path = |field: Field| FieldPath {
        hops: Vec::new(),
        field,
    };
    Query {
        object: object.clone(),
        select: select
            .into_iter()
            .map(|f| SelectItem::Field(path(f)))
            .collect(),
        filter: Some(Condition::Compare {
            left: Operand::Field(path(field.clone())),
            op: ComparisonOp::Eq,
            right: Bound::Literal(value),
        }),
        group_by: Vec::new(),
        having: None,
        order_by: Vec::new(),
        limit: Some(limit.into()),
        offset: None,
        children: Vec::new(),
        per_parent: None,
    }
}

fn id_field(object: &SObject) -> Result<Field, StoreError> {
    object
        .field("Id")
        .cloned()
        .ok_or_else(|| StoreError::Corrupt(format!("{} has no Id field", object.name)))
}

/// An external-id value as a query literal of its field's type (`None`: it cannot be one).
fn literal_of(object: &SObject, field: &Field, value: &str) -> Option<Literal> {
    if field.name == "Id" {
        let id = SfId::parse(value.trim()).ok()?;
        return (id.key_prefix() == object.key_prefix)
            .then(|| Literal::Text(id.as_str().to_owned()));
    }
    Some(match parse_value(field, value, 0, &[]).ok()? {
        Value::Null => return None,
        Value::Text(text) => Literal::Text(text),
        Value::Integer(n) => Literal::Integer(n),
        Value::Real(n) => Literal::Decimal(n),
    })
}

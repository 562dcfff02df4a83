//! The sObject resources: describeGlobal, an object's basic information and describe, and one record.

use super::json::{attributes, json_value};
use super::rows::collect;
use crate::state::AppState;
use crate::wire;
use axum::http::StatusCode;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::schema::{Field, SObject, Schema};
use bulkforce_soql::bound::{
    ComparisonOp, Condition, FieldPath, Literal, Operand, Query, SelectItem, Value as Bound,
};
use bulkforce_store::{Principal, QueryOptions};
use serde_json::{Map, Value as Json, json};
use std::sync::Arc;

/// `GET /sobjects`: describeGlobal.
pub fn describe_global(state: &AppState, version: ApiVersion) -> Response {
    wire::json(
        StatusCode::OK,
        &describe_global_json(state.store.schema(), version),
    )
}

/// The describeGlobal body (also a composite subrequest's answer).
pub(super) fn describe_global_json(schema: &Schema, version: ApiVersion) -> Json {
    let version = version.to_string();
    let objects: Vec<Json> = schema
        .objects()
        .map(|o| o.global_describe_json(&version))
        .collect();
    json!({ "encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objects })
}

fn object<'a>(state: &'a AppState, name: &str) -> Result<&'a Arc<SObject>, ApiError> {
    schema_object(state.store.schema(), name)
}

fn schema_object<'a>(schema: &'a Schema, name: &str) -> Result<&'a Arc<SObject>, ApiError> {
    schema.object(name).ok_or_else(ApiError::not_found)
}

/// `GET /sobjects/X`: basic information.
pub fn sobject(state: &AppState, version: ApiVersion, name: &str) -> Result<Response, ApiError> {
    let body = sobject_json(state.store.schema(), version, name)?;
    Ok(wire::json(StatusCode::OK, &body))
}

/// The basic-information body (also a composite subrequest's answer).
pub(super) fn sobject_json(
    schema: &Schema,
    version: ApiVersion,
    name: &str,
) -> Result<Json, ApiError> {
    let object = schema_object(schema, name)?;
    Ok(
        json!({ "objectDescribe": object.global_describe_json(&version.to_string()), "recentItems": [] }),
    )
}

/// `GET /sobjects/X/describe`.
pub fn describe(state: &AppState, version: ApiVersion, name: &str) -> Result<Response, ApiError> {
    let body = describe_json(state.store.schema(), version, name)?;
    Ok(wire::json(StatusCode::OK, &body))
}

/// The describe body (also a composite subrequest's answer).
pub(super) fn describe_json(
    schema: &Schema,
    version: ApiVersion,
    name: &str,
) -> Result<Json, ApiError> {
    Ok(schema_object(schema, name)?.describe_json(&version.to_string()))
}

/// `GET /sobjects/X/{id}`: every field of one live record.
pub async fn record(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    name: &str,
    id: &str,
) -> Result<Response, ApiError> {
    let object = object(state, name)?.clone();
    let id = SfId::parse(id)
        .ok()
        .filter(|id| id.key_prefix() == object.key_prefix)
        .ok_or_else(ApiError::not_found)?;
    let fields: Vec<Field> = object
        .fields()
        .iter()
        .filter(|f| f.ftype.is_stored())
        .cloned()
        .collect();
    let id_field = object
        .field("Id")
        .cloned()
        .ok_or_else(ApiError::not_found)?;
    let query = Query {
        object: object.clone(),
        select: fields
            .iter()
            .map(|f| {
                SelectItem::Field(FieldPath {
                    hops: Vec::new(),
                    field: f.clone(),
                })
            })
            .collect(),
        filter: Some(Condition::Compare {
            left: Operand::Field(FieldPath {
                hops: Vec::new(),
                field: id_field,
            }),
            op: ComparisonOp::Eq,
            right: Bound::Literal(Literal::Text(id.as_str().to_owned())),
        }),
        group_by: Vec::new(),
        having: None,
        order_by: Vec::new(),
        limit: Some(1),
        offset: None,
    };
    let org = principal.org_id;
    let rows = state
        .with_store(move |store| collect(store, org, &query, QueryOptions::default()))
        .await?;
    let row = rows.first().ok_or_else(ApiError::not_found)?;
    let mut record = Map::new();
    record.insert(
        "attributes".into(),
        attributes(&object.name, Some(id.as_str()), version),
    );
    for (field, value) in fields.iter().zip(row) {
        record.insert(field.name.clone(), json_value(field, value));
    }
    Ok(wire::json(StatusCode::OK, &Json::Object(record)))
}

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
use bulkforce_core::schema::{Field, SObject};
use bulkforce_soql::bound::{
    ComparisonOp, Condition, FieldPath, Literal, Operand, Query, SelectItem, Value as Bound,
};
use bulkforce_store::{Principal, QueryOptions};
use serde_json::{Map, Value as Json, json};
use std::sync::Arc;

/// `GET /sobjects`: describeGlobal.
pub fn describe_global(state: &AppState, version: ApiVersion) -> Response {
    let version = version.to_string();
    let objects: Vec<Json> = state
        .store
        .schema()
        .objects()
        .map(|o| o.global_describe_json(&version))
        .collect();
    wire::json(
        StatusCode::OK,
        &json!({ "encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objects }),
    )
}

fn object<'a>(state: &'a AppState, name: &str) -> Result<&'a Arc<SObject>, ApiError> {
    state
        .store
        .schema()
        .object(name)
        .ok_or_else(ApiError::not_found)
}

/// `GET /sobjects/X`: basic information.
pub fn sobject(state: &AppState, version: ApiVersion, name: &str) -> Result<Response, ApiError> {
    let object = object(state, name)?;
    Ok(wire::json(
        StatusCode::OK,
        &json!({ "objectDescribe": object.global_describe_json(&version.to_string()), "recentItems": [] }),
    ))
}

/// `GET /sobjects/X/describe`.
pub fn describe(state: &AppState, version: ApiVersion, name: &str) -> Result<Response, ApiError> {
    let object = object(state, name)?;
    Ok(wire::json(
        StatusCode::OK,
        &object.describe_json(&version.to_string()),
    ))
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

//! The sObject resources: describeGlobal, an object's basic information and describe (records are
//! [`super::records`]).

use crate::record_types;
use crate::state::AppState;
use crate::wire;
use axum::http::StatusCode;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::org::record_types::ObjectRecordTypes;
use bulkforce_core::schema::{SObject, Schema};
use bulkforce_store::{Principal, RecordUnit};
use serde_json::{Value as Json, json};
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

/// `GET /sobjects/X/describe`: the object with the org's record types (`recordTypeInfos`).
pub async fn describe(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    name: &str,
) -> Result<Response, ApiError> {
    let org = principal.org_id;
    // The org's view of the object: its settings decide which audit fields are createable.
    let schema = state.with_store(move |store| store.org_schema(org)).await?;
    let object = schema_object(&schema, name)?.clone();
    let body = state
        .with_store(move |store| {
            let record_types = record_types::from_store(store, org, &object)?;
            Ok(describe_body(&schema, &object, version, &record_types))
        })
        .await?;
    Ok(wire::json(StatusCode::OK, &body))
}

/// The describe body as an open write unit sees the org's record types (a composite subrequest's answer).
pub(super) fn describe_in(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    version: ApiVersion,
    name: &str,
) -> Result<Json, ApiError> {
    let object = schema_object(schema, name)?;
    let record_types = record_types::from_unit(unit, schema, object).map_err(wire::store_error)?;
    Ok(describe_body(schema, object, version, &record_types))
}

/// The describe body: the object's fields and relationships (the schema's) and its record types (the
/// org's rows). `childRelationships` lists every lookup of the schema pointing at the object, with the
/// names subqueries and trees accept (declared, else derived) and delete rules, so custom objects'
/// lookups show up on their parents.
fn describe_body(
    schema: &Schema,
    object: &SObject,
    version: ApiVersion,
    record_types: &ObjectRecordTypes,
) -> Json {
    let version = version.to_string();
    let mut body = object.describe_json(&version);
    body["childRelationships"] = json!(schema.child_relationships(object));
    body["recordTypeInfos"] = record_types.describe_infos(&version);
    body
}

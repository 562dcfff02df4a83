//! The REST read surface people and tools use to check their data: SOQL queries with `nextRecordsUrl`
//! paging, describeGlobal, describe, and single records.

use super::jobs::form_pairs;
use crate::http::{self, blocking};
use crate::soql::Mode;
use crate::soql::compile_query;
use crate::state::{AppState, Cursor};
use axum::http::StatusCode;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::{KeyPrefix, SfId};
use bulkforce_core::job::ApiVersion;
use bulkforce_core::schema::{Field, FieldType, SObject};
use bulkforce_core::value::Value;
use bulkforce_soql::bound::{
    AggregateFunction, ComparisonOp, Condition, FieldPath, Literal, Operand, Query, SelectItem,
    Value as Bound,
};
use bulkforce_store::{Principal, QueryOptions};
use serde_json::{Map, Value as Json, json};
use std::sync::Arc;

/// Records per REST query page, as Salesforce's default batch size.
const REST_BATCH: u64 = 2_000;

/// `GET /query?q=…` and `/queryAll?q=…`, or a later page `GET /query/{cursor}-{offset}`.
pub async fn query(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    all_rows: bool,
    cursor: Option<String>,
    uri_query: &str,
) -> Result<Response, ApiError> {
    let (cursor_id, cursor, offset) = match cursor {
        Some(locator) => {
            let (id, offset) = locator.rsplit_once('-').ok_or_else(invalid_locator)?;
            let offset: u64 = offset.parse().map_err(|_| invalid_locator())?;
            let cursor = state
                .cursors
                .get(id)
                .filter(|c| c.org == principal.org_id)
                .ok_or_else(invalid_locator)?;
            (id.to_owned(), cursor, offset)
        }
        None => {
            let text = form_pairs(uri_query)
                .into_iter()
                .find(|(k, _)| k == "q")
                .map(|(_, v)| v)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| {
                    ApiError::new(400, "MALFORMED_QUERY", "A query string has to be specified")
                })?;
            let cursor = Cursor {
                org: principal.org_id,
                soql: text,
                all_rows,
                now: chrono::Utc::now(),
            };
            (String::new(), cursor, 0)
        }
    };
    let bound = compile_query(state.store.schema(), &cursor.soql, cursor.now, Mode::Rest)?;
    if super::query_param(uri_query, "columns").as_deref() == Some("true") {
        // `columns=true` describes the result columns instead of running the query (`sf data query`).
        return Ok(http::json(StatusCode::OK, &column_metadata(&bound)));
    }
    let options = QueryOptions {
        include_deleted: cursor.all_rows,
        ..QueryOptions::default()
    };
    let org = principal.org_id;
    let store = state.store.clone();

    if bound.is_count_only() {
        // `SELECT COUNT() …` computes its count itself: one row, one integer.
        let rows = blocking(move || collect(&*store, org, &bound, options)).await?;
        let total = match rows.first().and_then(|r| r.first()) {
            Some(Value::Integer(n)) => *n,
            _ => 0,
        };
        return Ok(http::json(
            StatusCode::OK,
            &json!({ "totalSize": total, "done": true, "records": [] }),
        ));
    }
    if bound.is_aggregate() {
        let mut page = bound.clone();
        page.limit = Some(page.limit.unwrap_or(REST_BATCH).min(REST_BATCH));
        let rows = blocking(move || collect(&*store, org, &page, options)).await?;
        let records: Vec<Json> = rows
            .iter()
            .map(|row| aggregate_record(&bound, row))
            .collect();
        return Ok(http::json(
            StatusCode::OK,
            &json!({ "totalSize": records.len(), "done": true, "records": records }),
        ));
    }

    let (augmented, extra) = with_reference_columns(&bound);
    let base_offset = bound.offset.unwrap_or(0);
    let mut page = augmented.clone();
    page.offset = Some(base_offset + offset);
    let remaining_limit = bound.limit.map(|l| l.saturating_sub(offset));
    page.limit = Some(remaining_limit.unwrap_or(REST_BATCH).min(REST_BATCH));
    let (total, rows) = {
        let counted = bound.clone();
        blocking(move || {
            let total = store.count_query(org, &counted, options)?;
            Ok((total, collect(&*store, org, &page, options)?))
        })
        .await?
    };
    let records: Vec<Json> = rows
        .iter()
        .map(|row| record_json(&bound, &extra, row, version))
        .collect();
    let next = offset + rows.len() as u64;
    let done = next >= total;
    let mut body = Map::new();
    body.insert("totalSize".into(), json!(total));
    body.insert("done".into(), json!(done));
    if !done {
        let id = if cursor_id.is_empty() {
            state.cursors.insert(cursor)
        } else {
            cursor_id
        };
        let resource = if all_rows { "queryAll" } else { "query" };
        body.insert(
            "nextRecordsUrl".into(),
            json!(format!("/services/data/v{version}/{resource}/{id}-{next}")),
        );
    }
    body.insert("records".into(), Json::Array(records));
    Ok(http::json(StatusCode::OK, &Json::Object(body)))
}

fn invalid_locator() -> ApiError {
    ApiError::new(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
}

fn collect(
    store: &dyn bulkforce_store::Store,
    org: SfId,
    query: &Query,
    options: QueryOptions,
) -> bulkforce_store::Result<Vec<Vec<Value>>> {
    let mut rows = Vec::new();
    store.run_query(org, query, options, &mut |values| {
        rows.push(values.to_vec());
        Ok(true)
    })?;
    Ok(rows)
}

/// Extra hidden columns: the root `Id` and, for each parent path, the reference that reaches it, so each
/// nested record gets its `attributes.url` (or is `null` when there is no parent).
struct ExtraColumns {
    root_id: usize,
    /// (relationship names of the path, column of the parent's id)
    parents: Vec<(Vec<String>, usize)>,
}

fn with_reference_columns(query: &Query) -> (Query, ExtraColumns) {
    let mut augmented = query.clone();
    let id_field = query
        .object
        .field("Id")
        .cloned()
        .expect("every object has an Id");
    let root_id = augmented.select.len();
    augmented.select.push(SelectItem::Field(FieldPath {
        hops: Vec::new(),
        field: id_field,
    }));
    let mut parents: Vec<(Vec<String>, usize)> = Vec::new();
    for item in &query.select {
        let SelectItem::Field(path) = item else {
            continue;
        };
        for depth in 1..=path.hops.len() {
            let names: Vec<String> = path.hops[..depth]
                .iter()
                .map(|h| h.relationship.clone())
                .collect();
            if parents.iter().any(|(n, _)| *n == names) {
                continue;
            }
            let hop = &path.hops[depth - 1];
            let Some(reference) = hop.from.field(&hop.reference_field).cloned() else {
                continue;
            };
            parents.push((names, augmented.select.len()));
            augmented.select.push(SelectItem::Field(FieldPath {
                hops: path.hops[..depth - 1].to_vec(),
                field: reference,
            }));
        }
    }
    (augmented, ExtraColumns { root_id, parents })
}

fn attributes(object: &str, id: Option<&str>, version: ApiVersion) -> Json {
    match id {
        Some(id) => {
            json!({ "type": object, "url": format!("/services/data/v{version}/sobjects/{object}/{id}") })
        }
        None => json!({ "type": object }),
    }
}

/// A value as the REST API writes it in JSON.
pub fn json_value(field: &Field, value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Integer(i) if field.ftype == FieldType::Boolean => json!(*i != 0),
        Value::Integer(i) => json!(i),
        Value::Real(r) => json!(r),
        Value::Text(t) if field.ftype == FieldType::DateTime => {
            // Stored as `…T…​.000Z`; REST writes `…T…​.000+0000`.
            json!(
                t.strip_suffix('Z')
                    .map(|s| format!("{s}+0000"))
                    .unwrap_or_else(|| t.clone())
            )
        }
        Value::Text(t) => json!(t),
    }
}

fn record_json(query: &Query, extra: &ExtraColumns, row: &[Value], version: ApiVersion) -> Json {
    let text = |i: usize| match row.get(i) {
        Some(Value::Text(t)) => Some(t.as_str()),
        _ => None,
    };
    let mut record = Map::new();
    record.insert(
        "attributes".into(),
        attributes(&query.object.name, text(extra.root_id), version),
    );
    for (i, item) in query.select.iter().enumerate() {
        let SelectItem::Field(path) = item else {
            continue;
        };
        // Each parent on the path, with its id (None: no parent, the nested record is null).
        let mut names = Vec::new();
        let parents: Vec<(&str, &str, Option<&str>)> = path
            .hops
            .iter()
            .map(|hop| {
                names.push(hop.relationship.clone());
                let id = extra
                    .parents
                    .iter()
                    .find(|(n, _)| *n == names)
                    .and_then(|(_, col)| text(*col));
                (hop.relationship.as_str(), hop.to.name.as_str(), id)
            })
            .collect();
        insert_nested(
            &mut record,
            &parents,
            &path.field.name,
            json_value(&path.field, &row[i]),
            version,
        );
    }
    Json::Object(record)
}

/// Sets `field` in the record reached through `parents`, creating nested records with their attributes.
fn insert_nested(
    map: &mut Map<String, Json>,
    parents: &[(&str, &str, Option<&str>)],
    field: &str,
    value: Json,
    version: ApiVersion,
) {
    match parents.split_first() {
        None => {
            map.insert(field.to_owned(), value);
        }
        Some(((relationship, object, id), rest)) => {
            let entry = map
                .entry(relationship.to_string())
                .or_insert_with(|| match id {
                    Some(id) => {
                        let mut nested = Map::new();
                        nested.insert("attributes".into(), attributes(object, Some(id), version));
                        Json::Object(nested)
                    }
                    None => Json::Null,
                });
            if let Json::Object(nested) = entry {
                insert_nested(nested, rest, field, value, version);
            }
        }
    }
}

fn aggregate_record(query: &Query, row: &[Value]) -> Json {
    let mut record = Map::new();
    record.insert("attributes".into(), json!({ "type": "AggregateResult" }));
    for (i, item) in query.select.iter().enumerate() {
        let value = &row[i];
        let (key, json) = match item {
            SelectItem::Field(path) => (path.field.name.clone(), json_value(&path.field, value)),
            SelectItem::Aggregate {
                function,
                argument,
                alias,
            } => {
                let json = match (function, argument, value) {
                    (AggregateFunction::Count | AggregateFunction::CountDistinct, _, v) => {
                        match v {
                            Value::Integer(n) => json!(n),
                            _ => json!(0),
                        }
                    }
                    (AggregateFunction::Avg, _, Value::Integer(n)) => json!(*n as f64),
                    (_, Some(path), v) => json_value(&path.field, v),
                    (_, None, v) => match v {
                        Value::Integer(n) => json!(n),
                        Value::Real(r) => json!(r),
                        Value::Text(t) => json!(t),
                        Value::Null => Json::Null,
                    },
                };
                (alias.clone(), json)
            }
            SelectItem::DateFunction { alias, .. } => (
                alias.clone(),
                match value {
                    Value::Integer(n) => json!(n),
                    Value::Text(t) => json!(t),
                    _ => Json::Null,
                },
            ),
        };
        record.insert(key, json);
    }
    Json::Object(record)
}

/// The `columns=true` answer: one entry per SELECT item, relationship paths as nested `joinColumns`.
fn column_metadata(query: &Query) -> Json {
    fn field_column(field: &Field) -> Json {
        let number = matches!(
            field.ftype,
            FieldType::Int
                | FieldType::Long
                | FieldType::Double
                | FieldType::Currency
                | FieldType::Percent
        );
        json!({
            "aggregate": false,
            "apexType": match field.ftype {
                FieldType::Boolean => "Boolean",
                FieldType::Int => "Integer",
                FieldType::Long => "Long",
                FieldType::Double | FieldType::Currency | FieldType::Percent => "Double",
                FieldType::Date => "Date",
                FieldType::DateTime => "Datetime",
                FieldType::Time => "Time",
                FieldType::Id | FieldType::Reference => "Id",
                _ => "String",
            },
            "booleanType": field.ftype == FieldType::Boolean,
            "columnName": field.name,
            "custom": field.custom,
            "displayName": field.name,
            "foreignKeyName": null,
            "insertable": field.createable,
            "joinColumns": [],
            "numberType": number,
            "textType": !number && field.ftype != FieldType::Boolean,
            "updatable": field.updateable,
        })
    }
    let columns: Vec<Json> = query
        .select
        .iter()
        .map(|item| match item {
            SelectItem::Field(path) => path.hops.iter().rev().fold(field_column(&path.field), |inner, hop| {
                json!({
                    "aggregate": false, "apexType": null, "booleanType": false,
                    "columnName": hop.relationship, "custom": false, "displayName": hop.relationship,
                    "foreignKeyName": hop.reference_field, "insertable": false, "joinColumns": [inner],
                    "numberType": false, "textType": false, "updatable": false,
                })
            }),
            SelectItem::Aggregate { function, argument, alias } => {
                let name = match function {
                    AggregateFunction::Count => "COUNT",
                    AggregateFunction::CountDistinct => "COUNT_DISTINCT",
                    AggregateFunction::Sum => "SUM",
                    AggregateFunction::Avg => "AVG",
                    AggregateFunction::Min => "MIN",
                    AggregateFunction::Max => "MAX",
                };
                let display = format!("{name}({})", argument.as_ref().map(FieldPath::header).unwrap_or_default());
                json!({
                    "aggregate": true, "apexType": null, "booleanType": false, "columnName": alias,
                    "custom": false, "displayName": display, "foreignKeyName": null, "insertable": false,
                    "joinColumns": [], "numberType": true, "textType": false, "updatable": false,
                })
            }
            SelectItem::DateFunction { argument, alias, .. } => json!({
                "aggregate": true, "apexType": null, "booleanType": false, "columnName": alias,
                "custom": false, "displayName": argument.header(), "foreignKeyName": null, "insertable": false,
                "joinColumns": [], "numberType": true, "textType": false, "updatable": false,
            }),
        })
        .collect();
    let id_selected = query
        .select
        .iter()
        .any(|s| matches!(s, SelectItem::Field(p) if p.hops.is_empty() && p.field.name == "Id"));
    json!({
        "columnMetadata": columns,
        "entityName": query.object.name,
        "groupBy": !query.group_by.is_empty(),
        "idSelected": id_selected,
        "keyPrefix": query.object.key_prefix.as_str(),
    })
}

/// `GET /sobjects`: describeGlobal.
pub fn describe_global(state: &AppState, version: ApiVersion) -> Response {
    let version = version.to_string();
    let objects: Vec<Json> = state
        .store
        .schema()
        .objects()
        .map(|o| o.global_describe_json(&version))
        .collect();
    http::json(
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
    Ok(http::json(
        StatusCode::OK,
        &json!({ "objectDescribe": object.global_describe_json(&version.to_string()), "recentItems": [] }),
    ))
}

/// `GET /sobjects/X/describe`.
pub fn describe(state: &AppState, version: ApiVersion, name: &str) -> Result<Response, ApiError> {
    let object = object(state, name)?;
    Ok(http::json(
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
    let store = state.store.clone();
    let org = principal.org_id;
    let rows = blocking(move || collect(&*store, org, &query, QueryOptions::default())).await?;
    let row = rows.first().ok_or_else(ApiError::not_found)?;
    let mut record = Map::new();
    record.insert(
        "attributes".into(),
        attributes(&object.name, Some(id.as_str()), version),
    );
    for (field, value) in fields.iter().zip(row) {
        record.insert(field.name.clone(), json_value(field, value));
    }
    Ok(http::json(StatusCode::OK, &Json::Object(record)))
}

/// Cursor ids look like Salesforce's (`01g…`).
pub fn cursor_id(sequence: u64) -> String {
    SfId::mint(KeyPrefix::QUERY_CURSOR, 0, sequence).as_str()[..15].to_owned()
}

//! Reading a tree request into a flat list of records in breadth-first order (all roots in request order,
//! then every second-level record, …): the order Salesforce lists results in, and one where each parent is
//! saved before its children.
//!
//! Two kinds of problem are told apart, as Salesforce does: a request that is not a tree at all (not JSON,
//! no `records`, a record without `referenceId`, past the limits) is refused whole with the REST error
//! envelope; a record that cannot be saved as given (no or unknown type, a duplicate `referenceId`) is
//! listed in the `hasErrors` answer under its reference id.

use super::relationships::child_relationship;
use crate::routes::rest::collections::{SaveError, check_count};
use bulkforce_core::ApiError;
use bulkforce_core::schema::{SObject, Schema};
use serde_json::{Map, Value as Json};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

/// Records in all trees of one request.
const MAX_RECORDS: usize = 200;
/// Levels of one tree (a root with children, grandchildren, … is five levels at most).
const MAX_DEPTH: usize = 5;
/// Distinct object types in one request.
const MAX_TYPES: usize = 5;

/// One record of a tree, ready to save once its parent has an id.
#[derive(Debug)]
pub(super) struct TreeRecord {
    pub reference_id: String,
    pub object: Arc<SObject>,
    /// The record's own fields: without `attributes` and without its nested children.
    pub fields: Map<String, Json>,
    /// The parent's position in the list and the lookup field that gets its id.
    pub parent: Option<(usize, String)>,
}

/// A parsed tree request: the records to save, or the records that cannot be saved as given.
#[derive(Debug)]
pub(super) enum TreeRequest {
    Records(Vec<TreeRecord>),
    Invalid(Vec<(String, SaveError)>),
}

/// A record still to read: its JSON, level, the object it must be (children) and its parent.
struct Pending {
    json: Json,
    depth: usize,
    expected: Option<Arc<SObject>>,
    parent: Option<(usize, String)>,
}

/// Parses and checks a request body for `POST /composite/tree/{root}`.
pub(super) fn parse(
    schema: &Schema,
    root: &Arc<SObject>,
    body: &[u8],
) -> Result<TreeRequest, ApiError> {
    let body: Json =
        serde_json::from_slice(body).map_err(|e| bulkforce_core::job::json_error(&e))?;
    let roots = records_of(&body)?;
    let mut queue: VecDeque<Pending> = roots
        .into_iter()
        .map(|json| Pending {
            json,
            depth: 1,
            expected: Some(root.clone()),
            parent: None,
        })
        .collect();
    let mut records = Vec::new();
    let mut invalid = Vec::new();
    let mut seen = HashSet::new();
    let mut types: Vec<String> = Vec::new();
    let mut count = 0usize;
    while let Some(pending) = queue.pop_front() {
        count += 1;
        check_count(count, MAX_RECORDS)?;
        if pending.depth > MAX_DEPTH {
            return Err(invalid_input(format!(
                "Exceeded the maximum depth of {MAX_DEPTH} levels of records in one tree"
            )));
        }
        let Json::Object(mut map) = pending.json else {
            return Err(invalid_input(
                "Each record in the request must be a JSON object.",
            ));
        };
        let reference_id = reference_id(&map)?;
        if !seen.insert(reference_id.clone()) {
            if !invalid
                .iter()
                .any(|(r, _): &(String, SaveError)| *r == reference_id)
            {
                invalid.push((
                    reference_id,
                    input_error("Duplicate ReferenceId provided in the request."),
                ));
            }
            continue;
        }
        if !reference_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            invalid.push((
                reference_id,
                input_error("A reference ID can contain only letters, digits and underscores."),
            ));
            continue;
        }
        let object = match object_of(schema, &map, pending.expected.as_deref()) {
            Ok(object) => object,
            Err(error) => {
                invalid.push((reference_id, error));
                continue;
            }
        };
        if !types.iter().any(|t| *t == object.name) {
            types.push(object.name.clone());
            if types.len() > MAX_TYPES {
                return Err(invalid_input(format!(
                    "Exceeded the maximum of {MAX_TYPES} different object types in one request"
                )));
            }
        }
        map.shift_remove("attributes");
        let position = records.len();
        for children in take_children(schema, &object, &mut map)? {
            for json in children.records {
                queue.push_back(Pending {
                    json,
                    depth: pending.depth + 1,
                    expected: Some(children.object.clone()),
                    parent: Some((position, children.lookup.clone())),
                });
            }
        }
        records.push(TreeRecord {
            reference_id,
            object,
            fields: map,
            parent: pending.parent,
        });
    }
    Ok(if invalid.is_empty() {
        TreeRequest::Records(records)
    } else {
        TreeRequest::Invalid(invalid)
    })
}

/// The `records` array of a request or of a child relationship.
fn records_of(value: &Json) -> Result<Vec<Json>, ApiError> {
    match value.get("records") {
        Some(Json::Array(records)) => Ok(records.clone()),
        _ => Err(invalid_input("Include a records array in the request.")),
    }
}

/// `attributes.referenceId`: required on every record, else the whole request is refused.
fn reference_id(map: &Map<String, Json>) -> Result<String, ApiError> {
    map.get("attributes")
        .and_then(|a| a.get("referenceId"))
        .and_then(Json::as_str)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| invalid_input("Include a reference ID for each record in the request."))
}

/// The record's object: `attributes.type`, which must be the root object (roots) or the relationship's
/// child object (children).
fn object_of(
    schema: &Schema,
    map: &Map<String, Json>,
    expected: Option<&SObject>,
) -> Result<Arc<SObject>, SaveError> {
    let name = map
        .get("attributes")
        .and_then(|a| a.get("type"))
        .and_then(Json::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| input_error("Include an entity type for each record in the request."))?;
    let invalid = || {
        input_error(format!(
            "Invalid entity type provided in the request: {name}"
        ))
    };
    let object = schema.object(name).ok_or_else(invalid)?;
    if expected.is_some_and(|e| e.name != object.name) {
        return Err(invalid());
    }
    Ok(object.clone())
}

/// The records nested under one child relationship of a record.
struct Children {
    records: Vec<Json>,
    object: Arc<SObject>,
    /// The child's lookup that gets the parent's id.
    lookup: String,
}

/// Children listed as `Relationship: {"records": […]}`, removed from the record. A key that is not a child
/// relationship stays a field (a relationship by external id such as `"Account": {"Ext__c": "A-1"}`, or an
/// unknown name the row rules refuse).
fn take_children(
    schema: &Schema,
    object: &SObject,
    map: &mut Map<String, Json>,
) -> Result<Vec<Children>, ApiError> {
    let keys: Vec<String> = map
        .iter()
        .filter(|(_, v)| v.get("records").is_some())
        .map(|(k, _)| k.clone())
        .collect();
    let mut children = Vec::new();
    for key in keys {
        let Some(relationship) = child_relationship(schema, object, &key) else {
            continue;
        };
        let value = map.shift_remove(&key).unwrap_or_default();
        children.push(Children {
            records: records_of(&value)?,
            object: relationship.child,
            lookup: relationship.field,
        });
    }
    Ok(children)
}

fn input_error(message: impl Into<String>) -> SaveError {
    SaveError::new("INVALID_INPUT", message, Vec::new())
}

fn invalid_input(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "INVALID_INPUT", message)
}

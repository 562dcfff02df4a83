//! Query rows as the REST API writes them in JSON: typed values, `attributes`, parent records nested under
//! their relationship names (or `null` when there is no parent), and aggregate rows.

use super::compound;
use super::parents::{self, Parent};
use bulkforce_core::job::ApiVersion;
use bulkforce_core::org::compound::compound_parts;
use bulkforce_core::schema::{Field, FieldType};
use bulkforce_core::value::Value;
use bulkforce_soql::bound::{AggregateFunction, FieldPath, Query, SelectItem};
use serde_json::{Map, Value as Json, json};

/// Extra hidden columns: the root `Id` and, for each parent path, the reference that reaches it, so each
/// nested record gets its `attributes.url` (or is `null` when there is no parent).
pub(super) struct ExtraColumns {
    root_id: usize,
    /// (relationship names of the path, column of the parent's id)
    parents: Vec<(Vec<String>, usize)>,
    /// Each compound field selected: the store reads the parts, never the compound.
    compounds: Vec<CompoundColumns>,
}

/// A compound field of the SELECT list (`item`) and the hidden columns of its parts.
struct CompoundColumns {
    item: usize,
    parts: Vec<PartColumn>,
}

/// One part of a compound field: its key in the compound's JSON object, its column and its field.
struct PartColumn {
    key: String,
    column: usize,
    field: Field,
}

impl ExtraColumns {
    /// The column of the record's own `Id` (which parent-to-child subqueries nest their children under).
    pub(super) fn root_id(&self) -> usize {
        self.root_id
    }
}

/// The query with the hidden columns of [`ExtraColumns`] appended to its SELECT list.
pub(super) fn with_reference_columns(query: &Query) -> (Query, ExtraColumns) {
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
    let compounds = compound_columns(&mut augmented, query);
    (
        augmented,
        ExtraColumns {
            root_id,
            parents,
            compounds,
        },
    )
}

/// Each compound field of the SELECT list read through its parts: the item itself becomes a placeholder
/// (the root `Id`) and the parts, reached by the same path, are appended as hidden columns.
fn compound_columns(augmented: &mut Query, query: &Query) -> Vec<CompoundColumns> {
    let mut compounds = Vec::new();
    for (item, select) in query.select.iter().enumerate() {
        let SelectItem::Field(path) = select else {
            continue;
        };
        if path.field.ftype != FieldType::Compound {
            continue;
        }
        let object = path.hops.last().map_or(&query.object, |hop| &hop.to);
        let mut parts = Vec::new();
        for part in compound_parts(object, &path.field) {
            let field = object.fields()[part.field].clone();
            parts.push(PartColumn {
                key: part.key,
                column: augmented.select.len(),
                field: field.clone(),
            });
            augmented.select.push(SelectItem::Field(FieldPath {
                hops: path.hops.clone(),
                field,
            }));
        }
        if let Some(id) = query.object.field("Id") {
            augmented.select[item] = SelectItem::Field(FieldPath {
                hops: Vec::new(),
                field: id.clone(),
            });
        }
        compounds.push(CompoundColumns { item, parts });
    }
    compounds
}

/// A record's `attributes`: its type and, when it has an id, its URL.
pub(super) fn attributes(object: &str, id: Option<&str>, version: ApiVersion) -> Json {
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
                    .map_or_else(|| t.clone(), |s| format!("{s}+0000"))
            )
        }
        Value::Text(t) => json!(t),
    }
}

/// One row of a plain query as a REST record, parent fields nested under their relationship names.
pub(super) fn record_json(
    query: &Query,
    extra: &ExtraColumns,
    row: &[Value],
    version: ApiVersion,
) -> Json {
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
        let (parents, answered) = parents::parents(path, |names| {
            extra
                .parents
                .iter()
                .find(|(n, _)| n == names)
                .and_then(|(_, col)| text(*col))
        });
        let value = match extra.compounds.iter().find(|c| c.item == i) {
            Some(compound) => compound::from_parts(compound.parts.iter().map(|part| {
                (
                    part.key.as_str(),
                    json_value(&part.field, &row[part.column]),
                )
            })),
            None => json_value(&path.field, &row[i]),
        };
        let value = answered.then_some(value);
        insert_nested(&mut record, &parents, &path.field.name, value, version);
    }
    Json::Object(record)
}

/// Sets `field` in the record reached through `parents`, creating nested records with their attributes
/// (`value` None: only the nested records, for a TYPEOF branch the record does not take).
fn insert_nested(
    map: &mut Map<String, Json>,
    parents: &[Parent<'_>],
    field: &str,
    value: Option<Json>,
    version: ApiVersion,
) {
    match parents.split_first() {
        None => {
            if let Some(value) = value {
                map.insert(field.to_owned(), value);
            }
        }
        Some((parent, rest)) => {
            let entry = map
                .entry(parent.relationship.to_owned())
                .or_insert_with(|| match parent.id {
                    Some(id) => {
                        let mut attributes = attributes(parent.object, Some(id), version);
                        attributes["type"] = json!(parent.attributes_type);
                        let mut nested = Map::new();
                        nested.insert("attributes".into(), attributes);
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

/// One row of an aggregate query: an `AggregateResult` keyed by field names and aliases.
pub(super) fn aggregate_record(query: &Query, row: &[Value]) -> Json {
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

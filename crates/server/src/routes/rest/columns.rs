//! `columns=true`: the result columns of a query, described instead of run (as `sf data query` asks).

use bulkforce_core::schema::{Field, FieldType};
use bulkforce_soql::bound::{AggregateFunction, FieldPath, Query, SelectItem};
use serde_json::{Value as Json, json};

/// The `columns=true` answer: one entry per SELECT item, relationship paths as nested `joinColumns`.
pub(super) fn column_metadata(query: &Query) -> Json {
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
    let mut columns: Vec<Json> = query
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
    // Each parent-to-child subquery is one aggregate column whose join columns are the child's.
    for (earlier, child) in query.children.iter().enumerate() {
        let mut described = column_metadata(&child.query);
        let inner = described["columnMetadata"].take();
        let name = &child.relationship;
        columns.insert(
            (child.position + earlier).min(columns.len()),
            json!({
                "aggregate": true, "apexType": null, "booleanType": false, "columnName": name,
                "custom": false, "displayName": name, "foreignKeyName": null, "insertable": false,
                "joinColumns": inner, "numberType": false, "textType": false, "updatable": false,
            }),
        );
    }
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

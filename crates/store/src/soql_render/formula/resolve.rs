//! The names a formula field reads, resolved over the schema for `bulkforce_formula::compile`: the
//! object's own fields, parents' fields through lookups' relationship names (`Account.Industry`,
//! `Parent__r.Name`). Globals (`$User`, …) have no value in a query and are not resolved.
//!
//! (Kept here until core's `org::rules::resolver::SchemaResolver` is the one place for this.)

use bulkforce_core::schema::{Field, FieldType, SObject, Schema};
use bulkforce_formula::typed::Hop;
use bulkforce_formula::{FType, ResolvedField, Resolver};

pub(super) struct QueryResolver<'a> {
    pub(super) schema: &'a Schema,
    pub(super) object: &'a SObject,
}

impl Resolver for QueryResolver<'_> {
    fn field(&self, path: &[String]) -> Option<ResolvedField> {
        let (last, relationships) = path.split_last()?;
        let mut object = self.object;
        let mut hops = Vec::new();
        for name in relationships {
            let lookup = object.fields().iter().find(|f| {
                f.relationship_name
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(name))
            })?;
            let target = self.schema.object(lookup.reference_to.first()?)?;
            hops.push(Hop {
                reference_field: lookup.name.clone(),
                object: target.name.clone(),
            });
            object = target;
        }
        let field = object.field(last)?;
        Some(ResolvedField {
            hops,
            object: object.name.clone(),
            field: field.name.clone(),
            ty: ftype(field),
            is_formula: field.traits.formula.is_some(),
        })
    }

    fn global(&self, _variable: &str, _field: &str) -> Option<(String, String, FType)> {
        None
    }
}

/// A field's type to the formula language.
fn ftype(field: &Field) -> FType {
    match field.ftype {
        FieldType::Int
        | FieldType::Long
        | FieldType::Double
        | FieldType::Currency
        | FieldType::Percent => FType::Number,
        FieldType::Boolean => FType::Boolean,
        FieldType::Date => FType::Date,
        FieldType::DateTime => FType::DateTime,
        FieldType::Time => FType::Time,
        FieldType::Picklist => FType::Picklist,
        FieldType::MultiPicklist => FType::MultiPicklist,
        _ => FType::Text,
    }
}

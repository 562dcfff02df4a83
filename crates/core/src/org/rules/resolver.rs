//! The names a formula may use, over core's [`Schema`]: a [`Resolver`] for `bulkforce_formula::compile`.
//!
//! - Fields of the formula's object by API name, without case (`amount__c`).
//! - Parents' fields through lookups' relationship names (§3.8 of the org-metadata spec): standard lookups
//!   without their `Id` (`Account.Industry`, `Owner.Name`), custom ones with `__r` (`Parent__r.Name__c`), up
//!   to 10 relationships away; a polymorphic lookup names its type (`Owner:User.Name`, `Owner:Queue.Name`)
//!   or reads as a User where it can be one (as an owner mostly is).
//! - Each field typed for the language from its [`FieldType`] (a formula field's type is its declared
//!   result type); a formula field that refers to itself, directly or through other formula fields, does
//!   not resolve, and [`Resolver::self_reference`] says why (so no later pass that inlines formula fields
//!   can loop).
//! - Globals: `$User.<any User field>`, `$Organization.<any Organization field>`, `$RecordType.<any
//!   RecordType field>` (over the schema's objects), `$Profile.{Id,Name}`, `$UserRole.{Id,Name,
//!   DeveloperName}`, `$Permission.<name>` (a custom permission: Boolean), `$System.OriginDateTime`.

use crate::schema::{Field, FieldType, SObject, Schema};
use bulkforce_formula::ast::{Expr, ExprKind};
use bulkforce_formula::typed::Hop;
use bulkforce_formula::{FType, ResolvedField, Resolver};

/// Salesforce's limit on relationships in one path (§3.8).
const MAX_HOPS: usize = 10;

/// How many formula fields deep a chain of formula fields may go before it is treated as a loop.
const MAX_FORMULA_CHAIN: usize = 64;

/// The names `object`'s formulas may use.
pub struct SchemaResolver<'a> {
    schema: &'a Schema,
    object: &'a SObject,
}

impl<'a> SchemaResolver<'a> {
    pub fn new(schema: &'a Schema, object: &'a SObject) -> Self {
        SchemaResolver { schema, object }
    }

    /// The field `path` names, with the lookups followed to reach it; no loop check.
    fn walk(&self, path: &[String]) -> Option<(Vec<Hop>, &'a SObject, &'a Field)> {
        walk(self.schema, self.object, path)
    }
}

impl Resolver for SchemaResolver<'_> {
    fn field(&self, path: &[String]) -> Option<ResolvedField> {
        let (hops, object, field) = self.walk(path)?;
        let ty = ftype(field.ftype)?;
        let is_formula = field.traits.formula.is_some();
        if is_formula && formula_loop(self.schema, object, field).is_some() {
            return None;
        }
        Some(ResolvedField {
            hops,
            object: object.name.clone(),
            field: field.name.clone(),
            ty,
            is_formula,
        })
    }

    fn global(&self, variable: &str, field: &str) -> Option<(String, String, FType)> {
        let over_object = |name: &str| -> Option<(String, String, FType)> {
            let object = self.schema.object(name)?;
            let f = object.field(field)?;
            Some((name.to_owned(), f.name.clone(), ftype(f.ftype)?))
        };
        let fixed = |name: &str, known: &[(&str, FType)]| {
            known
                .iter()
                .find(|(f, _)| f.eq_ignore_ascii_case(field))
                .map(|(f, ty)| (name.to_owned(), (*f).to_owned(), *ty))
        };
        match variable.to_ascii_lowercase().as_str() {
            "user" => over_object("User"),
            "organization" => over_object("Organization"),
            "recordtype" => over_object("RecordType").or_else(|| {
                fixed(
                    "RecordType",
                    &[
                        ("Id", FType::Text),
                        ("Name", FType::Text),
                        ("DeveloperName", FType::Text),
                    ],
                )
            }),
            "profile" => fixed("Profile", &[("Id", FType::Text), ("Name", FType::Text)]),
            "userrole" => fixed(
                "UserRole",
                &[
                    ("Id", FType::Text),
                    ("Name", FType::Text),
                    ("DeveloperName", FType::Text),
                ],
            ),
            "system" => fixed("System", &[("OriginDateTime", FType::DateTime)]),
            "permission" if is_api_name(field) => {
                Some(("Permission".to_owned(), field.to_owned(), FType::Boolean))
            }
            _ => None,
        }
    }

    fn self_reference(&self, path: &[String]) -> Option<String> {
        let (_, object, field) = self.walk(path)?;
        field.traits.formula.as_ref()?;
        formula_loop(self.schema, object, field).map(|chain| chain.join(" -> "))
    }
}

/// A name as an API name is spelled: a letter, then letters, digits and underscores.
fn is_api_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A field's type to the formula language; `None` for fields a formula cannot read (compound address and
/// geolocation fields: their components are read instead).
pub fn ftype(ty: FieldType) -> Option<FType> {
    Some(match ty {
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
        FieldType::Compound => return None,
        FieldType::Id
        | FieldType::String
        | FieldType::TextArea
        | FieldType::Combobox
        | FieldType::Email
        | FieldType::Phone
        | FieldType::Url
        | FieldType::Reference
        | FieldType::EncryptedString
        | FieldType::Base64 => FType::Text,
    })
}

/// Follows `path`'s relationships from `object` to its last part, a field.
fn walk<'s>(
    schema: &'s Schema,
    object: &'s SObject,
    path: &[String],
) -> Option<(Vec<Hop>, &'s SObject, &'s Field)> {
    let (last, relationships) = path.split_last()?;
    if relationships.len() > MAX_HOPS {
        return None;
    }
    let mut object = object;
    let mut hops = Vec::with_capacity(relationships.len());
    for relationship in relationships {
        let (lookup, target) = follow(schema, object, relationship)?;
        hops.push(Hop {
            reference_field: lookup.name.clone(),
            object: target.name.clone(),
        });
        object = target;
    }
    Some((hops, object, object.field(last)?))
}

/// The lookup called `relationship` on `object` (`Owner`, `Parent__r`, or polymorphic `Owner:User`) and the
/// object it leads to.
fn follow<'s>(
    schema: &'s Schema,
    object: &'s SObject,
    relationship: &str,
) -> Option<(&'s Field, &'s SObject)> {
    let (name, wanted) = match relationship.split_once(':') {
        Some((name, ty)) => (name, Some(ty)),
        None => (relationship, None),
    };
    let lookup = object.fields().iter().find(|f| {
        f.ftype == FieldType::Reference
            && f.relationship_name
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(name))
    })?;
    let targets = &lookup.reference_to;
    let target = match wanted {
        // A queue is a Group row.
        Some(ty) if ty.eq_ignore_ascii_case("Queue") => {
            targets.iter().find(|t| t.eq_ignore_ascii_case("Group"))?
        }
        Some(ty) => targets.iter().find(|t| t.eq_ignore_ascii_case(ty))?,
        None => targets
            .iter()
            .find(|t| t.eq_ignore_ascii_case("User"))
            .or_else(|| targets.first())?,
    };
    Some((lookup, schema.object(target)?))
}

/// The chain of formula fields that leads from `field` (a formula field of `object`) back to a formula field
/// already on the chain, as `Object.Field` names; `None` when its formula reads no formula field that loops.
/// Fields whose formula does not parse or names unknown fields count as leaves: compiling them reports
/// that.
fn formula_loop(schema: &Schema, object: &SObject, field: &Field) -> Option<Vec<String>> {
    let mut stack = Vec::new();
    let mut done = Vec::new();
    visit(schema, object, field, &mut stack, &mut done)
}

/// Depth-first over formula fields; `stack` holds the chain being followed, `done` the fields already known
/// to lead to no loop.
fn visit(
    schema: &Schema,
    object: &SObject,
    field: &Field,
    stack: &mut Vec<String>,
    done: &mut Vec<String>,
) -> Option<Vec<String>> {
    let name = format!("{}.{}", object.name, field.name);
    if let Some(at) = stack.iter().position(|n| *n == name) {
        let mut chain = stack[at..].to_vec();
        chain.push(name);
        return Some(chain);
    }
    if done.contains(&name) {
        return None;
    }
    if stack.len() >= MAX_FORMULA_CHAIN {
        let mut chain = stack.clone();
        chain.push(name);
        return Some(chain);
    }
    let Some(spec) = &field.traits.formula else {
        return None;
    };
    stack.push(name.clone());
    let mut paths = Vec::new();
    if let Ok(tree) = bulkforce_formula::parse(&spec.source) {
        field_paths(&tree, &mut paths);
    }
    for path in &paths {
        if let Some((_, next_object, next_field)) = walk(schema, object, path)
            && next_field.traits.formula.is_some()
            && let Some(chain) = visit(schema, next_object, next_field, stack, done)
        {
            return Some(chain);
        }
    }
    stack.pop();
    done.push(name);
    None
}

/// Every field path a formula's tree names (the parser bounds the tree's depth, so recursion is bounded).
fn field_paths(expr: &Expr, out: &mut Vec<Vec<String>>) {
    match &expr.kind {
        ExprKind::Field(path) => {
            if !out.contains(path) {
                out.push(path.clone());
            }
        }
        ExprKind::Unary(_, operand) => field_paths(operand, out),
        ExprKind::Binary(_, left, right) => {
            field_paths(left, out);
            field_paths(right, out);
        }
        ExprKind::Call(_, args) => args.iter().for_each(|a| field_paths(a, out)),
        ExprKind::Number(_)
        | ExprKind::Text(_)
        | ExprKind::Boolean(_)
        | ExprKind::Null
        | ExprKind::Global(..) => {}
    }
}

#[cfg(test)]
mod tests;

//! Names: the FROM object, field paths through parent relationships (`Account.Owner.Name`), and any
//! expression (a field path or a function call) as an operand of a clause.

use super::{Binder, Clause, Scope};
use crate::ast;
use crate::bound::{Branch, FieldPath, Hop, Operand, Polymorphic};
use crate::error::{INVALID_FIELD, INVALID_TYPE, MALFORMED_QUERY, SoqlError};
use bulkforce_core::org::polymorphic;
use bulkforce_core::schema::{Field, FieldType, SObject};
use std::sync::Arc;

/// Salesforce's limit on child-to-parent hops in one field path.
pub const MAX_HOPS: usize = 5;

const FIELD_TAIL: &str = "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";
pub(super) const RELATIONSHIP_TAIL: &str = "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.";
const OBJECT_TAIL: &str = "If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.";

impl Binder<'_> {
    /// The object named after FROM.
    pub(super) fn queried_object(&self, from: &ast::Ident) -> Result<Arc<SObject>, SoqlError> {
        self.schema.object(&from.name).cloned().ok_or_else(|| {
            self.err(
                from.span,
                INVALID_TYPE,
                format!(
                    "sObject type '{}' is not supported. {OBJECT_TAIL}",
                    from.name
                ),
            )
        })
    }

    /// Binds a field path or a function call written in `clause`, refusing a plain field the clause
    /// cannot use (see [`Clause::field_rule`]).
    pub(super) fn operand(
        &self,
        scope: &Scope,
        expr: &ast::Expr,
        clause: Clause,
    ) -> Result<Operand, SoqlError> {
        match expr {
            ast::Expr::Field(path) => {
                let bound = self.path(scope, path)?;
                if let Some(rule) = clause.field_rule()
                    && !(rule.allows)(&bound.field)
                {
                    return Err(self.err(
                        path.span,
                        INVALID_FIELD,
                        format!(
                            "field '{}' can not be {} in a query call",
                            bound.field.name, rule.verb
                        ),
                    ));
                }
                Ok(Operand::Field(bound))
            }
            ast::Expr::Call {
                function,
                arg,
                span,
            } => Ok(self
                .call(scope, function, arg.as_ref(), *span, clause)?
                .into_operand()),
        }
    }

    /// Resolves a field path: an optional FROM alias or object-name prefix, up to [`MAX_HOPS`]
    /// relationship names, then a field.
    pub(super) fn path(&self, scope: &Scope, path: &ast::Path) -> Result<FieldPath, SoqlError> {
        let parts = self.without_prefix(scope, &path.parts);
        let (last, relationships) = parts
            .split_last()
            .expect("the parser never makes an empty path");
        if relationships.len() > MAX_HOPS {
            return Err(self.err(
                path.span,
                MALFORMED_QUERY,
                format!(
                    "SOQL statements cannot query relationships more than {MAX_HOPS} levels away from the root entity object"
                ),
            ));
        }
        let mut object = scope.object.clone();
        let mut hops = Vec::with_capacity(relationships.len());
        for relationship in relationships {
            let hop = self.hop(&object, &relationship.name).ok_or_else(|| {
                self.err(
                    path.span,
                    INVALID_FIELD,
                    format!(
                        "Didn't understand relationship '{}' in field path. {RELATIONSHIP_TAIL}",
                        relationship.name
                    ),
                )
            })?;
            object = hop.to.clone();
            hops.push(hop);
        }
        let field = object.field(&last.name).cloned().ok_or_else(|| {
            self.err(
                path.span,
                INVALID_FIELD,
                format!(
                    "No such column '{}' on entity '{}'. {FIELD_TAIL}",
                    last.name, object.name
                ),
            )
        })?;
        Ok(FieldPath { hops, field })
    }

    /// The parts of a path after a leading FROM alias or object name (`a.Name`, `Contact.Name` on
    /// Contact). The object's name yields to a relationship of the same name: on Case, `Contact.Name` is a
    /// hop. A single part is always a field.
    pub(super) fn without_prefix<'p>(
        &self,
        scope: &Scope,
        parts: &'p [ast::Ident],
    ) -> &'p [ast::Ident] {
        match parts {
            [first, rest @ ..] if !rest.is_empty() => {
                let is_alias = scope
                    .alias
                    .as_ref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(&first.name));
                let is_object = scope.object.name.eq_ignore_ascii_case(&first.name)
                    && self.relationship(&scope.object, &first.name).is_none();
                if is_alias || is_object { rest } else { parts }
            }
            _ => parts,
        }
    }

    /// The hop from `object` through its relationship `name` (any case): to the target of an ordinary
    /// lookup, or to the `Name` object through a polymorphic one (`What`, `Who`, a Case's `Owner`).
    pub(super) fn hop(&self, object: &Arc<SObject>, name: &str) -> Option<Hop> {
        let (field, target) = self.relationship(object, name)?;
        let polymorphic = polymorphic::is_polymorphic(self.schema, field).then(|| Polymorphic {
            targets: polymorphic::targets(self.schema, field),
            branch: Branch::Name,
        });
        Some(Hop {
            from: object.clone(),
            reference_field: field.name.clone(),
            relationship: field.relationship_name.clone().unwrap_or_default(),
            to: if polymorphic.is_some() {
                polymorphic::name_object()
            } else {
                target
            },
            polymorphic,
        })
    }

    /// The reference field of `object` whose relationship name is `name` (any case), and the object it
    /// points to: its first target the schema knows.
    fn relationship<'o>(
        &self,
        object: &'o SObject,
        name: &str,
    ) -> Option<(&'o Field, Arc<SObject>)> {
        let field = object.fields().iter().find(|f| {
            f.ftype == FieldType::Reference
                && f.relationship_name
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(name))
        })?;
        let target = field
            .reference_to
            .iter()
            .find_map(|t| self.schema.object(t))?;
        Some((field, target.clone()))
    }
}

#[cfg(test)]
mod tests {
    use crate::Mode;
    use crate::bind::test_support::compile;
    use crate::bound::SelectItem;

    #[test]
    fn the_object_name_prefix_yields_to_a_relationship_of_the_same_name() {
        // Case has a `Contact` relationship, so `Contact.Name` on Case is a hop, not a prefix…
        let q = compile("SELECT Contact.Name FROM Case", Mode::BulkQuery).unwrap();
        let SelectItem::Field(path) = &q.select[0] else {
            panic!()
        };
        assert_eq!(path.hops.len(), 1);
        // …while on Contact it is the object's own name.
        let q = compile("SELECT Contact.Name FROM Contact", Mode::BulkQuery).unwrap();
        let SelectItem::Field(path) = &q.select[0] else {
            panic!()
        };
        assert!(path.hops.is_empty());
    }
}

//! `TYPEOF What WHEN Account THEN Phone WHEN Opportunity THEN Amount ELSE Name END` (REST only): fields
//! chosen by the type of the record a polymorphic relationship points at.
//!
//! Each listed field becomes an ordinary SELECT field whose path starts with the polymorphic hop, marked
//! with the branch it answers for ([`Branch::When`] reaching the named object, [`Branch::Else`] reaching the
//! `Name` object), so the store joins and reads them like any parent field and the REST answer keeps, for
//! each record, only the branch its id's object takes.

use super::paths::RELATIONSHIP_TAIL;
use super::select_list::{SelectList, Written};
use super::{Binder, Scope};
use crate::ast;
use crate::bound::{Branch, FieldPath, Hop, SelectItem};
use crate::error::{INVALID_FIELD, INVALID_TYPE, MALFORMED_QUERY, SoqlError};

impl Binder<'_> {
    /// Binds one TYPEOF into `list`: the fields of each `WHEN`, then those of the `ELSE`.
    pub(super) fn type_of(
        &self,
        scope: &Scope,
        relationship: &ast::Path,
        whens: &[ast::TypeOfWhen],
        else_fields: &[ast::Path],
        list: &mut SelectList,
    ) -> Result<(), SoqlError> {
        let (leading, hop) = self.type_of_hop(scope, relationship)?;
        let targets = hop
            .polymorphic
            .as_ref()
            .map(|p| p.targets.clone())
            .unwrap_or_default();
        let mut named = Vec::with_capacity(whens.len());
        for when in whens {
            let target = targets
                .iter()
                .find(|t| t.name.eq_ignore_ascii_case(&when.object.name))
                .cloned()
                .ok_or_else(|| self.not_a_target(relationship, &when.object))?;
            named.push(target.name.clone());
            let mut branch_hop = hop.clone();
            branch_hop.to = target.clone();
            if let Some(p) = branch_hop.polymorphic.as_mut() {
                p.branch = Branch::When;
            }
            let when_scope = Scope {
                object: target,
                alias: None,
            };
            for field in &when.fields {
                let bound = self.path(&when_scope, field)?;
                push(list, &leading, &branch_hop, bound, field);
            }
        }
        let mut else_hop = hop;
        if let Some(p) = else_hop.polymorphic.as_mut() {
            p.branch = Branch::Else(named);
        }
        let name_scope = Scope {
            object: else_hop.to.clone(),
            alias: None,
        };
        for field in else_fields {
            let bound = self.path(&name_scope, field)?;
            push(list, &leading, &else_hop, bound, field);
        }
        Ok(())
    }

    /// The hops to the TYPEOF's relationship: the ordinary ones before it, and the polymorphic one itself.
    fn type_of_hop(
        &self,
        scope: &Scope,
        relationship: &ast::Path,
    ) -> Result<(Vec<Hop>, Hop), SoqlError> {
        let parts = self.without_prefix(scope, &relationship.parts);
        let mut object = scope.object.clone();
        let mut hops = Vec::with_capacity(parts.len());
        for part in parts {
            let hop = self.hop(&object, &part.name).ok_or_else(|| {
                self.err(
                    relationship.span,
                    INVALID_FIELD,
                    format!(
                        "Didn't understand relationship '{}' in field path. {RELATIONSHIP_TAIL}",
                        part.name
                    ),
                )
            })?;
            object = hop.to.clone();
            hops.push(hop);
        }
        let last = hops.pop().expect("the parser never makes an empty path");
        if last.polymorphic.is_none() {
            return Err(self.err(
                relationship.span,
                MALFORMED_QUERY,
                format!(
                    "TYPEOF needs a polymorphic relationship: '{}' on entity '{}' can only reference {}",
                    last.relationship, last.from.name, last.to.name
                ),
            ));
        }
        Ok((hops, last))
    }

    /// A `WHEN` naming an object the relationship cannot point at (or no object at all).
    fn not_a_target(&self, relationship: &ast::Path, object: &ast::Ident) -> SoqlError {
        if self.schema.object(&object.name).is_none() {
            return self.err(
                object.span,
                INVALID_TYPE,
                format!("sObject type '{}' is not supported.", object.name),
            );
        }
        self.err(
            object.span,
            MALFORMED_QUERY,
            format!(
                "TYPEOF {}: '{}' is not a type this relationship can reference",
                relationship.text(),
                object.name
            ),
        )
    }
}

/// Appends one TYPEOF field: the hops before the relationship, the branch's hop, then the field's own.
fn push(list: &mut SelectList, leading: &[Hop], hop: &Hop, bound: FieldPath, written: &ast::Path) {
    let mut hops = leading.to_vec();
    hops.push(hop.clone());
    hops.extend(bound.hops);
    list.items.push(SelectItem::Field(FieldPath {
        hops,
        field: bound.field,
    }));
    list.written.push(Written {
        span: written.span,
        text: written.text(),
    });
}

#[cfg(test)]
mod tests {
    use crate::Mode;
    use crate::bind::test_support::compile;

    #[test]
    fn typeof_on_a_monomorphic_relationship_is_refused() {
        let e = compile(
            "SELECT TYPEOF Owner WHEN User THEN Name END FROM Account",
            Mode::Rest,
        )
        .unwrap_err();
        assert_eq!(e.code, "MALFORMED_QUERY");
        assert!(e.message.ends_with(
            "TYPEOF needs a polymorphic relationship: 'Owner' on entity 'Account' can only reference User"
        ), "{}", e.message);
    }
}

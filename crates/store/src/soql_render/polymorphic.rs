//! Fields of the `Name` object read through a polymorphic relationship (`What.Name`, `Owner.Type`, a TYPEOF
//! `ELSE` field): one id column may hold an id of any target, so each target's table is LEFT JOINed on it
//! (ids are unique across objects, so at most one join finds a row) and the field is the value of the one
//! that did. `Type` needs no join: it is the target whose key prefix the id starts with.
//!
//! A TYPEOF `WHEN X` field needs nothing here: its hop reaches `X` itself, joined like any parent under a
//! join key of its own (shared with the Name fields' join of `X`).

use super::select::{Renderer, quote};
use bulkforce_core::org::polymorphic::{TYPE_FIELD, name_column, type_value};
use bulkforce_core::schema::{Field, SObject};
use bulkforce_soql::bound::{Branch, Hop, Polymorphic};

/// Whether a field read through `hop` is a field of the `Name` object (rather than of one target).
pub(super) fn reads_the_name_object(hop: &Hop) -> bool {
    matches!(
        &hop.polymorphic,
        Some(Polymorphic {
            branch: Branch::Name | Branch::Else(_),
            ..
        })
    )
}

impl Renderer<'_> {
    /// The SQL of `field` of the `Name` object reached through the polymorphic `hop` after `before`.
    pub(super) fn name_field(&mut self, before: &[Hop], hop: &Hop, field: &Field) -> String {
        let (from, mut names) = self.table_of(before);
        let reference = format!("{from}.{}", quote(&hop.reference_field));
        let targets = hop
            .polymorphic
            .as_ref()
            .map(|p| p.targets.as_slice())
            .unwrap_or_default();
        if field.name.eq_ignore_ascii_case(TYPE_FIELD) {
            return type_by_prefix(&reference, targets);
        }
        let mut values = Vec::new();
        for target in targets {
            let Some(column) = name_column(target, &field.name) else {
                continue;
            };
            names.push(format!("{}@{}", hop.relationship, target.name).to_ascii_lowercase());
            let alias = self.join(&names, &target.name, &from, &hop.reference_field);
            names.pop();
            values.push(format!("{alias}.{}", quote(&column.name)));
        }
        match values.len() {
            0 => "NULL".to_owned(),
            1 => values.remove(0),
            _ => format!("COALESCE({})", values.join(", ")),
        }
    }
}

/// `Type`: the target whose key prefix the id starts with (`Queue` for a group). Object names and key
/// prefixes are `[A-Za-z0-9_]` (checked when the schema loads), so they are written as literals.
fn type_by_prefix(reference: &str, targets: &[std::sync::Arc<SObject>]) -> String {
    if targets.is_empty() {
        return "NULL".to_owned();
    }
    let arms: String = targets
        .iter()
        .map(|t| format!(" WHEN '{}' THEN '{}'", t.key_prefix.as_str(), type_value(t)))
        .collect();
    format!("CASE substr({reference}, 1, 3){arms} END")
}

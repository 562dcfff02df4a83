//! Cutting a chunk's steps, in row order, into segments of rows that cannot affect one another, so that
//! a segment can be checked against the table as it stands before it and written in one statement per
//! kind of row, with the outcomes of applying its rows one by one.
//!
//! A row could depend on an earlier row of its segment (and so starts a new segment) when:
//! - it writes a record an earlier row writes (an update after an update or a delete of the same id);
//! - it writes a unique value an earlier row writes (the later one must see the clash);
//! - it writes a unique value and an earlier row could free one (a hard delete, or an update setting a
//!   unique field: the later row's value may be the one freed);
//! - it looks up or references a record of the object being written (the parent may be one an earlier
//!   row inserts, updates or deletes).
//!
//! Bulk data rarely does any of these, so a chunk is usually one segment; the worst case is a segment
//! per row, still correct.

use super::writer::{Pending, RowWriter, Step};
use bulkforce_core::id::SfId;
use bulkforce_core::schema::FieldType;
use bulkforce_core::value::Value;
use std::collections::HashSet;

/// A unique field's value, hashable, equal exactly when the unique index takes two values for equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum ValueKey {
    Text(String),
    Integer(i64),
    /// The bits of a number, -0.0 as 0.0: the index (and SQLite's) takes them for one value. NaN never
    /// gets here: values are parsed finite (`bulkforce_core::value`) and stored as parsed.
    Real(u64),
}

impl ValueKey {
    /// The key of a non-null value.
    pub(super) fn of(value: &Value) -> Option<ValueKey> {
        match value {
            Value::Null => None,
            Value::Text(s) => Some(ValueKey::Text(s.clone())),
            Value::Integer(i) => Some(ValueKey::Integer(*i)),
            Value::Real(r) => Some(ValueKey::real(*r)),
        }
    }

    /// The key of a number.
    pub(super) fn real(r: f64) -> ValueKey {
        // `0.0 == -0.0`: both become the bits of 0.0.
        let r = if r == 0.0 { 0.0 } else { r };
        ValueKey::Real(r.to_bits())
    }
}

/// What a segment holds so far.
#[derive(Default)]
struct Seen {
    targets: HashSet<SfId>,
    unique_values: HashSet<(usize, ValueKey)>,
    may_free_unique: bool,
}

/// `steps` cut into segments of independent rows, in row order.
pub(super) fn split(writer: &RowWriter<'_, '_>, steps: Vec<Pending>) -> Vec<Vec<Pending>> {
    let mut segments: Vec<Vec<Pending>> = Vec::new();
    let mut current: Vec<Pending> = Vec::new();
    let mut seen = Seen::default();
    for pending in steps {
        let unique = writer.unique_writes(&pending.step);
        let depends = !current.is_empty()
            && (pending
                .step
                .target()
                .is_some_and(|id| seen.targets.contains(&id))
                || unique.iter().any(|u| seen.unique_values.contains(u))
                || (!unique.is_empty() && seen.may_free_unique)
                || writer.refers_to_own_object(&pending.step));
        if depends {
            segments.push(std::mem::take(&mut current));
            seen = Seen::default();
        }
        seen.targets.extend(pending.step.target());
        seen.may_free_unique |= match &pending.step {
            Step::HardDelete(_) => true,
            Step::Update { .. } => !unique.is_empty(),
            _ => false,
        };
        seen.unique_values.extend(unique);
        current.push(pending);
    }
    if !current.is_empty() {
        segments.push(current);
    }
    segments
}

impl RowWriter<'_, '_> {
    /// The unique fields a step sets, with their non-null values.
    pub(super) fn unique_writes(&self, step: &Step) -> Vec<(usize, ValueKey)> {
        let Some(values) = step.values() else {
            return Vec::new();
        };
        self.unique_fields
            .iter()
            .filter_map(|f| Some((*f, ValueKey::of(values.get(*f)?)?)))
            .collect()
    }

    /// Whether a step looks up or references a record of the object being written.
    fn refers_to_own_object(&self, step: &Step) -> bool {
        let Some(values) = step.values() else {
            return false;
        };
        let own = &self.object.name;
        values
            .lookups
            .iter()
            .any(|l| l.parent_object.eq_ignore_ascii_case(own))
            || values.assignments.iter().any(|(field, value)| {
                let Value::Text(text) = value else {
                    return false;
                };
                self.object.fields()[*field].ftype == FieldType::Reference
                    && SfId::parse(text).is_ok_and(|id| id.key_prefix() == self.object.key_prefix)
            })
    }
}

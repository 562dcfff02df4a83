//! Binding core values to SQL: as literals in a chunk's statement text, as parameters, and by field through
//! a per-field slot table.

use bulkforce_core::ingest::RowValues;
use bulkforce_core::value::Value;
use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, ValueRef};

/// A text or number value as an SQL literal.
pub(super) fn literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => format!("{r:?}"),
    }
}

/// Binds a core value as an SQL parameter.
pub(super) struct Sql<'a>(pub(super) &'a Value);

impl ToSql for Sql<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Integer(i) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*i)),
            Value::Real(r) => ToSqlOutput::Owned(rusqlite::types::Value::Real(*r)),
        })
    }
}

/// A field the row being bound does not set.
pub(super) const NO_SLOT: usize = usize::MAX;

/// Per field of the object, where its value is in the row being bound (or `NO_SLOT`): binding a chunk
/// statement's columns is then one lookup per column instead of a search of the row.
pub(super) struct FieldSlots(Vec<usize>);

impl FieldSlots {
    /// Empty slots for an object of `fields` fields.
    pub(super) fn new(fields: usize) -> FieldSlots {
        FieldSlots(vec![NO_SLOT; fields])
    }

    /// Runs `bind` with a lookup of `values` by field (the last assignment of a field wins, as in
    /// `RowValues::get`), and leaves every slot empty again.
    pub(super) fn with<'v, T>(
        &mut self,
        values: &'v RowValues,
        bind: impl FnOnce(&dyn Fn(usize) -> Option<&'v Value>) -> T,
    ) -> T {
        for (k, (field, _)) in values.assignments.iter().enumerate() {
            self.0[*field] = k;
        }
        let slots = &self.0;
        let bound = bind(&|field| match slots[field] {
            NO_SLOT => None,
            k => Some(&values.assignments[k].1),
        });
        for (field, _) in &values.assignments {
            self.0[*field] = NO_SLOT;
        }
        bound
    }
}

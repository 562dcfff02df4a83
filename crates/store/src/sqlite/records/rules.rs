//! Validation rules and default values on SQLite's write path (the shared part is `crate::rules`): the
//! stored records they read, fetched with one `IN (…)` query per kind, and the steps a row takes before
//! it is written.

use super::failure::Failure;
use super::{ChunkWriter, quote};
use crate::rules::{RecordFetcher, Target};
use crate::{Result, StoreError};
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{RowFailure, RowOp, RowValues, UpsertKey};
use bulkforce_core::schema::SObject;
use bulkforce_core::value::Value;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, params_from_iter};

/// Reads stored records for the rules on the writer's connection (inside its transaction, so a chunk's
/// rules see what its earlier rows wrote).
pub(super) struct SqliteFetcher<'a>(pub(super) &'a Connection);

impl SqliteFetcher<'_> {
    fn select(object: &SObject, fields: &[usize]) -> String {
        let mut columns = vec![quote("Id")];
        columns.extend(fields.iter().map(|f| quote(&object.fields()[*f].name)));
        format!("SELECT {} FROM {}", columns.join(", "), quote(&object.name))
    }

    fn read_row(row: &rusqlite::Row<'_>, fields: usize) -> Result<(SfId, Vec<Value>)> {
        let id = SfId::parse(&row.get::<_, String>(0)?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut values = Vec::with_capacity(fields);
        for column in 1..=fields {
            values.push(value_of(row.get_ref(column)?));
        }
        Ok((id, values))
    }
}

impl RecordFetcher for SqliteFetcher<'_> {
    fn fetch(
        &mut self,
        object: &SObject,
        ids: &[SfId],
        fields: &[usize],
    ) -> Result<Vec<(SfId, Vec<Value>)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; ids.len()].join(", ");
        // Objects without a recycle bin (RecordType, Group) have no IsDeleted: their rows are live.
        let live = if object.field("IsDeleted").is_some() {
            " AND \"IsDeleted\" = 0"
        } else {
            ""
        };
        let sql = format!(
            "{} WHERE \"Id\" IN ({marks}){live}",
            Self::select(object, fields)
        );
        let mut stmt = self.0.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(ids.iter().map(SfId::as_str)))?;
        let mut found = Vec::with_capacity(ids.len());
        while let Some(row) = rows.next()? {
            found.push(Self::read_row(row, fields.len())?);
        }
        Ok(found)
    }

    fn fetch_single(
        &mut self,
        object: &SObject,
        fields: &[usize],
    ) -> Result<Option<(SfId, Vec<Value>)>> {
        let sql = format!("{} ORDER BY rowid LIMIT 1", Self::select(object, fields));
        let mut stmt = self.0.prepare_cached(&sql)?;
        let mut rows = stmt.query([])?;
        match rows.next()? {
            Some(row) => Ok(Some(Self::read_row(row, fields.len())?)),
            None => Ok(None),
        }
    }
}

/// A stored cell as a core value.
fn value_of(cell: ValueRef<'_>) -> Value {
    match cell {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Integer(n),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            Value::Text(String::from_utf8_lossy(t).into_owned())
        }
    }
}

impl ChunkWriter<'_> {
    /// Fetches what the chunk's rules read, set-based, once upsert matches are known: the stored records
    /// of its updates (upserts that matched one record included) and the parents its rows name.
    pub(super) fn prefetch_rules(&mut self, rows: &[Result<RowOp, RowFailure>]) -> Result<()> {
        let Some(rules) = self.rules.as_mut() else {
            return Ok(());
        };
        let mut updates: Vec<SfId> = Vec::new();
        for row in rows {
            match row {
                Ok(
                    RowOp::Update { id, .. }
                    | RowOp::Upsert {
                        key: UpsertKey::Id(Some(id)),
                        ..
                    },
                ) => updates.push(*id),
                Ok(RowOp::Upsert {
                    key:
                        UpsertKey::External {
                            value: Value::Text(key),
                            ..
                        },
                    ..
                }) => {
                    if let Some([(id, _)]) = self
                        .upsert_matches
                        .as_ref()
                        .and_then(|m| m.get(key))
                        .map(Vec::as_slice)
                    {
                        updates.push(*id);
                    }
                }
                _ => {}
            }
        }
        let values = rows.iter().filter_map(|row| match row {
            Ok(
                RowOp::Insert(values) | RowOp::Update { values, .. } | RowOp::Upsert { values, .. },
            ) => Some(values),
            _ => None,
        });
        rules.prefetch(&mut SqliteFetcher(self.conn), &updates, values)
    }

    /// An insert's defaults and rules, before it is written: `Err` when a rule fails the row.
    pub(super) fn insert_rules(&mut self, values: &mut RowValues) -> Result<(), Failure> {
        let Some(rules) = self.rules.as_mut() else {
            return Ok(());
        };
        let mut fetcher = SqliteFetcher(self.conn);
        rules
            .fill_defaults(&mut fetcher, values)
            .map_err(Failure::store)?;
        match rules
            .check(&mut fetcher, values, Target::Insert)
            .map_err(Failure::store)?
        {
            Some(error) => Err(Failure::Row(None, error)),
            None => Ok(()),
        }
    }

    /// An update's rules over the stored record merged with the row: `Err` when a rule fails the row.
    pub(super) fn update_rules(&mut self, id: SfId, values: &RowValues) -> Result<(), Failure> {
        let Some(rules) = self.rules.as_mut() else {
            return Ok(());
        };
        let failed: Option<RowError> = rules
            .check(&mut SqliteFetcher(self.conn), values, Target::Update(id))
            .map_err(Failure::store)?;
        match failed {
            Some(error) => Err(Failure::Row(Some(id), error)),
            None => Ok(()),
        }
    }

    /// Keeps the rules' copy of record `id` as the row `values` left it.
    pub(super) fn rules_written(&mut self, id: SfId, values: &RowValues) {
        if let Some(rules) = self.rules.as_mut() {
            rules.written(id, values);
        }
    }
}

//! Upserts: matching a row to a live record by its external id (looked up for the whole chunk at once),
//! then updating it or inserting a new one; a key repeated within a chunk fails each of its rows.

use super::failure::Failure;
use super::{ChunkWriter, quote};
use crate::rows::{UpsertMatch, upsert_match};
use crate::{Result, RowOutcome, StoreError};
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{RowFailure, RowOp, RowValues, UpsertKey};
use bulkforce_core::value::Value;
use rusqlite::params_from_iter;
use std::collections::HashMap;

impl ChunkWriter<'_> {
    /// Looks up the chunk's text upsert keys with a few `IN (…)` queries instead of one query per row.
    pub(super) fn find_upsert_matches(&mut self, rows: &[Result<RowOp, RowFailure>]) -> Result<()> {
        const BATCH: usize = 500;
        let mut field = None;
        let mut keys: Vec<&str> = Vec::new();
        for row in rows {
            if let Ok(RowOp::Upsert {
                key:
                    UpsertKey::External {
                        field: f,
                        value: Value::Text(k),
                        ..
                    },
                ..
            }) = row
            {
                field = Some(*f);
                keys.push(k);
            }
        }
        let Some(field) = field else { return Ok(()) };
        keys.sort_unstable();
        keys.dedup();
        let column = quote(&self.object.fields()[field].name);
        let mut found: HashMap<String, Vec<(SfId, i64)>> = HashMap::with_capacity(keys.len());
        for batch in keys.chunks(BATCH) {
            let marks = vec!["?"; batch.len()].join(", ");
            let sql = format!(
                "SELECT \"Id\", {column}, rowid FROM {} WHERE {column} IN ({marks}) AND \"IsDeleted\" = 0",
                self.table
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(batch.iter()))?;
            while let Some(row) = rows.next()? {
                let id = SfId::parse(&row.get::<_, String>(0)?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let entry = found.entry(row.get::<_, String>(1)?).or_default();
                // Two matches are enough to tell one from many, as `find_by` does.
                if entry.len() < 2 {
                    entry.push((id, row.get::<_, i64>(2)?));
                }
            }
        }
        self.upsert_matches = Some(found);
        Ok(())
    }

    pub(super) fn upsert(
        &mut self,
        key: UpsertKey,
        mut values: RowValues,
    ) -> Result<RowOutcome, Failure> {
        let (field, value, text) = match key {
            UpsertKey::Id(Some(id)) => return self.update(id, None, values),
            UpsertKey::Id(None) => {
                self.plan
                    .complete_insert(&mut values)
                    .map_err(|e| Failure::Row(None, e))?;
                return self.insert(values);
            }
            UpsertKey::External { field, value, text } => (field, value, text),
        };
        if self.repeated_keys.contains_key(&text) {
            return Err(Failure::Row(
                None,
                RowError::duplicate_external_id_in_batch(&text),
            ));
        }
        let key_field = &self.object.fields()[field];
        let matches: Vec<(SfId, Option<i64>)> = match (&value, &self.upsert_matches) {
            // Text keys were looked up for the whole chunk at once, rowids with them.
            (Value::Text(key), Some(found)) => found
                .get(key)
                .map(|ids| ids.iter().map(|(id, rowid)| (*id, Some(*rowid))).collect())
                .unwrap_or_default(),
            _ => self
                .find_by(&self.table, &key_field.name, &value)
                .map_err(Failure::store)?
                .into_iter()
                .map(|id| (id, None))
                .collect(),
        };
        let ids: Vec<SfId> = matches.iter().map(|(id, _)| *id).collect();
        match upsert_match(&key_field.label, &ids).map_err(|e| Failure::Row(None, e))? {
            UpsertMatch::Insert => {
                values.set(field, value);
                self.plan
                    .complete_insert(&mut values)
                    .map_err(|e| Failure::Row(None, e))?;
                self.insert(values)
            }
            UpsertMatch::Update(_) => self.update(matches[0].0, matches[0].1, values),
        }
    }
}

//! Rows to steps: an upsert becomes the insert or the update its key decides, its external-id key
//! matched against live records for the whole chunk at once (as the SQLite backend does: every key is
//! matched as the chunk found the table); a key repeated within the chunk fails each of its rows.

use super::bind::Cell;
use super::writer::{Pending, RowWriter, Step};
use crate::postgres::ddl::quote;
use crate::rows::{self, UpsertMatch};
use crate::{Result, RowOutcome, StoreError};
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{RowFailure, RowOp, RowValues, UpsertKey};
use bulkforce_core::value::Value;
use std::collections::HashMap;

impl RowWriter<'_, '_> {
    /// Each row's step, in row order; rows that fail before reaching the table get their outcome.
    pub(super) fn steps(&mut self, rows: Vec<Result<RowOp, RowFailure>>) -> Result<Vec<Pending>> {
        let repeated = rows::repeated_upsert_keys(&rows);
        let matches = self.upsert_matches(&rows)?;
        let mut steps = Vec::with_capacity(rows.len());
        for (row, op) in rows.into_iter().enumerate() {
            let step = match op {
                Err(failure) => Err(RowOutcome::from(failure)),
                Ok(RowOp::Insert(values)) => Ok(Step::Insert(values)),
                Ok(RowOp::Update { id, values }) => Ok(Step::Update { id, values }),
                Ok(RowOp::Delete { id }) => Ok(Step::Delete(id)),
                Ok(RowOp::HardDelete { id }) => Ok(Step::HardDelete(id)),
                Ok(RowOp::Upsert { key, values }) => {
                    self.upsert_step(key, values, &repeated, &matches)?
                }
            };
            match step {
                Ok(step) => steps.push(Pending { row, step }),
                Err(outcome) => self.decide(row, outcome),
            }
        }
        Ok(steps)
    }

    fn upsert_step(
        &mut self,
        key: UpsertKey,
        mut values: RowValues,
        repeated: &HashMap<String, usize>,
        matches: &HashMap<String, Vec<SfId>>,
    ) -> Result<Result<Step, RowOutcome>> {
        let failed = |error| RowOutcome::Failed { id: None, error };
        let (field, value, text) = match key {
            UpsertKey::Id(Some(id)) => return Ok(Ok(Step::Update { id, values })),
            UpsertKey::Id(None) => {
                return Ok(match self.plan.complete_insert(&mut values) {
                    Ok(()) => Ok(Step::Insert(values)),
                    Err(error) => Err(failed(error)),
                });
            }
            UpsertKey::External { field, value, text } => (field, value, text),
        };
        if repeated.contains_key(&text) {
            return Ok(Err(failed(RowError::duplicate_external_id_in_batch(&text))));
        }
        let object = self.object;
        let key_field = &object.fields()[field];
        let found = match &value {
            Value::Text(key) => matches.get(key).cloned().unwrap_or_default(),
            other => self.find_by(&self.table.clone(), &key_field.name, other)?,
        };
        let step = match rows::upsert_match(&key_field.label, &found) {
            Err(error) => Err(failed(error)),
            Ok(UpsertMatch::Insert) => {
                values.set(field, value);
                match self.plan.complete_insert(&mut values) {
                    Ok(()) => Ok(Step::Insert(values)),
                    Err(error) => Err(failed(error)),
                }
            }
            Ok(UpsertMatch::Update(id)) => {
                self.matched_live.insert(id);
                Ok(Step::Update { id, values })
            }
        };
        Ok(step)
    }

    /// Live records matching the chunk's text upsert keys (two at most per key: enough to tell one
    /// from many), in one query.
    fn upsert_matches(
        &mut self,
        rows: &[Result<RowOp, RowFailure>],
    ) -> Result<HashMap<String, Vec<SfId>>> {
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
        let Some(field) = field else {
            return Ok(HashMap::new());
        };
        keys.sort_unstable();
        keys.dedup();
        let column = quote(&self.object.fields()[field].name);
        let sql = format!(
            "SELECT {column}, \"Id\" FROM {} WHERE {column} IN (SELECT unnest($1::text[])) AND \"IsDeleted\" = 0",
            self.table
        );
        let mut found: HashMap<String, Vec<SfId>> = HashMap::with_capacity(keys.len());
        for row in self.tx.query(&sql, &[&keys])? {
            let entry = found.entry(row.get::<_, String>(0)).or_default();
            if entry.len() < 2 {
                entry.push(parse_id(row.get(1))?);
            }
        }
        Ok(found)
    }

    /// Live records of `table` whose `field` equals `value` (at most two).
    pub(super) fn find_by(&mut self, table: &str, field: &str, value: &Value) -> Result<Vec<SfId>> {
        let sql = format!(
            "SELECT \"Id\" FROM {table} WHERE {} = $1 AND \"IsDeleted\" = 0 LIMIT 2",
            quote(field)
        );
        self.tx
            .query(&sql, &[&Cell::Value(value)])?
            .iter()
            .map(|r| parse_id(r.get(0)))
            .collect()
    }
}

/// A stored record id.
pub(super) fn parse_id(text: &str) -> Result<SfId> {
    SfId::parse(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

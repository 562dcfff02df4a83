//! How a segment's rows fail against the table as it stands, found with one query per kind of check
//! before anything is written: an update or delete whose record is missing or deleted, and a unique
//! value another record holds (DUPLICATE_VALUE naming the holder, as SQLite's unique index reports it).

use super::segment::ValueKey;
use super::upsert::parse_id;
use super::writer::{Pending, RowWriter, Step};
use crate::Result;
use crate::postgres::ddl::quote;
use crate::rows;
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::schema::Storage;
use bulkforce_core::value::Value;
use postgres::types::ToSql;
use std::collections::HashMap;

/// The records holding a unique field's values: id and whether deleted.
type Holders = HashMap<ValueKey, Vec<(SfId, bool)>>;

impl RowWriter<'_, '_> {
    /// Fails updates and soft deletes of records that are missing or deleted, and hard deletes of
    /// missing records.
    pub(super) fn check_targets(&mut self, steps: &mut Vec<Pending>) -> Result<()> {
        // A record an upsert key matched live in this transaction is known to be there (another
        // transaction deleting it meanwhile is caught by the update itself).
        let targets: Vec<SfId> = steps
            .iter()
            .filter_map(|p| p.step.target())
            .filter(|id| !self.matched_live.contains(id))
            .collect();
        let ids: Vec<&str> = targets.iter().map(SfId::as_str).collect();
        if ids.is_empty() {
            return Ok(());
        }
        let states = self.deleted_states(&ids)?;
        let failed: Vec<(usize, RowError)> = steps
            .iter()
            .enumerate()
            .filter_map(|(k, pending)| {
                let state = |id: &SfId| {
                    if self.matched_live.contains(id) {
                        Some(false)
                    } else {
                        states.get(id).copied()
                    }
                };
                let error = match &pending.step {
                    Step::Insert(_) => None,
                    Step::HardDelete(id) => {
                        state(id).is_none().then(RowError::invalid_cross_reference)
                    }
                    Step::Update { id, .. } | Step::Delete(id) => match state(id) {
                        Some(false) => None,
                        other => Some(rows::missing_record(other)),
                    },
                };
                error.map(|e| (k, e))
            })
            .collect();
        self.drop_failed(steps, failed);
        Ok(())
    }

    /// Whether each of these records of the object is deleted; missing ones are left out.
    pub(super) fn deleted_states(&mut self, ids: &[&str]) -> Result<HashMap<SfId, bool>> {
        let sql = format!(
            "SELECT \"Id\", \"IsDeleted\" FROM {} WHERE \"Id\" IN (SELECT unnest($1::text[]))",
            self.table
        );
        let mut states = HashMap::with_capacity(ids.len());
        for row in self.tx.query(&sql, &[&ids])? {
            let deleted: Option<i64> = row.get(1);
            states.insert(parse_id(row.get(0))?, deleted.unwrap_or(0) != 0);
        }
        Ok(states)
    }

    /// Fails the updates (`of_inserts` false) or the inserts (true) of `steps` that set a unique field to
    /// a value another record holds. Inserts are checked only when their fast path met a clash (see
    /// `insert`): the unique index finds the clashes of a load with none at no extra cost.
    pub(super) fn check_unique_values(
        &mut self,
        steps: &mut Vec<Pending>,
        of_inserts: bool,
    ) -> Result<()> {
        let checked = |p: &Pending| matches!(p.step, Step::Insert(_)) == of_inserts;
        for field in self.unique_fields.clone() {
            let values: Vec<&Value> = steps
                .iter()
                .filter(|p| checked(p))
                .filter_map(|p| p.step.values()?.get(field))
                .filter(|v| **v != Value::Null)
                .collect();
            if values.is_empty() {
                continue;
            }
            let holders = self.holders(field, &values)?;
            let name = self.object.fields()[field].name.clone();
            let failed: Vec<(usize, RowError)> = steps
                .iter()
                .enumerate()
                .filter(|(_, pending)| checked(pending))
                .filter_map(|(k, pending)| {
                    let key = ValueKey::of(pending.step.values()?.get(field)?)?;
                    let others: Vec<&(SfId, bool)> = holders
                        .get(&key)?
                        .iter()
                        .filter(|(id, _)| Some(*id) != pending.step.target())
                        .collect();
                    if others.is_empty() {
                        return None;
                    }
                    let live = others
                        .iter()
                        .find(|(_, deleted)| !deleted)
                        .map(|(id, _)| *id);
                    Some((k, rows::duplicate_value(&name, live)))
                })
                .collect();
            self.drop_failed(steps, failed);
        }
        Ok(())
    }

    /// The records (live or deleted) holding any of `values` in the unique `field`.
    pub(super) fn holders(&mut self, field: usize, values: &[&Value]) -> Result<Holders> {
        let def = &self.object.fields()[field];
        let column = quote(&def.name);
        let sql = format!(
            "SELECT {column}, \"Id\", \"IsDeleted\" FROM {} WHERE {column} IN (SELECT unnest($1::{}[]))",
            self.table,
            super::bind::column_type(def.ftype).name()
        );
        let storage = def.ftype.storage();
        let rows = match storage {
            Storage::Text => {
                self.query_any(&sql, values.iter().map(|v| text_of(v)).collect::<Vec<_>>())?
            }
            Storage::Integer => self.query_any(
                &sql,
                values.iter().filter_map(|v| int_of(v)).collect::<Vec<_>>(),
            )?,
            Storage::Real => self.query_any(
                &sql,
                values.iter().filter_map(|v| real_of(v)).collect::<Vec<_>>(),
            )?,
        };
        let mut holders = Holders::new();
        for row in rows {
            let key = match storage {
                Storage::Text => row.get::<_, Option<String>>(0).map(ValueKey::Text),
                Storage::Integer => row.get::<_, Option<i64>>(0).map(ValueKey::Integer),
                Storage::Real => row.get::<_, Option<f64>>(0).map(ValueKey::real),
            };
            let Some(key) = key else { continue };
            let deleted: Option<i64> = row.get(2);
            holders
                .entry(key)
                .or_default()
                .push((parse_id(row.get(1))?, deleted.unwrap_or(0) != 0));
        }
        Ok(holders)
    }

    fn query_any<T: ToSql + Sync>(
        &mut self,
        sql: &str,
        values: Vec<T>,
    ) -> Result<Vec<postgres::Row>> {
        Ok(self.tx.query(sql, &[&values])?)
    }

    /// Why an insert that met a unique index was skipped (a clash no check could see: a record another
    /// transaction committed meanwhile): DUPLICATE_VALUE naming the holder.
    pub(super) fn explain_conflict(
        &mut self,
        values: &bulkforce_core::ingest::RowValues,
    ) -> Result<RowError> {
        for field in self.unique_fields.clone() {
            let Some(value) = values.get(field).filter(|v| **v != Value::Null) else {
                continue;
            };
            let holders = self.holders(field, &[value])?;
            if let Some(found) = ValueKey::of(value).and_then(|k| holders.get(&k).cloned()) {
                let live = found
                    .iter()
                    .find(|(_, deleted)| !deleted)
                    .map(|(id, _)| *id);
                return Ok(rows::duplicate_value(
                    &self.object.fields()[field].name,
                    live,
                ));
            }
        }
        Err(crate::StoreError::Corrupt(
            "an insert met a unique index but no record holds its values".into(),
        ))
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::Text(s) => s.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Null => String::new(),
    }
}

fn int_of(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => Some(*i),
        Value::Text(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn real_of(value: &Value) -> Option<f64> {
    match value {
        Value::Real(r) => Some(*r),
        Value::Integer(i) => Some(*i as f64),
        Value::Text(s) => s.trim().parse().ok(),
        Value::Null => None,
    }
}

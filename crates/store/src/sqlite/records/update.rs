//! Updates: one UPDATE per chunk over the union of the fields its updates write, each field
//! `IIF(?set, ?value, field)`, and a statement of its own for a row outside that union. An upsert that
//! matched its record passes the record's rowid along, so its UPDATE goes straight to the row instead of
//! through the `Id` index (one B-tree descent fewer per row, in an index that outgrows the page cache).

use super::bind::{Sql, literal};
use super::failure::Failure;
use super::{ChunkWriter, quote};
use crate::{Result, RowOutcome, StoreError};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{RowFailure, RowOp, RowValues};
use bulkforce_core::value::Value;
use rusqlite::params_from_iter;
use std::rc::Rc;

impl ChunkWriter<'_> {
    /// Updates the live record `id`; `rowid`, when the caller already knows it, spares the `Id` lookup.
    pub(super) fn update(
        &mut self,
        id: SfId,
        rowid: Option<i64>,
        mut values: RowValues,
    ) -> Result<RowOutcome, Failure> {
        self.resolve(&mut values).map_err(|e| e.on(Some(id)))?;
        self.update_rules(id, &values)?;
        if values
            .assignments
            .iter()
            .all(|(f, _)| self.update_columns.binary_search(f).is_ok())
        {
            let outcome = self.update_with_chunk_statement(id, rowid, &values);
            if outcome.is_ok() {
                self.rules_written(id, &values);
            }
            self.spent.push(values);
            return outcome;
        }
        let key: Vec<usize> = values.assignments.iter().map(|(f, _)| *f).collect();
        let sql = self.update_sql(key);
        let mut binds: Vec<&Value> = Vec::with_capacity(values.assignments.len() + 4);
        for (_, value) in &values.assignments {
            binds.push(value);
        }
        for name in &self.audit_fields {
            binds.push(if *name == "LastModifiedById" {
                &self.user
            } else {
                &self.now
            });
        }
        let id_value = Value::Text(id.as_str().to_owned());
        binds.push(&id_value);
        let mut stmt = self.conn.prepare_cached(&sql).map_err(Failure::store)?;
        let outcome = match stmt.execute(params_from_iter(binds.iter().map(|v| Sql(v)))) {
            Ok(0) => Err(self.missing_or_deleted(id)),
            Ok(_) => Ok(RowOutcome::Updated(id)),
            Err(e) => Err(self.unique_violation(e, &values, Some(id))),
        };
        drop(stmt);
        if outcome.is_ok() {
            self.rules_written(id, &values);
        }
        self.spent.push(values);
        outcome
    }

    /// The fields the chunk's updates may write (those of update and upsert rows, lookups included), and
    /// the one UPDATE over them.
    pub(super) fn prepare_chunk_update(
        &mut self,
        rows: &[Result<RowOp, RowFailure>],
    ) -> Result<()> {
        let fields = crate::rows::update_columns(rows);
        if fields.is_empty() {
            return Ok(());
        }
        // ?1 is the id; field k takes ?(2k+2) (whether the row sets it) and ?(2k+3) (its value); the last
        // parameter is the row's rowid when known (null: found through the Id index, as a subquery that
        // `coalesce` only runs then). `"Id" = ?1` still holds the row to its id either way.
        let mut sets: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let column = quote(&self.object.fields()[*f].name);
                format!("{column} = IIF(?{}, ?{}, {column})", 2 * k + 2, 2 * k + 3)
            })
            .collect();
        for name in &self.audit_fields {
            let value = if *name == "LastModifiedById" {
                &self.user
            } else {
                &self.now
            };
            sets.push(format!("{} = {}", quote(name), literal(value)));
        }
        let rowid = 2 * fields.len() + 2;
        let sql = format!(
            "UPDATE {table} SET {} WHERE rowid = coalesce(?{rowid}, \
             (SELECT rowid FROM {table} WHERE \"Id\" = ?1)) AND \"Id\" = ?1 AND \"IsDeleted\" = 0",
            sets.join(", "),
            table = self.table,
        );
        // Each chunk's text differs (its timestamp): prepared uncached, so it does not evict the others.
        self.chunk_update = Some(self.conn.prepare(&sql)?);
        self.update_columns = fields;
        Ok(())
    }

    fn update_with_chunk_statement(
        &mut self,
        id: SfId,
        rowid: Option<i64>,
        values: &RowValues,
    ) -> Result<RowOutcome, Failure> {
        let Some(stmt) = self.chunk_update.as_mut() else {
            return Err(Failure::store(StoreError::Invalid(
                "the chunk's UPDATE was not prepared".into(),
            )));
        };
        let null = Value::Null;
        let bound = self.field_slots.with(values, |value_of| {
            let mut bound = stmt
                .raw_bind_parameter(1, id.as_str())
                .and_then(|_| stmt.raw_bind_parameter(2 * self.update_columns.len() + 2, rowid));
            for (bind, field) in (0..).zip(&self.update_columns) {
                let value = value_of(*field);
                bound = bound
                    .and_then(|_| stmt.raw_bind_parameter(2 * bind + 2, value.is_some()))
                    .and_then(|_| {
                        stmt.raw_bind_parameter(2 * bind + 3, Sql(value.unwrap_or(&null)))
                    });
            }
            bound
        });
        bound.map_err(Failure::store)?;
        match stmt.raw_execute() {
            Ok(0) => Err(self.missing_or_deleted(id)),
            Ok(_) => Ok(RowOutcome::Updated(id)),
            Err(e) => Err(self.unique_violation(e, values, Some(id))),
        }
    }

    /// The UPDATE for rows that set `fields`, built once per chunk.
    fn update_sql(&mut self, fields: Vec<usize>) -> Rc<str> {
        let (object, table, audit) = (self.object, &self.table, &self.audit_fields);
        self.update_sql
            .entry(fields)
            .or_insert_with_key(|fields| {
                let sets: Vec<String> = fields
                    .iter()
                    .map(|f| &object.fields()[*f].name)
                    .map(String::as_str)
                    .chain(audit.iter().copied())
                    .map(|name| format!("{} = ?", quote(name)))
                    .collect();
                format!(
                    "UPDATE {table} SET {} WHERE \"Id\" = ? AND \"IsDeleted\" = 0",
                    sets.join(", ")
                )
                .into()
            })
            .clone()
    }
}

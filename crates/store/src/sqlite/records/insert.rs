//! Inserts: one INSERT per chunk over the union of the fields its inserts write (system fields as
//! literals), and a statement of its own for a row outside that union.

use super::bind::{Sql, literal};
use super::failure::Failure;
use super::{ChunkWriter, quote};
use crate::sqlite::jobs::reserve_counter;
use crate::{Result, RowOutcome, StoreError};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{RowFailure, RowOp, RowValues};
use bulkforce_core::value::Value;
use rusqlite::params_from_iter;
use std::rc::Rc;

impl ChunkWriter<'_> {
    /// The union of fields the chunk's inserts may write, and the one INSERT over them.
    pub(super) fn prepare_chunk_insert(
        &mut self,
        rows: &[Result<RowOp, RowFailure>],
    ) -> Result<()> {
        let mut fields = crate::rows::insert_columns(self.plan, self.owner, rows);
        if let Some(rules) = &self.rules {
            fields.extend(rules.default_fields());
            fields.sort_unstable();
            fields.dedup();
        }
        let mut columns: Vec<String> = vec![quote("Id")];
        let mut values: Vec<String> = vec!["?".into()];
        for name in &self.system_fields {
            columns.push(quote(name));
            values.push(match *name {
                "IsDeleted" => "0".into(),
                "CreatedById" | "LastModifiedById" => literal(&self.user),
                _ => literal(&self.now),
            });
        }
        for field in &fields {
            columns.push(quote(&self.object.fields()[*field].name));
            values.push("?".into());
        }
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.table,
            columns.join(", "),
            values.join(", ")
        );
        // Each chunk's text differs (its timestamp): prepared uncached, so it does not evict the others.
        self.chunk_insert = Some(self.conn.prepare(&sql)?);
        self.insert_columns = fields;
        Ok(())
    }

    pub(super) fn insert(&mut self, mut values: RowValues) -> Result<RowOutcome, Failure> {
        self.resolve(&mut values).map_err(|e| e.on(None))?;
        self.insert_rules(&mut values)?;
        let conn = self.conn;
        self.insert_fields
            .fill(&mut values, &mut |counter, count| {
                reserve_counter(conn, counter, count)
            })
            .map_err(Failure::store)?;
        let id = SfId::mint(self.object.key_prefix, self.shard, self.next_sequence);
        self.next_sequence += 1;
        if values
            .assignments
            .iter()
            .all(|(f, _)| self.insert_columns.binary_search(f).is_ok())
        {
            let outcome = self.insert_with_chunk_statement(id, &values);
            self.spent.push(values);
            return outcome;
        }
        let default_owner = self.owner.filter(|o| values.get(*o).is_none());
        let key: Vec<usize> = values.assignments.iter().map(|(f, _)| *f).collect();
        let sql = self.insert_sql(default_owner, key);
        let id_value = Value::Text(id.as_str().to_owned());
        let not_deleted = Value::Integer(0);
        let mut binds: Vec<&Value> = Vec::with_capacity(8 + values.assignments.len());
        binds.push(&id_value);
        for name in &self.system_fields {
            binds.push(match *name {
                "IsDeleted" => &not_deleted,
                "CreatedById" | "LastModifiedById" => &self.user,
                _ => &self.now,
            });
        }
        if default_owner.is_some() {
            binds.push(&self.user);
        }
        for (_, value) in &values.assignments {
            binds.push(value);
        }
        let mut stmt = self.conn.prepare_cached(&sql).map_err(Failure::store)?;
        match stmt.execute(params_from_iter(binds.iter().map(|v| Sql(v)))) {
            Ok(_) => Ok(RowOutcome::Created(id)),
            Err(e) => Err(self.unique_violation(e, &values, None)),
        }
    }

    fn insert_with_chunk_statement(
        &mut self,
        id: SfId,
        values: &RowValues,
    ) -> Result<RowOutcome, Failure> {
        let Some(stmt) = self.chunk_insert.as_mut() else {
            return Err(Failure::store(StoreError::Invalid(
                "the chunk's INSERT was not prepared".into(),
            )));
        };
        let null = Value::Null;
        let bound = self.field_slots.with(values, |value_of| {
            // The id is parameter 1; the columns follow.
            let mut bound = stmt.raw_bind_parameter(1, id.as_str());
            for (bind, field) in (2..).zip(&self.insert_columns) {
                let value = match value_of(*field) {
                    Some(value) => value,
                    None if Some(*field) == self.owner => &self.user,
                    None => &null,
                };
                bound = bound.and_then(|_| stmt.raw_bind_parameter(bind, Sql(value)));
            }
            bound
        });
        bound.map_err(Failure::store)?;
        match stmt.raw_execute() {
            Ok(_) => Ok(RowOutcome::Created(id)),
            Err(e) => Err(self.unique_violation(e, values, None)),
        }
    }

    /// The INSERT for rows that set `fields` (and the default owner, when given), built once per chunk.
    fn insert_sql(&mut self, default_owner: Option<usize>, fields: Vec<usize>) -> Rc<str> {
        let (object, table, system) = (self.object, &self.table, &self.system_fields);
        self.insert_sql
            .entry((default_owner, fields))
            .or_insert_with_key(|(owner, fields)| {
                let mut columns: Vec<String> = vec![quote("Id")];
                columns.extend(system.iter().map(|n| quote(n)));
                columns.extend(owner.iter().map(|o| quote(&object.fields()[*o].name)));
                columns.extend(fields.iter().map(|f| quote(&object.fields()[*f].name)));
                let marks = vec!["?"; columns.len()].join(", ");
                format!(
                    "INSERT INTO {table} ({}) VALUES ({marks})",
                    columns.join(", ")
                )
                .into()
            })
            .clone()
    }
}

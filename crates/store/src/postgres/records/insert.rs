//! Inserts of a segment: ids minted for all of them at once, the rows copied into a staging table, and
//! one `INSERT … SELECT` stamping the system fields. The checks before it found every clash this
//! transaction can see; `ON CONFLICT DO NOTHING` turns one it cannot (a record another transaction
//! committed meanwhile) into that row's DUPLICATE_VALUE instead of an error that would end the chunk.

use super::bind::{Cell, column_type};
use super::stage::Stage;
use super::writer::RowWriter;
use crate::postgres::ddl::quote;
use crate::postgres::ids::reserve_sequence;
use crate::{Result, RowOutcome};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::RowValues;
use bulkforce_core::value::Value;
use postgres::error::SqlState;
use postgres::types::Type;
use std::collections::HashSet;

impl RowWriter<'_, '_> {
    /// Inserts `rows` (row index, values), each as a new record with a freshly minted id.
    pub(super) fn insert(&mut self, rows: Vec<(usize, RowValues)>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut columns: Vec<usize> = rows
            .iter()
            .flat_map(|(_, values)| values.assignments.iter().map(|(f, _)| *f))
            .chain(self.owner)
            .collect();
        columns.sort_unstable();
        columns.dedup();
        let prefix = self.object.key_prefix;
        let first = reserve_sequence(self.tx, self.stamp.org, prefix, rows.len() as u64)?;
        let ids: Vec<SfId> = (first..)
            .take(rows.len())
            .map(|n| SfId::mint(prefix, self.stamp.shard, n))
            .collect();
        let mut types = vec![Type::TEXT];
        types.extend(
            columns
                .iter()
                .map(|f| column_type(self.object.fields()[*f].ftype)),
        );
        let stage = Stage::open(self.tx, types)?;
        let (null, user) = (Value::Null, Value::Text(self.user.clone()));
        let cells = rows.iter().zip(&ids).map(|((_, values), id)| {
            let mut cells = Vec::with_capacity(columns.len() + 1);
            cells.push(Cell::Text(id.as_str()));
            cells.extend(columns.iter().map(|f| {
                Cell::Value(match values.get(*f) {
                    Some(value) => value,
                    None if Some(*f) == self.owner => &user,
                    None => &null,
                })
            }));
            cells
        });
        stage.fill(self.tx, cells)?;
        let inserted = self.insert_from(&stage, &columns)?;
        for ((row, values), id) in rows.into_iter().zip(ids) {
            if inserted.as_ref().is_none_or(|ids| ids.contains(&id)) {
                self.decide(row, RowOutcome::Created(id));
            } else {
                let error = self.explain_conflict(&values)?;
                self.decide(row, RowOutcome::Failed { id: None, error });
            }
            self.spent.push(values);
        }
        Ok(())
    }

    /// Moves the staged rows into the table: `None` when all of them went in, else the ids inserted.
    fn insert_from(&mut self, stage: &Stage, columns: &[usize]) -> Result<Option<HashSet<SfId>>> {
        let mut names = vec![quote("Id")];
        let mut selected = vec![Stage::column(0)];
        for name in &self.system_fields {
            names.push(quote(name));
            selected.push(
                match *name {
                    "IsDeleted" => "0",
                    "CreatedById" | "LastModifiedById" => "$2",
                    _ => "$1",
                }
                .to_owned(),
            );
        }
        for (k, field) in columns.iter().enumerate() {
            names.push(quote(&self.object.fields()[*field].name));
            selected.push(Stage::column(k + 1));
        }
        let sql = format!(
            "INSERT INTO {} ({}) SELECT {} FROM {}",
            self.table,
            names.join(", "),
            selected.join(", "),
            stage.name
        );
        let (now, user) = (self.now.clone(), self.user.clone());
        // The plain INSERT is the fast path (no speculative insertion per row); only when a clash the
        // checks could not see makes it fail does the segment go again, skipping the clashing rows.
        self.tx.batch_execute("SAVEPOINT bf_insert")?;
        match self.tx.execute(&sql, &[&now, &user]) {
            Ok(_) => {
                self.tx.batch_execute("RELEASE SAVEPOINT bf_insert")?;
                return Ok(None);
            }
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                self.tx.batch_execute(
                    "ROLLBACK TO SAVEPOINT bf_insert; RELEASE SAVEPOINT bf_insert",
                )?;
            }
            Err(e) => return Err(e.into()),
        }
        let sql = format!("{sql} ON CONFLICT DO NOTHING RETURNING \"Id\"");
        let inserted = self
            .tx
            .query(&sql, &[&now, &user])?
            .iter()
            .map(|r| super::upsert::parse_id(r.get(0)))
            .collect::<Result<HashSet<SfId>>>()?;
        Ok(Some(inserted))
    }
}

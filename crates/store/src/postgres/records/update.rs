//! Updates of a segment: the rows copied into a staging table with, per field, whether the row sets it
//! and its value, then one `UPDATE … FROM` the staging table, each field
//! `CASE WHEN set THEN value ELSE field END` (an empty cell leaves a field alone, `#N/A` sets it null).

use super::bind::{Cell, column_type};
use super::stage::Stage;
use super::writer::RowWriter;
use crate::postgres::ddl::quote;
use crate::{Result, RowOutcome, rows};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::RowValues;
use bulkforce_core::value::Value;
use postgres::types::Type;
use std::collections::HashSet;

impl RowWriter<'_, '_> {
    /// Updates `rows` (row index, live record id, values).
    pub(super) fn update(&mut self, rows: Vec<(usize, SfId, RowValues)>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut columns: Vec<usize> = rows
            .iter()
            .flat_map(|(_, _, values)| values.assignments.iter().map(|(f, _)| *f))
            .collect();
        columns.sort_unstable();
        columns.dedup();
        let mut types = vec![Type::TEXT];
        for field in &columns {
            types.push(Type::BOOL);
            types.push(column_type(self.object.fields()[*field].ftype));
        }
        let stage = Stage::open(self.tx, types)?;
        let null = Value::Null;
        let cells = rows.iter().map(|(_, id, values)| {
            let mut cells = Vec::with_capacity(2 * columns.len() + 1);
            cells.push(Cell::Text(id.as_str()));
            for field in &columns {
                let value = values.get(*field);
                cells.push(Cell::Flag(value.is_some()));
                cells.push(Cell::Value(value.unwrap_or(&null)));
            }
            cells
        });
        stage.fill(self.tx, cells)?;
        let updated = self.update_from(&stage, &columns)?;
        let missed: Vec<&str> = rows
            .iter()
            .filter(|(_, id, _)| !updated.contains(id))
            .map(|(_, id, _)| id.as_str())
            .collect();
        // Only a record deleted by another transaction since the checks can be missed.
        let states = if missed.is_empty() {
            Default::default()
        } else {
            self.deleted_states(&missed)?
        };
        for (row, id, values) in rows {
            let outcome = if updated.contains(&id) {
                RowOutcome::Updated(id)
            } else {
                let error = rows::missing_record(states.get(&id).copied());
                RowOutcome::Failed {
                    id: Some(id),
                    error,
                }
            };
            self.decide(row, outcome);
            self.spent.push(values);
        }
        Ok(())
    }

    /// Applies the staged updates to live records; the ids updated.
    fn update_from(&mut self, stage: &Stage, columns: &[usize]) -> Result<HashSet<SfId>> {
        let mut sets: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(k, field)| {
                let column = quote(&self.object.fields()[*field].name);
                format!(
                    "{column} = CASE WHEN s.{} THEN s.{} ELSE t.{column} END",
                    Stage::column(2 * k + 1),
                    Stage::column(2 * k + 2)
                )
            })
            .collect();
        sets.extend(self.audit_fields.iter().map(|name| {
            let value = if *name == "LastModifiedById" {
                "$2"
            } else {
                "$1"
            };
            format!("{} = {value}", quote(name))
        }));
        if sets.is_empty() {
            sets.push("\"Id\" = t.\"Id\"".to_owned());
        }
        let sql = format!(
            "UPDATE {} AS t SET {} FROM {} AS s WHERE t.\"Id\" = s.{} AND t.\"IsDeleted\" = 0 \
             RETURNING t.\"Id\"",
            self.table,
            sets.join(", "),
            stage.name,
            Stage::column(0)
        );
        let (now, user) = (self.now.clone(), self.user.clone());
        let params: [&(dyn postgres::types::ToSql + Sync); 2] = [&now, &user];
        let used = if self.audit_fields.is_empty() { 0 } else { 2 };
        // One probe of the `Id` index per staged row is what a chunk wants. Left alone, the planner
        // (the staging table never analyzed, the table's statistics stale right after a load) either
        // hashes the whole table (a full scan per chunk at a million records) or, believing the table
        // tiny, scans it once per staged row. The plan's cost is then huge (the disabled nodes' penalty),
        // past the JIT thresholds: compiling the expressions would take longer than running them (three
        // quarters of the statement's time), so JIT is off as well.
        self.tx.batch_execute(
            "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; \
             SET LOCAL enable_seqscan = off; SET LOCAL jit = off",
        )?;
        let updated = self
            .tx
            .query(&sql, &params[..used])?
            .iter()
            .map(|r| super::upsert::parse_id(r.get(0)))
            .collect();
        self.tx.batch_execute(
            "SET LOCAL enable_hashjoin TO DEFAULT; SET LOCAL enable_mergejoin TO DEFAULT; \
             SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL jit TO DEFAULT",
        )?;
        updated
    }
}

//! Inserts of a segment. The fast path copies the rows, with freshly minted ids and their system fields,
//! straight into the table with one binary COPY under a savepoint: the unique indexes find any clash,
//! so a load with none pays for no check. A clash rolls the savepoint back (ids included), and the
//! careful path runs: the unique checks fail the clashing rows with DUPLICATE_VALUE naming the holder,
//! and the rest go through a staging table and one `INSERT … SELECT`, where `ON CONFLICT DO NOTHING`
//! turns a clash no check could see (a record another transaction committed meanwhile) into that row's
//! DUPLICATE_VALUE instead of an error that would end the chunk. Either way the outcomes and ids are
//! those of applying the rows one by one.

use super::bind::{Cell, column_type};
use super::stage::Stage;
use super::writer::{Pending, RowWriter, Step};
use crate::postgres::ddl::quote;
use crate::postgres::ids::{reserve_counter, reserve_sequence};
use crate::{Result, RowOutcome};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::RowValues;
use bulkforce_core::value::Value;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::error::SqlState;
use postgres::types::Type;
use std::collections::HashSet;

impl RowWriter<'_, '_> {
    /// Inserts `rows` (row index, values), each as a new record with a freshly minted id.
    pub(super) fn insert(&mut self, mut rows: Vec<(usize, RowValues)>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let (tx, org) = (&mut *self.tx, self.stamp.org);
        for (_, values) in &mut rows {
            self.insert_fields.fill(values, &mut |counter, count| {
                reserve_counter(tx, org, counter, count)
            })?;
        }
        let mut columns: Vec<usize> = rows
            .iter()
            .flat_map(|(_, values)| values.assignments.iter().map(|(f, _)| *f))
            .chain(self.owner)
            .collect();
        columns.sort_unstable();
        columns.dedup();
        if let Some(ids) = self.copy_into_table(&rows, &columns)? {
            for ((row, values), id) in rows.into_iter().zip(ids) {
                self.decide(row, RowOutcome::Created(id));
                self.spent.push(values);
            }
            return Ok(());
        }
        let rows = self.drop_unique_clashes(rows)?;
        self.insert_staged(rows, &columns)
    }

    /// Ids for `count` new records, minted from the org's sequence.
    fn mint_ids(&mut self, count: usize) -> Result<Vec<SfId>> {
        let prefix = self.object.key_prefix;
        let first = reserve_sequence(self.tx, self.stamp.org, prefix, count as u64)?;
        Ok((first..)
            .take(count)
            .map(|n| SfId::mint(prefix, self.stamp.shard, n))
            .collect())
    }

    /// The fast path: every row copied into the table at once, under a savepoint. `None`, with nothing
    /// written and no id used, when a unique index refused a row.
    fn copy_into_table(
        &mut self,
        rows: &[(usize, RowValues)],
        columns: &[usize],
    ) -> Result<Option<Vec<SfId>>> {
        let fields = self.object.fields();
        let mut names = vec![quote("Id")];
        let mut types = vec![Type::TEXT];
        let (now, user, not_deleted) = (
            Value::Text(self.now.clone()),
            Value::Text(self.user.clone()),
            Value::Integer(0),
        );
        let mut stamped: Vec<&Value> = Vec::new();
        for name in &self.system_fields {
            let ftype = self.object.field(name).map(|f| f.ftype);
            names.push(quote(name));
            types.push(ftype.map_or(Type::TEXT, column_type));
            stamped.push(match *name {
                "IsDeleted" => &not_deleted,
                "CreatedById" | "LastModifiedById" => &user,
                _ => &now,
            });
        }
        for field in columns {
            names.push(quote(&fields[*field].name));
            types.push(column_type(fields[*field].ftype));
        }
        let sql = format!(
            "COPY {} ({}) FROM STDIN BINARY",
            self.table,
            names.join(", ")
        );
        self.tx.batch_execute("SAVEPOINT bf_copy")?;
        let ids = self.mint_ids(rows.len())?;
        let null = Value::Null;
        let copied = (|| {
            let sink = self.tx.copy_in(&sql)?;
            let mut writer = BinaryCopyInWriter::new(sink, &types);
            for ((_, values), id) in rows.iter().zip(&ids) {
                let mut cells = Vec::with_capacity(types.len());
                cells.push(Cell::Text(id.as_str()));
                cells.extend(stamped.iter().map(|v| Cell::Value(v)));
                cells.extend(columns.iter().map(|f| {
                    Cell::Value(match values.get(*f) {
                        Some(value) => value,
                        None if Some(*f) == self.owner => &user,
                        None => &null,
                    })
                }));
                writer.write_raw(cells.iter())?;
            }
            writer.finish()
        })();
        match copied {
            Ok(_) => {
                self.tx.batch_execute("RELEASE SAVEPOINT bf_copy")?;
                Ok(Some(ids))
            }
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                self.tx
                    .batch_execute("ROLLBACK TO SAVEPOINT bf_copy; RELEASE SAVEPOINT bf_copy")?;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The careful path's checks: the rows whose unique values another record holds fail; the rest.
    fn drop_unique_clashes(
        &mut self,
        rows: Vec<(usize, RowValues)>,
    ) -> Result<Vec<(usize, RowValues)>> {
        let mut pending: Vec<Pending> = rows
            .into_iter()
            .map(|(row, values)| Pending {
                row,
                step: Step::Insert(values),
            })
            .collect();
        self.check_unique_values(&mut pending, true)?;
        Ok(pending
            .into_iter()
            .filter_map(|p| match p.step {
                Step::Insert(values) => Some((p.row, values)),
                _ => None,
            })
            .collect())
    }

    /// The careful path's insert: the rows staged, then moved into the table.
    fn insert_staged(&mut self, rows: Vec<(usize, RowValues)>, columns: &[usize]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids = self.mint_ids(rows.len())?;
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
        let inserted = self.insert_from(&stage, columns)?;
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

//! Applying ingest chunks to record tables: the row semantics that need stored data (existence, deletion,
//! uniqueness, upsert matching, lookups) with Salesforce's row errors.

use super::OrgDb;
use super::ddl::quote;
use super::jobs::{advance, reserve_sequence};
use crate::{
    Chunk, ChunkCommit, ChunkProgress, ChunkSource, RecordFields, Result, RowOutcome, StoreError,
};
use bulkforce_core::error::RowError;
use bulkforce_core::id::{KeyPrefix, SfId};
use bulkforce_core::ingest::{IngestPlan, ParentLookup, RowFailure, RowOp, RowValues, UpsertKey};
use bulkforce_core::job::Job;
use bulkforce_core::schema::{FieldType, SObject, Schema};
use bulkforce_core::value::{Value, format_datetime};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OptionalExtension, ToSql, params_from_iter};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

/// A text or number value as an SQL literal.
fn literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => format!("{r:?}"),
    }
}

/// Binds a core value as an SQL parameter.
struct Sql<'a>(&'a Value);

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
const NO_SLOT: usize = usize::MAX;

/// Per field of the object, where its value is in the row being bound (or `NO_SLOT`): binding a chunk
/// statement's columns is then one lookup per column instead of a search of the row.
struct FieldSlots(Vec<usize>);

impl FieldSlots {
    /// Runs `bind` with a lookup of `values` by field (the last assignment of a field wins, as in
    /// `RowValues::get`), and leaves every slot empty again.
    fn with<'v, T>(
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

/// System fields set on every insert, where the object has them.
const AUDIT_FIELDS: [&str; 3] = ["LastModifiedDate", "LastModifiedById", "SystemModstamp"];
const CREATE_FIELDS: [&str; 3] = ["CreatedDate", "CreatedById", "IsDeleted"];

/// Everything one chunk's rows share.
struct ChunkWriter<'a> {
    conn: &'a Connection,
    schema: &'a Schema,
    object: &'a SObject,
    plan: &'a IngestPlan,
    table: String,
    shard: u16,
    user: Value,
    now: Value,
    next_sequence: u64,
    /// External-id values that occur more than once in this chunk.
    repeated_keys: HashMap<String, usize>,
    /// The create and audit fields the object has, in INSERT order, and its audit fields alone.
    system_fields: Vec<&'static str>,
    audit_fields: Vec<&'static str>,
    /// `OwnerId`, set to the job's user when a row does not set it.
    owner: Option<usize>,
    /// Live records matching the chunk's text upsert keys, looked up in batches before the rows are applied.
    upsert_matches: Option<HashMap<String, Vec<SfId>>>,
    /// Statement texts by the set of fields a row writes.
    insert_sql: HashMap<(Option<usize>, Vec<usize>), Rc<str>>,
    /// The values of applied rows, handed back with the outcomes so that they are freed off this thread
    /// (a row's dozen or so allocations cost the single writer a few percent of its time).
    spent: Vec<RowValues>,
    /// Every field any insert of this chunk may write (OwnerId included): one INSERT statement serves all
    /// its rows, unset fields bound to NULL, so rows with different empty cells share a prepared statement.
    insert_columns: Vec<usize>,
    /// That statement, prepared once per chunk and held, so a row costs its binds and one step (no cache
    /// lookup of the statement text, no reset of every binding when it goes back to the cache). The
    /// system fields, the same for every row of the chunk, are literals in it rather than binds.
    chunk_insert: Option<rusqlite::Statement<'a>>,
    /// Every field any update of this chunk may write, and one UPDATE over them all: each field is
    /// `IIF(?set, ?value, field)`, so rows that set different fields share it (an empty cell leaves a field
    /// as it is, `#N/A` sets it null), instead of one statement per set of fields, which with a few optional
    /// columns meant preparing a statement every dozen rows.
    update_columns: Vec<usize>,
    chunk_update: Option<rusqlite::Statement<'a>>,
    field_slots: FieldSlots,
    update_sql: HashMap<Vec<usize>, Rc<str>>,
}

/// Applies `first` and the chunks `source` hands over in one transaction, then commits it.
pub(crate) fn apply_chunks(
    conn: &mut Connection,
    shard: u16,
    schema: &Schema,
    job: &Job,
    plan: &IngestPlan,
    first: Chunk,
    source: &mut dyn ChunkSource,
) -> Result<ChunkCommit> {
    let tx = conn.transaction()?;
    let mut chunk = Some(first);
    let mut ending = ChunkCommit::Committed;
    while let Some(Chunk { rows, progress }) = chunk {
        let Some((outcomes, spent)) = apply_chunk(&tx, shard, schema, job, plan, rows, progress)?
        else {
            ending = ChunkCommit::JobStopped;
            break;
        };
        source.chunk_applied(progress.chunk, outcomes, spent)?;
        chunk = source.next_chunk();
    }
    source.before_commit()?;
    tx.commit()?;
    Ok(ending)
}

/// Applies one chunk's rows and records its progress in the open transaction; `None` (with nothing
/// written) when the job is no longer InProgress at this chunk.
fn apply_chunk(
    tx: &Connection,
    shard: u16,
    schema: &Schema,
    job: &Job,
    plan: &IngestPlan,
    rows: Vec<Result<RowOp, RowFailure>>,
    progress: ChunkProgress,
) -> Result<Option<(Vec<RowOutcome>, Vec<RowValues>)>> {
    let started = Instant::now();
    let still_running: Option<bool> = tx
        .query_row(
            "SELECT state = 'InProgress' AND chunks_done = ?2 FROM bf_jobs WHERE id = ?1",
            rusqlite::params![job.id.as_str(), progress.chunk as i64],
            |r| r.get(0),
        )
        .optional()?;
    if still_running != Some(true) {
        return Ok(None);
    }
    let object = plan.object().as_ref();
    let mut repeated_keys = HashMap::new();
    for row in &rows {
        if let Ok(RowOp::Upsert {
            key: UpsertKey::External { text, .. },
            ..
        }) = row
        {
            *repeated_keys.entry(text.clone()).or_insert(0usize) += 1;
        }
    }
    repeated_keys.retain(|_, n| *n > 1);
    let mut writer = ChunkWriter {
        conn: tx,
        schema,
        object,
        plan,
        table: quote(&object.name),
        shard,
        user: Value::Text(job.created_by_id.as_str().to_owned()),
        now: Value::Text(format_datetime(&chrono::Utc::now())),
        next_sequence: reserve_sequence(tx, object.key_prefix, rows.len() as u64)?,
        repeated_keys,
        system_fields: CREATE_FIELDS
            .iter()
            .chain(AUDIT_FIELDS.iter())
            .copied()
            .filter(|name| object.field(name).is_some())
            .collect(),
        audit_fields: AUDIT_FIELDS
            .iter()
            .copied()
            .filter(|name| object.field(name).is_some())
            .collect(),
        owner: object.field_index("OwnerId"),
        insert_sql: HashMap::new(),
        update_sql: HashMap::new(),
        insert_columns: Vec::new(),
        chunk_insert: None,
        update_columns: Vec::new(),
        chunk_update: None,
        field_slots: FieldSlots(vec![NO_SLOT; object.fields().len()]),
        spent: Vec::with_capacity(rows.len()),
        upsert_matches: None,
    };
    writer.prepare_chunk_insert(&rows)?;
    writer.prepare_chunk_update(&rows)?;
    writer.find_upsert_matches(&rows)?;
    let mut outcomes = Vec::with_capacity(rows.len());
    for row in rows {
        outcomes.push(match row {
            Err(failure) => failure.into(),
            Ok(op) => writer.apply(op)?,
        });
    }
    let failed = outcomes.iter().filter(|o| o.is_failure()).count() as u64;
    let active_ms = progress.active_ms + started.elapsed().as_millis() as u64;
    let progress = ChunkProgress {
        active_ms,
        ..progress
    };
    if !advance(tx, job.id, &progress, outcomes.len() as u64, failed)? {
        return Ok(None);
    }
    Ok(Some((outcomes, writer.spent)))
}

impl ChunkWriter<'_> {
    /// Applies one row. Row problems become `Failed` outcomes; only storage failures are errors.
    fn apply(&mut self, op: RowOp) -> Result<RowOutcome> {
        let outcome = match op {
            RowOp::Insert(values) => self.insert(values),
            RowOp::Update { id, values } => self.update(id, values),
            RowOp::Upsert { key, values } => self.upsert(key, values),
            RowOp::Delete { id } => self.soft_delete(id),
            RowOp::HardDelete { id } => self.hard_delete(id),
        };
        match outcome {
            Ok(o) => Ok(o),
            Err(Failure::Row(id, error)) => Ok(RowOutcome::Failed { id, error }),
            Err(Failure::Store(e)) => Err(e),
        }
    }

    /// Looks up the chunk's text upsert keys with a few `IN (…)` queries instead of one query per row.
    fn find_upsert_matches(&mut self, rows: &[Result<RowOp, RowFailure>]) -> Result<()> {
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
        let mut found: HashMap<String, Vec<SfId>> = HashMap::with_capacity(keys.len());
        for batch in keys.chunks(BATCH) {
            let marks = vec!["?"; batch.len()].join(", ");
            let sql = format!(
                "SELECT \"Id\", {column} FROM {} WHERE {column} IN ({marks}) AND \"IsDeleted\" = 0",
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
                    entry.push(id);
                }
            }
        }
        self.upsert_matches = Some(found);
        Ok(())
    }

    /// The union of fields the chunk's inserts may write, and the one INSERT over them.
    fn prepare_chunk_insert(&mut self, rows: &[Result<RowOp, RowFailure>]) -> Result<()> {
        let mut fields: Vec<usize> = self
            .plan
            .insert_default_fields()
            .chain(self.owner)
            .collect();
        for row in rows {
            let values = match row {
                Ok(RowOp::Insert(values)) => values,
                Ok(RowOp::Upsert { key, values }) => {
                    if let UpsertKey::External { field, .. } = key {
                        fields.push(*field);
                    }
                    values
                }
                _ => continue,
            };
            fields.extend(values.assignments.iter().map(|(f, _)| *f));
            fields.extend(values.lookups.iter().map(|l| l.lookup_field));
        }
        fields.sort_unstable();
        fields.dedup();
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

    fn insert(&mut self, mut values: RowValues) -> Result<RowOutcome, Failure> {
        self.resolve(&mut values).map_err(|e| e.on(None))?;
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

    fn update(&mut self, id: SfId, mut values: RowValues) -> Result<RowOutcome, Failure> {
        self.resolve(&mut values).map_err(|e| e.on(Some(id)))?;
        if values
            .assignments
            .iter()
            .all(|(f, _)| self.update_columns.binary_search(f).is_ok())
        {
            let outcome = self.update_with_chunk_statement(id, &values);
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
        self.spent.push(values);
        outcome
    }

    /// The fields the chunk's updates may write (those of update and upsert rows, lookups included), and
    /// the one UPDATE over them.
    fn prepare_chunk_update(&mut self, rows: &[Result<RowOp, RowFailure>]) -> Result<()> {
        let mut fields: Vec<usize> = Vec::new();
        for row in rows {
            let values = match row {
                Ok(RowOp::Update { values, .. }) | Ok(RowOp::Upsert { values, .. }) => values,
                _ => continue,
            };
            fields.extend(values.assignments.iter().map(|(f, _)| *f));
            fields.extend(values.lookups.iter().map(|l| l.lookup_field));
        }
        if fields.is_empty() {
            return Ok(());
        }
        fields.sort_unstable();
        fields.dedup();
        // ?1 is the id; field k takes ?(2k+2) (whether the row sets it) and ?(2k+3) (its value).
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
        let sql = format!(
            "UPDATE {} SET {} WHERE \"Id\" = ?1 AND \"IsDeleted\" = 0",
            self.table,
            sets.join(", ")
        );
        // Each chunk's text differs (its timestamp): prepared uncached, so it does not evict the others.
        self.chunk_update = Some(self.conn.prepare(&sql)?);
        self.update_columns = fields;
        Ok(())
    }

    fn update_with_chunk_statement(
        &mut self,
        id: SfId,
        values: &RowValues,
    ) -> Result<RowOutcome, Failure> {
        let Some(stmt) = self.chunk_update.as_mut() else {
            return Err(Failure::store(StoreError::Invalid(
                "the chunk's UPDATE was not prepared".into(),
            )));
        };
        let null = Value::Null;
        let bound = self.field_slots.with(values, |value_of| {
            let mut bound = stmt.raw_bind_parameter(1, id.as_str());
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

    fn upsert(&mut self, key: UpsertKey, mut values: RowValues) -> Result<RowOutcome, Failure> {
        let (field, value, text) = match key {
            UpsertKey::Id(Some(id)) => return self.update(id, values),
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
        let matches = match (&value, &self.upsert_matches) {
            // Text keys were looked up for the whole chunk at once.
            (Value::Text(key), Some(found)) => found.get(key).cloned().unwrap_or_default(),
            _ => self
                .find_by(&self.table, &key_field.name, &value)
                .map_err(Failure::store)?,
        };
        match matches.as_slice() {
            [] => {
                values.set(field, value);
                self.plan
                    .complete_insert(&mut values)
                    .map_err(|e| Failure::Row(None, e))?;
                self.insert(values)
            }
            [id] => self.update(*id, values),
            ids => {
                let ids: Vec<String> = ids.iter().map(|i| i.as_str().to_owned()).collect();
                Err(Failure::Row(
                    None,
                    RowError::duplicate_external_id(&key_field.label, &ids),
                ))
            }
        }
    }

    fn soft_delete(&mut self, id: SfId) -> Result<RowOutcome, Failure> {
        let sql = format!(
            "UPDATE {} SET \"IsDeleted\" = 1, \"LastModifiedDate\" = ?1, \"LastModifiedById\" = ?2, \
             \"SystemModstamp\" = ?1 WHERE \"Id\" = ?3 AND \"IsDeleted\" = 0",
            self.table
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(Failure::store)?;
        match stmt
            .execute(rusqlite::params![
                Sql(&self.now),
                Sql(&self.user),
                id.as_str()
            ])
            .map_err(Failure::store)?
        {
            0 => Err(self.missing_or_deleted(id)),
            _ => Ok(RowOutcome::Deleted(id)),
        }
    }

    fn hard_delete(&mut self, id: SfId) -> Result<RowOutcome, Failure> {
        let sql = format!("DELETE FROM {} WHERE \"Id\" = ?1", self.table);
        let mut stmt = self.conn.prepare_cached(&sql).map_err(Failure::store)?;
        match stmt.execute([id.as_str()]).map_err(Failure::store)? {
            0 => Err(Failure::Row(Some(id), RowError::invalid_cross_reference())),
            _ => Ok(RowOutcome::Deleted(id)),
        }
    }

    /// Resolves relationship columns to ids and checks that every lookup points at a live record.
    fn resolve(&self, values: &mut RowValues) -> Result<(), RowProblem> {
        for lookup in std::mem::take(&mut values.lookups) {
            let id = self.resolve_parent(&lookup)?;
            values.set(lookup.lookup_field, Value::Text(id.as_str().to_owned()));
        }
        for (field, value) in &values.assignments {
            let def = &self.object.fields()[*field];
            let Value::Text(text) = value else { continue };
            if def.ftype != FieldType::Reference {
                continue;
            }
            let target = SfId::parse(text)
                .ok()
                .and_then(|id| self.schema.object_by_prefix(id.key_prefix()))
                .ok_or(RowProblem::Row(RowError::invalid_cross_reference()))?;
            let sql = format!(
                "SELECT \"IsDeleted\" FROM {} WHERE \"Id\" = ?1",
                quote(&target.name)
            );
            let deleted: Option<i64> = self
                .conn
                .prepare_cached(&sql)?
                .query_row([text.as_str()], |r| r.get(0))
                .optional()?;
            match deleted {
                Some(0) => {}
                Some(_) => return Err(RowProblem::Row(RowError::entity_is_deleted())),
                None => return Err(RowProblem::Row(RowError::invalid_cross_reference())),
            }
        }
        Ok(())
    }

    fn resolve_parent(&self, lookup: &ParentLookup) -> Result<SfId, RowProblem> {
        let parent = self.schema.object(&lookup.parent_object).ok_or_else(|| {
            StoreError::Corrupt(format!("unknown parent {}", lookup.parent_object))
        })?;
        let key = Value::Text(lookup.value.clone());
        let matches = self.find_by(&quote(&parent.name), &lookup.parent_field, &key)?;
        match matches.as_slice() {
            [id] => Ok(*id),
            [] => Err(RowProblem::Row(RowError::foreign_key_not_found(
                &lookup.value,
                &lookup.parent_field,
                &parent.name,
            ))),
            ids => {
                let label = parent
                    .field(&lookup.parent_field)
                    .map(|f| f.label.clone())
                    .unwrap_or_default();
                let ids: Vec<String> = ids.iter().map(|i| i.as_str().to_owned()).collect();
                Err(RowProblem::Row(RowError::duplicate_external_id(
                    &label, &ids,
                )))
            }
        }
    }

    /// Live records of `table` whose `field` equals `value` (at most two: enough to tell one from many).
    fn find_by(&self, table: &str, field: &str, value: &Value) -> Result<Vec<SfId>> {
        let sql = format!(
            "SELECT \"Id\" FROM {table} WHERE {} = ?1 AND \"IsDeleted\" = 0 LIMIT 2",
            quote(field)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let ids = stmt
            .query_map([Sql(value)], |r| r.get::<_, String>(0))?
            .map(|id| SfId::parse(&id?).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect::<Result<Vec<_>>>()?;
        Ok(ids)
    }

    /// Why an Id matched no live record: deleted, or never existed.
    fn missing_or_deleted(&self, id: SfId) -> Failure {
        let sql = format!("SELECT \"IsDeleted\" FROM {} WHERE \"Id\" = ?1", self.table);
        let deleted = self.conn.prepare_cached(&sql).and_then(|mut s| {
            s.query_row([id.as_str()], |r| r.get::<_, i64>(0))
                .optional()
        });
        match deleted {
            Ok(Some(d)) if d != 0 => Failure::Row(Some(id), RowError::entity_is_deleted()),
            Ok(_) => Failure::Row(Some(id), RowError::invalid_cross_reference()),
            Err(e) => Failure::store(e),
        }
    }

    /// Turns a unique-index violation into DUPLICATE_VALUE naming the record that holds the value.
    fn unique_violation(
        &self,
        error: rusqlite::Error,
        values: &RowValues,
        id: Option<SfId>,
    ) -> Failure {
        let rusqlite::Error::SqliteFailure(code, Some(message)) = &error else {
            return Failure::store(error);
        };
        if code.code != ErrorCode::ConstraintViolation {
            return Failure::store(error);
        }
        let Some(column) = message.rsplit('.').next() else {
            return Failure::store(error);
        };
        let Some(field) = self.object.field_index(column) else {
            return Failure::store(error);
        };
        let Some(value) = values.get(field) else {
            return Failure::store(error);
        };
        let name = &self.object.fields()[field].name;
        match self.find_by(&self.table, name, value) {
            Ok(ids) => {
                let other = ids
                    .first()
                    .map(|i| i.as_str()[..15].to_owned())
                    .unwrap_or_default();
                Failure::Row(id, RowError::duplicate_value(name, &other))
            }
            Err(e) => Failure::Store(e),
        }
    }
}

/// A row failure with the record id to report, or a storage failure that stops the chunk.
enum Failure {
    Row(Option<SfId>, RowError),
    Store(StoreError),
}

impl Failure {
    fn store(e: impl Into<StoreError>) -> Failure {
        Failure::Store(e.into())
    }
}

/// A problem found while resolving lookups, before the record id is attached.
enum RowProblem {
    Row(RowError),
    Store(StoreError),
}

impl RowProblem {
    fn on(self, id: Option<SfId>) -> Failure {
        match self {
            RowProblem::Row(e) => Failure::Row(id, e),
            RowProblem::Store(e) => Failure::Store(e),
        }
    }
}

impl From<StoreError> for RowProblem {
    fn from(e: StoreError) -> Self {
        RowProblem::Store(e)
    }
}

impl From<rusqlite::Error> for RowProblem {
    fn from(e: rusqlite::Error) -> Self {
        RowProblem::Store(e.into())
    }
}

/// Creates a User record; returns its id.
pub(crate) fn insert_user(
    db: &OrgDb,
    username: &str,
    last_name: &str,
    first_name: &str,
) -> Result<SfId> {
    let conn = db.writer.lock();
    let tx = conn.unchecked_transaction()?;
    let id = SfId::mint(
        KeyPrefix::USER,
        db.shard,
        reserve_sequence(&tx, KeyPrefix::USER, 1)?,
    );
    let profile_prefix = KeyPrefix::parse("00e").expect("valid prefix");
    let profile = SfId::mint(
        profile_prefix,
        db.shard,
        reserve_sequence(&tx, profile_prefix, 1)?,
    );
    let now = format_datetime(&chrono::Utc::now());
    tx.execute(
        "INSERT INTO \"User\" (\"Id\", \"Username\", \"LastName\", \"FirstName\", \"Email\", \"Alias\",
             \"TimeZoneSidKey\", \"LocaleSidKey\", \"EmailEncodingKey\", \"LanguageLocaleKey\", \"ProfileId\",
             \"IsActive\", \"IsDeleted\", \"CreatedDate\", \"CreatedById\", \"LastModifiedDate\",
             \"LastModifiedById\", \"SystemModstamp\")
         VALUES (?1, ?2, ?5, ?6, ?2, ?7, 'GMT', 'en_US', 'UTF-8', 'en_US', ?3, 1, 0,
                 ?4, ?1, ?4, ?1, ?4)",
        rusqlite::params![
            id.as_str(),
            username,
            profile.as_str(),
            now,
            last_name,
            first_name,
            username.chars().take(8).collect::<String>()
        ],
    )?;
    tx.commit()?;
    Ok(id)
}

/// The org's own Organization record, which tools query to learn about the org.
pub(crate) fn insert_organization(db: &OrgDb, org: SfId, name: &str, admin: SfId) -> Result<()> {
    let now = format_datetime(&chrono::Utc::now());
    db.writer.lock().execute(
        "INSERT OR IGNORE INTO \"Organization\" (\"Id\", \"Name\", \"DefaultLocaleSidKey\", \"LanguageLocaleKey\",
             \"TimeZoneSidKey\", \"FiscalYearStartMonth\", \"InstanceName\", \"IsSandbox\", \"OrganizationType\",
             \"CreatedDate\", \"CreatedById\", \"LastModifiedDate\", \"LastModifiedById\", \"SystemModstamp\")
         VALUES (?1, ?2, 'en_US', 'en_US', 'GMT', 1, 'BF1', 0, 'Developer Edition', ?3, ?4, ?3, ?4, ?3)",
        rusqlite::params![org.as_str(), name, now, admin.as_str()],
    )?;
    Ok(())
}

/// One record's columns as text, for checks and tools.
pub(crate) fn get_record(conn: &Connection, table: &str, id: SfId) -> Result<Option<RecordFields>> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table} WHERE \"Id\" = ?1"))?;
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let mut rows = stmt.query([id.as_str()])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.into_iter().enumerate() {
        let text = match row.get_ref(i)? {
            ValueRef::Null => None,
            ValueRef::Integer(n) => Some(n.to_string()),
            ValueRef::Real(r) => Some(r.to_string()),
            ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
        };
        out.push((name, text));
    }
    Ok(Some(out))
}

//! Applying ingest chunks to record tables: the row semantics that need stored data (existence, deletion,
//! uniqueness, upsert matching, lookups) with Salesforce's row errors.
//!
//! This module runs the chunks of a transaction and holds what one chunk's rows share ([`ChunkWriter`]);
//! each kind of row has its own module (insert, update, upsert, delete), as do the lookups a row needs
//! before it is written, how rows fail, and how values are bound.

mod bind;
mod cascade;
mod delete;
mod failure;
mod insert;
mod lookup;
mod rules;
mod single;
mod unit;
mod update;
mod upsert;

pub(crate) use single::{get_record, insert_organization, insert_user};
pub(crate) use unit::SqliteUnit;

use super::OrgDb;
use super::ddl::quote;
use super::jobs::{advance, reserve_sequence};
use crate::auto_fields::InsertFields;
use crate::rows::{self, Failure};
use crate::{Chunk, ChunkCommit, ChunkProgress, ChunkSource, Result, RowOutcome};
use bind::FieldSlots;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{IngestPlan, RowFailure, RowOp, RowValues};
use bulkforce_core::job::Job;
use bulkforce_core::org::polymorphic::QueueOwner;
use bulkforce_core::schema::{SObject, Schema};
use bulkforce_core::value::{Value, format_datetime};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

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
    /// `OwnerId`, set to the writing user (an ingest job's creator) when a row does not set it.
    owner: Option<usize>,
    /// The owner field, where the object's owners may be queues (a group id there must be a queue's).
    queue_owner: Option<QueueOwner>,
    /// Live records matching the chunk's text upsert keys (their Id and rowid), looked up in batches before the
    /// rows are applied.
    upsert_matches: Option<HashMap<String, Vec<(SfId, i64)>>>,
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
    /// Auto-numbers and settable audit fields the chunk's inserts fill.
    insert_fields: InsertFields,
    /// The object's validation rules and default value formulas (`None`: it has neither, decided once).
    rules: Option<crate::rules::ChunkRules>,
}

/// Applies `first` and the chunks `source` hands over in one transaction, then commits it.
pub(crate) fn apply_chunks(
    conn: &mut Connection,
    db: &OrgDb,
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
        let Some((outcomes, spent)) = apply_chunk(&tx, db, schema, job, plan, rows, progress)?
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
/// The chunk's records and its progress are stamped with one time, the org clock's when it starts.
fn apply_chunk(
    tx: &Connection,
    db: &OrgDb,
    schema: &Schema,
    job: &Job,
    plan: &IngestPlan,
    rows: Vec<Result<RowOp, RowFailure>>,
    progress: ChunkProgress,
) -> Result<Option<(Vec<RowOutcome>, Vec<RowValues>)>> {
    let started = Instant::now();
    if !takes_chunk(tx, job.id, progress.chunk)? {
        return Ok(None);
    }
    let now = db.clock.now();
    let (outcomes, spent) = apply_rows(tx, db.shard, now, schema, job.created_by_id, plan, rows)?;
    let failed = outcomes.iter().filter(|o| o.is_failure()).count() as u64;
    let active_ms = progress.active_ms + started.elapsed().as_millis() as u64;
    let progress = ChunkProgress {
        active_ms,
        ..progress
    };
    let processed = outcomes.len() as u64;
    if !advance(
        tx,
        job.id,
        &progress,
        processed,
        failed,
        now.timestamp_millis(),
    )? {
        return Ok(None);
    }
    Ok(Some((outcomes, spent)))
}

/// Applies `rows` of `plan` in order on `conn` (inside its caller's transaction), stamped with `now` and
/// `user`: the one place rows are written, for ingest chunks and REST record units alike. A failed row is
/// not applied and does not stop the others; outcomes in row order, with the applied rows' values.
pub(super) fn apply_rows(
    conn: &Connection,
    shard: u16,
    now: DateTime<Utc>,
    schema: &Schema,
    user: SfId,
    plan: &IngestPlan,
    rows: Vec<Result<RowOp, RowFailure>>,
) -> Result<(Vec<RowOutcome>, Vec<RowValues>)> {
    let mut writer = ChunkWriter::new(conn, shard, now, schema, user, plan, &rows)?;
    writer.prepare_chunk_insert(&rows)?;
    writer.prepare_chunk_update(&rows)?;
    writer.find_upsert_matches(&rows)?;
    writer.prefetch_rules(&rows)?;
    let deletes = writer.prepare_deletes(&rows)?;
    let mut outcomes = Vec::with_capacity(rows.len());
    for row in rows {
        outcomes.push(match row {
            Err(failure) => failure.into(),
            Ok(op) => match deletes.as_ref().and_then(|d| d.refusal(&op)) {
                Some(refused) => refused,
                None => writer.apply(op)?,
            },
        });
    }
    writer.finish_deletes(deletes, &outcomes)?;
    Ok((outcomes, writer.spent))
}

/// Whether the job is still InProgress and `chunk` is the next one it expects (a stopped job, or a
/// chunk another run already committed, takes nothing).
fn takes_chunk(tx: &Connection, job: SfId, chunk: u64) -> Result<bool> {
    let still_running: Option<bool> = tx
        .query_row(
            "SELECT state = 'InProgress' AND chunks_done = ?2 FROM bf_jobs WHERE id = ?1",
            rusqlite::params![job.as_str(), chunk as i64],
            |r| r.get(0),
        )
        .optional()?;
    Ok(still_running == Some(true))
}

impl<'a> ChunkWriter<'a> {
    /// What the chunk of `rows` shares; reserves an id for each of its rows.
    fn new(
        tx: &'a Connection,
        shard: u16,
        now: DateTime<Utc>,
        schema: &'a Schema,
        user: SfId,
        plan: &'a IngestPlan,
        rows: &[Result<RowOp, RowFailure>],
    ) -> Result<ChunkWriter<'a>> {
        let object = plan.object().as_ref();
        let repeated_keys = rows::repeated_upsert_keys(rows);
        Ok(ChunkWriter {
            conn: tx,
            schema,
            object,
            plan,
            table: quote(&object.name),
            shard,
            user: Value::Text(user.as_str().to_owned()),
            now: Value::Text(format_datetime(&now)),
            next_sequence: reserve_sequence(tx, object.key_prefix, rows.len() as u64)?,
            repeated_keys,
            system_fields: rows::system_fields(object),
            audit_fields: rows::audit_fields(object),
            owner: object.field_index("OwnerId"),
            queue_owner: QueueOwner::of(schema, object),
            insert_sql: HashMap::new(),
            update_sql: HashMap::new(),
            insert_columns: Vec::new(),
            chunk_insert: None,
            update_columns: Vec::new(),
            chunk_update: None,
            field_slots: FieldSlots::new(object.fields().len()),
            spent: Vec::with_capacity(rows.len()),
            upsert_matches: None,
            insert_fields: InsertFields::new(object, now, user, rows.len()),
            rules: crate::rules::WriteRules::for_object(schema, plan.object())
                .map(|rules| rules.chunk(now, user)),
        })
    }

    /// Applies one row. Row problems become `Failed` outcomes; only storage failures are errors.
    fn apply(&mut self, op: RowOp) -> Result<RowOutcome> {
        let outcome = match op {
            RowOp::Insert(values) => self.insert(values),
            RowOp::Update { id, values } => self.update(id, None, values),
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
}

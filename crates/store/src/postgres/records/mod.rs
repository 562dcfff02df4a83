//! Records in the org schemas: ingest chunks, REST write units, single-record reads and counts.
//!
//! Rows are applied set by set ([`writer::apply_rows`]): a chunk is cut into segments of independent
//! rows, each checked with a few set-based queries and written through a staging table filled by binary
//! COPY. Several chunks share one transaction as the [`ChunkSource`] decides; each chunk is fenced on the
//! job's lease in that transaction first (`leases::fence_chunk`), so an instance that lost the job
//! commits nothing. Every transaction here takes the org's writer lock before anything else
//! (`org_lock`): one writer per org, as on SQLite.
//!
//! One file per concern: `writer` (what a chunk's rows share, the segment loop), `segment` (which rows
//! are independent), `upsert` (rows to steps, key matching), `lookup`, `failure` (existence and unique
//! checks), `insert`, `update`, `delete`, `stage` (staging tables and COPY), `bind`, `unit` (REST units).

mod bind;
mod cascade;
mod delete;
mod failure;
mod insert;
mod lookup;
pub(in crate::postgres) mod recycle_bin;
mod rules;
mod segment;
mod stage;
mod unit;
mod update;
mod upsert;
mod writer;

use super::PgStore;
use super::ddl::table_name;
use super::leases::{extend_lease, fence_chunk, record_progress};
use super::org_lock::lock_org_writes;
use crate::{
    Chunk, ChunkCommit, ChunkProgress, ChunkSource, RecordFields, RecordUnit, Result, RowOutcome,
    UnitEnd,
};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{IngestPlan, RowFailure, RowOp, RowValues};
use bulkforce_core::job::Job;
use postgres::{GenericClient, Transaction};
use std::time::Instant;
use writer::{Stamp, apply_rows};

impl PgStore {
    pub(super) fn pg_apply_chunks(
        &self,
        org: SfId,
        job: &Job,
        plan: &IngestPlan,
        first: Chunk,
        source: &mut dyn ChunkSource,
    ) -> Result<ChunkCommit> {
        let shard = self.org(org)?;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        lock_org_writes(&mut tx, org)?;
        let mut chunk = Some(first);
        let mut ending = ChunkCommit::Committed;
        let mut applied = 0;
        while let Some(Chunk { rows, progress }) = chunk {
            let Some((outcomes, spent)) =
                self.apply_chunk(&mut tx, org, shard, job, plan, rows, progress)?
            else {
                ending = ChunkCommit::JobStopped;
                break;
            };
            applied += 1;
            source.chunk_applied(progress.chunk, outcomes, spent)?;
            chunk = source.next_chunk();
        }
        if applied == 0 {
            // Nothing of a stopped job's run may commit (the fence's row lock ends with the rollback).
            tx.rollback()?;
            self.release_revoked_claim(org, job.id)?;
            return Ok(ending);
        }
        source.before_commit()?;
        extend_lease(&mut tx, &self.leases, org, job.id)?;
        tx.commit()?;
        Ok(ending)
    }

    /// Applies one chunk's rows and records its progress in `tx`, after the fence; `None` (with nothing
    /// of the chunk written) when this instance no longer holds the job, or the job expects another
    /// chunk. The chunk's records and progress are stamped with one time, the store clock's at its start.
    #[allow(clippy::too_many_arguments)]
    fn apply_chunk(
        &self,
        tx: &mut Transaction<'_>,
        org: SfId,
        shard: u16,
        job: &Job,
        plan: &IngestPlan,
        rows: Vec<Result<RowOp, RowFailure>>,
        progress: ChunkProgress,
    ) -> Result<Option<(Vec<RowOutcome>, Vec<RowValues>)>> {
        let started = Instant::now();
        if !fence_chunk(tx, &self.leases, org, job.id, progress.chunk)? {
            return Ok(None);
        }
        let now = self.clock.now();
        let stamp = Stamp {
            org,
            shard,
            now,
            user: job.created_by_id,
        };
        let (outcomes, spent) = apply_rows(tx, &self.schema, plan, stamp, rows)?;
        let failed = outcomes.iter().filter(|o| o.is_failure()).count() as u64;
        let progress = ChunkProgress {
            active_ms: progress.active_ms + started.elapsed().as_millis() as u64,
            ..progress
        };
        let processed = outcomes.len() as u64;
        if !record_progress(
            tx,
            org,
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

    pub(super) fn pg_count_records(
        &self,
        org: SfId,
        object: &str,
        include_deleted: bool,
    ) -> Result<u64> {
        self.org(org)?;
        let table = table_name(&self.schema, org, object)?;
        let filter = if include_deleted {
            ""
        } else {
            " WHERE \"IsDeleted\" = 0"
        };
        let count: i64 = self
            .conn()?
            .query_one(&format!("SELECT count(*) FROM {table}{filter}"), &[])?
            .get(0);
        Ok(count as u64)
    }

    pub(super) fn pg_get_record(
        &self,
        org: SfId,
        object: &str,
        id: SfId,
    ) -> Result<Option<RecordFields>> {
        self.org(org)?;
        let table = table_name(&self.schema, org, object)?;
        get_record(&mut *self.conn()?, &table, id)
    }

    pub(super) fn pg_write_unit(
        &self,
        org: SfId,
        user: SfId,
        work: &mut dyn FnMut(&mut dyn RecordUnit) -> Result<UnitEnd>,
    ) -> Result<()> {
        let shard = self.org(org)?;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        lock_org_writes(&mut tx, org)?;
        let mut unit = unit::PgUnit::new(tx, &self.schema, &self.clock, org, shard, user);
        let end = work(&mut unit)?;
        unit.end(end)
    }
}

/// One record's columns as text (numbers as the SQLite backend renders them), for checks and tools.
pub(crate) fn get_record(
    client: &mut impl GenericClient,
    table: &str,
    id: SfId,
) -> Result<Option<RecordFields>> {
    let sql = format!("SELECT * FROM {table} WHERE \"Id\" = $1");
    let Some(row) = client.query_opt(&sql, &[&id.as_str()])? else {
        return Ok(None);
    };
    let mut fields = Vec::with_capacity(row.len());
    for (k, column) in row.columns().iter().enumerate() {
        let text = match *column.type_() {
            postgres::types::Type::INT8 => row.get::<_, Option<i64>>(k).map(|n| n.to_string()),
            postgres::types::Type::FLOAT8 => row.get::<_, Option<f64>>(k).map(|r| r.to_string()),
            _ => row.get::<_, Option<String>>(k),
        };
        fields.push((column.name().to_owned(), text));
    }
    Ok(Some(fields))
}

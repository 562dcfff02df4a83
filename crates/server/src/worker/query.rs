//! The query pipeline of one job: run the bound SOQL as a row stream into one all-quoted CSV file in the
//! job's dialect, with a row index beside it so that any results page is a seek. Both files appear
//! atomically when the job completes.

use super::outcome::{Ended, Stop, finish};
use crate::soql::Mode;
use crate::soql::compile_query;
use crate::state::AppState;
use bulkforce_core::csv::{Dialect, header_row, write_quoted_cell};
use bulkforce_core::id::SfId;
use bulkforce_core::job::{Job, JobState, Operation};
use bulkforce_core::schema::Field;
use bulkforce_core::value::{Value, format_value};
use bulkforce_soql::bound::SelectItem;
use bulkforce_store::blob::keys;
use bulkforce_store::{ClaimedJob, QueryOptions, StoreError};
use std::io::Write;

/// Rendered rows collect here and go to the result file in pieces of about this size: one call through the
/// blob writer per piece instead of per row.
const FLUSH_BYTES: usize = 256 * 1024;
/// Index entries (8 bytes each) collected before they are written.
const INDEX_FLUSH_BYTES: usize = 64 * 1024;

/// Runs a claimed query job to its end (or until it pauses: it then runs again from the start, since its
/// files appear only at the end).
pub(super) fn process(state: &AppState, claimed: ClaimedJob) -> Ended {
    let ClaimedJob {
        org_id: org, job, ..
    } = claimed;
    finish(state, org, &job, run(state, org, &job).map(Some))
}

/// Writes the job's result and index; the number of rows written.
fn run(state: &AppState, org: SfId, job: &Job) -> Result<u64, Stop> {
    let text = job.query.as_deref().unwrap_or_default();
    let query = compile_query(
        state.store.schema(),
        text,
        job.created_date,
        Mode::BulkQuery,
    )
    .map_err(|e| Stop::Failed(format!("InvalidBatch : {}", e.message)))?;
    let fields: Vec<_> = query
        .select
        .iter()
        .map(|item| match item {
            SelectItem::Field(path) => Some(path.field.clone()),
            _ => None,
        })
        .collect();
    let dialect = job.dialect;
    let mut results = state.blobs.create(&keys::query_results(org, job.id))?;
    let mut index = state.blobs.create(&keys::query_index(org, job.id))?;
    let header = header_row(&query.headers(), dialect);
    results.write_all(&header).map_err(StoreError::from)?;
    let mut offset = header.len() as u64;
    let mut rendered = Vec::with_capacity(FLUSH_BYTES + 64 * 1024);
    let mut offsets = Vec::with_capacity(INDEX_FLUSH_BYTES);
    let mut rows = 0u64;
    let mut stopped = None;
    let check_every = state.config.chunk_rows.max(1) as u64;
    let options = QueryOptions {
        include_deleted: job.operation == Operation::QueryAll,
        ..QueryOptions::default()
    };
    state.store.run_query(org, &query, options, &mut |values| {
        let start = rendered.len();
        write_row(&mut rendered, dialect, values, &fields);
        offsets.extend_from_slice(&offset.to_le_bytes());
        offset += (rendered.len() - start) as u64;
        rows += 1;
        if rendered.len() >= FLUSH_BYTES {
            results.write_all(&rendered)?;
            rendered.clear();
        }
        if offsets.len() >= INDEX_FLUSH_BYTES {
            index.write_all(&offsets)?;
            offsets.clear();
        }
        // Every chunk's worth of rows, see whether the job was aborted or held (and pause if asked to). A
        // held query is given up and runs again from the start once released: its files appear only at
        // the end, so nothing of this run remains.
        if rows.is_multiple_of(check_every) {
            if state.config.chunk_delay_ms > 0 {
                std::thread::sleep(std::time::Duration::from_millis(
                    state.config.chunk_delay_ms,
                ));
            }
            if state.shutdown.is_stopping() {
                stopped = Some(Stop::ShuttingDown);
                return Ok(false);
            }
            let current = state.store.job_summary(org, job.id)?;
            if current
                .as_ref()
                .is_none_or(|j| j.job.state != JobState::InProgress)
            {
                stopped = Some(Stop::Aborted);
                return Ok(false);
            }
            if current.is_some_and(|j| j.held) && state.store.give_up_held_job(org, job.id)? {
                stopped = Some(Stop::Held);
                return Ok(false);
            }
        }
        Ok(true)
    })?;
    if let Some(stop) = stopped {
        return Err(stop);
    }
    results.write_all(&rendered).map_err(StoreError::from)?;
    index.write_all(&offsets).map_err(StoreError::from)?;
    // The files are committed before the job's (fenced) end is recorded: a worker that lost the job
    // meanwhile (its lease taken over, a restore) must not replace files another run may have finished.
    // Asked just before the commit; see `still_holds` for what remains.
    if !still_holds(state, org, job.id)? {
        return Err(Stop::Aborted);
    }
    results.commit()?;
    index.commit()?;
    Ok(rows)
}

/// Whether this process still holds its claim of the query job (the fence of its end, asked ahead). The
/// window between this answer and the two commits stays: a lease lost in those milliseconds (its
/// renewals having failed for a whole lease) lets a stale run replace the files once; its end is then
/// refused by the fenced `finish_job`. Not holding it, the worker lets go of what is left of its claim.
fn still_holds(state: &AppState, org: SfId, id: SfId) -> Result<bool, Stop> {
    let held = state.store.holds_claim(org, id)?;
    if !held {
        tracing::info!(job = %id, "the query job is no longer this worker's: its results are not written");
        // What is left of the claim goes (a restore's stale mark on SQLite, the lease's renewal here).
        state.store.release_claim(org, id)?;
    }
    Ok(held)
}

/// Appends one row, every cell quoted: a text value straight from the store's buffer, other values (numbers,
/// booleans) as Salesforce renders them; a column that is not a plain field (an aggregate) stays empty.
fn write_row(out: &mut Vec<u8>, dialect: Dialect, values: &[Value], fields: &[Option<Field>]) {
    for (i, (value, field)) in values.iter().zip(fields).enumerate() {
        if i > 0 {
            out.push(dialect.delimiter.byte());
        }
        match (field, value) {
            (Some(_), Value::Text(text)) => write_quoted_cell(out, text.as_bytes()),
            (Some(field), value) => write_quoted_cell(out, format_value(field, value).as_bytes()),
            (None, _) => write_quoted_cell(out, b""),
        }
    }
    out.extend_from_slice(dialect.line_ending.bytes());
}

//! The query pipeline of one job: run the bound SOQL as a row stream into one all-quoted CSV file in the
//! job's dialect, with a row index beside it so that any results page is a seek. Both files appear
//! atomically when the job completes.

use super::outcome::{Stop, finish};
use crate::soql::Mode;
use crate::soql::compile_query;
use crate::state::AppState;
use bulkforce_core::csv::{header_row, write_quoted_row};
use bulkforce_core::id::SfId;
use bulkforce_core::job::{Job, JobState, Operation};
use bulkforce_core::value::format_value;
use bulkforce_soql::bound::SelectItem;
use bulkforce_store::blob::keys;
use bulkforce_store::{ClaimedJob, QueryOptions, StoreError};
use std::io::Write;

/// Runs a claimed query job to its end.
pub(super) fn process(state: &AppState, claimed: ClaimedJob) {
    let ClaimedJob {
        org_id: org, job, ..
    } = claimed;
    finish(state, org, &job, run(state, org, &job).map(Some));
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
    let mut row = Vec::with_capacity(1024);
    let mut cells: Vec<String> = Vec::with_capacity(fields.len());
    let mut rows = 0u64;
    let mut aborted = false;
    let check_every = state.config.chunk_rows.max(1) as u64;
    let options = QueryOptions {
        include_deleted: job.operation == Operation::QueryAll,
        ..QueryOptions::default()
    };
    state.store.run_query(org, &query, options, &mut |values| {
        cells.clear();
        for (value, field) in values.iter().zip(&fields) {
            cells.push(match field {
                Some(field) => format_value(field, value),
                None => String::new(),
            });
        }
        row.clear();
        write_quoted_row(
            &mut row,
            dialect,
            cells.iter().map(std::string::String::as_bytes),
        );
        index.write_all(&offset.to_le_bytes())?;
        results.write_all(&row)?;
        offset += row.len() as u64;
        rows += 1;
        // Every chunk's worth of rows, see whether the job was aborted (and pause if asked to).
        if rows.is_multiple_of(check_every) {
            if state.config.chunk_delay_ms > 0 {
                std::thread::sleep(std::time::Duration::from_millis(
                    state.config.chunk_delay_ms,
                ));
            }
            let current = state.store.get_job(org, job.id)?;
            if current.is_none_or(|j| j.state != JobState::InProgress) {
                aborted = true;
                return Ok(false);
            }
        }
        Ok(true)
    })?;
    if aborted {
        return Err(Stop::Aborted);
    }
    results.commit()?;
    index.commit()?;
    Ok(rows)
}

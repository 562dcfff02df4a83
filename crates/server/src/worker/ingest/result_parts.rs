//! The result-writer side of the ingest pipeline: each applied chunk's successful and failed rows, formatted
//! and written (atomically, synced) as result parts, while the next chunk is applied. Every chunk writes
//! both parts, an empty one for a kind it has no rows of, so that a chunk number's parts are always the
//! committed chunk's.

use super::chunk::Echoes;
use crate::state::AppState;
use bulkforce_core::csv::write_quoted_cell;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::RowValues;
use bulkforce_core::job::Job;
use bulkforce_store::blob::keys::{self, ResultKind};
use bulkforce_store::{RowOutcome, StoreError};
use std::io::Write;

/// What the result parts of one chunk are made of.
pub(super) struct ResultParts {
    pub(super) chunk: u64,
    pub(super) echoes: Echoes,
    pub(super) outcomes: Vec<RowOutcome>,
    /// The applied rows' values, dropped on the result thread rather than the writer's.
    pub(super) spent: Vec<RowValues>,
}

/// Writes the chunk's successful and failed rows, each cell quoted, echoing the uploaded columns.
pub(super) fn write_result_parts(
    state: &AppState,
    org: SfId,
    job: &Job,
    chunk: u64,
    echoes: &Echoes,
    outcomes: &[RowOutcome],
) -> Result<(), StoreError> {
    let dialect = job.dialect;
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    let mut error_text = String::new();
    for (i, outcome) in outcomes.iter().enumerate() {
        let (out, id, second): (&mut Vec<u8>, Option<SfId>, &[u8]) = match outcome {
            RowOutcome::Created(id) => (&mut successful, Some(*id), b"true"),
            RowOutcome::Updated(id) | RowOutcome::Deleted(id) => {
                (&mut successful, Some(*id), b"false")
            }
            RowOutcome::Failed { id, error } => {
                use std::fmt::Write as _;
                error_text.clear();
                let _ = write!(error_text, "{error}");
                (&mut failed, *id, error_text.as_bytes())
            }
        };
        write_quoted_cell(
            out,
            id.as_ref()
                .map(|i| i.as_str().as_bytes())
                .unwrap_or_default(),
        );
        out.push(dialect.delimiter.byte());
        write_quoted_cell(out, second);
        let echo = echoes.row(i);
        if !echo.is_empty() {
            out.push(dialect.delimiter.byte());
            out.extend_from_slice(echo);
        }
        out.extend_from_slice(dialect.line_ending.bytes());
    }
    // Both parts, even one without rows (an empty blob): a chunk of the same number that wrote its parts
    // and never committed (the process killed, the commit refused) may have left either kind, with rows
    // that this run puts in other chunks. Replacing both is what keeps the results to committed chunks.
    for (kind, bytes) in [
        (ResultKind::Successful, successful),
        (ResultKind::Failed, failed),
    ] {
        let mut blob = state
            .blobs
            .create(&keys::result_part(org, job.id, kind, chunk))?;
        blob.write_all(&bytes)?;
        blob.commit()?;
    }
    Ok(())
}

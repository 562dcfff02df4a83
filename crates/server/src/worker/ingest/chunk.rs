//! The read side of the ingest pipeline: records parsed into chunks of row operations, with each row's
//! echoed cells already formatted for the result files.

use super::fault::row_fault;
use super::upload::csv_error;
use crate::faults::{Faults, UncommittedHits};
use crate::worker::outcome::Stop;
use bulkforce_core::csv::{Dialect, Record, RecordReader, write_quoted_cell};
use bulkforce_core::error::RowError;
use bulkforce_core::ingest::{IngestPlan, RowFailure, RowOp};
use std::io::BufRead;
use std::sync::Arc;
use std::time::Instant;

/// One chunk, ready for the database: its operations, each row's echoed cells, and where the next begins.
pub(super) struct PreparedChunk {
    pub(super) rows: Vec<Result<RowOp, RowFailure>>,
    pub(super) echoes: Echoes,
    pub(super) next_offset: u64,
    pub(super) next_line: u64,
    pub(super) active_ms: u64,
    /// The row rules' hits on its rows: given back unless the chunk is committed.
    pub(super) fault_hits: UncommittedHits,
}

/// The uploaded cells of each row as result files echo them: quoted, joined by the delimiter.
pub(super) struct Echoes {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Echoes {
    pub(super) fn row(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

/// Reads up to `chunk_rows` records; `None` at the end of the upload. `columns` are the header's names;
/// rows that pass their own checks may still hit a row rule of `faults`.
pub(super) fn prepare_chunk<R: BufRead>(
    reader: &mut RecordReader<R>,
    plan: &IngestPlan,
    columns: &[String],
    dialect: Dialect,
    chunk_rows: usize,
    faults: &Arc<Faults>,
) -> Result<Option<PreparedChunk>, Stop> {
    let started = Instant::now();
    let mut record = Record::default();
    let mut rows = Vec::with_capacity(chunk_rows);
    let mut echoes = Echoes {
        bytes: Vec::new(),
        ends: Vec::with_capacity(chunk_rows),
    };
    let mut next_line = 0;
    let mut fault_hits = UncommittedHits::new(faults);
    while rows.len() < chunk_rows && reader.read(&mut record).map_err(csv_error)? {
        if record.is_blank() {
            continue;
        }
        rows.push(match invalid_utf8(&record, columns) {
            Some(failure) => Err(failure),
            None => plan
                .build_row(&record)
                .and_then(|built| row_fault(&mut fault_hits, plan, columns, &record, built)),
        });
        // As wide as the header, whatever the row: result files have one column per header column
        // ("results only include columns that are a match"), so cells past the header are not echoed and
        // missing ones are empty; a strict CSV reader then accepts every line of the file.
        for i in 0..plan.column_count() {
            if i > 0 {
                echoes.bytes.push(dialect.delimiter.byte());
            }
            write_quoted_cell(
                &mut echoes.bytes,
                &plan.echo(i, record.get(i).unwrap_or_default()),
            );
        }
        echoes.ends.push(echoes.bytes.len());
        next_line = record.line() + 1 + count_newlines(&record);
    }
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(PreparedChunk {
        rows,
        echoes,
        next_offset: reader.offset(),
        next_line,
        active_ms: started.elapsed().as_millis() as u64,
        fault_hits,
    }))
}

/// Line feeds inside a record's quoted values, so line numbers stay physical.
pub(super) fn count_newlines(record: &Record) -> u64 {
    record
        .iter()
        .map(|c| c.iter().filter(|&&b| b == b'\n').count() as u64)
        .sum()
}

/// A row with a cell that is not valid UTF-8 fails whole, with `INVALID_FIELD` naming those fields, in the
/// shape of Salesforce's error for a value it cannot deserialize.
///
/// Bulk API 2.0 requires UTF-8. Salesforce itself appears to store U+FFFD for such bytes and report the row
/// successful; reporting success for a value stored differently from what was sent is what we refuse to
/// do. Failing the row (rather than the whole job) keeps the rest of Salesforce's outcome: the job completes,
/// the valid rows are saved, and the failed results echo each offending row byte for byte, so the few
/// Latin-1 rows of a mostly ASCII file can be found and re-sent. A row of the wrong width is left to the
/// column count check.
fn invalid_utf8(record: &Record, columns: &[String]) -> Option<RowFailure> {
    if record.len() != columns.len() {
        return None;
    }
    let bad: Vec<usize> = (0..record.len())
        .filter(|&col| std::str::from_utf8(record.get(col).unwrap_or_default()).is_err())
        .collect();
    let first = *bad.first()?;
    let message = format!(
        "Failed to deserialize field at col {first}. Due to, the value is not valid UTF-8 (Bulk API 2.0 data \
         must be UTF-8 encoded)"
    );
    let fields = bad.iter().map(|&col| columns[col].clone()).collect();
    Some(RowError::new("INVALID_FIELD", message, fields).into())
}

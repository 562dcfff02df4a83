//! The ingest pipeline of one job: check the header, then apply the upload chunk by chunk while another
//! thread checks the whole upload's structure (line endings, CSV); nothing commits before that check has
//! passed, so a job that fails for its file has nothing written. Each chunk commits with its progress and
//! after its result parts, so a restart resumes after the last committed chunk with nothing applied or
//! reported twice.
//!
//! This module reads and checks the header and plans the rows; [`pipeline`] runs the threads: the reader
//! ([`chunk`]), the structure check, the result writer ([`result_parts`]) and the apply loop ([`feed`]).

mod chunk;
mod fault;
mod feed;
mod pipeline;
mod result_parts;
mod upload;

use super::outcome::{Ended, Stop, finish};
use crate::state::AppState;
use bulkforce_core::csv::{Record, RecordReader, Terminator};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::IngestPlan;
use bulkforce_core::job::Job;
use bulkforce_store::blob::keys;
use bulkforce_store::{Checkpoint, ClaimedJob};
use pipeline::{Pipeline, ReadFrom};
use std::io::BufReader;
use std::time::Instant;
use upload::{
    READ_BUFFER, UploadReader, csv_error, line_ending_error, open_upload, terminator_fits,
};

/// Salesforce's limit on the header row.
const MAX_HEADER_CHARS: usize = 32_000;

/// Processes a claimed job to its end (or until it is aborted or deleted, or pauses).
pub(super) fn process(state: &AppState, claimed: ClaimedJob) -> Ended {
    let ClaimedJob {
        org_id: org,
        job,
        checkpoint,
    } = claimed;
    // The counters were committed with each chunk: nothing to add at the end.
    finish(
        state,
        org,
        &job,
        run(state, org, &job, checkpoint).map(|()| None),
    )
}

/// Runs the job: the header and plan, then the pipeline from the start of the data or from the checkpoint.
/// A job without rows to read (closed without an upload, or with an empty one) completes with nothing
/// processed, as Salesforce completes the empty uploads of clients such as jsforce (its integration tests
/// load an empty record list on a real org and get JobComplete with empty results).
fn run(state: &AppState, org: SfId, job: &Job, checkpoint: Checkpoint) -> Result<(), Stop> {
    if job.upload_bytes.is_none() {
        return Ok(());
    }
    let key = keys::upload(org, job.id);
    let Some(mut header) = read_header(state, org, job, &key)? else {
        return Ok(());
    };
    // The org's record types of the object, read once for the whole job.
    let record_types =
        crate::record_types::from_store(state.store.as_ref(), org, header.plan.object())?;
    header.plan = header.plan.with_record_types(record_types);
    let started = Instant::now();
    // On a fresh start the structure check reads on from the header; after a restart it already passed
    // (before the first commit of the previous run).
    let (from, check) = if checkpoint.next_offset == 0 {
        let (offset, line) = (header.data_start, header.data_line);
        ((offset, line), Some(header.reader))
    } else {
        ((checkpoint.next_offset, checkpoint.next_line), None)
    };
    let upload = ReadFrom {
        upload: open_upload(state, &key, from.0)?,
        offset: from.0,
        line: from.1,
    };
    let job_fault = fault::FailAfter::of(&state.faults, org, job);
    let pipeline = Pipeline {
        state,
        org,
        job,
        plan: &header.plan,
        columns: &header.columns,
        started,
        job_fault: job_fault.as_ref(),
    };
    pipeline.run(upload, check, checkpoint.chunks_done)
}

/// The upload's header, checked, and what comes after it.
struct Header {
    /// The upload, read up to the end of the header: what the structure check reads on from.
    reader: UploadReader,
    plan: IngestPlan,
    /// The column names as uploaded.
    columns: Vec<String>,
    /// Where the data rows start: byte offset and line number.
    data_start: u64,
    data_line: u64,
}

/// Reads the header and plans the rows from it; `None` for an upload without any (0 bytes, or only a BOM).
/// A wrong line ending, an overlong header or an unknown column fails the job before any row
/// is read.
fn read_header(state: &AppState, org: SfId, job: &Job, key: &str) -> Result<Option<Header>, Stop> {
    // The org's view: its settings decide which fields a row may set (audit fields).
    let schema = state.store.org_schema(org)?;
    let object = schema.object(&job.object).cloned().ok_or_else(|| {
        Stop::Failed(format!(
            "InvalidJob : Unable to find object: {}",
            job.object
        ))
    })?;
    let dialect = job.dialect;
    let mut reader = RecordReader::new(
        BufReader::with_capacity(READ_BUFFER, open_upload(state, key, 0)?),
        dialect.delimiter.byte(),
        0,
    );
    reader.skip_bom().map_err(csv_error)?;
    let mut record = Record::default();
    if !reader.read(&mut record).map_err(csv_error)?
        || (record.is_blank() && record.terminator() == Terminator::Eof)
    {
        return Ok(None);
    }
    if !terminator_fits(record.terminator(), dialect.line_ending) {
        return Err(line_ending_error(dialect.line_ending));
    }
    let names: Vec<String> = record
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let header_chars: usize = names.iter().map(|h| h.chars().count() + 1).sum();
    if header_chars > MAX_HEADER_CHARS {
        return Err(Stop::Failed(format!(
            "InvalidBatch : The header row has more than {MAX_HEADER_CHARS} characters"
        )));
    }
    let plan = IngestPlan::new(
        &schema,
        object,
        job.operation,
        job.external_id_field_name.as_deref(),
        &names,
    )
    .map_err(Stop::Failed)?;
    let data_start = reader.offset();
    let data_line = record.line() + 1 + chunk::count_newlines(&record);
    Ok(Some(Header {
        reader,
        plan,
        columns: names,
        data_start,
        data_line,
    }))
}

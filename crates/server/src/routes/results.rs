//! Ingest result files, streamed: the header, then each committed chunk's part in order.

use crate::endpoint::ResultFile;
use crate::state::AppState;
use crate::wire;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::csv::{Record, RecordReader, write_quoted_cell};
use bulkforce_core::id::SfId;
use bulkforce_core::job::{Job, JobKind, JobState};
use bulkforce_store::blob::BlobStore;
use bulkforce_store::blob::keys::{self, ResultKind};
use bulkforce_store::{Principal, StoreError};
use std::io::{self, BufReader, Write};

/// `GET /jobs/ingest/{id}/{successfulResults|failedResults|unprocessedrecords}`.
pub async fn ingest(
    state: &AppState,
    principal: &Principal,
    id: SfId,
    file: ResultFile,
    gzip: bool,
) -> Result<Response, ApiError> {
    let org = principal.org_id;
    let (job, checkpoint) = state
        .with_store(move |store| Ok((store.get_job(org, id)?, store.checkpoint(org, id)?)))
        .await?;
    let job = job
        .filter(|j| j.kind() == JobKind::Ingest)
        .ok_or_else(ApiError::not_found)?;
    let checkpoint = checkpoint.unwrap_or_default();
    if !job.state.is_terminal() {
        return Err(ApiError::invalid_job_state(format!(
            "Results are available once the job is JobComplete, Failed or Aborted; this job is {}",
            job.state
        )));
    }
    let blobs = state.blobs.clone();
    Ok(wire::stream_csv(gzip, "result", move |out| {
        write_file(out, &*blobs, org, &job, checkpoint, file)
    }))
}

fn write_file(
    out: &mut dyn Write,
    blobs: &dyn BlobStore,
    org: SfId,
    job: &Job,
    checkpoint: bulkforce_store::Checkpoint,
    file: ResultFile,
) -> Result<(), StoreError> {
    let dialect = job.dialect;
    let upload_key = keys::upload(org, job.id);
    let header = raw_header(blobs, &upload_key, dialect.delimiter.byte())?;
    let kind = match file {
        ResultFile::Successful => ResultKind::Successful,
        ResultFile::Failed => ResultKind::Failed,
        ResultFile::Unprocessed => {
            return write_unprocessed(out, blobs, &upload_key, job, checkpoint, header);
        }
    };
    let mut line = Vec::new();
    write_quoted_cell(&mut line, b"sf__Id");
    line.push(dialect.delimiter.byte());
    write_quoted_cell(
        &mut line,
        if kind == ResultKind::Successful {
            b"sf__Created"
        } else {
            b"sf__Error"
        },
    );
    if let Some((header, _)) = &header {
        line.push(dialect.delimiter.byte());
        if job.state == JobState::Failed && checkpoint.next_offset == 0 {
            // A job rejected before processing (its header, say) echoes the columns quoted, as Salesforce.
            let mut reader = RecordReader::new(&header[..], dialect.delimiter.byte(), 0);
            let mut cells = Record::default();
            if reader.read(&mut cells).unwrap_or(false) {
                for (i, cell) in cells.iter().enumerate() {
                    if i > 0 {
                        line.push(dialect.delimiter.byte());
                    }
                    write_quoted_cell(&mut line, cell);
                }
            }
        } else {
            line.extend_from_slice(header);
        }
    }
    line.extend_from_slice(dialect.line_ending.bytes());
    out.write_all(&line)?;
    for chunk in 0..checkpoint.chunks_done {
        if let Some(mut part) = blobs.open(&keys::result_part(org, job.id, kind, chunk), 0)? {
            io::copy(&mut part, out)?;
        }
    }
    Ok(())
}

/// The header and every row no chunk committed: none for a completed job, the rest of the upload otherwise.
fn write_unprocessed(
    out: &mut dyn Write,
    blobs: &dyn BlobStore,
    upload_key: &str,
    job: &Job,
    checkpoint: bulkforce_store::Checkpoint,
    header: Option<(Vec<u8>, u64)>,
) -> Result<(), StoreError> {
    let Some((header, data_start)) = header else {
        return Ok(());
    };
    out.write_all(&header)?;
    out.write_all(job.dialect.line_ending.bytes())?;
    if job.state == JobState::JobComplete {
        return Ok(());
    }
    let from = if checkpoint.next_offset > 0 {
        checkpoint.next_offset
    } else {
        data_start
    };
    if let Some(mut rest) = blobs.open(upload_key, from)? {
        io::copy(&mut rest, out)?;
    }
    Ok(())
}

/// The upload's header line, without its terminator, and the offset where the data rows start.
fn raw_header(
    blobs: &dyn BlobStore,
    key: &str,
    delimiter: u8,
) -> Result<Option<(Vec<u8>, u64)>, StoreError> {
    let Some(reader) = blobs.open(key, 0)? else {
        return Ok(None);
    };
    let mut records = RecordReader::new(BufReader::new(reader), delimiter, 0);
    let bom = records
        .skip_bom()
        .map_err(|e| StoreError::Io(io::Error::other(e.to_string())))?;
    let mut header = Record::default();
    let found = records.read(&mut header);
    if !matches!(found, Ok(true)) {
        return Ok(None);
    }
    let start = if bom { 3 } else { 0 };
    let mut bytes = vec![0u8; (header.raw_end() - start) as usize];
    let mut reader = blobs
        .open(key, start)?
        .ok_or_else(|| StoreError::Corrupt("upload vanished".into()))?;
    io::Read::read_exact(&mut reader, &mut bytes)?;
    Ok(Some((bytes, header.end())))
}

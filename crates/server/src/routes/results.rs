//! Ingest result files, streamed: the header, then each committed chunk's part in order.

use crate::endpoint::ResultFile;
use crate::http::{self, blocking};
use crate::state::AppState;
use crate::worker::{ChannelWriter, raw_header};
use axum::body::Body;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::csv::{Record, RecordReader, write_quoted_cell};
use bulkforce_core::id::SfId;
use bulkforce_core::job::{Job, JobKind, JobState};
use bulkforce_store::blob::keys::{self, ResultKind};
use bulkforce_store::{Principal, StoreError};
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::{self, Write};

/// `GET /jobs/ingest/{id}/{successfulResults|failedResults|unprocessedrecords}`.
pub async fn ingest(
    state: &AppState,
    principal: &Principal,
    id: SfId,
    file: ResultFile,
    gzip: bool,
) -> Result<Response, ApiError> {
    let (store, org) = (state.store.clone(), principal.org_id);
    let (job, checkpoint) =
        blocking(move || Ok((store.get_job(org, id)?, store.checkpoint(org, id)?))).await?;
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
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let blobs = state.blobs.clone();
    tokio::task::spawn_blocking(move || {
        let sink = ChannelWriter::new(tx);
        let written = if gzip {
            let mut encoder = GzEncoder::new(sink, Compression::fast());
            write_file(&mut encoder, &*blobs, org, &job, checkpoint, file)
                .and_then(|_| encoder.finish().map_err(StoreError::from))
                .and_then(|mut sink| sink.flush().map_err(StoreError::from))
        } else {
            let mut sink = sink;
            write_file(&mut sink, &*blobs, org, &job, checkpoint, file)
                .and_then(|_| sink.flush().map_err(StoreError::from))
        };
        if let Err(e) = written {
            tracing::warn!(error = %e, "result download stopped");
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    Ok(http::csv(Body::from_stream(stream), gzip))
}

fn write_file(
    out: &mut dyn Write,
    blobs: &dyn bulkforce_store::blob::BlobStore,
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
    blobs: &dyn bulkforce_store::blob::BlobStore,
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

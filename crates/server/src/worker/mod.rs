//! Background processing: workers claim ready jobs from the store and run them on blocking threads.

mod ingest;
mod query;

use crate::state::AppState;
use axum::body::Bytes;
use bulkforce_core::csv::{Record, RecordReader};
use bulkforce_core::job::JobKind;
use bulkforce_store::StoreError;
use bulkforce_store::blob::BlobStore;
use std::io::{self, BufReader, Write};
use std::time::Duration;

/// How often idle workers look for work they were not woken for (jobs of other `serve` instances).
const IDLE_POLL: Duration = Duration::from_millis(500);

/// Starts the configured number of workers (each runs ingest and query jobs).
pub fn spawn(state: &AppState) {
    for n in 0..state.config.workers.max(1) {
        let state = state.clone();
        tokio::spawn(async move { run(state, n).await });
    }
}

async fn run(state: AppState, n: usize) {
    loop {
        let notified = state.wake.notified();
        let store = state.store.clone();
        match tokio::task::spawn_blocking(move || store.claim_job()).await {
            Ok(Ok(Some(claimed))) => {
                let state = state.clone();
                let id = claimed.job.id;
                let kind = claimed.job.kind();
                tracing::info!(worker = n, job = %id, ?kind, "processing job");
                let work = tokio::task::spawn_blocking(move || match kind {
                    JobKind::Ingest => ingest::process(&state, claimed),
                    JobKind::Query => query::process(&state, claimed),
                });
                if let Err(e) = work.await {
                    tracing::error!(worker = n, job = %id, error = %e, "worker panicked");
                }
                continue;
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::error!(worker = n, error = %e, "claiming a job failed"),
            Err(e) => tracing::error!(worker = n, error = %e, "claiming a job panicked"),
        }
        let _ = tokio::time::timeout(IDLE_POLL, notified).await;
    }
}

/// The upload's header line, without its terminator, and the offset where the data rows start.
pub(crate) fn raw_header(
    blobs: &dyn BlobStore,
    key: &str,
    delimiter: u8,
) -> Result<Option<(Vec<u8>, u64)>, StoreError> {
    let Some(reader) = blobs.open(key, 0)? else {
        return Ok(None);
    };
    let mut records = RecordReader::new(BufReader::new(reader), delimiter, 0);
    let bom = records.skip_bom().map_err(csv_io)?;
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

fn csv_io(e: bulkforce_core::csv::CsvError) -> StoreError {
    StoreError::Io(io::Error::other(e.to_string()))
}

/// Feeds a streaming response body from blocking code, in 64 KiB pieces, with backpressure.
pub(crate) struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>,
    buffer: Vec<u8>,
}

const PIECE: usize = 64 * 1024;

impl ChannelWriter {
    pub(crate) fn new(tx: tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>) -> Self {
        ChannelWriter {
            tx,
            buffer: Vec::with_capacity(PIECE),
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(PIECE),
        ));
        self.tx
            .blocking_send(Ok(piece))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() >= PIECE {
            self.send()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

//! CSV bodies written by blocking code (result files are read from blobs) and streamed to the client with
//! backpressure, so that no result is ever held whole in memory.

use super::response::csv;
use axum::body::{Body, Bytes};
use axum::response::Response;
use bulkforce_store::StoreError;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::{self, Write};

/// Pieces in flight between the blocking writer and the response body.
const PIECES_IN_FLIGHT: usize = 8;

/// A streamed CSV response whose body `write` produces on a blocking thread, gzip-compressed when `gzip`
/// (see [`super::accepts_gzip`]). A failure after the headers were sent can only cut the body short: it is
/// logged with `what` (the kind of download).
pub fn stream_csv<F>(gzip: bool, what: &'static str, write: F) -> Response
where
    F: FnOnce(&mut dyn Write) -> Result<(), StoreError> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(PIECES_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let sink = ChannelWriter::new(tx);
        let written = if gzip {
            let mut encoder = GzEncoder::new(sink, Compression::fast());
            write(&mut encoder)
                .and_then(|()| encoder.finish().map_err(StoreError::from))
                .and_then(|mut sink| sink.flush().map_err(StoreError::from))
        } else {
            let mut sink = sink;
            write(&mut sink).and_then(|()| sink.flush().map_err(StoreError::from))
        };
        if let Err(e) = written {
            tracing::warn!(error = %e, "{what} download stopped");
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    csv(Body::from_stream(stream), gzip)
}

/// Feeds a streaming response body from blocking code, in 64 KiB pieces, with backpressure.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>,
    buffer: Vec<u8>,
}

const PIECE: usize = 64 * 1024;

impl ChannelWriter {
    fn new(tx: tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>) -> Self {
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

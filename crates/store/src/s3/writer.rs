//! A blob being written to S3: a streaming multipart upload with bounded memory, visible only once
//! committed.
//!
//! Bytes gather in a small buffer handed to `object_store`'s `BufWriter` a slice at a time. A blob that
//! stays under one part is a single PUT at commit; a larger one becomes a multipart upload whose parts
//! go out as they fill, at most [`PARTS_IN_FLIGHT`] at once, so memory stays near
//! `(PARTS_IN_FLIGHT + 1) × PART_SIZE` whatever the blob's size. S3 shows a multipart object only once
//! the upload completes (commit); a writer dropped before that aborts its upload, so nothing half
//! written ever appears under the key.

use super::{Runtime, describe};
use crate::blob::BlobWriter;
use crate::{Result, StoreError};
use bytes::Bytes;
use object_store::ObjectStore;
use object_store::buffered::BufWriter as UploadWriter;
use object_store::path::Path as ObjectPath;
use std::io::Write;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// S3's smallest part (all but the last part of a multipart upload must be at least this big).
pub(crate) const PART_SIZE: usize = 5 * 1024 * 1024;
/// Parts uploading at once; a writer waits for one to finish before it fills another. More than one
/// keeps the upload's body moving while a part is on its way (a part at a time, an upload went at the
/// pace of the object store's answers: a third slower than to local files); each part in flight costs
/// a part's memory.
const PARTS_IN_FLIGHT: usize = 3;
/// Bytes gathered before they go to the upload (many small writes become one slice).
const SLICE: usize = 256 * 1024;

pub(crate) struct S3Writer {
    upload: Option<UploadWriter>,
    runtime: Arc<Runtime>,
    slice: Vec<u8>,
    written: u64,
    url: String,
}

impl S3Writer {
    pub(crate) fn new(
        store: Arc<dyn ObjectStore>,
        runtime: Arc<Runtime>,
        path: ObjectPath,
        url: String,
    ) -> S3Writer {
        let upload = UploadWriter::with_capacity(store, path, PART_SIZE)
            .with_max_concurrency(PARTS_IN_FLIGHT);
        S3Writer {
            upload: Some(upload),
            runtime,
            slice: Vec::with_capacity(SLICE),
            written: 0,
            url,
        }
    }

    /// Hands the gathered bytes to the upload (waiting while its parts in flight are at the limit).
    fn send_slice(&mut self) -> std::io::Result<()> {
        if self.slice.is_empty() {
            return Ok(());
        }
        let slice = Bytes::from(std::mem::replace(
            &mut self.slice,
            Vec::with_capacity(SLICE),
        ));
        let upload = self.upload.as_mut().expect("writer is open");
        // After the store's retries: out of reach (Unavailable to the caller), not a fault of the data.
        self.runtime.block_on(upload.put(slice)).map_err(|e| {
            crate::Unreachable(format!("object store {}: {}", self.url, describe(&e))).into_io()
        })
    }
}

impl Write for S3Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.slice.extend_from_slice(buf);
        self.written += buf.len() as u64;
        if self.slice.len() >= SLICE {
            self.send_slice()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // Nothing becomes visible before the commit; flushing only moves bytes along.
        self.send_slice()
    }
}

impl BlobWriter for S3Writer {
    fn commit(mut self: Box<Self>) -> Result<u64> {
        self.send_slice()?;
        let mut upload = self.upload.take().expect("writer is open");
        // A single PUT, or the multipart upload's last part and completion: the object appears whole.
        self.runtime.block_on(upload.shutdown()).map_err(|e| {
            StoreError::Unavailable(format!("object store {}: {}", self.url, describe(&e)))
        })?;
        Ok(self.written)
    }
}

impl Drop for S3Writer {
    /// Not committed: the multipart upload (if one started) is aborted in the background, so its parts do
    /// not linger in the bucket; a blob that never left the buffer simply vanishes.
    fn drop(&mut self) {
        if let Some(mut upload) = self.upload.take() {
            self.runtime.spawn(async move {
                if let Err(e) = upload.abort().await {
                    tracing::warn!("aborting an abandoned blob upload failed: {e}");
                }
            });
        }
    }
}

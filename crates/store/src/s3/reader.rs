//! Reading a blob from S3 from a byte offset: one ranged GET whose body is streamed as it arrives, so a
//! results page is a seek and a copy and a large blob never sits in memory.
//!
//! `object_store` retries a body cut off midway within its retry budget; past it (a slow consumer can
//! keep one GET open for minutes), the reader opens a new ranged GET at the byte it reached, pinned to
//! the same object version (`If-Match` its ETag), as long as the broken GET had made progress.

use super::Runtime;
use bytes::{Buf, Bytes};
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore};
use std::io::Read;
use std::sync::Arc;

pub(crate) struct S3Reader {
    store: Arc<dyn ObjectStore>,
    runtime: Arc<Runtime>,
    path: ObjectPath,
    /// The object version this reader reads.
    etag: Option<String>,
    body: BoxStream<'static, object_store::Result<Bytes>>,
    current: Bytes,
    /// Where the next byte handed out is in the object.
    position: u64,
    /// Where the current GET started.
    opened_at: u64,
}

impl S3Reader {
    /// `None` when there is no such object. An offset at or past the end reads nothing, as a file
    /// does.
    pub(crate) fn open(
        store: Arc<dyn ObjectStore>,
        runtime: Arc<Runtime>,
        path: ObjectPath,
        offset: u64,
    ) -> object_store::Result<Option<S3Reader>> {
        let got = runtime.block_on(get_from(&*store, &path, offset, None));
        let (etag, body) = match got {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            // A range that starts at the end is refused by S3 (416): tell it from a real failure.
            Err(e) if offset > 0 => match runtime.block_on(store.head(&path)) {
                Ok(meta) if meta.size <= offset => (meta.e_tag, futures::stream::empty().boxed()),
                Ok(_) => return Err(e),
                Err(object_store::Error::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(e),
            },
            Err(e) => return Err(e),
        };
        Ok(Some(S3Reader {
            store,
            runtime,
            path,
            etag,
            body,
            current: Bytes::new(),
            position: offset,
            opened_at: offset,
        }))
    }

    /// The next piece of the body; `None` at its end.
    fn next_piece(&mut self) -> std::io::Result<Option<Bytes>> {
        loop {
            match self.runtime.block_on(self.body.next()) {
                None => return Ok(None),
                Some(Ok(piece)) => return Ok(Some(piece)),
                Some(Err(e)) if self.position > self.opened_at => {
                    tracing::info!(path = %self.path, position = self.position, "blob read broke off; resuming: {e}");
                    let (_, body) = self
                        .runtime
                        .block_on(get_from(
                            &*self.store,
                            &self.path,
                            self.position,
                            self.etag.clone(),
                        ))
                        .map_err(|e| broken_off(&self.path, &e))?;
                    self.body = body;
                    self.opened_at = self.position;
                }
                Some(Err(e)) => return Err(broken_off(&self.path, &e)),
            }
        }
    }
}

impl Read for S3Reader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.next_piece()? {
                Some(piece) => self.current = piece,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        self.position += n as u64;
        Ok(n)
    }
}

/// A read that failed after the store's retries: the object store is out of reach, which the caller
/// sees as [`crate::StoreError::Unavailable`] (a request answers 503, a job pauses), not as a failure of
/// the data.
fn broken_off(path: &ObjectPath, e: &object_store::Error) -> std::io::Error {
    crate::Unreachable(format!(
        "object store read of {path}: {}",
        super::describe(e)
    ))
    .into_io()
}

/// A GET of `path` from `offset` on (the whole object from 0, without a range: an empty object has no
/// byte 0 to start a range at); its ETag and streamed body.
async fn get_from(
    store: &dyn ObjectStore,
    path: &ObjectPath,
    offset: u64,
    if_match: Option<String>,
) -> object_store::Result<(
    Option<String>,
    BoxStream<'static, object_store::Result<Bytes>>,
)> {
    let options = GetOptions {
        range: (offset > 0).then_some(GetRange::Offset(offset)),
        if_match,
        ..GetOptions::default()
    };
    let got = store.get_opts(path, options).await?;
    Ok((got.meta.e_tag.clone(), got.into_stream()))
}

//! The upload body as stored: decoded from its `Content-Encoding` (gzip or deflate, as Salesforce's REST
//! framework accepts request bodies) while it streams to the blob, and cut off at the upload limit counted
//! on the decoded bytes, so a small compressed body cannot expand past the limit (a gzip bomb is refused
//! after `limit` bytes, with memory flat: flate2 decodes with a fixed window).

use bulkforce_core::ApiError;
use bulkforce_store::StoreError;
use bulkforce_store::blob::BlobWriter;
use std::io::{self, Write};

/// A request body's `Content-Encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyEncoding {
    Identity,
    /// gzip (also `x-gzip`), one member or several.
    Gzip,
    /// HTTP's `deflate`: a zlib stream.
    Deflate,
}

impl BodyEncoding {
    /// The encoding named by a `Content-Encoding` header (absent: identity). A list may name one coding
    /// besides `identity`; anything else is 415, as the REST API answers an unsupported body.
    pub(super) fn from_header(value: Option<&str>) -> Result<BodyEncoding, ApiError> {
        let mut encoding = BodyEncoding::Identity;
        for coding in value.unwrap_or("").split(',').map(str::trim) {
            let next = match coding.to_ascii_lowercase().as_str() {
                "" | "identity" => continue,
                "gzip" | "x-gzip" => BodyEncoding::Gzip,
                "deflate" => BodyEncoding::Deflate,
                _ => return Err(unsupported(value.unwrap_or(""))),
            };
            if encoding != BodyEncoding::Identity {
                return Err(unsupported(value.unwrap_or("")));
            }
            encoding = next;
        }
        Ok(encoding)
    }
}

fn unsupported(value: &str) -> ApiError {
    ApiError::new(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        format!("Content-Encoding {value} is not supported; send the data as is, gzip or deflate"),
    )
}

/// Why a body could not be stored.
#[derive(Debug)]
pub(super) enum StoreBodyError {
    /// More than the limit once decoded.
    TooLarge,
    /// The compressed data is corrupt or cut short.
    BadEncoding(String),
    Store(StoreError),
}

/// The body's bytes, decoded if needed, written to a blob of at most `limit` bytes.
pub(super) struct BodySink {
    decoder: Decoder,
}

enum Decoder {
    Identity(Limited),
    Gzip(flate2::write::MultiGzDecoder<Limited>),
    Deflate(flate2::write::ZlibDecoder<Limited>),
}

impl BodySink {
    pub(super) fn new(blob: Box<dyn BlobWriter>, encoding: BodyEncoding, limit: u64) -> BodySink {
        let limited = Limited {
            blob,
            written: 0,
            limit,
        };
        let decoder = match encoding {
            BodyEncoding::Identity => Decoder::Identity(limited),
            BodyEncoding::Gzip => Decoder::Gzip(flate2::write::MultiGzDecoder::new(limited)),
            BodyEncoding::Deflate => Decoder::Deflate(flate2::write::ZlibDecoder::new(limited)),
        };
        BodySink { decoder }
    }

    /// Writes one received chunk of the body.
    pub(super) fn write(&mut self, chunk: &[u8]) -> Result<(), StoreBodyError> {
        let written = match &mut self.decoder {
            Decoder::Identity(w) => w.write_all(chunk),
            Decoder::Gzip(w) => w.write_all(chunk),
            Decoder::Deflate(w) => w.write_all(chunk),
        };
        written.map_err(classify)
    }

    /// Ends the body (a compressed one must be complete) and commits the blob; returns its size.
    pub(super) fn commit(self) -> Result<u64, StoreBodyError> {
        let limited = match self.decoder {
            Decoder::Identity(w) => Ok(w),
            Decoder::Gzip(w) => w.finish(),
            Decoder::Deflate(w) => w.finish(),
        }
        .map_err(classify)?;
        limited.blob.commit().map_err(StoreBodyError::Store)
    }
}

/// Marks the write that would pass the limit.
#[derive(Debug)]
struct LimitReached;

impl std::fmt::Display for LimitReached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the upload limit was reached")
    }
}

impl std::error::Error for LimitReached {}

/// Tells the limit and decoding failures (which the decoders pass on as I/O errors) from storage ones.
fn classify(e: io::Error) -> StoreBodyError {
    if e.get_ref()
        .is_some_and(|inner| inner.downcast_ref::<LimitReached>().is_some())
    {
        StoreBodyError::TooLarge
    } else if matches!(
        e.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
    ) {
        StoreBodyError::BadEncoding(e.to_string())
    } else {
        StoreBodyError::Store(e.into())
    }
}

/// The blob, refusing any write past `limit` bytes in all.
struct Limited {
    blob: Box<dyn BlobWriter>,
    written: u64,
    limit: u64,
}

impl Write for Limited {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written + buf.len() as u64 > self.limit {
            return Err(io::Error::other(LimitReached));
        }
        let n = self.blob.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.blob.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_encodings() {
        let parse = BodyEncoding::from_header;
        assert_eq!(parse(None).unwrap(), BodyEncoding::Identity);
        assert_eq!(parse(Some("identity")).unwrap(), BodyEncoding::Identity);
        assert_eq!(parse(Some("GZIP")).unwrap(), BodyEncoding::Gzip);
        assert_eq!(parse(Some("x-gzip")).unwrap(), BodyEncoding::Gzip);
        assert_eq!(
            parse(Some("deflate, identity")).unwrap(),
            BodyEncoding::Deflate
        );
        assert_eq!(parse(Some("br")).unwrap_err().status, 415);
        assert_eq!(parse(Some("gzip, gzip")).unwrap_err().status, 415);
    }
}

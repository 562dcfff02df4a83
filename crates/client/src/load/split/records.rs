//! Record boundaries for the splitter and the merge, from the workspace's one CSV scanner
//! ([`bulkforce_core::csv::Scanner`]), so the client and the server agree on where every record ends.

use crate::load::LoadError;
use crate::{Error, Result};
use bulkforce_core::csv::{self, RecordSpan, ScanError, Sink};

/// Broken quoting found while planning, in the splitter's own words (they tell how to fix a quote).
fn quote_error(e: ScanError) -> Error {
    match e {
        ScanError::UnterminatedQuote { line, .. } => LoadError::UnterminatedQuote { line },
        ScanError::TextAfterQuote { line, .. } => LoadError::TextAfterQuote { line },
    }
    .into()
}

/// The core scanner with a fallible callback per record, which is what planning and merging want: the
/// planner refuses a record (too large, wrong line ending) as soon as it sees it.
pub(crate) struct Scanner {
    inner: csv::Scanner,
}

impl Scanner {
    /// A scanner whose first fed byte sits at `offset` of the input, at the start of a record on line 1.
    pub(crate) fn new(delimiter: u8, offset: u64) -> Scanner {
        Scanner {
            inner: csv::Scanner::new(delimiter, offset),
        }
    }

    /// Offset of the next byte to be fed.
    pub(crate) fn offset(&self) -> u64 {
        self.inner.offset()
    }

    /// Scans `buf`, calling `on_record` for each record that ends in it; stops early (returning `false`) when
    /// `on_record` returns `false`.
    pub(crate) fn feed(
        &mut self,
        buf: &[u8],
        on_record: impl FnMut(RecordSpan) -> Result<bool>,
    ) -> Result<bool> {
        let mut sink = Callback {
            on_record,
            error: None,
        };
        let fed = self.inner.feed(buf, &mut sink).map_err(quote_error)?;
        match sink.error {
            Some(e) => Err(e),
            None => Ok(!fed.stopped),
        }
    }

    /// The record left open at the end of the input, if any.
    pub(crate) fn finish(&mut self) -> Result<Option<RecordSpan>> {
        let mut sink = Last(None);
        self.inner.finish(&mut sink).map_err(quote_error)?;
        Ok(sink.0)
    }
}

/// Hands each record to a callback, keeping the first error it returns (which stops the scan).
struct Callback<F> {
    on_record: F,
    error: Option<Error>,
}

impl<F: FnMut(RecordSpan) -> Result<bool>> Sink for Callback<F> {
    fn record(&mut self, span: RecordSpan) -> bool {
        match (self.on_record)(span) {
            Ok(more) => more,
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }
}

/// Keeps the last record told.
struct Last(Option<RecordSpan>);

impl Sink for Last {
    fn record(&mut self, span: RecordSpan) -> bool {
        self.0 = Some(span);
        true
    }
}

//! CSV as Bulk API 2.0 speaks it: six column delimiters, two line endings, RFC 4180 quoting.
//!
//! One [`Scanner`] finds the records of every CSV the workspace reads (the server's uploads, the client's
//! files to split, the bench's downloads), so that they all agree on where each record ends. The reader
//! built on it keeps what the ingest pipeline needs beyond the cell values: the raw header bytes (echoed
//! verbatim in result files), each record's byte offsets (so unprocessed records and resumption after a
//! restart are a seek into the upload) and the line terminator that ended it (to enforce the job's
//! `lineEnding`).

mod dialect;
mod reader;
mod scanner;
mod writer;

pub use dialect::{ColumnDelimiter, Dialect, LineEnding};
pub use reader::{CsvError, MAX_FIELDS, MAX_RECORD_BYTES, Record, RecordReader};
pub use scanner::{Fed, RecordSpan, ScanError, Scanner, Sink, Terminator};
pub use writer::{header_row, write_quoted_cell, write_quoted_row};

//! CSV as Bulk API 2.0 speaks it: six column delimiters, two line endings, RFC 4180 quoting.
//!
//! The reader keeps what the ingest pipeline needs beyond the cell values: the raw header bytes (echoed
//! verbatim in result files), each record's byte offsets (so unprocessed records and resumption after a
//! restart are a seek into the upload) and the line terminator that ended it (to enforce the job's
//! `lineEnding`).

mod dialect;
mod reader;
mod writer;

pub use dialect::{ColumnDelimiter, Dialect, LineEnding};
pub use reader::{CsvError, MAX_FIELDS, MAX_RECORD_BYTES, Record, RecordReader, Terminator};
pub use writer::{write_quoted_cell, write_quoted_row};

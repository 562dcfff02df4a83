//! Reading the upload: a buffered record reader over its blob, and the job failures its format can cause.

use crate::state::AppState;
use crate::worker::outcome::Stop;
use bulkforce_core::csv::{CsvError, LineEnding, RecordReader, Terminator};
use std::io::{BufReader, Read};

/// Bytes read from the upload at a time.
pub(super) const READ_BUFFER: usize = 1024 * 1024;

/// The upload as the pipeline reads it: records from a buffered blob.
pub(super) type UploadReader = RecordReader<BufReader<Box<dyn Read + Send>>>;

/// The failure of a job whose recorded upload vanished from the blob store.
pub(super) fn no_upload() -> Stop {
    Stop::Failed("InvalidBatch : No data was uploaded for this job".into())
}

/// The upload from byte `offset` on.
pub(super) fn open_upload(
    state: &AppState,
    key: &str,
    offset: u64,
) -> Result<Box<dyn Read + Send>, Stop> {
    state.blobs.open(key, offset)?.ok_or_else(no_upload)
}

/// The failure of an upload whose lines do not end as the job says.
pub(super) fn line_ending_error(expected: LineEnding) -> Stop {
    Stop::Failed(format!(
        "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is {expected}"
    ))
}

/// A CSV problem fails the job (`InvalidBatch`); an I/O error is a storage failure.
pub(super) fn csv_error(e: CsvError) -> Stop {
    match e {
        CsvError::Io(e) => Stop::Store(e.into()),
        other => Stop::Failed(format!("InvalidBatch : Failed to parse CSV. {other}")),
    }
}

/// Whether a record's terminator is the job's line ending (the last record may end the upload instead).
pub(super) fn terminator_fits(terminator: Terminator, expected: LineEnding) -> bool {
    matches!(
        (terminator, expected),
        (Terminator::Eof, _)
            | (Terminator::Lf, LineEnding::Lf)
            | (Terminator::CrLf, LineEnding::Crlf)
    )
}

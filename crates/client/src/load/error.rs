//! What can go wrong planning, journaling or resuming a split load, beyond the HTTP calls themselves.

use crate::LineEnding;
use std::path::PathBuf;

/// Errors of [`crate::load`]: the input file cannot be split as it is, or a journal cannot be used. Each
/// message says what to do about it. Carried by [`crate::Error::Load`].
///
/// ```
/// use bulkforce_client::load::{LoadError, split::{plan_reader, SplitOptions}};
/// let err = plan_reader(&b""[..], &SplitOptions::default()).unwrap_err();
/// assert!(matches!(err, bulkforce_client::Error::Load(LoadError::EmptyFile)));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file has no header line (it is empty, or holds only a byte-order mark).
    #[error("the file is empty: a CSV load needs a header line")]
    EmptyFile,
    /// The first line is blank: there is no header to send with each part.
    #[error("the first line of the file is blank: it must be the header line")]
    BlankHeader,
    /// The header line is longer than the splitter keeps in memory.
    #[error("the header line is longer than {max} bytes")]
    HeaderTooLarge {
        /// The largest header accepted, in bytes.
        max: u64,
    },
    /// One record (with the header in front of it) does not fit in a job of `max_bytes`.
    #[error(
        "the record starting on line {line} (byte {offset}) needs {bytes} bytes with the header, more than the \
         {max_bytes} bytes allowed per job; raise the limit or shorten the record"
    )]
    RecordTooLarge {
        /// The 1-based line the record starts on.
        line: u64,
        /// Its byte offset in the file.
        offset: u64,
        /// The header's length plus the record's.
        bytes: u64,
        /// The limit per job.
        max_bytes: u64,
    },
    /// A quoted value is never closed: the rest of the file would be one record.
    #[error("a quoted value that starts on line {line} is never closed")]
    UnterminatedQuote {
        /// The 1-based line the record starts on.
        line: u64,
    },
    /// A character follows a closing quote where only a delimiter or a line ending may.
    #[error(
        "unexpected character after a closing quote on line {line}: a quoted value must be followed by a \
         delimiter or a line ending (quotes inside a value are doubled)"
    )]
    TextAfterQuote {
        /// The 1-based line of the character.
        line: u64,
    },
    /// A record ends differently from the header line; Salesforce fails a job whose line endings are not the
    /// declared one, so the file is refused before any job is created.
    #[error(
        "line {line} ends in {found} but the header line ends in {expected}: the file mixes line endings \
         (convert it to one, e.g. with dos2unix or unix2dos)"
    )]
    MixedLineEndings {
        /// The 1-based line.
        line: u64,
        /// What was found: `LF`, `CRLF` or `CR`.
        found: &'static str,
        /// The header line's ending, declared in every job.
        expected: LineEnding,
    },
    /// Split options that cannot work (a zero limit).
    #[error("invalid split options: {0}")]
    InvalidOptions(String),
    /// The input changed since the journal was written: its parts' byte ranges no longer mean the same rows.
    #[error("{path} changed since the load started ({what}); refusing to resume")]
    FileChanged {
        /// The input file.
        path: PathBuf,
        /// What differs (size, modification time, content).
        what: String,
    },
    /// The journal belongs to a different load than the one asked for.
    #[error("the journal {path} is for another load: {what}")]
    JournalMismatch {
        /// The journal file.
        path: PathBuf,
        /// What differs.
        what: String,
    },
    /// A journal of an unfinished load is in the way of a new load of the same file.
    #[error(
        "the journal {path} holds an unfinished load with jobs on the server: resume it (--resume), or delete \
         the journal to start over (rows its jobs loaded would be loaded again)"
    )]
    JournalExists {
        /// The journal file.
        path: PathBuf,
    },
    /// `--resume` without a journal.
    #[error("no journal at {path}: there is nothing to resume")]
    NoJournal {
        /// Where the journal was looked for.
        path: PathBuf,
    },
    /// The journal cannot be read or parsed.
    #[error("cannot use the journal {path}: {message}")]
    BadJournal {
        /// The journal file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A job the journal knows was closed no longer exists on the server (deleted, or older than the server
    /// keeps jobs): which of its rows were loaded cannot be known.
    #[error(
        "job {job_id} (part {part}) no longer exists on the server; which of its rows were loaded cannot be \
         known, so the load cannot be resumed safely"
    )]
    JobLost {
        /// The 1-based part number.
        part: usize,
        /// The job id.
        job_id: String,
    },
}

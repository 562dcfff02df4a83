//! Why a seed is refused: each error names the file (and for a row, its number, error and values), since
//! the person reading it has to fix that file.

use std::fmt;
use std::path::PathBuf;

/// What to do when the org's data and the seed disagree.
const RESET_HINT: &str = "reset the default org (start without --seed, then POST /_bulkforce/reset or \
     `bulkforce admin reset`) or start on a fresh data dir, and the next start with --seed loads it whole";

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("reading the seed directory {dir}: {source}")]
    ReadDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("seed file {file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("seed file {file}: a seed directory holds only <Object>.csv files")]
    NotCsv { file: String },
    #[error("seed file {file}: the schema has no object named {object}")]
    UnknownObject { file: String, object: String },
    #[error("seed files {first} and {second} both load {object}")]
    DuplicateObject {
        first: String,
        second: String,
        object: String,
    },
    #[error("seed file {file}: {message}")]
    Header { file: String, message: String },
    #[error(
        "seed file {file} has {bytes} bytes, more than one job may upload ({limit} bytes, \
         --max-upload-bytes)"
    )]
    TooLarge {
        file: String,
        bytes: u64,
        limit: u64,
    },
    #[error(
        "the seeded objects look each other up in a cycle ({}), so none of them can load first; \
         seed the lookups of one of them in a later step",
        objects.join(", ")
    )]
    Cycle { objects: Vec<String> },
    #[error("seed file {file}: its ingest job {job} failed: {message}")]
    JobFailed {
        file: String,
        job: String,
        message: String,
    },
    #[error("{0}")]
    RowFailed(Box<FailedRow>),
    #[error("seed: storage failed: {0}")]
    Store(String),
    /// The default org holds another seed (the marker of other files).
    #[error(
        "the seed files changed since the default org was seeded (a file was added, removed or \
         edited), and a seed is never loaded over another: {RESET_HINT}"
    )]
    Changed,
    /// The default org holds records of the seeded objects but no complete seed.
    #[error(
        "the default org holds records of the seeded objects ({}) but no complete seed: an earlier \
         seed was interrupted (the server stopped while seeding), or the records were loaded another \
         way, and a seed is never mixed into other data: {RESET_HINT}",
        found.join(", ")
    )]
    NotEmpty { found: Vec<String> },
    /// A seed that failed after loading rows, and what became of those rows.
    #[error("{cause}\n{}", match undo {
        None => "nothing of the seed was kept: the rows loaded before were removed".to_owned(),
        Some(e) => format!("removing the rows loaded before also failed ({e}): start again from an empty data dir"),
    })]
    Refused {
        cause: Box<SeedError>,
        undo: Option<Box<SeedError>>,
    },
}

impl From<bulkforce_core::ApiError> for SeedError {
    fn from(e: bulkforce_core::ApiError) -> Self {
        SeedError::Store(e.message)
    }
}

/// The first failed row of a seed file, located in the file.
#[derive(Debug)]
pub struct FailedRow {
    pub file: String,
    /// Data row number (the first row after the header is 1) and the physical line it starts on; `None`
    /// if the row could not be matched in the file (it always can, unless the file changed meanwhile).
    pub row: Option<(u64, u64)>,
    /// The error as the failed results give it (`sf__Error`).
    pub error: String,
    /// The row's cells, by column name.
    pub values: Vec<(String, String)>,
    /// How many more rows of the file failed.
    pub more: u64,
}

impl fmt::Display for FailedRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seed file {}", self.file)?;
        if let Some((row, line)) = self.row {
            write!(f, " row {row} (line {line})")?;
        }
        write!(f, " failed: {}\n  values:", self.error)?;
        for (i, (column, value)) in self.values.iter().enumerate() {
            let separator = if i == 0 { " " } else { ", " };
            write!(f, "{separator}{column}={value:?}")?;
        }
        if self.more > 0 {
            write!(f, "\n  and {} more row(s) of the file failed", self.more)?;
        }
        Ok(())
    }
}

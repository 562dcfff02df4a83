//! The journal of a split load: a JSON file, rewritten atomically (temp file, fsync, rename) after every step
//! of every part, that says which job carries which byte range of the input and how far it got. It is what
//! lets a load continue after a crash, Ctrl-C or timeout without sending a finished part again.
//!
//! Why a crash can never duplicate rows: a part's job id is journaled right after the job is created, and a
//! job is only closed (the only step that makes the server process rows) after that. A crash between creating
//! a job and journaling it leaves an `Open` job the journal does not know: it never processes a row (Salesforce
//! removes such jobs after a day; `bulkforce jobs abort` removes them sooner). A journaled job still `Open` on
//! resume is aborted and its part sent again under a new job.
//!
//! ```
//! use bulkforce_client::{Error, load::{LoadError, journal::{Journal, Phase}}};
//! match Journal::read("out/accounts.journal.json".as_ref()) {
//!     Ok(journal) => {
//!         let done = journal.parts.iter().filter(|p| p.phase == Phase::Downloaded).count();
//!         println!("{done} of {} parts done", journal.parts.len());
//!     }
//!     Err(Error::Load(LoadError::NoJournal { .. })) => println!("no load to resume"),
//!     Err(e) => panic!("{e}"),
//! }
//! ```

use super::LoadError;
use super::split::{Part, SplitOptions};
use crate::{ColumnDelimiter, JobState, LineEnding, Operation, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// The journal format written by this version; [`Journal::read`] refuses others.
///
/// ```no_run
/// use bulkforce_client::load::journal::{Journal, JOURNAL_VERSION};
/// let journal = Journal::read("accounts.journal.json".as_ref())?;
/// assert_eq!(journal.version, JOURNAL_VERSION);
/// # Ok::<(), bulkforce_client::Error>(())
/// ```
pub const JOURNAL_VERSION: u32 = 1;

/// Bytes hashed at each end of the input to notice a change that keeps its size and time.
const EDGE_BYTES: u64 = 1 << 20;

/// What identifies the input file: a resume is refused if any of it changed, since the parts' byte ranges
/// would then no longer hold the same rows.
///
/// ```no_run
/// use bulkforce_client::load::journal::FileIdentity;
/// let before = FileIdentity::of("accounts.csv".as_ref())?;
/// let now = FileIdentity::of("accounts.csv".as_ref())?;
/// assert_eq!(before.difference(&now), None);
/// # Ok::<(), bulkforce_client::Error>(())
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FileIdentity {
    /// The absolute path.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Modification time: seconds since the Unix epoch.
    pub modified_secs: u64,
    /// Modification time: nanoseconds within the second.
    pub modified_nanos: u32,
    /// SHA-256 of the first MiB, hex.
    pub head_sha256: String,
    /// SHA-256 of the last MiB, hex.
    pub tail_sha256: String,
}

impl FileIdentity {
    /// Reads the identity of the file at `path` (two MiB of it at most).
    ///
    /// ```no_run
    /// # use bulkforce_client::load::journal::FileIdentity;
    /// let id = FileIdentity::of("accounts.csv".as_ref())?;
    /// println!("{} bytes", id.size);
    /// # Ok::<(), bulkforce_client::Error>(())
    /// ```
    pub fn of(path: &Path) -> Result<FileIdentity> {
        let path = std::fs::canonicalize(path)?;
        let mut file = std::fs::File::open(&path)?;
        let meta = file.metadata()?;
        let modified = meta
            .modified()?
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let size = meta.len();
        let mut hash = |from: u64| -> Result<String> {
            file.seek(SeekFrom::Start(from))?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 64 * 1024];
            let mut left = EDGE_BYTES;
            while left > 0 {
                let want = left.min(buf.len() as u64) as usize;
                let n = file.read(&mut buf[..want])?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                left -= n as u64;
            }
            Ok(hex(&hasher.finalize()))
        };
        let head_sha256 = hash(0)?;
        let tail_sha256 = hash(size.saturating_sub(EDGE_BYTES))?;
        Ok(FileIdentity {
            path,
            size,
            modified_secs: modified.as_secs(),
            modified_nanos: modified.subsec_nanos(),
            head_sha256,
            tail_sha256,
        })
    }

    /// What differs between two identities of the same file, if anything.
    ///
    /// ```
    /// # use bulkforce_client::load::journal::FileIdentity;
    /// let a = FileIdentity { path: "/data/a.csv".into(), size: 10, modified_secs: 1, modified_nanos: 0,
    ///                        head_sha256: "00".into(), tail_sha256: "00".into() };
    /// let b = FileIdentity { size: 11, ..a.clone() };
    /// assert_eq!(a.difference(&b).as_deref(), Some("size 10 bytes, now 11"));
    /// ```
    pub fn difference(&self, now: &FileIdentity) -> Option<String> {
        if self.size != now.size {
            Some(format!("size {} bytes, now {}", self.size, now.size))
        } else if (self.modified_secs, self.modified_nanos)
            != (now.modified_secs, now.modified_nanos)
        {
            Some("modification time differs".to_owned())
        } else if self.head_sha256 != now.head_sha256 || self.tail_sha256 != now.tail_sha256 {
            Some("content differs".to_owned())
        } else {
            None
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How far a part got. Ordered: each step comes after the one before.
///
/// ```
/// use bulkforce_client::load::journal::Phase;
/// assert!(Phase::Closed > Phase::Uploaded);
/// ```
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    /// No job yet.
    Pending,
    /// The job exists and is `Open`; its upload may be under way.
    Created,
    /// The upload went through; the job is still `Open`.
    Uploaded,
    /// The job was closed: the server processes (or processed) its rows.
    Closed,
    /// The job reached `JobComplete`, `Failed` or `Aborted`.
    Finished,
    /// Its result files are downloaded into the parts directory.
    Downloaded,
}

/// One part in the journal: its byte range and its job.
///
/// ```
/// use bulkforce_client::load::journal::{PartEntry, Phase};
/// use bulkforce_client::load::split::Part;
/// let entry = PartEntry::new(Part { start: 10, end: 500, rows: 7 });
/// assert_eq!(entry.phase, Phase::Pending);
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PartEntry {
    /// The byte range of the input and its row count.
    #[serde(flatten)]
    pub range: Part,
    /// The job carrying it, once created.
    #[serde(default)]
    pub job_id: Option<String>,
    /// How far it got.
    pub phase: Phase,
    /// The job's last known state.
    #[serde(default)]
    pub state: Option<JobState>,
    /// `numberRecordsProcessed` last seen.
    #[serde(default)]
    pub processed: u64,
    /// `numberRecordsFailed` last seen.
    #[serde(default)]
    pub failed: u64,
    /// The job's `errorMessage`, when it failed.
    #[serde(default)]
    pub error_message: Option<String>,
    /// When its job was created (milliseconds since the Unix epoch).
    #[serde(default)]
    pub started_ms: Option<u64>,
    /// When its job was seen finished.
    #[serde(default)]
    pub finished_ms: Option<u64>,
    /// How long the job took by the server's clock (`createdDate` to `systemModstamp`), when it says; exact
    /// even when the job finished while no client was watching.
    #[serde(default)]
    pub server_ms: Option<u64>,
    /// Jobs of this part aborted while still `Open` (they processed nothing), kept for the record.
    #[serde(default)]
    pub abandoned_jobs: Vec<String>,
}

impl PartEntry {
    /// A part with no job yet.
    ///
    /// ```
    /// # use bulkforce_client::load::{journal::PartEntry, split::Part};
    /// assert!(PartEntry::new(Part { start: 0, end: 1, rows: 1 }).job_id.is_none());
    /// ```
    pub fn new(range: Part) -> PartEntry {
        PartEntry {
            range,
            job_id: None,
            phase: Phase::Pending,
            state: None,
            processed: 0,
            failed: 0,
            error_message: None,
            started_ms: None,
            finished_ms: None,
            server_ms: None,
            abandoned_jobs: Vec::new(),
        }
    }
}

/// Where a load writes its results: the merged files, and the directory holding each part's result files until
/// they are merged.
///
/// ```
/// use bulkforce_client::load::journal::ResultFiles;
/// let files = ResultFiles::in_dir("out".as_ref(), "accounts");
/// assert_eq!(files.success, std::path::Path::new("out/accounts-success.csv"));
/// assert_eq!(files.parts_dir, std::path::Path::new("out/accounts.parts"));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ResultFiles {
    /// Every successful row: `sf__Id`, `sf__Created`, then the input columns.
    pub success: PathBuf,
    /// Every failed row: `sf__Id`, `sf__Error`, then the input columns.
    pub failed: PathBuf,
    /// Rows no job processed (written only when there are any).
    pub unprocessed: PathBuf,
    /// Each part's result files until the merge.
    pub parts_dir: PathBuf,
}

impl ResultFiles {
    /// `<stem>-success.csv`, `<stem>-failed.csv`, `<stem>-unprocessed.csv` and `<stem>.parts/` in `dir`.
    ///
    /// ```
    /// # use bulkforce_client::load::journal::ResultFiles;
    /// let files = ResultFiles::in_dir("".as_ref(), "a");
    /// assert_eq!(files.unprocessed, std::path::Path::new("a-unprocessed.csv"));
    /// ```
    pub fn in_dir(dir: &Path, stem: &str) -> ResultFiles {
        ResultFiles {
            success: dir.join(format!("{stem}-success.csv")),
            failed: dir.join(format!("{stem}-failed.csv")),
            unprocessed: dir.join(format!("{stem}-unprocessed.csv")),
            parts_dir: dir.join(format!("{stem}.parts")),
        }
    }
}

/// The whole journal of one load.
///
/// ```no_run
/// use bulkforce_client::load::journal::{Journal, Phase};
/// let journal = Journal::read("out/accounts.journal.json".as_ref())?;
/// for (i, part) in journal.parts.iter().enumerate() {
///     println!("part {}: {:?} {:?}", i + 1, part.job_id, part.phase);
/// }
/// # Ok::<(), bulkforce_client::Error>(())
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Journal {
    /// [`JOURNAL_VERSION`] when written.
    pub version: u32,
    /// The input file.
    pub file: FileIdentity,
    /// The sObject.
    pub object: String,
    /// The ingest operation.
    pub operation: Operation,
    /// The upsert key, for upserts.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The limits the parts were planned with.
    pub split: SplitOptions,
    /// The input starts with a byte-order mark (not sent).
    pub bom: bool,
    /// Declared in every job.
    pub column_delimiter: ColumnDelimiter,
    /// Declared in every job.
    pub line_ending: LineEnding,
    /// Offset of the header line.
    pub header_start: u64,
    /// Offset just past it.
    pub header_end: u64,
    /// Rows in the input.
    pub rows: u64,
    /// Where the results go.
    pub results: ResultFiles,
    /// The parts, in file order.
    pub parts: Vec<PartEntry>,
    /// Time spent running so far, over every run, in milliseconds.
    #[serde(default)]
    pub elapsed_ms: u64,
    /// Every part finished and the result files were merged: the load is done.
    #[serde(default)]
    pub merged: bool,
}

impl Journal {
    /// Reads a journal; [`LoadError::NoJournal`] when there is none, [`LoadError::BadJournal`] when it cannot
    /// be parsed or has another format version.
    ///
    /// ```no_run
    /// let journal = bulkforce_client::load::journal::Journal::read("accounts.journal.json".as_ref())?;
    /// # Ok::<(), bulkforce_client::Error>(())
    /// ```
    pub fn read(path: &Path) -> Result<Journal> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(LoadError::NoJournal {
                    path: path.to_owned(),
                }
                .into());
            }
            Err(e) => return Err(e.into()),
        };
        let bad = |message: String| LoadError::BadJournal {
            path: path.to_owned(),
            message,
        };
        let journal: Journal = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        if journal.version != JOURNAL_VERSION {
            return Err(bad(format!(
                "format version {}, this program reads {JOURNAL_VERSION}",
                journal.version
            ))
            .into());
        }
        Ok(journal)
    }

    /// Writes the journal atomically: a temp file beside it, flushed to disk, renamed over it. A crash leaves
    /// either the old journal or the new one, never a mix.
    ///
    /// ```no_run
    /// # fn run(journal: bulkforce_client::load::journal::Journal) -> bulkforce_client::Result<()> {
    /// journal.write("accounts.journal.json".as_ref())?;
    /// # Ok(()) }
    /// ```
    pub fn write(&self, path: &Path) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| crate::Error::Protocol(format!("journal: {e}")))?;
        write_atomic(path, &bytes)
    }

    /// True when some part has (or had) a job that may have been closed: starting over would then load its
    /// rows twice.
    ///
    /// ```no_run
    /// # fn run(journal: bulkforce_client::load::journal::Journal) {
    /// if journal.has_jobs() && !journal.merged { println!("resume it"); }
    /// # }
    /// ```
    pub fn has_jobs(&self) -> bool {
        self.parts.iter().any(|p| p.phase > Phase::Pending)
    }
}

/// Writes `bytes` to `path` through a temp file in the same directory (so that the rename stays on one file
/// system), synced, then renamed over `path`; the directory is synced too, so the rename itself survives a
/// crash. The temp file is created readable by its owner only (0600 on Unix: the journal names the input and
/// the jobs) and removed if anything fails before the rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".journal-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// Makes a rename in `dir` durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Windows has no directory handle to sync; its renames are journaled by NTFS.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_notices_size_time_and_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, vec![b'x'; 3 << 20]).unwrap();
        let before = FileIdentity::of(&path).unwrap();
        assert_eq!(before.difference(&FileIdentity::of(&path).unwrap()), None);
        // Same size and time, one byte changed in the last MiB.
        let mut changed = vec![b'x'; 3 << 20];
        changed[(3 << 20) - 10] = b'y';
        let time = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::fs::write(&path, &changed).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(time)
            .unwrap();
        let after = FileIdentity::of(&path).unwrap();
        assert_eq!(
            after.difference(&before).as_deref(),
            Some("content differs")
        );
        std::fs::write(&path, b"short").unwrap();
        assert!(
            FileIdentity::of(&path)
                .unwrap()
                .difference(&before)
                .unwrap()
                .starts_with("size")
        );
    }

    #[test]
    fn journal_round_trips_and_refuses_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("a.csv");
        std::fs::write(&input, "Name\nA\n").unwrap();
        let journal = Journal {
            version: JOURNAL_VERSION,
            file: FileIdentity::of(&input).unwrap(),
            object: "Account".into(),
            operation: Operation::Upsert,
            external_id: Some("External_Id__c".into()),
            split: SplitOptions::default(),
            bom: false,
            column_delimiter: ColumnDelimiter::Comma,
            line_ending: LineEnding::Lf,
            header_start: 0,
            header_end: 5,
            rows: 1,
            results: ResultFiles::in_dir(dir.path(), "a"),
            parts: vec![PartEntry::new(Part {
                start: 5,
                end: 7,
                rows: 1,
            })],
            elapsed_ms: 0,
            merged: false,
        };
        let path = dir.path().join("a.journal.json");
        journal.write(&path).unwrap();
        assert_eq!(Journal::read(&path).unwrap(), journal);
        journal.write(&path).unwrap();
        assert_eq!(Journal::read(&path).unwrap(), journal);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            !names.iter().any(|n| n.ends_with(".tmp")),
            "temp files left: {names:?}"
        );
        // A write that cannot be renamed into place fails and leaves no temp file behind.
        let blocked = dir.path().join("blocked.json");
        std::fs::create_dir(&blocked).unwrap();
        assert!(journal.write(&blocked).is_err());
        assert!(
            !std::fs::read_dir(dir.path()).unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp"))
        );
        assert!(!journal.has_jobs());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"operation\": \"upsert\"") && text.contains("\"phase\": \"pending\""),
            "{text}"
        );
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(
            Journal::read(&path),
            Err(crate::Error::Load(LoadError::BadJournal { .. }))
        ));
        assert!(matches!(
            Journal::read(&dir.path().join("none.json")),
            Err(crate::Error::Load(LoadError::NoJournal { .. }))
        ));
    }
}

//! Loading a CSV file of any size: split into parts below the upload limit ([`split`]), run as ingest jobs a
//! few at a time, journaled after every step ([`journal`]) so that a crash, Ctrl-C or timeout can be resumed
//! without sending a finished part again, and the parts' result files merged into one file per kind.
//!
//! The library prints nothing: progress arrives as [`LoadEvent`]s through the callback given to [`Load::run`],
//! and the outcome as a [`LoadReport`].
//!
//! ```no_run
//! use bulkforce_client::{Client, Operation};
//! use bulkforce_client::load::{Load, LoadEvent, LoadSpec, RunOptions};
//! use std::sync::Arc;
//! # async fn run() -> bulkforce_client::Result<()> {
//! let client = Client::new("http://127.0.0.1:8080", "00D000000000001!token", "62.0")?;
//! let spec = LoadSpec::new("accounts.csv", "Account", Operation::Insert);
//! let load = Load::plan(&spec).await?;           // or Load::resume(&spec) after an interruption
//! let events = Arc::new(|event: &LoadEvent| {
//!     if let LoadEvent::PartFinished { part, state, .. } = event {
//!         eprintln!("part {} {state}", part + 1);
//!     }
//! });
//! let report = load.run(&client, &RunOptions::default(), events, Default::default()).await;
//! println!("{} processed, {} failed", report.processed(), report.failed());
//! # Ok(()) }
//! ```

mod error;
pub mod journal;
mod merge;
pub mod split;

pub use error::LoadError;
/// Stops a [`Load::run`] from outside (a Ctrl-C handler, another task): cancel it, or any of its clones.
///
/// ```
/// use bulkforce_client::load::CancellationToken;
/// let stop = CancellationToken::new();
/// let for_ctrl_c = stop.clone();
/// for_ctrl_c.cancel();
/// assert!(stop.is_cancelled());
/// ```
pub use tokio_util::sync::CancellationToken;

use crate::{
    Client, Error, IngestJobRequest, JobInfo, JobKind, JobState, Operation, PollOptions, Result,
    ResultKind,
};
use futures::StreamExt;
use journal::{FileIdentity, JOURNAL_VERSION, Journal, PartEntry, Phase, ResultFiles};
use split::{SplitOptions, SplitPlan};
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, ReadBuf};

/// What to load, and where its journal and results go.
///
/// ```
/// use bulkforce_client::Operation;
/// use bulkforce_client::load::LoadSpec;
/// use bulkforce_client::load::split::SplitOptions;
/// let spec = LoadSpec::new("data/accounts.csv", "Account", Operation::Upsert)
///     .external_id("External_Id__c")
///     .split(SplitOptions { max_bytes: 50_000_000, max_rows: None })
///     .results_dir("out");
/// assert_eq!(spec.journal, std::path::Path::new("out/accounts.journal.json"));
/// assert_eq!(spec.results.failed, std::path::Path::new("out/accounts-failed.csv"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadSpec {
    /// The CSV file.
    pub file: PathBuf,
    /// The sObject.
    pub object: String,
    /// One of the five ingest operations.
    pub operation: Operation,
    /// The field upserts match on.
    pub external_id: Option<String>,
    /// How large a part may be.
    pub split: SplitOptions,
    /// The journal file.
    pub journal: PathBuf,
    /// Where results go.
    pub results: ResultFiles,
}

impl LoadSpec {
    /// A load of `file` into `object`, with the default limits, its journal and results beside the file
    /// (`<stem>.journal.json`, `<stem>-success.csv`, …).
    ///
    /// ```
    /// # use bulkforce_client::{Operation, load::LoadSpec};
    /// let spec = LoadSpec::new("a.csv", "Contact", Operation::Insert);
    /// assert_eq!(spec.journal, std::path::Path::new("a.journal.json"));
    /// ```
    pub fn new(
        file: impl Into<PathBuf>,
        object: impl Into<String>,
        operation: Operation,
    ) -> LoadSpec {
        let file = file.into();
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let stem = stem(&file);
        LoadSpec {
            journal: dir.join(format!("{stem}.journal.json")),
            results: ResultFiles::in_dir(&dir, &stem),
            file,
            object: object.into(),
            operation,
            external_id: None,
            split: SplitOptions::default(),
        }
    }

    /// Sets the upsert key.
    ///
    /// ```
    /// # use bulkforce_client::{Operation, load::LoadSpec};
    /// let spec = LoadSpec::new("a.csv", "Account", Operation::Upsert).external_id("Id");
    /// assert_eq!(spec.external_id.as_deref(), Some("Id"));
    /// ```
    pub fn external_id(mut self, field: impl Into<String>) -> LoadSpec {
        self.external_id = Some(field.into());
        self
    }

    /// Sets the part limits.
    ///
    /// ```
    /// # use bulkforce_client::{Operation, load::{LoadSpec, split::SplitOptions}};
    /// let spec = LoadSpec::new("a.csv", "Account", Operation::Insert)
    ///     .split(SplitOptions { max_bytes: 1 << 20, max_rows: Some(1000) });
    /// assert_eq!(spec.split.max_rows, Some(1000));
    /// ```
    pub fn split(mut self, split: SplitOptions) -> LoadSpec {
        self.split = split;
        self
    }

    /// Puts the result files and the journal in `dir` instead of beside the input.
    ///
    /// ```
    /// # use bulkforce_client::{Operation, load::LoadSpec};
    /// let spec = LoadSpec::new("in/a.csv", "Account", Operation::Insert).results_dir("out");
    /// assert_eq!(spec.results.success, std::path::Path::new("out/a-success.csv"));
    /// ```
    pub fn results_dir(mut self, dir: impl AsRef<Path>) -> LoadSpec {
        let stem = stem(&self.file);
        self.results = ResultFiles::in_dir(dir.as_ref(), &stem);
        self.journal = dir.as_ref().join(format!("{stem}.journal.json"));
        self
    }

    /// Puts the journal at `path`.
    ///
    /// ```
    /// # use bulkforce_client::{Operation, load::LoadSpec};
    /// let spec = LoadSpec::new("a.csv", "Account", Operation::Insert).journal("/tmp/a.json");
    /// assert_eq!(spec.journal, std::path::Path::new("/tmp/a.json"));
    /// ```
    pub fn journal(mut self, path: impl Into<PathBuf>) -> LoadSpec {
        self.journal = path.into();
        self
    }
}

fn stem(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "results".to_owned())
}

/// How a load runs.
///
/// ```
/// use bulkforce_client::load::RunOptions;
/// use std::time::Duration;
/// let options = RunOptions { parallel: 8, timeout: Duration::from_secs(600), ..RunOptions::default() };
/// assert_eq!(RunOptions::default().parallel, 4);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOptions {
    /// Parts in flight at once (each is one job from its creation to its results).
    pub parallel: usize,
    /// How long this run may take; past it, the run stops as on [`CancellationToken::cancel`] and the
    /// closed jobs keep running on the server.
    pub timeout: Duration,
    /// How each job is polled (its `timeout` is not used: `timeout` above is the deadline).
    pub poll: PollOptions,
}

impl Default for RunOptions {
    /// 4 parts at once, one hour, the default polling intervals.
    fn default() -> Self {
        RunOptions {
            parallel: 4,
            timeout: Duration::from_secs(3600),
            poll: PollOptions::default(),
        }
    }
}

/// Progress of a run, for a progress display. `part` is the 0-based part index.
///
/// ```
/// use bulkforce_client::load::LoadEvent;
/// fn show(event: &LoadEvent) {
///     match event {
///         LoadEvent::Uploaded { bytes, .. } => eprint!("+{bytes} B "),
///         LoadEvent::PartFinished { part, state, .. } => eprintln!("part {} {state}", part + 1),
///         _ => {}
///     }
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum LoadEvent {
    /// The run starts. Totals cover the whole load; `*_done` what earlier runs already finished.
    Started {
        /// Parts of the load.
        parts: usize,
        /// Rows of the load.
        rows: u64,
        /// Bytes this run has to upload (header lines included).
        upload_bytes: u64,
        /// Parts already finished (results downloaded) before this run.
        parts_done: usize,
        /// Rows already processed before this run, in parts that are finished or still processing.
        rows_done: u64,
    },
    /// A part's job was created.
    JobCreated {
        /// The part.
        part: usize,
        /// Its job.
        job_id: String,
    },
    /// Bytes of a part were sent (a delta).
    Uploaded {
        /// The part.
        part: usize,
        /// Bytes sent since the last event.
        bytes: u64,
    },
    /// A part's upload is complete and its job closed: the server processes it.
    Closed {
        /// The part.
        part: usize,
        /// Its job.
        job_id: String,
    },
    /// A poll saw a job's state or counters change.
    Progress {
        /// The part.
        part: usize,
        /// The job's state.
        state: JobState,
        /// `numberRecordsProcessed` (absolute).
        processed: u64,
        /// `numberRecordsFailed` (absolute).
        failed: u64,
    },
    /// A part's job reached a final state.
    PartFinished {
        /// The part.
        part: usize,
        /// `JobComplete`, `Failed` or `Aborted`.
        state: JobState,
        /// Rows processed.
        processed: u64,
        /// Rows failed.
        failed: u64,
    },
    /// Result bytes of a part were downloaded (a delta).
    Downloaded {
        /// The part.
        part: usize,
        /// Bytes received since the last event.
        bytes: u64,
    },
    /// A part's three result files are downloaded.
    ResultsDone {
        /// The part.
        part: usize,
    },
    /// A part's job was aborted while still `Open` (it processed nothing); the part will be sent again.
    JobAbandoned {
        /// The part.
        part: usize,
        /// The aborted job.
        job_id: String,
    },
    /// Every part is done; the result files are being merged.
    Merging,
}

/// Where [`LoadEvent`]s go. Called from the tasks of the run: keep it quick.
///
/// ```
/// use bulkforce_client::load::{EventSink, LoadEvent};
/// use std::sync::{Arc, atomic::{AtomicU64, Ordering}};
/// let sent = Arc::new(AtomicU64::new(0));
/// let counter = sent.clone();
/// let sink: EventSink = Arc::new(move |event: &LoadEvent| {
///     if let LoadEvent::Uploaded { bytes, .. } = event {
///         counter.fetch_add(*bytes, Ordering::Relaxed);
///     }
/// });
/// sink(&LoadEvent::Merging);
/// assert_eq!(sent.load(Ordering::Relaxed), 0);
/// ```
pub type EventSink = Arc<dyn Fn(&LoadEvent) + Send + Sync>;

/// How a run ended.
///
/// ```
/// use bulkforce_client::load::Outcome;
/// assert!(Outcome::Complete.is_complete());
/// assert!(!Outcome::Stopped.is_complete());
/// ```
#[derive(Debug)]
pub enum Outcome {
    /// Every part finished and the results were merged.
    Complete,
    /// Stopped through the [`CancellationToken`]: closed jobs keep running; resume to continue.
    Stopped,
    /// [`RunOptions::timeout`] passed: closed jobs keep running; resume to continue.
    TimedOut,
    /// An error stopped the run (the journal is consistent; resume once the cause is fixed).
    Failed(Error),
}

impl Outcome {
    /// Every part finished and the results were merged.
    ///
    /// ```
    /// # use bulkforce_client::load::Outcome;
    /// assert!(!Outcome::TimedOut.is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        matches!(self, Outcome::Complete)
    }
}

/// One part in a [`LoadReport`].
///
/// ```no_run
/// # fn show(report: bulkforce_client::load::LoadReport) {
/// for part in &report.parts {
///     println!("{} {:?} {} rows {:?}", part.part, part.job_id, part.rows, part.state);
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PartReport {
    /// 1-based part number.
    pub part: usize,
    /// Its job (the last one, if an `Open` one was abandoned).
    pub job_id: Option<String>,
    /// Rows in the part.
    pub rows: u64,
    /// Rows the job processed.
    pub processed: u64,
    /// Rows that failed.
    pub failed: u64,
    /// The job's last known state.
    pub state: Option<JobState>,
    /// How far the part got.
    pub phase: Phase,
    /// Why the job failed.
    pub error_message: Option<String>,
    /// From the job's creation to its end (across runs).
    pub elapsed: Option<Duration>,
}

/// What a run did, whatever its outcome.
///
/// ```no_run
/// # fn show(report: bulkforce_client::load::LoadReport) {
/// if report.outcome.is_complete() && report.failed() == 0 && !report.any_job_failed() {
///     println!("all {} rows loaded", report.processed());
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct LoadReport {
    /// How the run ended.
    pub outcome: Outcome,
    /// Every part, in order.
    pub parts: Vec<PartReport>,
    /// Rows in the input.
    pub rows: u64,
    /// Time spent over every run of this load.
    pub elapsed: Duration,
    /// The input started with a BOM (not sent).
    pub bom: bool,
    /// The delimiter declared in each job.
    pub delimiter: crate::ColumnDelimiter,
    /// The line ending declared in each job.
    pub line_ending: crate::LineEnding,
    /// The result files (merged only when the outcome is complete).
    pub results: ResultFiles,
    /// Whether the unprocessed file was written (some rows were never processed).
    pub has_unprocessed: bool,
    /// The journal.
    pub journal: PathBuf,
}

impl LoadReport {
    /// Rows processed over every part (failed ones included).
    ///
    /// ```no_run
    /// # fn show(report: bulkforce_client::load::LoadReport) { println!("{}", report.processed()); }
    /// ```
    pub fn processed(&self) -> u64 {
        self.parts.iter().map(|p| p.processed).sum()
    }

    /// Rows that failed over every part.
    ///
    /// ```no_run
    /// # fn show(report: bulkforce_client::load::LoadReport) { println!("{}", report.failed()); }
    /// ```
    pub fn failed(&self) -> u64 {
        self.parts.iter().map(|p| p.failed).sum()
    }

    /// True when a job ended `Failed` or `Aborted`.
    ///
    /// ```no_run
    /// # fn show(report: bulkforce_client::load::LoadReport) { assert!(!report.any_job_failed()); }
    /// ```
    pub fn any_job_failed(&self) -> bool {
        self.parts.iter().any(|p| {
            matches!(p.state, Some(JobState::Failed | JobState::Aborted))
                && p.phase >= Phase::Finished
        })
    }

    /// Jobs that are not finished (they keep running on the server, or are waiting to be resumed).
    ///
    /// ```no_run
    /// # fn show(report: bulkforce_client::load::LoadReport) {
    /// for id in report.unfinished_jobs() { println!("still running: {id}"); }
    /// # }
    /// ```
    pub fn unfinished_jobs(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter(|p| p.phase < Phase::Finished)
            .filter_map(|p| p.job_id.as_deref())
            .collect()
    }
}

/// A planned (or journaled) load, ready to [`run`](Load::run).
///
/// ```no_run
/// # async fn run(client: bulkforce_client::Client) -> bulkforce_client::Result<()> {
/// use bulkforce_client::{Operation, load::{Load, LoadSpec}};
/// let spec = LoadSpec::new("accounts.csv", "Account", Operation::Insert);
/// let load = Load::plan(&spec).await?;
/// println!("{} parts", load.journal().parts.len());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Load {
    journal_path: PathBuf,
    journal: Journal,
    header: Vec<u8>,
    /// Opened with [`Load::resume`].
    resumed: bool,
}

impl Load {
    /// Plans a new load: scans the file once (in a blocking thread), then writes its journal. Refuses with
    /// [`LoadError::JournalExists`] when the journal path holds an unfinished load with jobs (resume it, or
    /// delete the journal); a finished journal, or one whose load never created a job, is replaced.
    ///
    /// ```no_run
    /// # async fn run() -> bulkforce_client::Result<()> {
    /// use bulkforce_client::{Operation, load::{Load, LoadSpec}};
    /// let load = Load::plan(&LoadSpec::new("a.csv", "Account", Operation::Insert)).await?;
    /// println!("BOM: {}", load.journal().bom);
    /// # Ok(()) }
    /// ```
    pub async fn plan(spec: &LoadSpec) -> Result<Load> {
        spec.split.validate()?;
        match Journal::read(&spec.journal) {
            Ok(old) if old.has_jobs() && !old.merged => {
                return Err(LoadError::JournalExists {
                    path: spec.journal.clone(),
                }
                .into());
            }
            Ok(_) | Err(Error::Load(LoadError::NoJournal { .. })) => {}
            Err(e) => return Err(e),
        }
        let file = spec.file.clone();
        let split = spec.split;
        let (identity, plan) =
            tokio::task::spawn_blocking(move || -> Result<(FileIdentity, SplitPlan)> {
                let identity = FileIdentity::of(&file)?;
                let plan = split::plan_file(&file, &split)?;
                Ok((identity, plan))
            })
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))??;
        let journal = Journal {
            version: JOURNAL_VERSION,
            file: identity,
            object: spec.object.clone(),
            operation: spec.operation,
            external_id: spec.external_id.clone(),
            split: spec.split,
            bom: plan.bom,
            column_delimiter: plan.delimiter,
            line_ending: plan.line_ending,
            header_start: plan.header_start,
            header_end: plan.header_end(),
            rows: plan.rows,
            results: spec.results.clone(),
            parts: plan.parts.iter().copied().map(PartEntry::new).collect(),
            elapsed_ms: 0,
            merged: false,
        };
        if let Some(dir) = spec.journal.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir).await?;
        }
        // Part results of an earlier load of the same name would be merged into this one's.
        remove_dir_if_exists(&spec.results.parts_dir).await?;
        let path = spec.journal.clone();
        let to_write = journal.clone();
        tokio::task::spawn_blocking(move || to_write.write(&path))
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))??;
        Ok(Load {
            journal_path: spec.journal.clone(),
            journal,
            header: plan.header,
            resumed: false,
        })
    }

    /// Opens the journal at `spec.journal` to continue its load. Refuses when there is none
    /// ([`LoadError::NoJournal`]), when it is for another file, object, operation or external id
    /// ([`LoadError::JournalMismatch`]), or when the file changed ([`LoadError::FileChanged`]). The journal's
    /// split limits and result paths are kept (its parts are already planned); `spec.split` and
    /// `spec.results` are not used.
    ///
    /// ```no_run
    /// # async fn run() -> bulkforce_client::Result<()> {
    /// use bulkforce_client::{Operation, load::{Load, LoadSpec}};
    /// let load = Load::resume(&LoadSpec::new("a.csv", "Account", Operation::Insert)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn resume(spec: &LoadSpec) -> Result<Load> {
        let journal = Journal::read(&spec.journal)?;
        let mismatch = |what: String| -> Error {
            LoadError::JournalMismatch {
                path: spec.journal.clone(),
                what,
            }
            .into()
        };
        let file = spec.file.clone();
        let (identity, header) = tokio::task::spawn_blocking({
            let (start, end) = (journal.header_start, journal.header_end);
            move || -> Result<(FileIdentity, Vec<u8>)> {
                let identity = FileIdentity::of(&file)?;
                let mut header = vec![0u8; (end - start) as usize];
                use std::io::{Read, Seek};
                let mut f = std::fs::File::open(&file)?;
                f.seek(SeekFrom::Start(start))?;
                f.read_exact(&mut header)?;
                Ok((identity, header))
            }
        })
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))?
        .map_err(|e| match e {
            // A shorter file cannot hold the header any more: that is a change, said as such below.
            Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                Error::Load(LoadError::FileChanged {
                    path: spec.file.clone(),
                    what: "it is shorter".into(),
                })
            }
            other => other,
        })?;
        if identity.path != journal.file.path {
            return Err(mismatch(format!(
                "it loads {}, not {}",
                journal.file.path.display(),
                identity.path.display()
            )));
        }
        if journal.object != spec.object
            || journal.operation != spec.operation
            || journal.external_id != spec.external_id
        {
            let describe = |op: Operation, object: &str, ext: &Option<String>| match ext {
                Some(ext) => format!("{op} {object} on {ext}"),
                None => format!("{op} {object}"),
            };
            return Err(mismatch(format!(
                "it is {}, not {}",
                describe(journal.operation, &journal.object, &journal.external_id),
                describe(spec.operation, &spec.object, &spec.external_id)
            )));
        }
        if let Some(what) = journal.file.difference(&identity) {
            return Err(LoadError::FileChanged {
                path: spec.file.clone(),
                what,
            }
            .into());
        }
        Ok(Load {
            journal_path: spec.journal.clone(),
            journal,
            header,
            resumed: true,
        })
    }

    /// The journal as it stands.
    ///
    /// ```no_run
    /// # fn show(load: bulkforce_client::load::Load) { println!("{} rows", load.journal().rows); }
    /// ```
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// True when opened with [`Load::resume`].
    ///
    /// ```no_run
    /// # fn show(load: bulkforce_client::load::Load) { if load.is_resumed() { eprintln!("resuming"); } }
    /// ```
    pub fn is_resumed(&self) -> bool {
        self.resumed
    }

    /// Runs every unfinished part, `options.parallel` at a time, until all are done (then merges the results),
    /// `stop` is cancelled, `options.timeout` passes, or an error occurs. Never panics and never returns
    /// early without a report: the journal is consistent whatever the outcome.
    ///
    /// On a stop or timeout no new job is created; uploads in progress are cut off and their (`Open`) jobs
    /// aborted; closed jobs keep running on the server and are waited for on resume.
    ///
    /// ```no_run
    /// # async fn run(load: bulkforce_client::load::Load, client: bulkforce_client::Client) {
    /// use bulkforce_client::load::{CancellationToken, RunOptions};
    /// use std::sync::Arc;
    /// let stop = CancellationToken::new();
    /// let report = load.run(&client, &RunOptions::default(), Arc::new(|_| {}), stop.clone()).await;
    /// # }
    /// ```
    pub async fn run(
        self,
        client: &Client,
        options: &RunOptions,
        events: EventSink,
        stop: CancellationToken,
    ) -> LoadReport {
        let run_start = Instant::now();
        let halt = CancellationToken::new();
        let ctx = Ctx {
            client,
            file: self.journal.file.path.clone(),
            header: self.header.clone(),
            journal_path: self.journal_path.clone(),
            elapsed_before: self.journal.elapsed_ms,
            run_start,
            journal: tokio::sync::Mutex::new(self.journal),
            events,
            poll: options.poll.clone(),
            halt: halt.clone(),
        };
        let outcome = run_parts(&ctx, options, &stop, &halt).await;
        // A last write keeps the time spent and the counters last seen. Every transition was written before
        // it, so a failure here loses nothing a resume needs.
        let _ = ctx.update(|_| ()).await;
        let journal = ctx.journal.into_inner();
        report(journal, outcome, &self.journal_path)
    }
}

async fn remove_dir_if_exists(dir: &Path) -> Result<()> {
    match tokio::fs::remove_dir_all(dir).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// Why the run's `halt` token was cancelled.
enum Halt {
    Stopped,
    TimedOut,
    Failed(Error),
}

/// What the part tasks share.
struct Ctx<'a> {
    client: &'a Client,
    file: PathBuf,
    header: Vec<u8>,
    journal_path: PathBuf,
    elapsed_before: u64,
    run_start: Instant,
    journal: tokio::sync::Mutex<Journal>,
    events: EventSink,
    poll: PollOptions,
    /// Cancelled on a stop, the deadline or the first error: no new work starts.
    halt: CancellationToken,
}

impl Ctx<'_> {
    fn emit(&self, event: LoadEvent) {
        (self.events)(&event);
    }

    /// Applies `change` and writes the journal (in order: the lock is held through the write).
    async fn update<T>(&self, change: impl FnOnce(&mut Journal) -> T) -> Result<T> {
        let mut journal = self.journal.lock().await;
        let out = change(&mut journal);
        journal.elapsed_ms = self.elapsed_before + self.run_start.elapsed().as_millis() as u64;
        let snapshot = journal.clone();
        let path = self.journal_path.clone();
        tokio::task::spawn_blocking(move || snapshot.write(&path))
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))??;
        Ok(out)
    }

    async fn entry(&self, part: usize) -> PartEntry {
        self.journal.lock().await.parts[part].clone()
    }

    fn part_file(&self, results: &ResultFiles, part: usize, kind: ResultKind) -> PathBuf {
        let name = match kind {
            ResultKind::Successful => "success",
            ResultKind::Failed => "failed",
            ResultKind::Unprocessed => "unprocessed",
        };
        results
            .parts_dir
            .join(format!("part-{:05}-{name}.csv", part + 1))
    }

    async fn request(&self) -> IngestJobRequest {
        let journal = self.journal.lock().await;
        let mut request = IngestJobRequest::new(&journal.object, journal.operation)
            .column_delimiter(journal.column_delimiter)
            .line_ending(journal.line_ending);
        if let Some(field) = &journal.external_id {
            request = request.external_id_field_name(field);
        }
        request
    }

    /// Settles a part whose job a previous run left `Open` or whose close it may not have seen: see the
    /// resume rules in [`journal`].
    async fn reconcile(&self, part: usize) -> Result<()> {
        let entry = self.entry(part).await;
        let Some(job_id) = entry.job_id.clone() else {
            return self.update(|j| j.parts[part].phase = Phase::Pending).await;
        };
        let info = match self.client.job_info(JobKind::Ingest, &job_id).await {
            Ok(info) => info,
            Err(Error::Api { status: 404, .. }) => {
                return Err(LoadError::JobLost {
                    part: part + 1,
                    job_id,
                }
                .into());
            }
            Err(e) => return Err(e),
        };
        match info.state {
            JobState::Open => self.abandon(part, &job_id).await,
            // Aborted before it processed a row (by a previous run that was stopped, or by hand): nothing of
            // it was loaded, so the part is sent again.
            JobState::Aborted if info.number_records_processed.unwrap_or(0) == 0 => {
                self.reset(part, &job_id).await
            }
            state => {
                self.update(|j| {
                    let p = &mut j.parts[part];
                    p.phase = Phase::Closed;
                    p.state = Some(state);
                })
                .await
            }
        }
    }

    /// Aborts a part's `Open` job and makes the part pending again.
    async fn abandon(&self, part: usize, job_id: &str) -> Result<()> {
        match self.client.abort_job(JobKind::Ingest, job_id).await {
            Ok(_) => {}
            // Someone else moved it on: look again before deciding anything.
            Err(Error::Api { status: 400, .. }) => {
                let info = self.client.job_info(JobKind::Ingest, job_id).await?;
                if !(info.state == JobState::Aborted
                    && info.number_records_processed.unwrap_or(0) == 0)
                {
                    return self
                        .update(|j| {
                            j.parts[part].phase = Phase::Closed;
                            j.parts[part].state = Some(info.state);
                        })
                        .await;
                }
            }
            Err(e) => return Err(e),
        }
        self.reset(part, job_id).await?;
        self.emit(LoadEvent::JobAbandoned {
            part,
            job_id: job_id.to_owned(),
        });
        Ok(())
    }

    async fn reset(&self, part: usize, job_id: &str) -> Result<()> {
        self.update(|j| {
            let p = &mut j.parts[part];
            let range = p.range;
            let mut abandoned = std::mem::take(&mut p.abandoned_jobs);
            abandoned.push(job_id.to_owned());
            *p = PartEntry::new(range);
            p.abandoned_jobs = abandoned;
        })
        .await
    }

    /// The upload body of a part: the header line, then its byte range read straight from the file.
    async fn body(
        &self,
        part: usize,
        entry: &PartEntry,
    ) -> Result<Counting<impl AsyncRead + Send + Unpin + 'static>> {
        let mut file = tokio::fs::File::open(&self.file).await?;
        file.seek(SeekFrom::Start(entry.range.start)).await?;
        let file = tokio::io::BufReader::with_capacity(256 * 1024, file).take(entry.range.len());
        let reader = std::io::Cursor::new(self.header.clone()).chain(file);
        Ok(Counting {
            inner: reader,
            part,
            events: self.events.clone(),
        })
    }

    /// Runs one part from wherever it stands to its downloaded results, or until the run halts.
    async fn run_part(&self, part: usize) -> Result<()> {
        loop {
            let entry = self.entry(part).await;
            match entry.phase {
                Phase::Pending => {
                    if self.halt.is_cancelled() {
                        return Ok(());
                    }
                    let request = self.request().await;
                    let job = self.client.create_ingest_job(&request).await?;
                    self.update(|j| {
                        let p = &mut j.parts[part];
                        p.job_id = Some(job.id.clone());
                        p.phase = Phase::Created;
                        p.state = Some(job.state);
                        p.started_ms = Some(now_ms());
                    })
                    .await?;
                    self.emit(LoadEvent::JobCreated {
                        part,
                        job_id: job.id,
                    });
                }
                Phase::Created => {
                    let job_id = entry.job_id.clone().unwrap_or_default();
                    let upload = async {
                        let body = self.body(part, &entry).await?;
                        self.client.upload_job_data(&job_id, body).await
                    };
                    let outcome = tokio::select! {
                        outcome = upload => Some(outcome),
                        _ = self.halt.cancelled() => None,
                    };
                    match outcome {
                        Some(Ok(())) => {
                            self.update(|j| j.parts[part].phase = Phase::Uploaded)
                                .await?
                        }
                        Some(Err(e)) => {
                            // Never leave an Open job behind; if even that fails, resume will.
                            let _ = self.abandon(part, &job_id).await;
                            return Err(e);
                        }
                        None => {
                            self.abandon(part, &job_id).await?;
                            return Ok(());
                        }
                    }
                }
                Phase::Uploaded => {
                    let job_id = entry.job_id.clone().unwrap_or_default();
                    if self.halt.is_cancelled() {
                        return self.abandon(part, &job_id).await;
                    }
                    // Not cancellable: once sent, a close must be journaled, or a resume could not tell.
                    let info = match self.client.close_job(&job_id).await {
                        Ok(info) => info,
                        Err(e) => {
                            if let Ok(info) = self.client.job_info(JobKind::Ingest, &job_id).await
                                && info.state == JobState::Open
                            {
                                let _ = self.abandon(part, &job_id).await;
                            }
                            return Err(e);
                        }
                    };
                    self.update(|j| {
                        j.parts[part].phase = Phase::Closed;
                        j.parts[part].state = Some(info.state);
                    })
                    .await?;
                    self.emit(LoadEvent::Closed { part, job_id });
                }
                Phase::Closed => {
                    let job_id = entry.job_id.clone().unwrap_or_default();
                    let info = tokio::select! {
                        info = self.wait(part, &job_id, &entry) => info?,
                        _ = self.halt.cancelled() => return Ok(()),
                    };
                    let (processed, failed) = counts(&info);
                    self.update(|j| {
                        let p = &mut j.parts[part];
                        p.phase = Phase::Finished;
                        p.state = Some(info.state);
                        p.processed = processed;
                        p.failed = failed;
                        p.error_message = info.error_message.clone();
                        p.finished_ms = Some(now_ms());
                        p.server_ms = server_duration(&info);
                    })
                    .await?;
                    self.emit(LoadEvent::PartFinished {
                        part,
                        state: info.state,
                        processed,
                        failed,
                    });
                }
                Phase::Finished => {
                    let job_id = entry.job_id.clone().unwrap_or_default();
                    tokio::select! {
                        done = self.download(part, &job_id) => done?,
                        _ = self.halt.cancelled() => return Ok(()),
                    };
                    self.update(|j| j.parts[part].phase = Phase::Downloaded)
                        .await?;
                    self.emit(LoadEvent::ResultsDone { part });
                }
                Phase::Downloaded => return Ok(()),
            }
        }
    }

    /// Polls a closed job until it is final, reporting its counters as they move.
    async fn wait(&self, part: usize, job_id: &str, entry: &PartEntry) -> Result<JobInfo> {
        let mut interval = self.poll.initial_interval;
        let mut last = (entry.state, entry.processed, entry.failed);
        loop {
            let info = match self.client.job_info(JobKind::Ingest, job_id).await {
                Ok(info) => info,
                Err(Error::Api { status: 404, .. }) => {
                    return Err(LoadError::JobLost {
                        part: part + 1,
                        job_id: job_id.to_owned(),
                    }
                    .into());
                }
                Err(e) => return Err(e),
            };
            let (processed, failed) = counts(&info);
            if (Some(info.state), processed, failed) != last {
                last = (Some(info.state), processed, failed);
                self.emit(LoadEvent::Progress {
                    part,
                    state: info.state,
                    processed,
                    failed,
                });
                if !info.state.is_terminal() {
                    // Counters are kept in memory only (the report shows them); the journal is written on
                    // transitions, so that a load of many parts does not rewrite it on every poll.
                    let mut journal = self.journal.lock().await;
                    let p = &mut journal.parts[part];
                    p.state = Some(info.state);
                    p.processed = processed;
                    p.failed = failed;
                }
            }
            if info.state.is_terminal() {
                return Ok(info);
            }
            tokio::time::sleep(interval).await;
            interval = (interval + interval / 2).min(self.poll.max_interval);
        }
    }

    /// Downloads a finished part's three result files into the parts directory.
    async fn download(&self, part: usize, job_id: &str) -> Result<()> {
        let results = self.journal.lock().await.results.clone();
        tokio::fs::create_dir_all(&results.parts_dir).await?;
        for kind in [
            ResultKind::Successful,
            ResultKind::Failed,
            ResultKind::Unprocessed,
        ] {
            let path = self.part_file(&results, part, kind);
            let mut out = tokio::io::BufWriter::with_capacity(
                256 * 1024,
                tokio::fs::File::create(&path).await?,
            );
            let mut stream = self.client.ingest_results(job_id, kind).await?;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                out.write_all(&chunk).await?;
                self.emit(LoadEvent::Downloaded {
                    part,
                    bytes: chunk.len() as u64,
                });
            }
            out.flush().await?;
        }
        Ok(())
    }

    /// Merges every part's results into the final files; returns whether there were unprocessed rows.
    async fn merge(&self) -> Result<bool> {
        let journal = self.journal.lock().await.clone();
        let parts = journal.parts.len();
        let files = |kind| {
            (0..parts)
                .map(|i| self.part_file(&journal.results, i, kind))
                .collect::<Vec<_>>()
        };
        let jobs = [
            (
                files(ResultKind::Successful),
                journal.results.success.clone(),
                true,
            ),
            (
                files(ResultKind::Failed),
                journal.results.failed.clone(),
                true,
            ),
            (
                files(ResultKind::Unprocessed),
                journal.results.unprocessed.clone(),
                false,
            ),
        ];
        let delimiter = journal.column_delimiter.byte();
        let line_ending = journal.line_ending.bytes();
        let unprocessed = tokio::task::spawn_blocking(move || -> Result<bool> {
            let mut unprocessed = false;
            for (i, (inputs, out, keep)) in jobs.iter().enumerate() {
                let rows = merge::merge(inputs, out, delimiter, line_ending, *keep)?;
                if i == 2 {
                    unprocessed = rows > 0;
                }
            }
            Ok(unprocessed)
        })
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))??;
        self.update(|j| j.merged = true).await?;
        remove_dir_if_exists(&journal.results.parts_dir).await?;
        Ok(unprocessed)
    }
}

/// A part's job time: by the server's clock (`createdDate` to `systemModstamp`, whole seconds) when it says,
/// since the client sees the end only at its next poll (up to the longest poll interval late, or much later
/// when the job finished while no client was running); else from the job's creation to when it was seen
/// finished.
fn elapsed(p: &PartEntry) -> Option<Duration> {
    let ms = match (p.server_ms, p.started_ms, p.finished_ms) {
        (Some(server), _, _) => server,
        (None, Some(start), Some(end)) => end.saturating_sub(start),
        _ => return None,
    };
    Some(Duration::from_millis(ms))
}

/// The job's lifetime by the server's clock: `createdDate` to `systemModstamp` (its last change, the end for a
/// finished job), both like `2023-01-26T10:09:27.000+0000`.
fn server_duration(info: &JobInfo) -> Option<u64> {
    let created = timestamp_ms(info.created_date.as_deref()?)?;
    let modified = timestamp_ms(info.system_modstamp.as_deref()?)?;
    modified.checked_sub(created)
}

/// Milliseconds since the Unix epoch of `YYYY-MM-DDTHH:MM:SS[.mmm](+|-)HHMM` (or `Z`).
fn timestamp_ms(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> { text.get(range)?.parse().ok() };
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        millis = fraction.get(..digits.min(3))?.parse::<i64>().ok()?
            * 10_i64.pow(3 - digits.min(3) as u32);
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        "" | "Z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits = rest[1..].replace(':', "");
            let h: i64 = digits.get(0..2)?.parse().ok()?;
            let m: i64 = digits.get(2..4)?.parse().ok()?;
            sign * (h * 60 + m)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    u64::try_from(seconds * 1000 + millis).ok()
}

fn counts(info: &JobInfo) -> (u64, u64) {
    (
        info.number_records_processed.unwrap_or(0),
        info.number_records_failed.unwrap_or(0),
    )
}

/// Runs the parts and merges; the outcome with whether unprocessed rows were written.
async fn run_parts(
    ctx: &Ctx<'_>,
    options: &RunOptions,
    stop: &CancellationToken,
    halt: &CancellationToken,
) -> (Outcome, bool) {
    let reason = std::sync::Mutex::new(None::<Halt>);
    let set_reason = |why: Halt| {
        let mut reason = reason.lock().unwrap_or_else(|e| e.into_inner());
        if reason.is_none() {
            *reason = Some(why);
        }
        halt.cancel();
    };
    let deadline = tokio::time::sleep(options.timeout);
    let work = async {
        // A previous run may have left parts in doubt: settle them first, so the totals below are right.
        let (parts, merged) = {
            let j = ctx.journal.lock().await;
            (j.parts.clone(), j.merged)
        };
        if merged {
            return;
        }
        for (i, p) in parts.iter().enumerate() {
            if matches!(p.phase, Phase::Created | Phase::Uploaded)
                && let Err(e) = ctx.reconcile(i).await
            {
                set_reason(Halt::Failed(e));
                return;
            }
        }
        let (parts, header_len) = {
            let j = ctx.journal.lock().await;
            (j.parts.clone(), j.header_end - j.header_start)
        };
        ctx.emit(LoadEvent::Started {
            parts: parts.len(),
            rows: parts.iter().map(|p| p.range.rows).sum(),
            upload_bytes: parts
                .iter()
                .filter(|p| p.phase < Phase::Uploaded)
                .map(|p| header_len + p.range.len())
                .sum(),
            parts_done: parts
                .iter()
                .filter(|p| p.phase == Phase::Downloaded)
                .count(),
            rows_done: parts.iter().map(|p| p.processed).sum(),
        });
        // Parts already on the server first, so they finish soonest.
        let mut order: Vec<usize> = (0..parts.len())
            .filter(|&i| parts[i].phase < Phase::Downloaded)
            .collect();
        order.sort_by_key(|&i| std::cmp::Reverse(parts[i].phase > Phase::Pending));
        let mut runs = futures::stream::iter(order)
            .map(|i| ctx.run_part(i))
            .buffer_unordered(options.parallel.max(1));
        while let Some(result) = runs.next().await {
            if let Err(e) = result {
                set_reason(Halt::Failed(e));
            }
        }
    };
    tokio::select! {
        () = work => {}
        // Stops and the deadline cancel `halt`; the work then winds down (aborting open jobs) and ends above.
        () = async {
            tokio::select! {
                () = stop.cancelled() => set_reason(Halt::Stopped),
                () = deadline => set_reason(Halt::TimedOut),
            }
            std::future::pending::<()>().await
        } => {}
    }
    let reason = reason.into_inner().unwrap_or_else(|e| e.into_inner());
    match reason {
        Some(Halt::Stopped) => return (Outcome::Stopped, false),
        Some(Halt::TimedOut) => return (Outcome::TimedOut, false),
        Some(Halt::Failed(e)) => return (Outcome::Failed(e), false),
        None => {}
    }
    let all_done = ctx
        .journal
        .lock()
        .await
        .parts
        .iter()
        .all(|p| p.phase == Phase::Downloaded);
    if !all_done {
        // Cannot happen without a halt reason; said rather than assumed.
        return (
            Outcome::Failed(Error::Protocol(
                "the run ended with parts unfinished".into(),
            )),
            false,
        );
    }
    let already_merged = ctx.journal.lock().await.merged;
    if already_merged {
        let unprocessed = ctx.journal.lock().await.results.unprocessed.exists();
        return (Outcome::Complete, unprocessed);
    }
    ctx.emit(LoadEvent::Merging);
    match ctx.merge().await {
        Ok(unprocessed) => (Outcome::Complete, unprocessed),
        Err(e) => (Outcome::Failed(e), false),
    }
}

fn report(
    journal: Journal,
    (outcome, has_unprocessed): (Outcome, bool),
    path: &Path,
) -> LoadReport {
    let parts = journal
        .parts
        .iter()
        .enumerate()
        .map(|(i, p)| PartReport {
            part: i + 1,
            job_id: p.job_id.clone(),
            rows: p.range.rows,
            processed: p.processed,
            failed: p.failed,
            state: p.state,
            phase: p.phase,
            error_message: p.error_message.clone(),
            elapsed: elapsed(p),
        })
        .collect();
    LoadReport {
        outcome,
        parts,
        rows: journal.rows,
        elapsed: Duration::from_millis(journal.elapsed_ms),
        bom: journal.bom,
        delimiter: journal.column_delimiter,
        line_ending: journal.line_ending,
        results: journal.results,
        has_unprocessed,
        journal: path.to_owned(),
    }
}

/// Reports the bytes read through it as [`LoadEvent::Uploaded`].
struct Counting<R> {
    inner: R,
    part: usize,
    events: EventSink,
}

impl<R: AsyncRead + Unpin> AsyncRead for Counting<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = (buf.filled().len() - before) as u64;
        if read > 0 {
            (self.events)(&LoadEvent::Uploaded {
                part: self.part,
                bytes: read,
            });
        }
        poll
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salesforce_timestamps_read_as_unix_milliseconds() {
        assert_eq!(timestamp_ms("1970-01-01T00:00:00.000+0000"), Some(0));
        assert_eq!(
            timestamp_ms("2023-01-26T10:09:27.000+0000"),
            Some(1_674_727_767_000)
        );
        assert_eq!(
            timestamp_ms("2023-01-26T11:09:27.250+0100"),
            Some(1_674_727_767_250)
        );
        assert_eq!(
            timestamp_ms("2024-02-29T00:00:00Z"),
            Some(1_709_164_800_000)
        );
        assert_eq!(timestamp_ms("yesterday"), None);
    }
}

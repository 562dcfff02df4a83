//! What a load reports: [`LoadEvent`]s while it runs (for a progress display), and a [`LoadReport`] at the end
//! of every run, whatever its [`Outcome`].

use super::journal::{Journal, PartEntry, Phase, ResultFiles};
use crate::{Error, JobState};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

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
    /// Stopped through the [`CancellationToken`](super::CancellationToken): closed jobs keep running; resume
    /// to continue.
    Stopped,
    /// [`RunOptions::timeout`](super::RunOptions::timeout) passed: closed jobs keep running; resume to
    /// continue.
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

impl LoadReport {
    /// The report of a run that ended with `outcome`, from the journal as the run left it; `has_unprocessed`
    /// says whether the merge wrote an unprocessed file.
    pub(super) fn from_journal(
        journal: Journal,
        outcome: Outcome,
        has_unprocessed: bool,
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

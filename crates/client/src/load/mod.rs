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
mod part;
mod report;
mod run;
mod spec;
pub mod split;

pub use error::LoadError;
pub use report::{EventSink, LoadEvent, LoadReport, Outcome, PartReport};
pub use spec::{LoadSpec, RunOptions};
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

use crate::{Client, Error, Operation, Result};
use journal::{FileIdentity, JOURNAL_VERSION, Journal, PartEntry};
use run::Run;
use split::SplitPlan;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};

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
        let (identity, plan) = blocking(move || -> Result<(FileIdentity, SplitPlan)> {
            let identity = FileIdentity::of(&file)?;
            let plan = split::plan_file(&file, &split)?;
            Ok((identity, plan))
        })
        .await?;
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
        blocking(move || to_write.write(&path)).await?;
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
        let file = spec.file.clone();
        let (start, end) = (journal.header_start, journal.header_end);
        let (identity, header) = blocking(move || read_identity_and_header(&file, start, end))
            .await
            .map_err(|e| match e {
                // A shorter file cannot hold the header any more: that is a change, said as such.
                Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                    Error::Load(LoadError::FileChanged {
                        path: spec.file.clone(),
                        what: "it is shorter".into(),
                    })
                }
                other => other,
            })?;
        check_same_load(&journal, spec, &identity)?;
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
        let run = Run::new(
            client,
            self.journal,
            self.journal_path.clone(),
            self.header,
            options.poll.clone(),
            events,
        );
        let (outcome, has_unprocessed) = run.run_parts(options, &stop).await;
        let journal = run.into_journal().await;
        LoadReport::from_journal(journal, outcome, has_unprocessed, &self.journal_path)
    }
}

/// The identity of the file to resume, and its header line (bytes `start..end`).
fn read_identity_and_header(file: &Path, start: u64, end: u64) -> Result<(FileIdentity, Vec<u8>)> {
    use std::io::{Read, Seek};
    let identity = FileIdentity::of(file)?;
    let mut header = vec![0u8; (end - start) as usize];
    let mut f = std::fs::File::open(file)?;
    f.seek(SeekFrom::Start(start))?;
    f.read_exact(&mut header)?;
    Ok((identity, header))
}

/// Refuses to resume a journal with `spec` when it is another load: another file, object, operation or
/// external id ([`LoadError::JournalMismatch`]), or the same file changed since ([`LoadError::FileChanged`]).
fn check_same_load(journal: &Journal, spec: &LoadSpec, identity: &FileIdentity) -> Result<()> {
    let mismatch = |what: String| -> Error {
        LoadError::JournalMismatch {
            path: spec.journal.clone(),
            what,
        }
        .into()
    };
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
    match journal.file.difference(identity) {
        Some(what) => Err(LoadError::FileChanged {
            path: spec.file.clone(),
            what,
        }
        .into()),
        None => Ok(()),
    }
}

async fn remove_dir_if_exists(dir: &Path) -> Result<()> {
    match tokio::fs::remove_dir_all(dir).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// Runs file work that blocks (scanning, hashing, fsync) on tokio's blocking threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))?
}
#[cfg(test)]
mod tests {
    use super::*;

    /// Compiles only while a run and a wait stay `Send`, so that callers may spawn them (a borrow held across
    /// an await, e.g. in an async closure, silently takes that away).
    #[allow(dead_code)]
    fn runs_and_waits_are_send(load: Load, client: &Client) {
        fn send<T: Send>(_: T) {}
        let events: EventSink = std::sync::Arc::new(|_| {});
        send(load.run(
            client,
            &RunOptions::default(),
            events,
            CancellationToken::new(),
        ));
        send(client.wait_for_job(crate::JobKind::Ingest, "x", &crate::PollOptions::default()));
    }
}

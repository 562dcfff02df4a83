//! The threads of one ingest job and the channels between them.
//!
//! - the reader parses records into chunks of row operations with their echoed cells, and hands them over
//!   through a channel of one (so memory holds two chunks at most: one applied, one prepared);
//! - on a fresh start, the structure check reads the whole upload for job-level problems and sends one
//!   verdict; no transaction commits before it has passed;
//! - the result writer formats and writes each applied chunk's result parts and answers once per chunk; a
//!   transaction commits only after its chunks' parts are written;
//! - this thread applies chunks to the store, one transaction at a time ([`Feed`]).
//!
//! Every thread runs in one scope: when the apply loop returns (done, stopped or failed) it drops its ends
//! of the channels, so the reader (perhaps blocked on a full channel) and the writer end, and the check is
//! told to stop; the scope waits for all of them.

use super::chunk::{PreparedChunk, prepare_chunk};
use super::fault::FailAfter;
use super::feed::Feed;
use super::result_parts::{ResultParts, write_result_parts};
use super::upload::{READ_BUFFER, UploadReader, csv_error, line_ending_error, terminator_fits};
use crate::state::AppState;
use crate::worker::outcome::Stop;
use bulkforce_core::csv::{LineEnding, Record, RecordReader};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::IngestPlan;
use bulkforce_core::job::Job;
use bulkforce_store::{ChunkCommit, StoreError};
use std::io::{BufReader, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::Scope;
use std::time::{Duration, Instant};

/// Rows in a job's first chunk (unless `chunk_rows` is smaller).
const FIRST_CHUNK_ROWS: usize = 1000;

/// The structure check's one verdict.
type Verdict = Result<(), Stop>;
/// The reader's chunks, or why it stopped.
type Prepared = Result<PreparedChunk, Stop>;

/// One job's pipeline: what every thread reads.
#[derive(Clone, Copy)]
pub(super) struct Pipeline<'a> {
    pub(super) state: &'a AppState,
    pub(super) org: SfId,
    pub(super) job: &'a Job,
    pub(super) plan: &'a IngestPlan,
    /// The header's column names, for row errors.
    pub(super) columns: &'a [String],
    /// When processing started, for the timing log.
    pub(super) started: Instant,
    /// A job fault rule's hit: the job fails after that many more rows.
    pub(super) job_fault: Option<&'a FailAfter>,
}

/// Where the reader starts: the upload from `offset`, at physical line `line`.
pub(super) struct ReadFrom {
    pub(super) upload: Box<dyn Read + Send>,
    pub(super) offset: u64,
    pub(super) line: u64,
}

impl<'a> Pipeline<'a> {
    /// Applies the upload from `from`, chunks numbered from `chunks_done`; `check` is the upload read past
    /// its header, for the structure check on a fresh start (`None` after a restart: it already passed).
    pub(super) fn run(
        self,
        from: ReadFrom,
        check: Option<UploadReader>,
        chunks_done: u64,
    ) -> Result<(), Stop> {
        let cancelled = AtomicBool::new(false);
        std::thread::scope(|scope| {
            // Tells the check to stop reading however this closure returns (the scope waits for it).
            let _cancel = CancelOnDrop(&cancelled);
            let verdict =
                start_structure_check(scope, check, self.job.dialect.line_ending, &cancelled);
            let chunks = self.start_reader(scope, from);
            let (parts, written) = self.start_result_writer(scope);
            self.apply_loop(chunks, verdict, parts, written, chunks_done)
        })
    }

    /// The reader thread: chunks of prepared rows, the first ones small so the writer starts early, doubling
    /// up to `chunk_rows`. It stops at the end of the upload, after a failure, or when the channel closes
    /// (the apply loop stopped).
    fn start_reader<'scope>(
        self,
        scope: &'scope Scope<'scope, '_>,
        from: ReadFrom,
    ) -> Receiver<Prepared>
    where
        'a: 'scope,
    {
        let (tx, rx) = mpsc::sync_channel::<Prepared>(1);
        let dialect = self.job.dialect;
        let chunk_rows = self.state.config.chunk_rows.max(1);
        scope.spawn(move || {
            let mut reader = RecordReader::new(
                BufReader::with_capacity(READ_BUFFER, from.upload),
                dialect.delimiter.byte(),
                from.offset,
            );
            reader.set_line(from.line);
            let mut rows = chunk_rows.min(FIRST_CHUNK_ROWS);
            let faults = &self.state.faults;
            let mut job_fault = self.job_fault.cloned();
            loop {
                let mut read =
                    |n| prepare_chunk(&mut reader, self.plan, self.columns, dialect, n, faults);
                let prepared = match job_fault.as_mut() {
                    Some(fault) => fault.next(rows, read, |chunk| chunk.rows.len()),
                    None => read(rows),
                };
                rows = (rows * 2).min(chunk_rows);
                let last = !matches!(prepared, Ok(Some(_)));
                let sent = match prepared {
                    Ok(Some(chunk)) => tx.send(Ok(chunk)),
                    Ok(None) => break,
                    Err(e) => tx.send(Err(e)),
                };
                // A closed channel means the writer stopped (job aborted, or failed): stop reading.
                if sent.is_err() || last {
                    break;
                }
            }
        });
        rx
    }

    /// The result writer thread: formats and writes (and syncs) each applied chunk's result parts while the
    /// next chunk is applied, answering once per chunk.
    fn start_result_writer<'scope>(
        self,
        scope: &'scope Scope<'scope, '_>,
    ) -> (Sender<ResultParts>, Receiver<Result<(), StoreError>>)
    where
        'a: 'scope,
    {
        let (parts_tx, parts_rx) = mpsc::channel::<ResultParts>();
        let (written_tx, written_rx) = mpsc::channel::<Result<(), StoreError>>();
        scope.spawn(move || {
            for ResultParts {
                chunk,
                echoes,
                outcomes,
                spent,
            } in parts_rx
            {
                let written =
                    write_result_parts(self.state, self.org, self.job, chunk, &echoes, &outcomes);
                if written_tx.send(written).is_err() {
                    break;
                }
                // Freed here, after the answer, so that neither the writer nor its commit waits for it.
                drop(spent);
            }
        });
        (parts_tx, written_rx)
    }

    /// Applies the reader's chunks until the upload ends, the job stops being InProgress, or something
    /// fails. Owns its ends of the channels, so that returning closes them.
    fn apply_loop(
        self,
        chunks: Receiver<Prepared>,
        verdict: Receiver<Verdict>,
        parts: Sender<ResultParts>,
        written: Receiver<Result<(), StoreError>>,
        chunks_done: u64,
    ) -> Result<(), Stop> {
        let Pipeline {
            state, org, job, ..
        } = self;
        let mut feed = Feed::new(
            state,
            (org, job.id),
            &chunks,
            chunks_done,
            verdict,
            parts,
            written,
        );
        let (mut waited_for_rows, mut in_store) = (Duration::ZERO, Duration::ZERO);
        // Blocks here, outside the database, until the reader has a chunk; then applies it and whatever
        // else is ready in one transaction.
        let mut waiting = Instant::now();
        while let Ok(prepared) = chunks.recv() {
            feed.started = Instant::now();
            waited_for_rows += waiting.elapsed();
            let first = match prepared {
                Ok(chunk) => feed.take(chunk),
                // The check reads the same bytes, and line endings too: its finding comes first.
                Err(stop) => return Err(feed.check_failure().unwrap_or(stop)),
            };
            let applied = state
                .store
                .apply_chunks(org, job, self.plan, first, &mut feed);
            in_store += feed.started.elapsed();
            let (succeeded, failed) = std::mem::take(&mut feed.uncommitted_rows);
            if applied.is_ok() {
                feed.committed();
            }
            if matches!(applied, Ok(ChunkCommit::Committed)) {
                let operation = job.operation.name();
                let metrics = &state.observers.metrics;
                metrics.ingest_rows(operation, succeeded, failed);
            }
            let applied = match applied {
                Ok(applied) => applied,
                Err(e) => return Err(feed.failed_check().unwrap_or(Stop::Store(e))),
            };
            if applied == ChunkCommit::JobStopped {
                return Err(Stop::Aborted);
            }
            if let Some(stop) = feed.stopped.take() {
                return Err(stop);
            }
            // Held meanwhile: what is committed stays, and the job waits, unclaimed, for its release.
            if state.store.give_up_held_job(org, job.id)? {
                return Err(Stop::Held);
            }
            // The server is stopping: what is committed stays, and the next claim resumes from it.
            if state.shutdown.is_stopping() {
                return Err(Stop::ShuttingDown);
            }
            if state.config.chunk_delay_ms > 0 {
                std::thread::sleep(Duration::from_millis(state.config.chunk_delay_ms));
            }
            waiting = Instant::now();
        }
        // An upload with no data rows (or only blank ones) still has to pass the check.
        if let Some(stop) = feed.check_failure() {
            return Err(stop);
        }
        // Where the time went, for whoever tunes the pipeline (`BULKFORCE_LOG=bulkforce_server=debug`).
        tracing::debug!(
            job = %job.id,
            processed_ms = self.started.elapsed().as_millis() as u64,
            in_store_ms = in_store.as_millis() as u64,
            waited_for_rows_ms = waited_for_rows.as_millis() as u64,
            waited_for_results_ms = feed.waited_for_parts.as_millis() as u64,
            waited_for_check_ms = feed.waited_for_check.as_millis() as u64,
            "ingest job processed"
        );
        Ok(())
    }
}

/// The structure check: on a thread reading `reader` on a fresh start; without one (a verdict of "passed")
/// after a restart, since the previous run committed only after it passed.
fn start_structure_check<'scope>(
    scope: &'scope Scope<'scope, '_>,
    reader: Option<UploadReader>,
    line_ending: LineEnding,
    cancelled: &'scope AtomicBool,
) -> Receiver<Verdict> {
    let (tx, rx) = mpsc::channel::<Verdict>();
    match reader {
        Some(reader) => {
            scope.spawn(move || {
                let _ = tx.send(check_structure(reader, line_ending, cancelled));
            });
        }
        None => {
            let _ = tx.send(Ok(()));
        }
    }
    rx
}

/// Reads the whole upload (after its header) for job-level problems: a line ending other than the job's,
/// or CSV that cannot be parsed. Stops early, with no verdict worth reading, when `cancelled` is set.
fn check_structure(
    mut reader: UploadReader,
    line_ending: LineEnding,
    cancelled: &AtomicBool,
) -> Verdict {
    let mut record = Record::default();
    while reader.read(&mut record).map_err(csv_error)? {
        if !terminator_fits(record.terminator(), line_ending) {
            return Err(line_ending_error(line_ending));
        }
        if cancelled.load(Ordering::Relaxed) {
            break;
        }
    }
    Ok(())
}

/// Sets its flag when dropped.
struct CancelOnDrop<'a>(&'a AtomicBool);

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

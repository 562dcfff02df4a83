//! The apply side of the ingest pipeline: hands the reader's prepared chunks to the store one transaction
//! at a time, sends each applied chunk to the result writer, and holds every commit until the structure
//! check has passed and the transaction's result parts are written.

use super::chunk::{Echoes, PreparedChunk};
use super::result_parts::ResultParts;
use crate::faults::UncommittedHits;
use crate::state::AppState;
use crate::worker::outcome::Stop;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::RowValues;
use bulkforce_store::{Chunk, ChunkProgress, ChunkSource, RowOutcome, StoreError};
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

/// The longest one transaction of chunks runs. Past a few chunks the gain of sharing a commit is small,
/// and meanwhile the org's database is held: job state changes wait for it.
const TRANSACTION_BUDGET: Duration = Duration::from_millis(1000);

/// Hands the reader thread's chunks to the store, one transaction at a time: a transaction takes the chunks
/// that are ready until its budget is spent; it never waits for the reader while holding the database.
pub(super) struct Feed<'a> {
    state: &'a AppState,
    /// The job's org and id: a job held meanwhile ends the transaction after its current chunk.
    job: (SfId, SfId),
    rx: &'a Receiver<Result<PreparedChunk, Stop>>,
    /// Index of the next chunk handed to the store.
    next_chunk: u64,
    /// The echoed cells of the chunk last handed over, for its result parts.
    echoes: Option<Echoes>,
    /// The row fault hits of the chunk last handed over, then of the chunks applied in the open
    /// transaction: spent once it commits, given back if dropped before.
    fault_hits: Option<UncommittedHits>,
    applied_fault_hits: Vec<UncommittedHits>,
    /// When the current transaction started.
    pub(super) started: Instant,
    /// Why the reader stopped, seen while filling a transaction: reported once it is committed.
    pub(super) stopped: Option<Stop>,
    /// To the thread that writes result parts, and its answers, one per chunk.
    parts: Sender<ResultParts>,
    written: Receiver<Result<(), StoreError>>,
    /// Chunks whose parts were sent and not yet answered for.
    unwritten: usize,
    /// Time commits spent waiting for result parts to be written.
    pub(super) waited_for_parts: Duration,
    /// The structure check's verdict, and how long commits waited for it.
    check: Check,
    pub(super) waited_for_check: Duration,
    /// Rows (succeeded, failed) of the chunks applied in the open transaction, for the metrics once it
    /// commits.
    pub(super) uncommitted_rows: (u64, u64),
}

/// Where the structure check of the upload stands.
enum Check {
    Pending(Receiver<Result<(), Stop>>),
    Passed,
    Failed(Stop),
}

impl<'a> Feed<'a> {
    /// A feed of the reader's chunks (`rx`), numbered from `next_chunk`, whose commits wait for the structure
    /// check's verdict (`check`) and for the result writer (`parts`, answered on `written`).
    pub(super) fn new(
        state: &'a AppState,
        job: (SfId, SfId),
        rx: &'a Receiver<Result<PreparedChunk, Stop>>,
        next_chunk: u64,
        check: Receiver<Result<(), Stop>>,
        parts: Sender<ResultParts>,
        written: Receiver<Result<(), StoreError>>,
    ) -> Self {
        Feed {
            state,
            job,
            rx,
            next_chunk,
            echoes: None,
            fault_hits: None,
            applied_fault_hits: Vec::new(),
            started: Instant::now(),
            stopped: None,
            parts,
            written,
            unwritten: 0,
            waited_for_parts: Duration::ZERO,
            check: Check::Pending(check),
            waited_for_check: Duration::ZERO,
            uncommitted_rows: (0, 0),
        }
    }

    /// Waits for the structure check; the problem it found, if any.
    pub(super) fn check_failure(&mut self) -> Option<Stop> {
        if let Check::Pending(verdict) = &self.check {
            let waiting = Instant::now();
            self.check = match verdict.recv() {
                Ok(Ok(())) => Check::Passed,
                Ok(Err(stop)) => Check::Failed(stop),
                Err(_) => Check::Failed(Stop::Store(StoreError::Invalid(
                    "the structure check of the upload stopped".into(),
                ))),
            };
            self.waited_for_check += waiting.elapsed();
        }
        self.failed_check()
    }

    /// The problem the structure check found, when it has already reported one.
    pub(super) fn failed_check(&mut self) -> Option<Stop> {
        match std::mem::replace(&mut self.check, Check::Passed) {
            Check::Failed(stop) => Some(stop),
            other => {
                self.check = other;
                None
            }
        }
    }

    /// The transaction committed: the row fault hits of its chunks are spent.
    pub(super) fn committed(&mut self) {
        self.applied_fault_hits
            .drain(..)
            .for_each(UncommittedHits::committed);
    }

    /// Whether the job was held meanwhile. A hold made in this process waits for the org's writer, which
    /// this transaction holds, so it is asked for first ([`Store::hold_requested`], in memory); the stored
    /// flag covers a hold written by another process sharing the store. A store that cannot say is taken
    /// as "not held": the check after the commit asks again.
    ///
    /// [`Store::hold_requested`]: bulkforce_store::Store::hold_requested
    fn is_held(&self) -> bool {
        let (org, id) = self.job;
        self.state.store.hold_requested(org, id)
            || matches!(self.state.store.job_summary(org, id), Ok(Some(job)) if job.held)
    }

    /// Hands `prepared` over as the store's next chunk, keeping its echoes for its result parts.
    pub(super) fn take(&mut self, prepared: PreparedChunk) -> Chunk {
        let progress = ChunkProgress {
            chunk: self.next_chunk,
            next_offset: prepared.next_offset,
            next_line: prepared.next_line,
            active_ms: prepared.active_ms,
        };
        self.next_chunk += 1;
        self.echoes = Some(prepared.echoes);
        self.fault_hits = Some(prepared.fault_hits);
        Chunk {
            rows: prepared.rows,
            progress,
        }
    }
}

impl ChunkSource for Feed<'_> {
    fn next_chunk(&mut self) -> Option<Chunk> {
        // A failed structure check ends the transaction now (its commit will not happen).
        if let Check::Pending(verdict) = &self.check
            && let Ok(found) = verdict.try_recv()
        {
            self.check = match found {
                Ok(()) => Check::Passed,
                Err(stop) => Check::Failed(stop),
            };
        }
        if matches!(self.check, Check::Failed(_)) {
            return None;
        }
        // A chunk delay is a test's way to watch a job progress: commit every chunk then.
        if self.state.config.chunk_delay_ms > 0 || self.started.elapsed() >= TRANSACTION_BUDGET {
            return None;
        }
        // A held job stops after the chunk it is on: commit now (the worker then gives it up).
        if self.is_held() {
            return None;
        }
        // While the check runs, the commit would wait for it anyway: wait for the next chunk instead.
        let next = if matches!(self.check, Check::Pending(_)) {
            self.rx.recv().ok()
        } else {
            self.rx.try_recv().ok()
        };
        match next {
            Some(Ok(prepared)) => Some(self.take(prepared)),
            Some(Err(stop)) => {
                self.stopped = Some(stop);
                None
            }
            None => None,
        }
    }

    fn chunk_applied(
        &mut self,
        chunk: u64,
        outcomes: Vec<RowOutcome>,
        spent: Vec<RowValues>,
    ) -> Result<(), StoreError> {
        let Some(echoes) = self.echoes.take() else {
            return Err(StoreError::Invalid(format!(
                "chunk {chunk} was applied without being handed over"
            )));
        };
        self.applied_fault_hits.extend(self.fault_hits.take());
        let failed = outcomes.iter().filter(|o| o.is_failure()).count() as u64;
        self.uncommitted_rows.0 += outcomes.len() as u64 - failed;
        self.uncommitted_rows.1 += failed;
        self.parts
            .send(ResultParts {
                chunk,
                echoes,
                outcomes,
                spent,
            })
            .map_err(|_| StoreError::Invalid("the result writer stopped".into()))?;
        self.unwritten += 1;
        Ok(())
    }

    fn before_commit(&mut self) -> Result<(), StoreError> {
        // Nothing commits before the upload passed its check; a failure rolls the transaction back (and is
        // put back for the caller to report).
        if let Some(stop) = self.check_failure() {
            self.check = Check::Failed(stop);
            return Err(StoreError::Invalid(
                "the upload failed its structure check".into(),
            ));
        }
        let mut first_error = None;
        let waiting = Instant::now();
        while self.unwritten > 0 {
            let written = self
                .written
                .recv()
                .map_err(|_| StoreError::Invalid("the result writer stopped".into()))?;
            self.unwritten -= 1;
            if let Err(e) = written {
                first_error.get_or_insert(e);
            }
        }
        self.waited_for_parts += waiting.elapsed();
        first_error.map_or(Ok(()), Err)
    }
}

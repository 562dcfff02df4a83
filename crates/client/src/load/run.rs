//! One run of a load: the state its part tasks share ([`Run`]), running the unfinished parts a few at a time
//! until they are done or the run halts (a stop, the deadline, the first error), and merging the results.
//! How one part goes from a new job to its downloaded results is in [`super::part`].

use super::journal::{Journal, PartEntry, Phase, ResultFiles};
use super::report::{EventSink, LoadEvent, Outcome};
use super::{CancellationToken, RunOptions, blocking, merge, remove_dir_if_exists};
use crate::{Client, Error, IngestJobRequest, PollOptions, Result, ResultKind};
use futures::StreamExt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

/// Why a run halted.
pub(super) enum Halt {
    Stopped,
    TimedOut,
    Failed(Error),
}

/// What the part tasks of one run share.
pub(super) struct Run<'a> {
    pub(super) client: &'a Client,
    /// The input file.
    pub(super) file: PathBuf,
    /// The header line, sent in front of every part.
    pub(super) header: Vec<u8>,
    journal_path: PathBuf,
    /// Time spent by earlier runs, in milliseconds.
    elapsed_before: u64,
    run_start: Instant,
    pub(super) journal: tokio::sync::Mutex<Journal>,
    events: EventSink,
    pub(super) poll: PollOptions,
    /// Cancelled on a stop, the deadline or the first error: no new work starts.
    pub(super) halt: CancellationToken,
    /// The first reason `halt` was cancelled.
    halt_reason: Mutex<Option<Halt>>,
}

impl<'a> Run<'a> {
    pub(super) fn new(
        client: &'a Client,
        journal: Journal,
        journal_path: PathBuf,
        header: Vec<u8>,
        poll: PollOptions,
        events: EventSink,
    ) -> Run<'a> {
        Run {
            client,
            file: journal.file.path.clone(),
            header,
            journal_path,
            elapsed_before: journal.elapsed_ms,
            run_start: Instant::now(),
            journal: tokio::sync::Mutex::new(journal),
            events,
            poll,
            halt: CancellationToken::new(),
            halt_reason: Mutex::new(None),
        }
    }

    pub(super) fn emit(&self, event: LoadEvent) {
        (self.events)(&event);
    }

    /// The events' sink, for the upload body that reports its own progress.
    pub(super) fn events(&self) -> EventSink {
        self.events.clone()
    }

    /// Applies `change` and writes the journal (in order: the lock is held through the write).
    pub(super) async fn update<T>(&self, change: impl FnOnce(&mut Journal) -> T) -> Result<T> {
        let mut journal = self.journal.lock().await;
        let out = change(&mut journal);
        journal.elapsed_ms = self.elapsed_before + self.run_start.elapsed().as_millis() as u64;
        let snapshot = journal.clone();
        let path = self.journal_path.clone();
        blocking(move || snapshot.write(&path)).await?;
        Ok(out)
    }

    pub(super) async fn entry(&self, part: usize) -> PartEntry {
        self.journal.lock().await.parts[part].clone()
    }

    /// Where a part's result file of one kind is kept until the merge.
    pub(super) fn part_file(results: &ResultFiles, part: usize, kind: ResultKind) -> PathBuf {
        let name = match kind {
            ResultKind::Successful => "success",
            ResultKind::Failed => "failed",
            ResultKind::Unprocessed => "unprocessed",
        };
        results
            .parts_dir
            .join(format!("part-{:05}-{name}.csv", part + 1))
    }

    /// The job every part is created with.
    pub(super) async fn job_request(&self) -> IngestJobRequest {
        let journal = self.journal.lock().await;
        let mut request = IngestJobRequest::new(&journal.object, journal.operation)
            .column_delimiter(journal.column_delimiter)
            .line_ending(journal.line_ending);
        if let Some(field) = &journal.external_id {
            request = request.external_id_field_name(field);
        }
        request
    }

    /// Records why the run halts (the first reason wins) and cancels `halt`.
    fn halt_with(&self, why: Halt) {
        let mut reason = self
            .halt_reason
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if reason.is_none() {
            *reason = Some(why);
        }
        self.halt.cancel();
    }

    /// Runs the parts and merges; the outcome with whether unprocessed rows were written.
    pub(super) async fn run_parts(
        &self,
        options: &RunOptions,
        stop: &CancellationToken,
    ) -> (Outcome, bool) {
        let deadline = tokio::time::sleep(options.timeout);
        tokio::select! {
            () = self.run_unfinished_parts(options.parallel) => {}
            // Stops and the deadline cancel `halt`; the work then winds down (aborting open jobs) and ends above.
            () = async {
                tokio::select! {
                    () = stop.cancelled() => self.halt_with(Halt::Stopped),
                    () = deadline => self.halt_with(Halt::TimedOut),
                }
                std::future::pending::<()>().await;
            } => {}
        }
        let reason = self
            .halt_reason
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match reason {
            Some(Halt::Stopped) => (Outcome::Stopped, false),
            Some(Halt::TimedOut) => (Outcome::TimedOut, false),
            Some(Halt::Failed(e)) => (Outcome::Failed(e), false),
            None => self.merge_finished_load().await,
        }
    }

    /// Settles the parts a previous run left in doubt, then runs every unfinished part, `parallel` at a time;
    /// errors halt the run.
    async fn run_unfinished_parts(&self, parallel: usize) {
        let (parts, merged) = {
            let j = self.journal.lock().await;
            (j.parts.clone(), j.merged)
        };
        if merged {
            return;
        }
        // Settled first, so that the totals announced below are right.
        for (i, p) in parts.iter().enumerate() {
            if matches!(p.phase, Phase::Created | Phase::Uploaded)
                && let Err(e) = self.reconcile(i).await
            {
                self.halt_with(Halt::Failed(e));
                return;
            }
        }
        let parts = self.announce_start().await;
        // Parts already on the server first, so they finish soonest.
        let mut order: Vec<usize> = (0..parts.len())
            .filter(|&i| parts[i].phase < Phase::Downloaded)
            .collect();
        order.sort_by_key(|&i| std::cmp::Reverse(parts[i].phase > Phase::Pending));
        let mut runs = futures::stream::iter(order)
            .map(|i| self.run_part(i))
            .buffer_unordered(parallel.max(1));
        while let Some(result) = runs.next().await {
            if let Err(e) = result {
                self.halt_with(Halt::Failed(e));
            }
        }
    }

    /// Emits [`LoadEvent::Started`] with the load's totals; returns the parts as they stand.
    async fn announce_start(&self) -> Vec<PartEntry> {
        let (parts, header_len) = {
            let j = self.journal.lock().await;
            (j.parts.clone(), j.header_end - j.header_start)
        };
        self.emit(LoadEvent::Started {
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
        parts
    }

    /// After a run that did not halt: merges the parts' results, unless an earlier run already did.
    async fn merge_finished_load(&self) -> (Outcome, bool) {
        let (all_done, already_merged, unprocessed_file) = {
            let j = self.journal.lock().await;
            (
                j.parts.iter().all(|p| p.phase == Phase::Downloaded),
                j.merged,
                j.results.unprocessed.clone(),
            )
        };
        if !all_done {
            // Cannot happen without a halt reason; said rather than assumed.
            return (
                Outcome::Failed(Error::Protocol(
                    "the run ended with parts unfinished".into(),
                )),
                false,
            );
        }
        if already_merged {
            return (Outcome::Complete, unprocessed_file.exists());
        }
        self.emit(LoadEvent::Merging);
        match self.merge().await {
            Ok(unprocessed) => (Outcome::Complete, unprocessed),
            Err(e) => (Outcome::Failed(e), false),
        }
    }

    /// Merges every part's results into the final files; returns whether there were unprocessed rows.
    async fn merge(&self) -> Result<bool> {
        let journal = self.journal.lock().await.clone();
        let parts = journal.parts.len();
        let files = |kind| {
            (0..parts)
                .map(|i| Run::part_file(&journal.results, i, kind))
                .collect::<Vec<_>>()
        };
        // (part files, merged file, whether an empty merge is still written)
        let merges = [
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
        let unprocessed = blocking(move || -> Result<bool> {
            let mut unprocessed = false;
            for (i, (inputs, out, keep)) in merges.iter().enumerate() {
                let rows = merge::merge(inputs, out, delimiter, line_ending, *keep)?;
                if i == 2 {
                    unprocessed = rows > 0;
                }
            }
            Ok(unprocessed)
        })
        .await?;
        self.update(|j| j.merged = true).await?;
        remove_dir_if_exists(&journal.results.parts_dir).await?;
        Ok(unprocessed)
    }

    /// The journal as the run leaves it, after a last write that keeps the time spent and the counters last
    /// seen. Every transition was written before it, so a failure of that write loses nothing a resume needs.
    pub(super) async fn into_journal(self) -> Journal {
        let _ = self.update(|_| ()).await;
        self.journal.into_inner()
    }
}

//! The ingest pipeline of one job: check the header, then apply the upload chunk by chunk while another
//! thread checks the whole upload's structure (line endings, CSV); nothing commits before that check has
//! passed, so a job that fails for its file has nothing written. Each chunk commits with its progress and
//! after its result parts, so a restart resumes after the last committed chunk with nothing applied or
//! reported twice.

use crate::state::AppState;
use bulkforce_core::csv::{
    CsvError, LineEnding, Record, RecordReader, Terminator, write_quoted_cell,
};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{IngestPlan, RowFailure, RowOp, RowValues};
use bulkforce_core::job::{Job, JobState};
use bulkforce_store::blob::keys::{self, ResultKind};
use bulkforce_store::{
    Chunk, ChunkCommit, ChunkProgress, ChunkSource, ClaimedJob, RowOutcome, StoreError,
};
use std::io::{BufReader, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

const READ_BUFFER: usize = 1024 * 1024;
/// Rows in a job's first chunk (unless `chunk_rows` is smaller).
const FIRST_CHUNK_ROWS: usize = 1000;
/// Salesforce's limit on the header row.
const MAX_HEADER_CHARS: usize = 32_000;

/// Why a job ends Failed: Salesforce's `errorMessage` text.
struct JobFailure(String);

enum Stop {
    Failed(JobFailure),
    Store(StoreError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Store(e)
    }
}

impl From<JobFailure> for Stop {
    fn from(f: JobFailure) -> Self {
        Stop::Failed(f)
    }
}

/// Processes a claimed job to its end (or until it is aborted or deleted).
pub(super) fn process(state: &AppState, claimed: ClaimedJob) {
    let ClaimedJob {
        org_id: org,
        job,
        checkpoint,
    } = claimed;
    let outcome = run(state, org, &job, checkpoint);
    let store = &state.store;
    let finished = match outcome {
        Ok(true) => store.finish_job(org, job.id, JobState::JobComplete, None, None),
        Ok(false) => Ok(false),
        Err(Stop::Failed(JobFailure(message))) => {
            store.finish_job(org, job.id, JobState::Failed, Some(&message), None)
        }
        Err(Stop::Store(e)) => {
            tracing::error!(job = %job.id, error = %e, "ingest job failed on a storage error");
            store.finish_job(
                org,
                job.id,
                JobState::Failed,
                Some(&format!("Unknown : {e}")),
                None,
            )
        }
    };
    if let Err(e) = finished {
        tracing::error!(job = %job.id, error = %e, "recording the end of a job failed");
    }
}

fn open_upload(state: &AppState, key: &str, offset: u64) -> Result<Box<dyn Read + Send>, Stop> {
    state.blobs.open(key, offset)?.ok_or_else(|| {
        Stop::Failed(JobFailure(
            "InvalidBatch : No data was uploaded for this job".into(),
        ))
    })
}

fn line_ending_error(expected: LineEnding) -> JobFailure {
    JobFailure(format!(
        "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is {expected}"
    ))
}

fn csv_error(e: CsvError) -> Stop {
    match e {
        CsvError::Io(e) => Stop::Store(e.into()),
        other => Stop::Failed(JobFailure(format!(
            "InvalidBatch : Failed to parse CSV. {other}"
        ))),
    }
}

fn terminator_fits(terminator: Terminator, expected: LineEnding) -> bool {
    matches!(
        (terminator, expected),
        (Terminator::Eof, _)
            | (Terminator::Lf, LineEnding::Lf)
            | (Terminator::CrLf, LineEnding::Crlf)
    )
}

/// Runs the job; `Ok(true)` when every row was processed, `Ok(false)` when it stopped being InProgress.
fn run(
    state: &AppState,
    org: SfId,
    job: &Job,
    checkpoint: bulkforce_store::Checkpoint,
) -> Result<bool, Stop> {
    if job.upload_bytes.is_none() {
        return Err(JobFailure("InvalidBatch : No data was uploaded for this job".into()).into());
    }
    let key = keys::upload(org, job.id);
    let dialect = job.dialect;
    let schema = state.store.schema().clone();
    let object = schema.object(&job.object).cloned().ok_or_else(|| {
        JobFailure(format!(
            "InvalidJob : Unable to find object: {}",
            job.object
        ))
    })?;

    // Header, and (on a fresh start) a full pass that finds job-level problems before anything is written.
    let mut reader = RecordReader::new(
        BufReader::with_capacity(READ_BUFFER, open_upload(state, &key, 0)?),
        dialect.delimiter.byte(),
        0,
    );
    reader.skip_bom().map_err(csv_error)?;
    let mut record = Record::default();
    if !reader.read(&mut record).map_err(csv_error)?
        || (record.is_blank() && record.terminator() == Terminator::Eof)
    {
        return Err(JobFailure("InvalidBatch : The uploaded CSV is empty".into()).into());
    }
    if !terminator_fits(record.terminator(), dialect.line_ending) {
        return Err(line_ending_error(dialect.line_ending).into());
    }
    let header: Vec<String> = record
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let header_chars: usize = header.iter().map(|h| h.chars().count() + 1).sum();
    if header_chars > MAX_HEADER_CHARS {
        return Err(JobFailure(format!(
            "InvalidBatch : The header row has more than {MAX_HEADER_CHARS} characters"
        ))
        .into());
    }
    let plan = IngestPlan::new(
        &schema,
        object,
        job.operation,
        job.external_id_field_name.as_deref(),
        &header,
    )
    .map_err(JobFailure)?;
    let (data_start, data_line) = (reader.offset(), record.line() + 1 + count_newlines(&record));
    let started = Instant::now();
    let fresh = checkpoint.next_offset == 0;
    let (start, line) = if fresh {
        (data_start, data_line)
    } else {
        (checkpoint.next_offset, checkpoint.next_line)
    };

    // Chunks: a reader thread parses rows, builds their operations and formats their echoed cells while
    // this thread applies the previous chunk to the database (SQLite has one writer; parsing needs none).
    // On a fresh start a third thread checks the whole upload's structure meanwhile: no transaction
    // commits before that check has passed, so a job-level problem fails the job with nothing applied.
    let upload = open_upload(state, &key, start)?;
    let chunk_rows = state.config.chunk_rows.max(1);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<PreparedChunk, Stop>>(1);
    let (check_tx, check_rx) = std::sync::mpsc::channel::<Result<(), Stop>>();
    let cancelled = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let plan = &plan;
        let cancelled = &cancelled;
        // Tells the check to stop reading however this closure returns (the scope waits for it).
        let _cancel = CancelOnDrop(cancelled);
        if fresh {
            scope.spawn(move || {
                let _ = check_tx.send(check_structure(reader, dialect.line_ending, cancelled));
            });
        } else {
            // Checked before the first chunk of the previous run committed.
            let _ = check_tx.send(Ok(()));
        }
        scope.spawn(move || {
            let mut reader = RecordReader::new(
                BufReader::with_capacity(READ_BUFFER, upload),
                dialect.delimiter.byte(),
                start,
            );
            reader.set_line(line);
            // The first chunks are small, so that the writer starts early; they double up to `chunk_rows`.
            let mut rows = chunk_rows.min(FIRST_CHUNK_ROWS);
            loop {
                let prepared = prepare_chunk(&mut reader, plan, dialect, rows);
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
        // Result parts are formatted and written (and synced) on a third thread while the next chunk is
        // applied; each transaction waits for its chunks' parts before it commits.
        let (parts_tx, parts_rx) = std::sync::mpsc::channel::<ResultParts>();
        let (written_tx, written_rx) = std::sync::mpsc::channel::<Result<(), StoreError>>();
        scope.spawn(move || {
            for ResultParts {
                chunk,
                echoes,
                outcomes,
                spent,
            } in parts_rx
            {
                let written = write_result_parts(state, org, job, chunk, &echoes, &outcomes);
                if written_tx.send(written).is_err() {
                    break;
                }
                // Freed here, after the answer, so that neither the writer nor its commit waits for it.
                drop(spent);
            }
        });
        // Owned by this closure, so that returning early (job stopped or failed) closes the channels and
        // the other threads end (the reader may be blocked on a full channel): the scope waits for them.
        let rx = rx;
        let mut feed = Feed {
            state,
            rx: &rx,
            next_chunk: checkpoint.chunks_done,
            echoes: None,
            started: Instant::now(),
            stopped: None,
            parts: parts_tx,
            written: written_rx,
            unwritten: 0,
            waited_for_parts: std::time::Duration::ZERO,
            check: Check::Pending(check_rx),
            waited_for_check: std::time::Duration::ZERO,
        };
        let (mut waited_for_rows, mut in_store) =
            (std::time::Duration::ZERO, std::time::Duration::ZERO);
        // Blocks here, outside the database, until the reader has a chunk; then applies it and whatever
        // else is ready in one transaction.
        let mut waiting = Instant::now();
        while let Ok(prepared) = rx.recv() {
            feed.started = Instant::now();
            waited_for_rows += waiting.elapsed();
            let first = match prepared {
                Ok(chunk) => feed.take(chunk),
                // The check reads the same bytes, and line endings too: its finding comes first.
                Err(stop) => return Err(feed.check_failure().unwrap_or(stop)),
            };
            let applied = state.store.apply_chunks(org, job, plan, first, &mut feed);
            in_store += feed.started.elapsed();
            let applied = match applied {
                Ok(applied) => applied,
                Err(e) => return Err(feed.failed_check().unwrap_or(Stop::Store(e))),
            };
            if applied == ChunkCommit::JobStopped {
                return Ok(false);
            }
            if let Some(stop) = feed.stopped.take() {
                return Err(stop);
            }
            if state.config.chunk_delay_ms > 0 {
                std::thread::sleep(std::time::Duration::from_millis(
                    state.config.chunk_delay_ms,
                ));
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
            processed_ms = started.elapsed().as_millis() as u64,
            in_store_ms = in_store.as_millis() as u64,
            waited_for_rows_ms = waited_for_rows.as_millis() as u64,
            waited_for_results_ms = feed.waited_for_parts.as_millis() as u64,
            waited_for_check_ms = feed.waited_for_check.as_millis() as u64,
            "ingest job processed"
        );
        Ok(true)
    })
}

/// The longest one transaction of chunks runs. Past a few chunks the gain of sharing a commit is small,
/// and meanwhile the org's database is held: job state changes wait for it.
const TRANSACTION_BUDGET: std::time::Duration = std::time::Duration::from_millis(1000);

/// Hands the reader thread's chunks to the store, one transaction at a time: a transaction takes the chunks
/// that are ready until its budget is spent; it never waits for the reader while holding the database.
struct Feed<'a> {
    state: &'a AppState,
    rx: &'a std::sync::mpsc::Receiver<Result<PreparedChunk, Stop>>,
    /// Index of the next chunk handed to the store.
    next_chunk: u64,
    /// The echoed cells of the chunk last handed over, for its result parts.
    echoes: Option<Echoes>,
    /// When the current transaction started.
    started: Instant,
    /// Why the reader stopped, seen while filling a transaction: reported once it is committed.
    stopped: Option<Stop>,
    /// To the thread that writes result parts, and its answers, one per chunk.
    parts: std::sync::mpsc::Sender<ResultParts>,
    written: std::sync::mpsc::Receiver<Result<(), StoreError>>,
    /// Chunks whose parts were sent and not yet answered for.
    unwritten: usize,
    /// Time commits spent waiting for result parts to be written.
    waited_for_parts: std::time::Duration,
    /// The structure check's verdict, and how long commits waited for it.
    check: Check,
    waited_for_check: std::time::Duration,
}

/// Where the structure check of the upload stands.
enum Check {
    Pending(std::sync::mpsc::Receiver<Result<(), Stop>>),
    Passed,
    Failed(Stop),
}

/// Reads the whole upload (after its header) for job-level problems: a line ending other than the job's,
/// or CSV that cannot be parsed. Stops early, with no verdict worth reading, when `cancelled` is set.
fn check_structure<R: std::io::BufRead>(
    mut reader: RecordReader<R>,
    line_ending: LineEnding,
    cancelled: &AtomicBool,
) -> Result<(), Stop> {
    let mut record = Record::default();
    while reader.read(&mut record).map_err(csv_error)? {
        if !terminator_fits(record.terminator(), line_ending) {
            return Err(line_ending_error(line_ending).into());
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

/// What the result parts of one chunk are made of.
struct ResultParts {
    chunk: u64,
    echoes: Echoes,
    outcomes: Vec<RowOutcome>,
    /// The applied rows' values, dropped on the result thread rather than the writer's.
    spent: Vec<RowValues>,
}

impl Feed<'_> {
    /// Waits for the structure check; the problem it found, if any.
    fn check_failure(&mut self) -> Option<Stop> {
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
    fn failed_check(&mut self) -> Option<Stop> {
        match std::mem::replace(&mut self.check, Check::Passed) {
            Check::Failed(stop) => Some(stop),
            other => {
                self.check = other;
                None
            }
        }
    }

    fn take(&mut self, prepared: PreparedChunk) -> Chunk {
        let progress = ChunkProgress {
            chunk: self.next_chunk,
            next_offset: prepared.next_offset,
            next_line: prepared.next_line,
            active_ms: prepared.active_ms,
        };
        self.next_chunk += 1;
        self.echoes = Some(prepared.echoes);
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

/// One chunk, ready for the database: its operations, each row's echoed cells, and where the next begins.
struct PreparedChunk {
    rows: Vec<Result<RowOp, RowFailure>>,
    echoes: Echoes,
    next_offset: u64,
    next_line: u64,
    active_ms: u64,
}

/// The uploaded cells of each row as result files echo them: quoted, joined by the delimiter.
struct Echoes {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Echoes {
    fn row(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

/// Reads up to `chunk_rows` records; `None` at the end of the upload.
fn prepare_chunk<R: std::io::BufRead>(
    reader: &mut RecordReader<R>,
    plan: &IngestPlan,
    dialect: bulkforce_core::csv::Dialect,
    chunk_rows: usize,
) -> Result<Option<PreparedChunk>, Stop> {
    let started = Instant::now();
    let mut record = Record::default();
    let mut rows = Vec::with_capacity(chunk_rows);
    let mut echoes = Echoes {
        bytes: Vec::new(),
        ends: Vec::with_capacity(chunk_rows),
    };
    let mut next_line = 0;
    while rows.len() < chunk_rows && reader.read(&mut record).map_err(csv_error)? {
        if record.is_blank() {
            continue;
        }
        rows.push(plan.build_row(&record));
        for i in 0..record.len() {
            if i > 0 {
                echoes.bytes.push(dialect.delimiter.byte());
            }
            write_quoted_cell(
                &mut echoes.bytes,
                &plan.echo(i, record.get(i).unwrap_or_default()),
            );
        }
        echoes.ends.push(echoes.bytes.len());
        next_line = record.line() + 1 + count_newlines(&record);
    }
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(PreparedChunk {
        rows,
        echoes,
        next_offset: reader.offset(),
        next_line,
        active_ms: started.elapsed().as_millis() as u64,
    }))
}

/// Line feeds inside a record's quoted values, so line numbers stay physical.
fn count_newlines(record: &Record) -> u64 {
    record
        .iter()
        .map(|c| c.iter().filter(|&&b| b == b'\n').count() as u64)
        .sum()
}

/// Writes the chunk's successful and failed rows, each cell quoted, echoing the uploaded columns.
fn write_result_parts(
    state: &AppState,
    org: SfId,
    job: &Job,
    chunk: u64,
    echoes: &Echoes,
    outcomes: &[RowOutcome],
) -> Result<(), StoreError> {
    let dialect = job.dialect;
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    let mut error_text = String::new();
    for (i, outcome) in outcomes.iter().enumerate() {
        let (out, id, second): (&mut Vec<u8>, Option<SfId>, &[u8]) = match outcome {
            RowOutcome::Created(id) => (&mut successful, Some(*id), b"true"),
            RowOutcome::Updated(id) | RowOutcome::Deleted(id) => {
                (&mut successful, Some(*id), b"false")
            }
            RowOutcome::Failed { id, error } => {
                error_text.clear();
                use std::fmt::Write as _;
                let _ = write!(error_text, "{error}");
                (&mut failed, *id, error_text.as_bytes())
            }
        };
        write_quoted_cell(
            out,
            id.as_ref()
                .map(|i| i.as_str().as_bytes())
                .unwrap_or_default(),
        );
        out.push(dialect.delimiter.byte());
        write_quoted_cell(out, second);
        let echo = echoes.row(i);
        if !echo.is_empty() {
            out.push(dialect.delimiter.byte());
            out.extend_from_slice(echo);
        }
        out.extend_from_slice(dialect.line_ending.bytes());
    }
    for (kind, bytes) in [
        (ResultKind::Successful, successful),
        (ResultKind::Failed, failed),
    ] {
        if bytes.is_empty() {
            continue;
        }
        let mut blob = state
            .blobs
            .create(&keys::result_part(org, job.id, kind, chunk))?;
        blob.write_all(&bytes)?;
        blob.commit()?;
    }
    Ok(())
}

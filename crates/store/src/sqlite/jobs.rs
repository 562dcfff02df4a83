//! Job rows: creation with minted ids, state transitions as compare-and-set, uploads, claims, checkpoints.

use super::{OrgDb, timeline};
use crate::job_row::JobRow;
pub(super) use crate::job_row::{JOB_COLUMNS, corrupt, time};
use crate::{Checkpoint, ChunkProgress, JobCount, JobPage, Result, UploadStart};
use bulkforce_core::id::{KeyPrefix, SfId};
use bulkforce_core::job::{Job, JobKind, JobState};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// The job in the first columns of `row` (selected as [`JOB_COLUMNS`]), by the rules both backends share.
pub(super) fn job_from_row(row: &Row<'_>) -> Result<Job> {
    JobRow {
        id: row.get(0)?,
        operation: row.get(1)?,
        object: row.get(2)?,
        created_by: row.get(3)?,
        created_ms: row.get(4)?,
        modstamp_ms: row.get(5)?,
        state: row.get(6)?,
        external_id_field: row.get(7)?,
        assignment_rule_id: row.get(8)?,
        api_version: row.get(9)?,
        column_delimiter: row.get(10)?,
        line_ending: row.get(11)?,
        processed: row.get(12)?,
        failed: row.get(13)?,
        retries: row.get(14)?,
        total_ms: row.get(15)?,
        active_ms: row.get(16)?,
        error_message: row.get(17)?,
        upload_bytes: row.get(18)?,
        query: row.get(19)?,
    }
    .into_job()
}

/// Reserves `count` consecutive sequence numbers for ids of `prefix`; returns the first.
pub(crate) fn reserve_sequence(conn: &Connection, prefix: KeyPrefix, count: u64) -> Result<u64> {
    reserve_counter(conn, prefix.as_str(), count)
}

/// Reserves `count` consecutive numbers of the counter `name` (a key prefix's ids, or an auto-number
/// field's `Object.Field`, which no prefix can be); returns the first. Counters only grow.
pub(crate) fn reserve_counter(conn: &Connection, name: &str, count: u64) -> Result<u64> {
    Ok(conn.query_row(
        "INSERT INTO bf_sequences (prefix, next) VALUES (?1, 1 + ?2)
         ON CONFLICT (prefix) DO UPDATE SET next = next + ?2 RETURNING next - ?2",
        params![name, count as i64],
        |r| r.get::<_, i64>(0),
    )? as u64)
}

pub(crate) fn create(db: &OrgDb, mut job: Job, hold: bool) -> Result<Job> {
    let conn = db.writer.lock();
    let tx = conn.unchecked_transaction()?;
    job.id = SfId::mint(
        KeyPrefix::JOB,
        db.shard,
        reserve_sequence(&tx, KeyPrefix::JOB, 1)?,
    );
    tx.execute(
        "INSERT INTO bf_jobs (id, operation, object, created_by, created_ms, modstamp_ms, state,
             external_id_field, assignment_rule_id, api_version, column_delimiter, line_ending, upload_state,
             upload_bytes, query, held)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            job.id.as_str(),
            job.operation.name(),
            job.object,
            job.created_by_id.as_str(),
            job.created_date.timestamp_millis(),
            job.state.name(),
            job.external_id_field_name,
            job.assignment_rule_id,
            job.api_version.0,
            job.dialect.delimiter.name(),
            job.dialect.line_ending.name(),
            if job.upload_bytes.is_some() { "received" } else { "none" },
            job.upload_bytes.map(|b| b as i64),
            job.query,
            hold,
        ],
    )?;
    timeline::record(&tx, job.id, job.state, job.created_date.timestamp_millis())?;
    tx.commit()?;
    Ok(job)
}

pub(crate) fn get(conn: &Connection, id: SfId) -> Result<Option<Job>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {JOB_COLUMNS} FROM bf_jobs WHERE id = ?1"))?;
    let mut rows = stmt.query([id.as_str()])?;
    match rows.next()? {
        Some(row) => Ok(Some(job_from_row(row)?)),
        None => Ok(None),
    }
}

/// Jobs counted by operation and state (the operation and state as stored, parsed back).
pub(crate) fn count(conn: &Connection) -> Result<Vec<JobCount>> {
    let mut stmt = conn.prepare_cached(
        "SELECT operation, state, COUNT(*) FROM bf_jobs GROUP BY operation, state ORDER BY operation, state",
    )?;
    let mut rows = stmt.query([])?;
    let mut counts = Vec::new();
    while let Some(row) = rows.next()? {
        let operation: String = row.get(0)?;
        let state: String = row.get(1)?;
        counts.push(JobCount {
            operation: operation
                .parse()
                .map_err(|_| corrupt("operation", &operation))?,
            state: state.parse().map_err(|_| corrupt("state", &state))?,
            count: u64::try_from(row.get::<_, i64>(2)?).unwrap_or_default(),
        });
    }
    Ok(counts)
}

pub(crate) fn list(
    conn: &Connection,
    kind: JobKind,
    after: Option<SfId>,
    limit: usize,
) -> Result<JobPage> {
    let operations = match kind {
        JobKind::Ingest => "operation NOT IN ('query', 'queryAll')",
        JobKind::Query => "operation IN ('query', 'queryAll')",
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {JOB_COLUMNS} FROM bf_jobs WHERE {operations} AND id > ?1 ORDER BY id LIMIT ?2"
    ))?;
    let after = after.map(|a| a.as_str().to_owned()).unwrap_or_default();
    let mut rows = stmt.query(params![after, limit as i64 + 1])?;
    let mut jobs = Vec::new();
    while let Some(row) = rows.next()? {
        jobs.push(job_from_row(row)?);
    }
    let next = if jobs.len() > limit {
        jobs.truncate(limit);
        jobs.last().map(|j| j.id)
    } else {
        None
    };
    Ok(JobPage { jobs, next })
}

/// Moves the job to `to` if it is in one of `from`, holding it too when `hold` is set; a final state ends
/// any hold (there is nothing left to hold).
pub(crate) fn transition(
    conn: &Connection,
    id: SfId,
    from: &[JobState],
    to: JobState,
    error_message: Option<&str>,
    hold: bool,
    now: i64,
) -> Result<Option<(Job, bool)>> {
    let tx = conn.unchecked_transaction()?;
    let Some(job) = get(&tx, id)? else {
        return Ok(None);
    };
    if !from.contains(&job.state) {
        return Ok(Some((job, false)));
    }
    tx.execute(
        "UPDATE bf_jobs SET state = ?2, modstamp_ms = ?3, error_message = coalesce(?4, error_message),
             claimed = CASE WHEN ?5 THEN 0 ELSE claimed END,
             total_ms = CASE WHEN ?5 AND started_ms IS NOT NULL THEN ?3 - started_ms ELSE total_ms END,
             held = CASE WHEN ?5 THEN 0 WHEN ?6 THEN 1 ELSE held END
         WHERE id = ?1",
        params![
            id.as_str(),
            to.name(),
            now,
            error_message,
            to.is_terminal(),
            hold
        ],
    )?;
    timeline::record(&tx, id, to, now)?;
    let job = get(&tx, id)?.ok_or_else(|| corrupt("job", id))?;
    tx.commit()?;
    Ok(Some((job, true)))
}

pub(crate) fn begin_upload(conn: &Connection, id: SfId) -> Result<Option<UploadStart>> {
    let tx = conn.unchecked_transaction()?;
    let row = tx
        .query_row(
            "SELECT state, upload_state FROM bf_jobs WHERE id = ?1",
            [id.as_str()],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()?;
    let Some((state, upload_state)) = row else {
        return Ok(None);
    };
    let state: JobState = state.parse().map_err(|_| corrupt("state", &state))?;
    // A job that is no longer Open refuses data whatever it holds; an Open one refuses a second upload.
    if state != JobState::Open {
        return Ok(Some(UploadStart::NotOpen(state)));
    }
    if upload_state != "none" {
        return Ok(Some(UploadStart::AlreadyUploaded));
    }
    tx.execute(
        "UPDATE bf_jobs SET upload_state = 'receiving' WHERE id = ?1",
        [id.as_str()],
    )?;
    tx.commit()?;
    Ok(Some(UploadStart::Started))
}

/// Ends the upload reservation of `id`, if it is still there (`release_claims` may have dropped it as the
/// server stopped); whether it was.
pub(crate) fn end_upload(
    conn: &Connection,
    id: SfId,
    bytes: Option<u64>,
    now: i64,
) -> Result<bool> {
    let ended = match bytes {
        Some(bytes) => conn.execute(
            "UPDATE bf_jobs SET upload_state = 'received', upload_bytes = ?2, modstamp_ms = ?3
             WHERE id = ?1 AND upload_state = 'receiving'",
            params![id.as_str(), bytes as i64, now],
        )?,
        None => conn.execute(
            "UPDATE bf_jobs SET upload_state = 'none' WHERE id = ?1 AND upload_state = 'receiving'",
            [id.as_str()],
        )?,
    };
    Ok(ended > 0)
}

/// Whether `id` is InProgress and claimed by a worker.
pub(crate) fn is_claimed(conn: &Connection, id: SfId) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT claimed = 1 AND state = 'InProgress' FROM bf_jobs WHERE id = ?1",
            [id.as_str()],
            |r| r.get::<_, bool>(0),
        )
        .optional()?
        .unwrap_or(false))
}

/// Makes the Open jobs whose upload was being received uploadable again: at start no upload can be in
/// flight, so such a reservation belongs to a server that died mid-upload (its temporary blob is removed
/// when the blobs open). Without this the job would refuse every new upload and fail when closed.
pub(crate) fn release_interrupted_uploads(conn: &Connection) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE bf_jobs SET upload_state = 'none' WHERE upload_state = 'receiving' AND state = 'Open'",
        [],
    )?)
}

/// Claims the oldest waiting job that is not held; the first claim of a job enters InProgress on its
/// timeline (a claim after a restart or a release resumes it: no new state).
pub(crate) fn claim(conn: &Connection, now: i64) -> Result<Option<(Job, Checkpoint)>> {
    let tx = conn.unchecked_transaction()?;
    let claimed = claim_waiting(&tx, now)?;
    if let Some((job, _)) = &claimed {
        timeline::record_first(&tx, job.id, JobState::InProgress, now)?;
    }
    tx.commit()?;
    Ok(claimed)
}

fn claim_waiting(conn: &Connection, now: i64) -> Result<Option<(Job, Checkpoint)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "UPDATE bf_jobs SET state = 'InProgress', claimed = 1,
             modstamp_ms = CASE WHEN state = 'UploadComplete' THEN ?1 ELSE modstamp_ms END,
             started_ms = coalesce(started_ms, ?1)
         WHERE id = (SELECT id FROM bf_jobs WHERE claimed = 0 AND held = 0
                     AND state IN ('UploadComplete', 'InProgress') ORDER BY id LIMIT 1)
         RETURNING {JOB_COLUMNS}, chunks_done, next_offset, next_line"
    ))?;
    let mut rows = stmt.query([now])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let job = job_from_row(row)?;
    let checkpoint = Checkpoint {
        chunks_done: row.get::<_, i64>(20)? as u64,
        next_offset: row.get::<_, i64>(21)? as u64,
        next_line: row.get::<_, i64>(22)? as u64,
    };
    Ok(Some((job, checkpoint)))
}

pub(crate) fn finish(
    conn: &Connection,
    id: SfId,
    state: JobState,
    error_message: Option<&str>,
    processed: Option<u64>,
    now: i64,
) -> Result<bool> {
    let tx = conn.unchecked_transaction()?;
    let finished = tx.execute(
        "UPDATE bf_jobs SET state = ?2, error_message = ?3, modstamp_ms = ?4, claimed = 0, held = 0,
             total_ms = ?4 - coalesce(started_ms, ?4), processed = coalesce(?5, processed)
         WHERE id = ?1 AND state = 'InProgress'",
        params![
            id.as_str(),
            state.name(),
            error_message,
            now,
            processed.map(|p| p as i64)
        ],
    )? > 0;
    if finished {
        timeline::record(&tx, id, state, now)?;
    }
    tx.commit()?;
    Ok(finished)
}

pub(crate) fn checkpoint(conn: &Connection, id: SfId) -> Result<Option<Checkpoint>> {
    Ok(conn
        .query_row(
            "SELECT chunks_done, next_offset, next_line FROM bf_jobs WHERE id = ?1",
            [id.as_str()],
            |r| {
                Ok(Checkpoint {
                    chunks_done: r.get::<_, i64>(0)? as u64,
                    next_offset: r.get::<_, i64>(1)? as u64,
                    next_line: r.get::<_, i64>(2)? as u64,
                })
            },
        )
        .optional()?)
}

/// Commits one chunk's progress if the job is still InProgress at that chunk; returns whether it was.
/// `progress.active_ms` is the chunk's whole active time; `processed` counts its rows, `failed` its failures.
pub(crate) fn advance(
    conn: &Connection,
    id: SfId,
    progress: &ChunkProgress,
    processed: u64,
    failed: u64,
    now: i64,
) -> Result<bool> {
    let ChunkProgress {
        chunk,
        next_offset,
        next_line,
        active_ms,
    } = *progress;
    Ok(conn.execute(
        "UPDATE bf_jobs SET chunks_done = chunks_done + 1, next_offset = ?3, next_line = ?4,
             processed = processed + ?5, failed = failed + ?6, active_ms = active_ms + ?7,
             total_ms = ?8 - coalesce(started_ms, ?8)
         WHERE id = ?1 AND state = 'InProgress' AND chunks_done = ?2",
        params![
            id.as_str(),
            chunk as i64,
            next_offset as i64,
            next_line as i64,
            processed as i64,
            failed as i64,
            active_ms as i64,
            now
        ],
    )? > 0)
}

//! Each job's timeline: every state it entered and when, written in the same transaction as the change
//! itself (creation, a transition, the first claim, the end), so the timeline never disagrees with the
//! job. Rows go when their job is deleted (a trigger, see `ddl`).

use super::jobs::{corrupt, time};
use crate::{Result, StateChange};
use bulkforce_core::id::SfId;
use bulkforce_core::job::JobState;
use rusqlite::{Connection, params};

/// Records that the job entered `state` at `at_ms`.
pub(crate) fn record(conn: &Connection, id: SfId, state: JobState, at_ms: i64) -> Result<()> {
    conn.prepare_cached("INSERT INTO bf_job_states (job_id, state, at_ms) VALUES (?1, ?2, ?3)")?
        .execute(params![id.as_str(), state.name(), at_ms])?;
    Ok(())
}

/// Records `state` unless the job entered it before: a job resumed after a restart or a hold is claimed
/// again without entering InProgress anew.
pub(crate) fn record_first(conn: &Connection, id: SfId, state: JobState, at_ms: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO bf_job_states (job_id, state, at_ms) SELECT ?1, ?2, ?3
         WHERE NOT EXISTS (SELECT 1 FROM bf_job_states WHERE job_id = ?1 AND state = ?2)",
    )?
    .execute(params![id.as_str(), state.name(), at_ms])?;
    Ok(())
}

/// The job's states, oldest first.
pub(crate) fn read(conn: &Connection, id: SfId) -> Result<Vec<StateChange>> {
    let mut stmt = conn
        .prepare_cached("SELECT state, at_ms FROM bf_job_states WHERE job_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([id.as_str()])?;
    let mut changes = Vec::new();
    while let Some(row) = rows.next()? {
        let state: String = row.get(0)?;
        changes.push(StateChange {
            state: state.parse().map_err(|()| corrupt("state", &state))?,
            at: time(row.get(1)?),
        });
    }
    Ok(changes)
}

//! Held jobs and the control API's view of jobs: a job with its org and its `held` flag, read one at a
//! time or listed across orgs with filters. A held job is never claimed (see `jobs::claim`); the worker
//! gives up a held job it runs between two transactions, so the job keeps its checkpoint.

use super::SqliteStore;
use super::jobs::{JOB_COLUMNS, job_from_row};
use crate::{HoldChange, JobFilter, JobSummary, Result, StateChange};
use bulkforce_core::id::SfId;
use bulkforce_core::job::JobKind;
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

/// Index of `held` after the job columns.
const HELD: usize = 20;

fn summary_from_row(org: SfId, row: &rusqlite::Row<'_>) -> Result<JobSummary> {
    Ok(JobSummary {
        org_id: org,
        job: job_from_row(row)?,
        held: row.get(HELD)?,
    })
}

/// One job of `org` with its hold.
pub(crate) fn summary(conn: &Connection, org: SfId, id: SfId) -> Result<Option<JobSummary>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {JOB_COLUMNS}, held FROM bf_jobs WHERE id = ?1"
    ))?;
    let mut rows = stmt.query([id.as_str()])?;
    rows.next()?
        .map(|row| summary_from_row(org, row))
        .transpose()
}

/// Holds or releases a job; a final job is not held (nothing would wait).
pub(crate) fn set_held(
    conn: &Connection,
    org: SfId,
    id: SfId,
    held: bool,
) -> Result<Option<HoldChange>> {
    let tx = conn.unchecked_transaction()?;
    let Some(current) = summary(&tx, org, id)? else {
        return Ok(None);
    };
    if held && current.job.state.is_terminal() {
        return Ok(Some(HoldChange::Finished(current)));
    }
    tx.execute(
        "UPDATE bf_jobs SET held = ?2 WHERE id = ?1",
        rusqlite::params![id.as_str(), held],
    )?;
    tx.commit()?;
    Ok(Some(HoldChange::Done(JobSummary { held, ..current })))
}

/// Drops the worker's claim on a held InProgress job; whether it was held. `requested`: a hold of the job
/// is waiting for the writer (see `hold_requests`); it counts as held, and is written here along with the
/// give-up, so that no other worker can claim the job before the hold itself is written.
pub(crate) fn give_up(conn: &Connection, id: SfId, requested: bool) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE bf_jobs SET claimed = 0, held = 1
         WHERE id = ?1 AND (held = 1 OR ?2) AND claimed = 1 AND state = 'InProgress'",
        rusqlite::params![id.as_str(), requested],
    )? > 0)
}

/// The org's jobs matching `filter` (its org is the caller's concern), newest first.
pub(crate) fn list(conn: &Connection, org: SfId, filter: &JobFilter) -> Result<Vec<JobSummary>> {
    let mut conditions = vec!["1"];
    let mut values: Vec<Value> = Vec::new();
    match filter.kind {
        Some(JobKind::Query) => conditions.push("operation IN ('query', 'queryAll')"),
        Some(JobKind::Ingest) => conditions.push("operation NOT IN ('query', 'queryAll')"),
        None => {}
    }
    if let Some(state) = filter.state {
        conditions.push("state = ?");
        values.push(Value::Text(state.name().to_owned()));
    }
    if let Some(object) = &filter.object {
        conditions.push("object = ? COLLATE NOCASE");
        values.push(Value::Text(object.clone()));
    }
    values.push(Value::Integer(
        i64::try_from(filter.limit).unwrap_or(i64::MAX),
    ));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {JOB_COLUMNS}, held FROM bf_jobs WHERE {} ORDER BY created_ms DESC, id DESC LIMIT ?",
        conditions.join(" AND ")
    ))?;
    let mut rows = stmt.query(params_from_iter(values))?;
    let mut jobs = Vec::new();
    while let Some(row) = rows.next()? {
        jobs.push(summary_from_row(org, row)?);
    }
    Ok(jobs)
}

impl SqliteStore {
    /// A job by id in whichever org has it: the id names no org, and orgs are few, so each is asked.
    pub(crate) fn find_job_in_orgs(&self, id: SfId) -> Result<Option<JobSummary>> {
        for org in self.org_ids()? {
            if let Some(found) = self.org(org)?.read(|conn| summary(conn, org, id))? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// `Store::find_job_detail`: each org's job and timeline read in one read transaction, so the two
    /// agree (a state change and its timeline row commit together).
    pub(crate) fn find_job_detail_in_orgs(
        &self,
        id: SfId,
    ) -> Result<Option<(JobSummary, Vec<StateChange>)>> {
        for org in self.org_ids()? {
            let found = self.org(org)?.read(|conn| {
                let tx = conn.unchecked_transaction()?;
                let Some(found) = summary(&tx, org, id)? else {
                    return Ok(None);
                };
                Ok(Some((found, super::timeline::read(&tx, id)?)))
            })?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// Jobs matching `filter` across orgs (or in its one org), newest first: each org's newest, merged.
    pub(crate) fn job_summaries(&self, filter: &JobFilter) -> Result<Vec<JobSummary>> {
        let mut jobs = Vec::new();
        for org in self.org_ids()? {
            if filter.org.is_none_or(|wanted| wanted == org) {
                jobs.extend(self.org(org)?.read(|conn| list(conn, org, filter))?);
            }
        }
        jobs.sort_by(|a, b| {
            (b.job.created_date, b.job.id.as_str()).cmp(&(a.job.created_date, a.job.id.as_str()))
        });
        jobs.truncate(filter.limit);
        Ok(jobs)
    }
}

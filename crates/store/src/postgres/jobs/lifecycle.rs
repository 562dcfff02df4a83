//! A job's life in `bulkforce.jobs`, every statement filtered by org (another org's job is simply not
//! found): creation with a minted id, reads and lists, transitions as compare-and-set under the row lock,
//! the fenced finish, deletion, checkpoints.

use super::rows::job_from_row;
use super::timeline;
use crate::job_row::JOB_COLUMNS;
use crate::postgres::{PgStore, ids, leases};
use crate::{Checkpoint, JobCount, JobPage, Result, StoreError};
use bulkforce_core::id::{KeyPrefix, SfId};
use bulkforce_core::job::{Job, JobKind, JobState};
use postgres::GenericClient;

/// `org`'s job `id` as stored; `lock`: locked for the rest of the caller's transaction.
pub(super) fn read_job(
    client: &mut impl GenericClient,
    org: SfId,
    id: SfId,
    lock: bool,
) -> Result<Option<Job>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    client
        .query_opt(
            &format!(
                "SELECT {JOB_COLUMNS} FROM bulkforce.jobs WHERE org_id = $1 AND id = $2{lock}"
            ),
            &[&org.as_str(), &id.as_str()],
        )?
        .map(|row| job_from_row(&row))
        .transpose()
}

impl PgStore {
    pub(in crate::postgres) fn pg_create_job(
        &self,
        org: SfId,
        mut job: Job,
        hold: bool,
    ) -> Result<Job> {
        let shard = self.org(org)?;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        job.id = ids::mint(&mut tx, org, shard, KeyPrefix::JOB, 1)?
            .next()
            .ok_or_else(|| StoreError::Corrupt("no job id was minted".into()))?;
        let created_ms = job.created_date.timestamp_millis();
        tx.execute(
            "INSERT INTO bulkforce.jobs (org_id, id, operation, object, created_by, created_ms, modstamp_ms,
                 state, external_id_field, assignment_rule_id, api_version, column_delimiter, line_ending,
                 upload_state, upload_bytes, query, held)
             VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            &[
                &org.as_str(),
                &job.id.as_str(),
                &job.operation.name(),
                &job.object,
                &job.created_by_id.as_str(),
                &created_ms,
                &job.state.name(),
                &job.external_id_field_name,
                &job.assignment_rule_id,
                &i32::from(job.api_version.0),
                &job.dialect.delimiter.name(),
                &job.dialect.line_ending.name(),
                &if job.upload_bytes.is_some() { "received" } else { "none" },
                &job.upload_bytes.map(|b| b as i64),
                &job.query,
                &hold,
            ],
        )?;
        timeline::record(&mut tx, job.id, job.state, created_ms)?;
        tx.commit()?;
        Ok(job)
    }

    pub(in crate::postgres) fn pg_get_job(&self, org: SfId, id: SfId) -> Result<Option<Job>> {
        read_job(&mut *self.conn()?, org, id, false)
    }

    pub(in crate::postgres) fn pg_list_jobs(
        &self,
        org: SfId,
        kind: JobKind,
        after: Option<SfId>,
        limit: usize,
    ) -> Result<JobPage> {
        let operations = match kind {
            JobKind::Ingest => "operation NOT IN ('query', 'queryAll')",
            JobKind::Query => "operation IN ('query', 'queryAll')",
        };
        let after = after.map(|a| a.as_str().to_owned()).unwrap_or_default();
        let fetch = i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1;
        let mut jobs = self
            .conn()?
            .query(
                &format!(
                    "SELECT {JOB_COLUMNS} FROM bulkforce.jobs WHERE org_id = $1 AND {operations} AND id > $2
                     ORDER BY id LIMIT $3"
                ),
                &[&org.as_str(), &after, &fetch],
            )?
            .iter()
            .map(job_from_row)
            .collect::<Result<Vec<_>>>()?;
        let next = if jobs.len() > limit {
            jobs.truncate(limit);
            jobs.last().map(|j| j.id)
        } else {
            None
        };
        Ok(JobPage { jobs, next })
    }

    pub(in crate::postgres) fn pg_count_jobs(&self, org: SfId) -> Result<Vec<JobCount>> {
        self.conn()?
            .query(
                "SELECT operation, state, COUNT(*) FROM bulkforce.jobs WHERE org_id = $1
                 GROUP BY operation, state ORDER BY operation, state",
                &[&org.as_str()],
            )?
            .iter()
            .map(|row| {
                let operation: String = row.try_get(0)?;
                let state: String = row.try_get(1)?;
                Ok(JobCount {
                    operation: operation
                        .parse()
                        .map_err(|_| crate::job_row::corrupt("operation", &operation))?,
                    state: state
                        .parse()
                        .map_err(|_| crate::job_row::corrupt("state", &state))?,
                    count: u64::try_from(row.try_get::<_, i64>(2)?).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Moves the job to `to` if it is in one of `from` (checked under the row lock, so of two competing
    /// transitions one wins), holding it too when `hold` is set; a final state ends any hold and any
    /// lease (there is nothing left to hold or to run).
    pub(in crate::postgres) fn pg_transition(
        &self,
        org: SfId,
        id: SfId,
        from: &[JobState],
        to: JobState,
        error_message: Option<&str>,
        hold: bool,
    ) -> Result<Option<(Job, bool)>> {
        let now = self.now_ms();
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let Some(job) = read_job(&mut tx, org, id, true)? else {
            return Ok(None);
        };
        if !from.contains(&job.state) {
            return Ok(Some((job, false)));
        }
        let terminal = to.is_terminal();
        tx.execute(
            "UPDATE bulkforce.jobs SET state = $3, modstamp_ms = $4, error_message = coalesce($5, error_message),
                 lease_owner = CASE WHEN $6 THEN NULL ELSE lease_owner END,
                 lease_until = CASE WHEN $6 THEN NULL ELSE lease_until END,
                 total_ms = CASE WHEN $6 AND started_ms IS NOT NULL THEN $4 - started_ms ELSE total_ms END,
                 held = CASE WHEN $6 THEN false WHEN $7 THEN true ELSE held END
             WHERE org_id = $1 AND id = $2",
            &[&org.as_str(), &id.as_str(), &to.name(), &now, &error_message, &terminal, &hold],
        )?;
        timeline::record(&mut tx, id, to, now)?;
        let job =
            read_job(&mut tx, org, id, false)?.ok_or_else(|| crate::job_row::corrupt("job", id))?;
        tx.commit()?;
        if terminal {
            self.leases.forget(org, id);
        }
        Ok(Some((job, true)))
    }

    /// Ends processing, fenced on this instance's lease: an instance that lost the job cannot finish it.
    pub(in crate::postgres) fn pg_finish_job(
        &self,
        org: SfId,
        id: SfId,
        state: JobState,
        error_message: Option<&str>,
        processed: Option<u64>,
    ) -> Result<bool> {
        let now = self.now_ms();
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        if !leases::fence(&mut tx, &self.leases, org, id)? {
            tx.rollback()?;
            self.release_revoked_claim(org, id)?;
            return Ok(false);
        }
        tx.execute(
            "UPDATE bulkforce.jobs SET state = $3, error_message = $4, modstamp_ms = $5, held = false,
                 lease_owner = NULL, lease_until = NULL,
                 total_ms = $5 - coalesce(started_ms, $5), processed = coalesce($6, processed)
             WHERE org_id = $1 AND id = $2",
            &[
                &org.as_str(),
                &id.as_str(),
                &state.name(),
                &error_message,
                &now,
                &processed.map(|p| p as i64),
            ],
        )?;
        timeline::record(&mut tx, id, state, now)?;
        tx.commit()?;
        self.leases.forget(org, id);
        Ok(true)
    }

    pub(in crate::postgres) fn pg_delete_job(&self, org: SfId, id: SfId) -> Result<bool> {
        let deleted = self.conn()?.execute(
            "DELETE FROM bulkforce.jobs WHERE org_id = $1 AND id = $2",
            &[&org.as_str(), &id.as_str()],
        )? > 0;
        self.leases.forget(org, id);
        Ok(deleted)
    }

    pub(in crate::postgres) fn pg_checkpoint(
        &self,
        org: SfId,
        id: SfId,
    ) -> Result<Option<Checkpoint>> {
        self.conn()?
            .query_opt(
                "SELECT chunks_done, next_offset, next_line FROM bulkforce.jobs WHERE org_id = $1 AND id = $2",
                &[&org.as_str(), &id.as_str()],
            )?
            .map(|row| {
                Ok(Checkpoint {
                    chunks_done: row.try_get::<_, i64>(0)? as u64,
                    next_offset: row.try_get::<_, i64>(1)? as u64,
                    next_line: row.try_get::<_, i64>(2)? as u64,
                })
            })
            .transpose()
    }
}

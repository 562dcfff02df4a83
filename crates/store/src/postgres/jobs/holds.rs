//! Held jobs and the control API's view of jobs: a job with its org and its `held` flag, read one at a
//! time, found by id across orgs, or listed with filters, plus the job's timeline. A held job is never
//! claimed (see `claims`); the worker gives up a held job between two transactions, keeping its
//! checkpoint. A hold is noted in memory before it is written (`hold_requests`): the fenced chunk
//! transaction keeps the job row locked, so the write waits for it, but the worker sees the note before
//! its next chunk. A hold written on another instance waits for the transaction to end; the worker's
//! give-up after it reads the `held` column.

use super::rows::{summary_columns, summary_from_row};
use super::timeline;
use crate::postgres::PgStore;
use crate::{HoldChange, JobFilter, JobSummary, Result, StateChange};
use bulkforce_core::id::SfId;
use bulkforce_core::job::JobKind;
use postgres::GenericClient;
use postgres::types::ToSql;

/// `org`'s job `id` with its hold; `lock`: locked for the rest of the caller's transaction.
fn read_summary(
    client: &mut impl GenericClient,
    org: SfId,
    id: SfId,
    lock: bool,
) -> Result<Option<JobSummary>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    client
        .query_opt(
            &format!(
                "SELECT {} FROM bulkforce.jobs WHERE org_id = $1 AND id = $2{lock}",
                summary_columns()
            ),
            &[&org.as_str(), &id.as_str()],
        )?
        .map(|row| summary_from_row(&row))
        .transpose()
}

impl PgStore {
    /// Holds or releases a job; a final job is not held (nothing would wait).
    pub(in crate::postgres) fn pg_set_job_held(
        &self,
        org: SfId,
        id: SfId,
        held: bool,
    ) -> Result<Option<HoldChange>> {
        // Noted before the row is asked for: a worker applying chunks keeps it locked for a transaction
        // and sees the hold at its next chunk instead.
        let _noted = held.then(|| self.hold_requests.note(org, id));
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let Some(current) = read_summary(&mut tx, org, id, true)? else {
            return Ok(None);
        };
        if held && current.job.state.is_terminal() {
            return Ok(Some(HoldChange::Finished(current)));
        }
        tx.execute(
            "UPDATE bulkforce.jobs SET held = $3 WHERE org_id = $1 AND id = $2",
            &[&org.as_str(), &id.as_str(), &held],
        )?;
        tx.commit()?;
        Ok(Some(HoldChange::Done(JobSummary { held, ..current })))
    }

    /// Whether a hold of the job is being written by this instance right now (the worker ends its
    /// transaction before the next chunk). A hold written already, by any instance, is the worker's
    /// give-up's to see between two transactions: it reads the `held` column.
    pub(in crate::postgres) fn pg_hold_requested(&self, org: SfId, id: SfId) -> bool {
        self.hold_requests.is_noted(org, id)
    }

    /// Drops this instance's claim of a held InProgress job; whether it was held. A hold still being
    /// written counts as held, and is written here along with the give-up, so that no instance can claim
    /// the job before the hold itself is written.
    pub(in crate::postgres) fn pg_give_up_held_job(&self, org: SfId, id: SfId) -> Result<bool> {
        let Some(epoch) = self.leases.epoch(org, id) else {
            return Ok(false);
        };
        let requested = self.hold_requests.is_noted(org, id);
        let given_up = self.conn()?.execute(
            "UPDATE bulkforce.jobs SET lease_owner = NULL, lease_until = NULL, held = true
             WHERE org_id = $1 AND id = $2 AND (held OR $3) AND lease_owner = $4 AND lease_epoch = $5
               AND state = 'InProgress'",
            &[&org.as_str(), &id.as_str(), &requested, &self.leases.instance_id, &epoch],
        )? > 0;
        if given_up {
            self.leases.forget(org, id);
        }
        Ok(given_up)
    }

    pub(in crate::postgres) fn pg_job_summary(
        &self,
        org: SfId,
        id: SfId,
    ) -> Result<Option<JobSummary>> {
        read_summary(&mut *self.conn()?, org, id, false)
    }

    /// A job by id in whichever org has it (jobs of every org share one table).
    pub(in crate::postgres) fn pg_find_job(&self, id: SfId) -> Result<Option<JobSummary>> {
        self.conn()?
            .query_opt(
                &format!(
                    "SELECT {} FROM bulkforce.jobs WHERE id = $1",
                    summary_columns()
                ),
                &[&id.as_str()],
            )?
            .map(|row| summary_from_row(&row))
            .transpose()
    }

    /// The job and its timeline read in one snapshot (REPEATABLE READ), so the two agree: a state change
    /// and its timeline row commit together.
    pub(in crate::postgres) fn pg_find_job_detail(
        &self,
        id: SfId,
    ) -> Result<Option<(JobSummary, Vec<StateChange>)>> {
        let mut conn = self.conn()?;
        let mut tx = conn
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let Some(found) = tx
            .query_opt(
                &format!(
                    "SELECT {} FROM bulkforce.jobs WHERE id = $1",
                    summary_columns()
                ),
                &[&id.as_str()],
            )?
            .map(|row| summary_from_row(&row))
            .transpose()?
        else {
            return Ok(None);
        };
        let timeline = timeline::read(&mut tx, found.org_id, id)?;
        tx.commit()?;
        Ok(Some((found, timeline)))
    }

    /// Jobs matching `filter` across orgs (or in its one org), newest first.
    pub(in crate::postgres) fn pg_list_job_summaries(
        &self,
        filter: &JobFilter,
    ) -> Result<Vec<JobSummary>> {
        let mut conditions = vec!["true".to_owned()];
        let mut values: Vec<Box<dyn ToSql + Sync>> = Vec::new();
        let mut bind = |condition: &str, value: Box<dyn ToSql + Sync>| {
            values.push(value);
            conditions.push(condition.replace('?', &format!("${}", values.len())));
        };
        if let Some(org) = filter.org {
            bind("org_id = ?", Box::new(org.as_str().to_owned()));
        }
        if let Some(state) = filter.state {
            bind("state = ?", Box::new(state.name().to_owned()));
        }
        if let Some(object) = &filter.object {
            bind("lower(object) = lower(?)", Box::new(object.clone()));
        }
        match filter.kind {
            Some(JobKind::Query) => conditions.push("operation IN ('query', 'queryAll')".into()),
            Some(JobKind::Ingest) => {
                conditions.push("operation NOT IN ('query', 'queryAll')".into());
            }
            None => {}
        }
        values.push(Box::new(i64::try_from(filter.limit).unwrap_or(i64::MAX)));
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| &**v).collect();
        self.conn()?
            .query(
                &format!(
                    "SELECT {} FROM bulkforce.jobs WHERE {} ORDER BY created_ms DESC, id DESC LIMIT ${}",
                    summary_columns(),
                    conditions.join(" AND "),
                    params.len()
                ),
                &params,
            )?
            .iter()
            .map(summary_from_row)
            .collect()
    }

    pub(in crate::postgres) fn pg_job_timeline(
        &self,
        org: SfId,
        id: SfId,
    ) -> Result<Vec<StateChange>> {
        timeline::read(&mut *self.conn()?, org, id)
    }
}

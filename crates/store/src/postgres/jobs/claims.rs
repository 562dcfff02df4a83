//! Claims across every org: the oldest waiting job that is not held, taken with `FOR UPDATE SKIP LOCKED`
//! (two instances never take the same job, and neither waits for the other), under a lease of this
//! instance (see `leases` for the invariant). Waiting means UploadComplete, or InProgress with no lease or
//! an expired one (its owner released it, gave it up, or stopped renewing: died).

use super::rows::{claim_columns, claim_extras, job_from_row};
use super::timeline;
use crate::postgres::{PgStore, leases};
use crate::{ClaimedJob, Result};
use bulkforce_core::id::SfId;
use bulkforce_core::job::JobState;

impl PgStore {
    pub(in crate::postgres) fn pg_claim_job(&self) -> Result<Option<ClaimedJob>> {
        let now = self.now_ms();
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let Some(row) = tx.query_opt(
            &format!(
                "WITH next AS (
                     SELECT id AS next_id FROM bulkforce.jobs
                     WHERE state IN ('UploadComplete', 'InProgress') AND NOT held
                       AND (state = 'UploadComplete' OR lease_until IS NULL OR lease_until < now())
                     ORDER BY created_ms, id LIMIT 1
                     FOR UPDATE SKIP LOCKED)
                 UPDATE bulkforce.jobs SET state = 'InProgress', lease_owner = $1,
                     lease_epoch = lease_epoch + 1, lease_until = now() + make_interval(secs => $2),
                     modstamp_ms = CASE WHEN state = 'UploadComplete' THEN $3 ELSE modstamp_ms END,
                     started_ms = coalesce(started_ms, $3)
                 FROM next WHERE id = next.next_id
                 RETURNING {}",
                claim_columns()
            ),
            &[&self.leases.instance_id, &self.leases.lease_secs(), &now],
        )?
        else {
            return Ok(None);
        };
        let job = job_from_row(&row)?;
        let (checkpoint, epoch, org_id) = claim_extras(&row)?;
        // The first claim enters InProgress; a takeover or a resume after a hold enters no new state.
        timeline::record_first(&mut tx, job.id, JobState::InProgress, now)?;
        tx.commit()?;
        self.leases.remember(org_id, job.id, epoch);
        Ok(Some(ClaimedJob {
            org_id,
            job,
            checkpoint,
        }))
    }

    /// Called at start: this instance's claims (left by its previous run) become claimable at once, and
    /// its interrupted uploads uploadable. Other instances' claims are left to their leases.
    pub(in crate::postgres) fn pg_release_claims(&self) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute(
            "UPDATE bulkforce.jobs SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1",
            &[&self.leases.instance_id],
        )?;
        self.release_own_uploads(&mut tx)?;
        tx.commit()?;
        self.leases.forget_all();
        Ok(())
    }

    /// Drops this instance's claim of `id` (its worker ended without recording the job's end): the lease
    /// is cleared under the claim's epoch, so the job is claimable at once (by any instance) instead of
    /// staying leased and renewed for good, and this instance stops renewing it.
    pub(in crate::postgres) fn pg_release_claim(&self, org: SfId, id: SfId) -> Result<()> {
        let Some(epoch) = self.leases.epoch(org, id) else {
            return Ok(());
        };
        self.leases.forget(org, id);
        self.conn()?.execute(
            "UPDATE bulkforce.jobs SET lease_owner = NULL, lease_until = NULL
             WHERE org_id = $1 AND id = $2 AND lease_owner = $3 AND lease_epoch = $4",
            &[
                &org.as_str(),
                &id.as_str(),
                &self.leases.instance_id,
                &epoch,
            ],
        )?;
        Ok(())
    }

    /// The fence of a chunk commit, on its own: whether this instance still holds the job's lease under
    /// its claim's epoch and the job is InProgress.
    pub(in crate::postgres) fn pg_holds_claim(&self, org: SfId, id: SfId) -> Result<bool> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let held = leases::fence(&mut tx, &self.leases, org, id)?;
        tx.rollback()?;
        Ok(held)
    }
}

//! What resets and snapshots share: they run one at a time, and a restore leaves behind the claims of
//! jobs that workers were running when it replaced their org's data.
//!
//! A restore cannot stop a worker in its tracks, and the restored job may well be InProgress again at the
//! very chunk the worker is about to apply. So a job a worker held when its org was restored stays
//! claimed (no other worker takes it), and is marked stale here: the next time its worker reaches the
//! store (applying chunks, finishing the job), the store drops the claim and tells the worker the job
//! stopped. The job is then claimable and resumes from the snapshot's checkpoint, as after a restart.
//! Marks are checked and set under the org's writer lock, so a worker never applies a chunk to data a
//! restore replaced.

use crate::Result;
use bulkforce_core::id::SfId;
use parking_lot::Mutex;
use std::collections::HashSet;

#[derive(Default)]
pub(crate) struct DataOps {
    /// Held by a reset, a snapshot or a restore from start to end.
    serial: Mutex<()>,
    /// (org, job) claims a restore took from under their worker.
    stale: Mutex<HashSet<(SfId, SfId)>>,
}

impl DataOps {
    /// Runs `f` with no other reset, snapshot or restore running.
    pub(crate) fn one_at_a_time<T>(&self, f: impl FnOnce() -> T) -> T {
        let _serial = self.serial.lock();
        f()
    }

    /// Marks the claim of `job` as taken from its worker by a restore (under the org's writer lock).
    pub(crate) fn mark_stale(&self, org: SfId, job: SfId) {
        self.stale.lock().insert((org, job));
    }

    /// Called with the org's writer connection by a worker's call about `job`: if a restore took the job
    /// from this worker, drops the claim (the job becomes claimable) and returns true: the worker stops.
    pub(crate) fn release_if_stale(
        &self,
        writer: &rusqlite::Connection,
        org: SfId,
        job: SfId,
    ) -> Result<bool> {
        if !self.stale.lock().remove(&(org, job)) {
            return Ok(false);
        }
        writer.execute(
            "UPDATE bf_jobs SET claimed = 0 WHERE id = ?1",
            [job.as_str()],
        )?;
        tracing::info!(%org, %job, "a job's worker stopped after a restore; the job resumes from the snapshot");
        Ok(true)
    }

    /// Whether a restore took `job` from its worker (the mark stays until the worker's next write).
    pub(crate) fn is_stale(&self, org: SfId, job: SfId) -> bool {
        self.stale.lock().contains(&(org, job))
    }

    /// A worker claimed `job`: whatever held it before has let go (a claim is only taken once released).
    pub(crate) fn claimed(&self, org: SfId, job: SfId) {
        let mut stale = self.stale.lock();
        if !stale.is_empty() {
            stale.remove(&(org, job));
        }
    }

    /// The org's jobs are gone (a reset): no claim of its can be stale any more.
    pub(crate) fn forget_org(&self, org: SfId) {
        self.stale.lock().retain(|(o, _)| *o != org);
    }
}

/// The ids of the org's jobs a worker holds right now (read with the writer connection).
pub(crate) fn claimed_jobs(writer: &rusqlite::Connection) -> Result<Vec<String>> {
    let mut stmt = writer.prepare("SELECT id FROM bf_jobs WHERE claimed = 1")?;
    let ids = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(ids)
}

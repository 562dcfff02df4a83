//! Job rows in `bulkforce.jobs` (every statement filtered by org): creation with minted ids, state
//! transitions as compare-and-set, holds, timelines, uploads, claims under leases, checkpoints.
//! (Being built: each method answers `not_built` until it lands.)

use super::{PgStore, not_built};
use crate::{
    Checkpoint, ClaimedJob, HoldChange, JobCount, JobFilter, JobPage, JobSummary, Result,
    StateChange, UploadStart,
};
use bulkforce_core::id::SfId;
use bulkforce_core::job::{Job, JobKind, JobState};

impl PgStore {
    pub(super) fn pg_create_job(&self, _org: SfId, _job: Job, _hold: bool) -> Result<Job> {
        Err(not_built("jobs"))
    }

    pub(super) fn pg_get_job(&self, _org: SfId, _id: SfId) -> Result<Option<Job>> {
        Err(not_built("jobs"))
    }

    pub(super) fn pg_list_jobs(
        &self,
        _org: SfId,
        _kind: JobKind,
        _after: Option<SfId>,
        _limit: usize,
    ) -> Result<JobPage> {
        Err(not_built("jobs"))
    }

    pub(super) fn pg_count_jobs(&self, _org: SfId) -> Result<Vec<JobCount>> {
        Err(not_built("jobs"))
    }

    pub(super) fn pg_transition(
        &self,
        _org: SfId,
        _id: SfId,
        _from: &[JobState],
        _to: JobState,
        _error_message: Option<&str>,
        _hold: bool,
    ) -> Result<Option<(Job, bool)>> {
        Err(not_built("jobs"))
    }

    pub(super) fn pg_set_job_held(
        &self,
        _org: SfId,
        _id: SfId,
        _held: bool,
    ) -> Result<Option<HoldChange>> {
        Err(not_built("holds"))
    }

    pub(super) fn pg_hold_requested(&self, _org: SfId, _id: SfId) -> bool {
        false
    }

    pub(super) fn pg_job_summary(&self, _org: SfId, _id: SfId) -> Result<Option<JobSummary>> {
        Err(not_built("jobs"))
    }

    pub(super) fn pg_find_job(&self, _id: SfId) -> Result<Option<JobSummary>> {
        Err(not_built("jobs"))
    }

    pub(super) fn pg_find_job_detail(
        &self,
        _id: SfId,
    ) -> Result<Option<(JobSummary, Vec<StateChange>)>> {
        Err(not_built("jobs"))
    }

    pub(super) fn pg_list_job_summaries(&self, _filter: &JobFilter) -> Result<Vec<JobSummary>> {
        Err(not_built("jobs"))
    }

    pub(super) fn pg_job_timeline(&self, _org: SfId, _id: SfId) -> Result<Vec<StateChange>> {
        Err(not_built("jobs"))
    }

    pub(super) fn pg_give_up_held_job(&self, _org: SfId, _id: SfId) -> Result<bool> {
        Err(not_built("holds"))
    }

    pub(super) fn pg_begin_upload(&self, _org: SfId, _id: SfId) -> Result<Option<UploadStart>> {
        Err(not_built("uploads"))
    }

    pub(super) fn pg_end_upload(&self, _org: SfId, _id: SfId, _bytes: Option<u64>) -> Result<()> {
        Err(not_built("uploads"))
    }

    pub(super) fn pg_delete_job(&self, _org: SfId, _id: SfId) -> Result<bool> {
        Err(not_built("jobs"))
    }

    pub(super) fn pg_claim_job(&self) -> Result<Option<ClaimedJob>> {
        Err(not_built("claims"))
    }

    pub(super) fn pg_release_claims(&self) -> Result<()> {
        Err(not_built("claims"))
    }

    pub(super) fn pg_finish_job(
        &self,
        _org: SfId,
        _id: SfId,
        _state: JobState,
        _error_message: Option<&str>,
        _processed: Option<u64>,
    ) -> Result<bool> {
        Err(not_built("jobs"))
    }

    pub(super) fn pg_checkpoint(&self, _org: SfId, _id: SfId) -> Result<Option<Checkpoint>> {
        Err(not_built("checkpoints"))
    }
}

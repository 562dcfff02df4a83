//! Fault injection in the ingest pipeline ([`crate::faults`]): a job rule fails the job after exactly
//! `afterRows` rows (the reader cuts the chunk that would pass that count, so the rows before it commit and
//! are reported, and then it stops the job), and row rules fail single rows with their error instead of
//! applying them.

use crate::faults::{Faults, UncommittedHits};
use crate::worker::outcome::Stop;
use bulkforce_core::csv::Record;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{IngestPlan, RowFailure, RowOp};
use bulkforce_core::job::Job;

/// A job rule's hit: the rows the job may still apply, then its `errorMessage`.
#[derive(Debug, Clone)]
pub(super) struct FailAfter {
    left: u64,
    message: String,
}

impl FailAfter {
    /// The job rule `job` of `org` hits as a worker starts (or resumes) it, if any: a resumed job keeps
    /// the decision of its first start ([`Faults::job`]) and counts the rows it already processed.
    pub(super) fn of(faults: &Faults, org: SfId, job: &Job) -> Option<FailAfter> {
        let hit = faults.job((org, job.id), &job.object, job.operation)?;
        tracing::info!(fault = %hit.id, job = %job.id, after_rows = hit.fault.after_rows, "fault injected");
        Some(FailAfter {
            left: hit
                .fault
                .after_rows
                .saturating_sub(job.number_records_processed),
            message: hit.fault.message,
        })
    }

    /// The reader's next chunk, of at most `rows` rows and no more than the job may still apply (read by
    /// `read(n)`); once that many rows are read, or the upload ends first, the job's failure.
    pub(super) fn next<C>(
        &mut self,
        rows: usize,
        read: impl FnOnce(usize) -> Result<Option<C>, Stop>,
        len: impl Fn(&C) -> usize,
    ) -> Result<Option<C>, Stop> {
        if self.left == 0 {
            return Err(Stop::Failed(self.message.clone()));
        }
        let allowed = usize::try_from(self.left).unwrap_or(usize::MAX);
        match read(rows.min(allowed))? {
            Some(chunk) => {
                self.left -= len(&chunk) as u64;
                Ok(Some(chunk))
            }
            None => Err(Stop::Failed(self.message.clone())),
        }
    }
}

/// `built` (a row that passed its own checks), or the error of a row rule it hits: failed, not applied.
/// The hit counts as its chunk's (`hits`), given back if the chunk is never committed.
pub(super) fn row_fault(
    hits: &mut UncommittedHits,
    plan: &IngestPlan,
    columns: &[String],
    record: &Record,
    built: RowOp,
) -> Result<RowOp, RowFailure> {
    let cell = |field: &str| {
        let column = columns.iter().position(|c| c.eq_ignore_ascii_case(field))?;
        record.get(column)
    };
    let Some(error) = hits.row(&plan.object().name, plan.operation(), cell) else {
        return Ok(built);
    };
    let id = match &built {
        RowOp::Update { id, .. } | RowOp::Delete { id } | RowOp::HardDelete { id } => Some(*id),
        RowOp::Insert(_) | RowOp::Upsert { .. } => None,
    };
    Err(RowFailure { id, error })
}

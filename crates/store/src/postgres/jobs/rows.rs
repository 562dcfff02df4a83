//! Job rows of `bulkforce.jobs` read back as jobs: the columns go through the shared [`JobRow`] rules,
//! so a job reads the same from either backend.

use crate::job_row::{JOB_COLUMN_COUNT, JobRow, corrupt, parse_id};
use crate::{Checkpoint, JobSummary, Result};
use bulkforce_core::id::SfId;
use postgres::Row;

/// The job columns, then `held` and `org_id`: what a [`JobSummary`] is read from.
pub(super) fn summary_columns() -> String {
    format!("{}, held, org_id", crate::job_row::JOB_COLUMNS)
}

/// The job columns, then the checkpoint's and the lease epoch: what a claim returns.
pub(super) fn claim_columns() -> String {
    format!(
        "{}, chunks_done, next_offset, next_line, lease_epoch, org_id",
        crate::job_row::JOB_COLUMNS
    )
}

/// The job in the first [`JOB_COLUMN_COUNT`] columns of `row`.
pub(super) fn job_from_row(row: &Row) -> Result<bulkforce_core::job::Job> {
    JobRow {
        id: row.try_get(0)?,
        operation: row.try_get(1)?,
        object: row.try_get(2)?,
        created_by: row.try_get(3)?,
        created_ms: row.try_get(4)?,
        modstamp_ms: row.try_get(5)?,
        state: row.try_get(6)?,
        external_id_field: row.try_get(7)?,
        assignment_rule_id: row.try_get(8)?,
        api_version: i64::from(row.try_get::<_, i32>(9)?),
        column_delimiter: row.try_get(10)?,
        line_ending: row.try_get(11)?,
        processed: row.try_get(12)?,
        failed: row.try_get(13)?,
        retries: i64::from(row.try_get::<_, i32>(14)?),
        total_ms: row.try_get(15)?,
        active_ms: row.try_get(16)?,
        error_message: row.try_get(17)?,
        upload_bytes: row.try_get(18)?,
        query: row.try_get(19)?,
    }
    .into_job()
}

/// A summary from a row of [`summary_columns`].
pub(super) fn summary_from_row(row: &Row) -> Result<JobSummary> {
    Ok(JobSummary {
        job: job_from_row(row)?,
        held: row.try_get(JOB_COLUMN_COUNT)?,
        org_id: parse_id(row.try_get(JOB_COLUMN_COUNT + 1)?)?,
    })
}

/// The checkpoint, lease epoch and org after the job columns of a row of [`claim_columns`].
pub(super) fn claim_extras(row: &Row) -> Result<(Checkpoint, i64, SfId)> {
    let at = |offset: usize| -> Result<u64> {
        let value: i64 = row.try_get(JOB_COLUMN_COUNT + offset)?;
        u64::try_from(value).map_err(|_| corrupt("checkpoint", value))
    };
    let checkpoint = Checkpoint {
        chunks_done: at(0)?,
        next_offset: at(1)?,
        next_line: at(2)?,
    };
    let epoch: i64 = row.try_get(JOB_COLUMN_COUNT + 3)?;
    let org = parse_id(row.try_get(JOB_COLUMN_COUNT + 4)?)?;
    Ok((checkpoint, epoch, org))
}

//! A job as both backends store it: one row of plain columns (texts, integers, Unix milliseconds), and
//! the one set of rules that turns it back into a [`Job`]. Each backend only reads its columns into a
//! [`JobRow`], so the job JSON is the same whichever backend holds the job.

use crate::{Result, StoreError};
use bulkforce_core::csv::Dialect;
use bulkforce_core::id::SfId;
use bulkforce_core::job::{ApiVersion, Job};
use chrono::{DateTime, TimeZone, Utc};

/// The stored job columns, in this order in both backends' `SELECT`s.
pub(crate) const JOB_COLUMNS: &str = "id, operation, object, created_by, created_ms, modstamp_ms, state, external_id_field, \
     assignment_rule_id, api_version, column_delimiter, line_ending, processed, failed, retries, total_ms, \
     active_ms, error_message, upload_bytes, query";

/// How many columns [`JOB_COLUMNS`] names: what a backend selects after them starts at this index.
pub(crate) const JOB_COLUMN_COUNT: usize = 20;

/// One job row's columns as stored.
pub(crate) struct JobRow {
    pub id: String,
    pub operation: String,
    pub object: String,
    pub created_by: String,
    pub created_ms: i64,
    pub modstamp_ms: i64,
    pub state: String,
    pub external_id_field: Option<String>,
    pub assignment_rule_id: Option<String>,
    pub api_version: i64,
    pub column_delimiter: String,
    pub line_ending: String,
    pub processed: i64,
    pub failed: i64,
    pub retries: i64,
    pub total_ms: i64,
    pub active_ms: i64,
    pub error_message: Option<String>,
    pub upload_bytes: Option<i64>,
    pub query: Option<String>,
}

/// A stored value that does not parse: the store's data is inconsistent.
pub(crate) fn corrupt(what: &str, value: impl std::fmt::Debug) -> StoreError {
    StoreError::Corrupt(format!("invalid {what} {value:?} in the jobs table"))
}

/// A stored Unix time in milliseconds (out of range: the epoch, never a panic).
pub(crate) fn time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// A stored id.
pub(crate) fn parse_id(text: &str) -> Result<SfId> {
    SfId::parse(text).map_err(|_| corrupt("id", text))
}

impl JobRow {
    /// The job these columns hold.
    pub(crate) fn into_job(self) -> Result<Job> {
        let JobRow {
            operation,
            state,
            column_delimiter,
            line_ending,
            ..
        } = &self;
        Ok(Job {
            id: parse_id(&self.id)?,
            operation: operation
                .parse()
                .map_err(|_| corrupt("operation", operation))?,
            created_by_id: parse_id(&self.created_by)?,
            created_date: time(self.created_ms),
            system_modstamp: time(self.modstamp_ms),
            state: state.parse().map_err(|_| corrupt("state", state))?,
            api_version: ApiVersion(
                u16::try_from(self.api_version)
                    .map_err(|_| corrupt("api version", self.api_version))?,
            ),
            dialect: Dialect {
                delimiter: column_delimiter
                    .parse()
                    .map_err(|_| corrupt("delimiter", column_delimiter))?,
                line_ending: line_ending
                    .parse()
                    .map_err(|_| corrupt("line ending", line_ending))?,
            },
            number_records_processed: self.processed as u64,
            number_records_failed: self.failed as u64,
            retries: self.retries as u32,
            // Measured on the clock: a clock set back while the job ran must not make it negative.
            total_processing_time: self.total_ms.max(0) as u64,
            api_active_processing_time: self.active_ms as u64,
            apex_processing_time: 0,
            upload_bytes: self.upload_bytes.map(|b| b as u64),
            object: self.object,
            external_id_field_name: self.external_id_field,
            assignment_rule_id: self.assignment_rule_id,
            error_message: self.error_message,
            query: self.query,
        })
    }
}

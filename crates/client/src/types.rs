//! The typed shapes of Bulk API 2.0 requests and job objects.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a job does: the five ingest operations and the two query operations.
///
/// ```
/// use bulkforce_client::Operation;
/// let op: Operation = "hardDelete".parse()?;
/// assert_eq!(op, Operation::HardDelete);
/// assert_eq!(op.to_string(), "hardDelete");
/// assert!("HardDelete".parse::<Operation>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub enum Operation {
    /// Create records.
    Insert,
    /// Update records by `Id`.
    Update,
    /// Insert or update by `Id` or an external id field.
    Upsert,
    /// Delete records by `Id` (to the recycle bin).
    Delete,
    /// Delete records by `Id` for good.
    HardDelete,
    /// A query job over live records.
    Query,
    /// A query job that also returns deleted and archived records.
    QueryAll,
}

impl Operation {
    /// The name on the wire: `insert`, `hardDelete`, `queryAll`, …
    ///
    /// ```
    /// use bulkforce_client::Operation;
    /// assert_eq!(Operation::QueryAll.as_str(), "queryAll");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Insert => "insert",
            Operation::Update => "update",
            Operation::Upsert => "upsert",
            Operation::Delete => "delete",
            Operation::HardDelete => "hardDelete",
            Operation::Query => "query",
            Operation::QueryAll => "queryAll",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Operation {
    type Err = String;
    /// Parses the wire name (`hardDelete`, exactly as Salesforce spells it).
    fn from_str(s: &str) -> Result<Self, String> {
        [
            Operation::Insert,
            Operation::Update,
            Operation::Upsert,
            Operation::Delete,
            Operation::HardDelete,
            Operation::Query,
            Operation::QueryAll,
        ]
        .into_iter()
        .find(|op| op.as_str() == s)
        .ok_or_else(|| format!("unknown operation {s:?}"))
    }
}

/// The six states of a Bulk API 2.0 job.
///
/// ```
/// use bulkforce_client::JobState;
/// let state: JobState = serde_json::from_str(r#""UploadComplete""#)?;
/// assert_eq!(state, JobState::UploadComplete);
/// assert_eq!(state.to_string(), "UploadComplete");
/// let state: JobState = serde_json::from_str(r#""Paused""#)?;
/// assert_eq!(state, JobState::Unknown);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Created, waiting for its data (ingest only).
    Open,
    /// Data complete; waiting to be processed.
    UploadComplete,
    /// Being processed.
    InProgress,
    /// Processed (rows may still have failed individually).
    JobComplete,
    /// The job failed as a whole; see [`JobInfo::error_message`].
    Failed,
    /// Aborted by a user.
    Aborted,
    /// A state this client does not know (never sent by Salesforce or `bulkforce serve`).
    #[serde(other)]
    Unknown,
}

impl JobState {
    /// `JobComplete`, `Failed` and `Aborted`: the job will not change any more.
    ///
    /// ```
    /// use bulkforce_client::JobState;
    /// assert!(JobState::Failed.is_terminal());
    /// assert!(!JobState::InProgress.is_terminal());
    /// ```
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::JobComplete | JobState::Failed | JobState::Aborted
        )
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JobState::Open => "Open",
            JobState::UploadComplete => "UploadComplete",
            JobState::InProgress => "InProgress",
            JobState::JobComplete => "JobComplete",
            JobState::Failed => "Failed",
            JobState::Aborted => "Aborted",
            JobState::Unknown => "Unknown",
        })
    }
}

/// The column delimiter and line ending of a job's CSV: the same types the server uses, with the same
/// wire names (`COMMA`, `TAB`, …; `LF`, `CRLF`).
///
/// ```
/// use bulkforce_client::{ColumnDelimiter, LineEnding};
/// assert_eq!("SEMICOLON".parse::<ColumnDelimiter>(), Ok(ColumnDelimiter::Semicolon));
/// assert_eq!(ColumnDelimiter::Tab.to_string(), "TAB");
/// assert_eq!(ColumnDelimiter::Pipe.byte(), b'|');
/// assert_eq!("CRLF".parse::<LineEnding>(), Ok(LineEnding::Crlf));
/// assert_eq!(LineEnding::Crlf.bytes(), b"\r\n");
/// ```
pub use bulkforce_core::csv::{ColumnDelimiter, LineEnding};

/// Ingest or query: the two families of Bulk API 2.0 jobs (`/jobs/ingest`, `/jobs/query`).
///
/// ```
/// use bulkforce_client::JobKind;
/// assert_eq!(JobKind::Ingest.path(), "ingest");
/// assert_ne!(JobKind::Ingest, JobKind::Query);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// `/jobs/ingest`
    Ingest,
    /// `/jobs/query`
    Query,
}

impl JobKind {
    /// The path segment after `jobs/`.
    ///
    /// ```
    /// assert_eq!(bulkforce_client::JobKind::Query.path(), "query");
    /// ```
    pub fn path(self) -> &'static str {
        match self {
            JobKind::Ingest => "ingest",
            JobKind::Query => "query",
        }
    }
}

/// A job as the server describes it (create, close/abort, info and list responses). Fields the server omits
/// in a given response are `None`; see the Bulk API 2.0 reference for which appear when.
///
/// ```
/// use bulkforce_client::{JobInfo, JobState, Operation};
/// let info: JobInfo = serde_json::from_str(
///     r#"{"id":"750000000000001AAA","operation":"upsert","object":"Account","state":"JobComplete",
///         "externalIdFieldName":"External_Id__c","numberRecordsProcessed":10,"numberRecordsFailed":1}"#,
/// )?;
/// assert_eq!((info.operation, info.state), (Operation::Upsert, JobState::JobComplete));
/// assert_eq!(info.number_records_failed, Some(1));
/// assert_eq!(info.error_message, None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JobInfo {
    /// The job id (18 characters, prefix `750`).
    pub id: String,
    /// What the job does.
    pub operation: Operation,
    /// The sObject (for query jobs: the `FROM` object).
    pub object: String,
    /// The user who created the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_id: Option<String>,
    /// Creation time, e.g. `2023-01-26T09:26:51.000+0000`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    /// Last change of the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_modstamp: Option<String>,
    /// The job's state.
    pub state: JobState,
    /// The field upserts match on (upsert only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id_field_name: Option<String>,
    /// Always `Parallel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_mode: Option<String>,
    /// Always `CSV`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The API version the job was created with, e.g. `62.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<f64>,
    /// `V2Ingest` or `V2Query` (info and list responses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_type: Option<String>,
    /// Where to upload the data, while the job is `Open`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_url: Option<String>,
    /// The line ending of the job's CSV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_ending: Option<LineEnding>,
    /// The column delimiter of the job's CSV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column_delimiter: Option<ColumnDelimiter>,
    /// Rows processed so far, failed ones included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_records_processed: Option<u64>,
    /// Rows that failed (ingest only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_records_failed: Option<u64>,
    /// Save retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u64>,
    /// Milliseconds spent processing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_processing_time: Option<u64>,
    /// Milliseconds actively processing (ingest only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_active_processing_time: Option<u64>,
    /// Milliseconds in triggers (ingest only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apex_processing_time: Option<u64>,
    /// Whether PK chunking applies (query only, newer API versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_pk_chunking_supported: Option<bool>,
    /// Why the job failed (state `Failed` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

impl JobInfo {
    /// Ingest or query, from the operation.
    ///
    /// ```
    /// use bulkforce_client::{JobInfo, JobKind};
    /// let info: JobInfo = serde_json::from_str(
    ///     r#"{"id":"750000000000001AAA","operation":"queryAll","object":"Account","state":"InProgress"}"#,
    /// )?;
    /// assert_eq!(info.kind(), JobKind::Query);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn kind(&self) -> JobKind {
        match self.operation {
            Operation::Query | Operation::QueryAll => JobKind::Query,
            _ => JobKind::Ingest,
        }
    }
}

/// The body of `POST /jobs/ingest`.
///
/// ```
/// use bulkforce_client::{ColumnDelimiter, IngestJobRequest, Operation};
/// let request = IngestJobRequest::new("Account", Operation::Upsert)
///     .external_id_field_name("External_Id__c")
///     .column_delimiter(ColumnDelimiter::Semicolon);
/// assert_eq!(request.operation, Operation::Upsert);
/// ```
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IngestJobRequest {
    /// The sObject, e.g. `Account`.
    pub object: String,
    /// One of the five ingest operations.
    pub operation: Operation,
    /// The field upserts match on (`Id` or an external id field); required for upserts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id_field_name: Option<String>,
    /// Always `CSV`.
    pub content_type: &'static str,
    /// The delimiter the uploaded CSV uses.
    pub column_delimiter: ColumnDelimiter,
    /// The line ending the uploaded CSV uses.
    pub line_ending: LineEnding,
}

impl IngestJobRequest {
    /// A job on `object` doing `operation`, for comma-separated, LF-terminated CSV.
    ///
    /// ```
    /// use bulkforce_client::{ColumnDelimiter, IngestJobRequest, LineEnding, Operation};
    /// let request = IngestJobRequest::new("Contact", Operation::Insert);
    /// assert_eq!((request.column_delimiter, request.line_ending), (ColumnDelimiter::Comma, LineEnding::Lf));
    /// assert_eq!(request.external_id_field_name, None);
    /// ```
    pub fn new(object: impl Into<String>, operation: Operation) -> Self {
        IngestJobRequest {
            object: object.into(),
            operation,
            external_id_field_name: None,
            content_type: "CSV",
            column_delimiter: ColumnDelimiter::Comma,
            line_ending: LineEnding::Lf,
        }
    }

    /// Sets the field upserts match on.
    ///
    /// ```
    /// use bulkforce_client::{IngestJobRequest, Operation};
    /// let request = IngestJobRequest::new("Account", Operation::Upsert).external_id_field_name("Id");
    /// assert_eq!(request.external_id_field_name.as_deref(), Some("Id"));
    /// ```
    pub fn external_id_field_name(mut self, field: impl Into<String>) -> Self {
        self.external_id_field_name = Some(field.into());
        self
    }

    /// Sets the column delimiter of the data.
    ///
    /// ```
    /// use bulkforce_client::{ColumnDelimiter, IngestJobRequest, Operation};
    /// let request = IngestJobRequest::new("Account", Operation::Insert)
    ///     .column_delimiter(ColumnDelimiter::Tab);
    /// assert_eq!(request.column_delimiter, ColumnDelimiter::Tab);
    /// ```
    pub fn column_delimiter(mut self, delimiter: ColumnDelimiter) -> Self {
        self.column_delimiter = delimiter;
        self
    }

    /// Sets the line ending of the data.
    ///
    /// ```
    /// use bulkforce_client::{IngestJobRequest, LineEnding, Operation};
    /// let request = IngestJobRequest::new("Account", Operation::Delete).line_ending(LineEnding::Crlf);
    /// assert_eq!(request.line_ending, LineEnding::Crlf);
    /// ```
    pub fn line_ending(mut self, line_ending: LineEnding) -> Self {
        self.line_ending = line_ending;
        self
    }
}

/// The body of `POST /jobs/query`.
///
/// ```
/// use bulkforce_client::QueryJobRequest;
/// let request = QueryJobRequest::new("SELECT Id, Name FROM Account").query_all(true);
/// assert_eq!(request.operation.as_str(), "queryAll");
/// ```
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct QueryJobRequest {
    /// `query` or `queryAll`.
    pub operation: Operation,
    /// The SOQL statement.
    pub query: String,
    /// Always `CSV`.
    pub content_type: &'static str,
    /// The delimiter of the result CSV.
    pub column_delimiter: ColumnDelimiter,
    /// The line ending of the result CSV.
    pub line_ending: LineEnding,
}

impl QueryJobRequest {
    /// A `query` job for `soql`, with comma-separated, LF-terminated results.
    ///
    /// ```
    /// use bulkforce_client::{Operation, QueryJobRequest};
    /// let request = QueryJobRequest::new("SELECT Id FROM Contact");
    /// assert_eq!(request.operation, Operation::Query);
    /// assert_eq!(request.query, "SELECT Id FROM Contact");
    /// ```
    pub fn new(soql: impl Into<String>) -> Self {
        QueryJobRequest {
            operation: Operation::Query,
            query: soql.into(),
            content_type: "CSV",
            column_delimiter: ColumnDelimiter::Comma,
            line_ending: LineEnding::Lf,
        }
    }

    /// `queryAll` (deleted and archived records too) instead of `query`.
    ///
    /// ```
    /// use bulkforce_client::{Operation, QueryJobRequest};
    /// let request = QueryJobRequest::new("SELECT Id FROM Task").query_all(true);
    /// assert_eq!(request.operation, Operation::QueryAll);
    /// assert_eq!(request.query_all(false).operation, Operation::Query);
    /// ```
    pub fn query_all(mut self, all: bool) -> Self {
        self.operation = if all {
            Operation::QueryAll
        } else {
            Operation::Query
        };
        self
    }

    /// Sets the column delimiter of the results.
    ///
    /// ```
    /// use bulkforce_client::{ColumnDelimiter, QueryJobRequest};
    /// let request = QueryJobRequest::new("SELECT Id FROM Account").column_delimiter(ColumnDelimiter::Pipe);
    /// assert_eq!(request.column_delimiter, ColumnDelimiter::Pipe);
    /// ```
    pub fn column_delimiter(mut self, delimiter: ColumnDelimiter) -> Self {
        self.column_delimiter = delimiter;
        self
    }

    /// Sets the line ending of the results.
    ///
    /// ```
    /// use bulkforce_client::{LineEnding, QueryJobRequest};
    /// let request = QueryJobRequest::new("SELECT Id FROM Account").line_ending(LineEnding::Crlf);
    /// assert_eq!(request.line_ending, LineEnding::Crlf);
    /// ```
    pub fn line_ending(mut self, line_ending: LineEnding) -> Self {
        self.line_ending = line_ending;
        self
    }
}

/// The three result files of an ingest job.
///
/// ```
/// use bulkforce_client::ResultKind;
/// let paths = [ResultKind::Successful, ResultKind::Failed, ResultKind::Unprocessed].map(ResultKind::path);
/// assert_eq!(paths, ["successfulResults", "failedResults", "unprocessedrecords"]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResultKind {
    /// `successfulResults`: `sf__Id`, `sf__Created`, then the uploaded columns.
    Successful,
    /// `failedResults`: `sf__Id`, `sf__Error`, then the uploaded columns.
    Failed,
    /// `unprocessedrecords`: the uploaded columns of rows never processed.
    Unprocessed,
}

impl ResultKind {
    /// The path segment after `jobs/ingest/{id}/`.
    ///
    /// ```
    /// assert_eq!(bulkforce_client::ResultKind::Failed.path(), "failedResults");
    /// ```
    pub fn path(self) -> &'static str {
        match self {
            ResultKind::Successful => "successfulResults",
            ResultKind::Failed => "failedResults",
            ResultKind::Unprocessed => "unprocessedrecords",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_info_reads_a_real_failed_job() {
        let info: JobInfo = serde_json::from_str(
            r#"{"id":"7507Q000009f52jQAA","operation":"insert","object":"Account","createdById":"0057Q0000037T8QQAU",
 "createdDate":"2023-01-26T10:09:27.000+0000","systemModstamp":"2023-01-26T10:09:49.000+0000","state":"Failed",
 "concurrencyMode":"Parallel","contentType":"CSV","apiVersion":53.0,"jobType":"V2Ingest","lineEnding":"LF",
 "columnDelimiter":"COMMA","numberRecordsProcessed":0,"numberRecordsFailed":0,"retries":0,"totalProcessingTime":0,
 "apiActiveProcessingTime":0,"apexProcessingTime":0,"errorMessage":"InvalidBatch : InvalidBatch : Field name not found : Employees"}"#,
        )
        .unwrap();
        assert_eq!(info.state, JobState::Failed);
        assert_eq!(info.column_delimiter, Some(ColumnDelimiter::Comma));
        assert_eq!(info.number_records_failed, Some(0));
        assert_eq!(info.kind(), JobKind::Ingest);
        assert!(info.error_message.unwrap().contains("Employees"));
    }

    #[test]
    fn requests_serialize_as_salesforce_expects() {
        let body = serde_json::to_value(
            IngestJobRequest::new("Account", Operation::HardDelete)
                .column_delimiter(ColumnDelimiter::Tab)
                .line_ending(LineEnding::Crlf),
        )
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"object":"Account","operation":"hardDelete","contentType":"CSV",
                "columnDelimiter":"TAB","lineEnding":"CRLF"})
        );
        assert_eq!("queryAll".parse::<Operation>(), Ok(Operation::QueryAll));
    }
}

//! Bulk API 2.0 jobs: operations, states and their allowed transitions, the create request, and the job
//! JSON exactly as Salesforce writes it in each context (create, close/abort, info, list).

use crate::csv::{ColumnDelimiter, Dialect, LineEnding};
use crate::error::ApiError;
use crate::id::SfId;
use crate::schema::{FieldType, Schema};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use std::fmt;
use std::str::FromStr;

/// The lowest API version that has ingest jobs, the lowest with query jobs, and the highest served.
pub const MIN_INGEST_VERSION: u16 = 41;
pub const MIN_QUERY_VERSION: u16 = 47;
pub const MAX_VERSION: u16 = 66;

/// An API version such as `v62.0`; Salesforce versions always have a `.0` minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion(pub u16);

impl ApiVersion {
    /// Parses `v62.0` or `62.0`.
    pub fn parse(text: &str) -> Option<ApiVersion> {
        let t = text.strip_prefix('v').unwrap_or(text);
        let major = t.strip_suffix(".0")?;
        if major.is_empty() || major.len() > 3 || !major.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        major.parse().ok().map(ApiVersion)
    }

    /// As written in job JSON: a number with one decimal.
    pub fn as_json(self) -> Json {
        json!(f64::from(self.0))
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.0", self.0)
    }
}

/// Ingest or query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Ingest,
    Query,
}

impl JobKind {
    pub fn job_type(self) -> &'static str {
        match self {
            JobKind::Ingest => "V2Ingest",
            JobKind::Query => "V2Query",
        }
    }

    /// The URL segment under `/jobs/`.
    pub fn segment(self) -> &'static str {
        match self {
            JobKind::Ingest => "ingest",
            JobKind::Query => "query",
        }
    }
}

/// A job's `operation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Insert,
    Update,
    Upsert,
    Delete,
    HardDelete,
    Query,
    QueryAll,
}

impl Operation {
    pub fn name(self) -> &'static str {
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

    pub fn kind(self) -> JobKind {
        match self {
            Operation::Query | Operation::QueryAll => JobKind::Query,
            _ => JobKind::Ingest,
        }
    }

    /// Operations that identify records by the `Id` column.
    pub fn needs_id(self) -> bool {
        matches!(
            self,
            Operation::Update | Operation::Delete | Operation::HardDelete
        )
    }
}

impl FromStr for Operation {
    type Err = ();
    /// Exact, case-sensitive names, as Salesforce matches them.
    fn from_str(s: &str) -> Result<Self, ()> {
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
        .find(|o| o.name() == s)
        .ok_or(())
    }
}

/// The six job states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Open,
    UploadComplete,
    InProgress,
    JobComplete,
    Failed,
    Aborted,
}

impl JobState {
    pub fn name(self) -> &'static str {
        match self {
            JobState::Open => "Open",
            JobState::UploadComplete => "UploadComplete",
            JobState::InProgress => "InProgress",
            JobState::JobComplete => "JobComplete",
            JobState::Failed => "Failed",
            JobState::Aborted => "Aborted",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::JobComplete | JobState::Failed | JobState::Aborted
        )
    }

    /// Whether a job of `kind` may move from `self` to `next`.
    pub fn can_become(self, next: JobState, kind: JobKind) -> bool {
        use JobState::*;
        match (self, next) {
            (Open, UploadComplete | Aborted) => kind == JobKind::Ingest,
            (UploadComplete, InProgress | Aborted)
            | (InProgress, JobComplete | Failed | Aborted) => true,
            _ => false,
        }
    }

    /// States in which a job may be deleted: not Open, not InProgress (ingest); terminal only (query).
    pub fn can_delete(self, kind: JobKind) -> bool {
        self.is_terminal() || (kind == JobKind::Ingest && self == JobState::UploadComplete)
    }
}

impl FromStr for JobState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        use JobState::*;
        [
            Open,
            UploadComplete,
            InProgress,
            JobComplete,
            Failed,
            Aborted,
        ]
        .into_iter()
        .find(|st| st.name() == s)
        .ok_or(())
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A job as stored: everything its JSON shows, plus the processing progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: SfId,
    pub operation: Operation,
    pub object: String,
    pub created_by_id: SfId,
    pub created_date: DateTime<Utc>,
    pub system_modstamp: DateTime<Utc>,
    pub state: JobState,
    pub external_id_field_name: Option<String>,
    pub assignment_rule_id: Option<String>,
    pub api_version: ApiVersion,
    pub dialect: Dialect,
    pub number_records_processed: u64,
    pub number_records_failed: u64,
    pub retries: u32,
    pub total_processing_time: u64,
    pub api_active_processing_time: u64,
    pub apex_processing_time: u64,
    pub error_message: Option<String>,
    /// Size of the uploaded data, once a PUT has finished.
    pub upload_bytes: Option<u64>,
    /// The SOQL of a query job.
    pub query: Option<String>,
}

/// Timestamps in job JSON: UTC, whole seconds with a `.000` millisecond field, `+0000` without a colon.
pub fn format_job_timestamp(d: &DateTime<Utc>) -> String {
    d.format("%Y-%m-%dT%H:%M:%S.000+0000").to_string()
}

/// Who creates a job, through which API version, and when: what every new job records besides its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobOrigin {
    /// The org the job belongs to; it stands in for the job's id until the store mints one.
    pub org_id: SfId,
    pub created_by_id: SfId,
    pub api_version: ApiVersion,
    /// Both the creation time and the first modstamp.
    pub created: DateTime<Utc>,
}

impl Job {
    /// A new Open ingest job as its create request describes it (the store mints its id).
    pub fn new_ingest(spec: IngestJobSpec, origin: JobOrigin) -> Job {
        Job {
            operation: spec.operation,
            object: spec.object,
            external_id_field_name: spec.external_id_field_name,
            assignment_rule_id: spec.assignment_rule_id,
            dialect: spec.dialect,
            ..Job::unprocessed(origin)
        }
    }

    /// A new query job of `query` (the SOQL as sent) over `object`, UploadComplete at once since there is
    /// nothing to upload (the store mints its id).
    pub fn new_query(
        operation: Operation,
        object: String,
        query: String,
        dialect: Dialect,
        origin: JobOrigin,
    ) -> Job {
        Job {
            operation,
            object,
            query: Some(query),
            dialect,
            state: JobState::UploadComplete,
            ..Job::unprocessed(origin)
        }
    }

    /// What every new job starts from: Open, no counters, no upload; the constructors above set the rest.
    fn unprocessed(origin: JobOrigin) -> Job {
        Job {
            id: origin.org_id,
            operation: Operation::Insert,
            object: String::new(),
            created_by_id: origin.created_by_id,
            created_date: origin.created,
            system_modstamp: origin.created,
            state: JobState::Open,
            external_id_field_name: None,
            assignment_rule_id: None,
            api_version: origin.api_version,
            dialect: Dialect::default(),
            number_records_processed: 0,
            number_records_failed: 0,
            retries: 0,
            total_processing_time: 0,
            api_active_processing_time: 0,
            apex_processing_time: 0,
            error_message: None,
            upload_bytes: None,
            query: None,
        }
    }

    pub fn kind(&self) -> JobKind {
        self.operation.kind()
    }

    /// The relative upload URL, shown only while the job is Open.
    pub fn content_url(&self) -> String {
        format!(
            "services/data/v{}/jobs/ingest/{}/batches",
            self.api_version, self.id
        )
    }

    /// The keys every view starts with, through `apiVersion`.
    fn base(&self) -> Map<String, Json> {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id.as_str()));
        m.insert("operation".into(), json!(self.operation.name()));
        m.insert("object".into(), json!(self.object));
        m.insert("createdById".into(), json!(self.created_by_id.as_str()));
        m.insert(
            "createdDate".into(),
            json!(format_job_timestamp(&self.created_date)),
        );
        m.insert(
            "systemModstamp".into(),
            json!(format_job_timestamp(&self.system_modstamp)),
        );
        m.insert("state".into(), json!(self.state.name()));
        if let Some(field) = &self.external_id_field_name {
            m.insert("externalIdFieldName".into(), json!(field));
        }
        if let Some(rule) = &self.assignment_rule_id {
            m.insert("assignmentRuleId".into(), json!(rule));
        }
        m.insert("concurrencyMode".into(), json!("Parallel"));
        m.insert("contentType".into(), json!("CSV"));
        m.insert("apiVersion".into(), self.api_version.as_json());
        m
    }

    fn insert_dialect(&self, m: &mut Map<String, Json>) {
        if self.state == JobState::Open {
            m.insert("contentUrl".into(), json!(self.content_url()));
        }
        m.insert("lineEnding".into(), json!(self.dialect.line_ending.name()));
        m.insert(
            "columnDelimiter".into(),
            json!(self.dialect.delimiter.name()),
        );
    }

    /// The body of the create response: no job type, no counters.
    pub fn create_json(&self) -> Json {
        let mut m = self.base();
        self.insert_dialect(&mut m);
        Json::Object(m)
    }

    /// The short body answered to a close or abort.
    pub fn patch_json(&self) -> Json {
        Json::Object(self.base())
    }

    /// One entry of a job list: type and dialect, no counters.
    pub fn summary_json(&self) -> Json {
        let mut m = self.base();
        m.insert("jobType".into(), json!(self.kind().job_type()));
        self.insert_dialect(&mut m);
        Json::Object(m)
    }

    /// The full job info, with the fields Salesforce shows in the job's state.
    pub fn info_json(&self) -> Json {
        let mut m = self.base();
        m.insert("jobType".into(), json!(self.kind().job_type()));
        self.insert_dialect(&mut m);
        match self.kind() {
            JobKind::Ingest => {
                // Before the upload, an Open job shows no record counters.
                if self.state != JobState::Open || self.upload_bytes.is_some() {
                    m.insert(
                        "numberRecordsProcessed".into(),
                        json!(self.number_records_processed),
                    );
                    m.insert(
                        "numberRecordsFailed".into(),
                        json!(self.number_records_failed),
                    );
                }
                m.insert("retries".into(), json!(self.retries));
                m.insert(
                    "totalProcessingTime".into(),
                    json!(self.total_processing_time),
                );
                m.insert(
                    "apiActiveProcessingTime".into(),
                    json!(self.api_active_processing_time),
                );
                m.insert(
                    "apexProcessingTime".into(),
                    json!(self.apex_processing_time),
                );
            }
            JobKind::Query => {
                m.insert(
                    "numberRecordsProcessed".into(),
                    json!(self.number_records_processed),
                );
                m.insert("retries".into(), json!(self.retries));
                m.insert(
                    "totalProcessingTime".into(),
                    json!(self.total_processing_time),
                );
                if self.api_version.0 >= 55 {
                    m.insert("isPkChunkingSupported".into(), json!(false));
                }
            }
        }
        if self.state == JobState::Failed
            && let Some(message) = &self.error_message
        {
            m.insert("errorMessage".into(), json!(message));
        }
        Json::Object(m)
    }
}

/// A validated request to create an ingest job.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestJobSpec {
    pub object: String,
    pub operation: Operation,
    pub external_id_field_name: Option<String>,
    pub assignment_rule_id: Option<String>,
    pub dialect: Dialect,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateIngestBody {
    object: Option<String>,
    operation: Option<String>,
    external_id_field_name: Option<String>,
    content_type: Option<String>,
    column_delimiter: Option<String>,
    line_ending: Option<String>,
    assignment_rule_id: Option<String>,
}

/// Maps a serde_json error to Salesforce's two JSON error shapes.
///
/// A key given twice (`{"object":"Account","object":"Contact"}`) is refused rather than read as "the
/// last one wins": no evidence shows what Salesforce does (its Jackson parser keeps the last value unless
/// strict duplicate detection is on), and silently picking one of two objects or operations loads the
/// wrong data. The answer is Jackson's strict-mode text in Salesforce's parser-error shape:
/// 400 `JSON_PARSER_ERROR` `Duplicate field 'object' at [line:1, column:N]` (the message is ours).
pub fn json_error(e: &serde_json::Error) -> ApiError {
    let text = e.to_string();
    if let Some(field) = text
        .strip_prefix("duplicate field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(field, _)| field)
    {
        return ApiError::json_parse(
            format_args!("Duplicate field '{field}'"),
            e.line(),
            e.column(),
        );
    }
    if e.classify() == serde_json::error::Category::Data {
        ApiError::json_type_mismatch(e.line(), e.column())
    } else {
        let text = e.to_string();
        let detail = text.split(" at line ").next().unwrap_or(&text);
        ApiError::json_parse(detail, e.line(), e.column())
    }
}

/// Reads the dialect properties shared by ingest and query create bodies.
pub fn parse_dialect(
    column_delimiter: Option<&str>,
    line_ending: Option<&str>,
) -> Result<Dialect, ApiError> {
    let delimiter = match column_delimiter {
        None => ColumnDelimiter::default(),
        Some(d) => d
            .parse()
            .map_err(|_| ApiError::invalid_property(d, "columnDelimiter"))?,
    };
    let line_ending = match line_ending {
        None => LineEnding::default(),
        Some(l) => l
            .parse()
            .map_err(|_| ApiError::invalid_property(l, "lineEnding"))?,
    };
    Ok(Dialect {
        delimiter,
        line_ending,
    })
}

impl IngestJobSpec {
    /// Parses and validates a create-job body against the org's schema, with Salesforce's errors.
    pub fn from_json(body: &[u8], schema: &Schema) -> Result<IngestJobSpec, ApiError> {
        let raw: CreateIngestBody = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
        let operation_text = raw.operation.unwrap_or_default();
        let operation = match operation_text.parse::<Operation>() {
            Ok(op) if op.kind() == JobKind::Ingest => op,
            _ => return Err(ApiError::invalid_property(&operation_text, "operation")),
        };
        if let Some(content_type) = raw.content_type.as_deref()
            && content_type != "CSV"
        {
            return Err(ApiError::invalid_property(content_type, "contentType"));
        }
        let dialect = parse_dialect(raw.column_delimiter.as_deref(), raw.line_ending.as_deref())?;
        let object_name = raw.object.unwrap_or_default();
        let object = schema.object(&object_name).ok_or_else(|| {
            ApiError::invalid_job(format_args!("Unable to find object: {object_name}"))
        })?;
        let external_id_field_name = match operation {
            Operation::Upsert => {
                let name = raw.external_id_field_name.unwrap_or_default();
                if name.is_empty() {
                    return Err(ApiError::invalid_job(format_args!(
                        "External ID was blank for {}. An External ID must be specified for upsert.",
                        object.name
                    )));
                }
                match object.field(&name) {
                    Some(f) if f.external_id || f.ftype == FieldType::Id => Some(f.name.clone()),
                    _ => {
                        return Err(ApiError::invalid_job(format_args!(
                            "Field name provided, {name} does not match an External ID for {}",
                            object.name
                        )));
                    }
                }
            }
            _ => None,
        };
        Ok(IngestJobSpec {
            object: object.name.clone(),
            operation,
            external_id_field_name,
            assignment_rule_id: raw.assignment_rule_id.filter(|s| !s.is_empty()),
            dialect,
        })
    }
}

#[cfg(test)]
mod tests;

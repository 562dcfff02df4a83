//! The answers of the control API, in its own JSON shapes (camelCase, dates as RFC 3339 UTC text with
//! milliseconds). They serialize back to the same shapes, so a tool can print what it read.

use crate::JobState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `GET /_bulkforce/health`: the process runs.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// `UP`.
    pub status: String,
    /// The server's version, e.g. `0.1.0`.
    pub version: String,
}

/// `GET /_bulkforce/ready`: whether the server can do work, and each check's word.
///
/// ```
/// let ready: bulkforce_client::control::Readiness = serde_json::from_str(
///     r#"{"status":"NOT_READY","checks":{"store":"UP","blobs":"DOWN","workers":"UP"}}"#)?;
/// assert!(!ready.is_ready());
/// assert_eq!(ready.failing(), ["blobs"]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Readiness {
    /// `READY` or `NOT_READY`.
    pub status: String,
    /// Each check (`store`, `blobs`, `workers`) with `UP` or `DOWN`.
    #[serde(default)]
    pub checks: BTreeMap<String, String>,
}

impl Readiness {
    /// True when the server said `READY`.
    pub fn is_ready(&self) -> bool {
        self.status == "READY"
    }

    /// The checks that are not `UP`.
    pub fn failing(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|(_, word)| *word != "UP")
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// `GET /_bulkforce/requests`: the latest requests, newest first, and how many the ring keeps.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RequestLog {
    /// The size of the ring (`--request-log-size`).
    pub capacity: usize,
    /// Newest first.
    pub requests: Vec<RequestEntry>,
}

/// One request of the request log. It never holds a credential: secret query values read `REDACTED`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RequestEntry {
    /// When the request arrived.
    pub time: String,
    /// `GET`, `PUT`, …
    pub method: String,
    /// The path and its (redacted) query.
    pub path: String,
    /// The answer's status.
    pub status: u16,
    /// Time to the response head.
    pub milliseconds: f64,
    /// The org of the authenticated caller.
    #[serde(default)]
    pub org: Option<String>,
    /// The job the path names.
    #[serde(default)]
    pub job_id: Option<String>,
    /// The request's Content-Length.
    #[serde(default)]
    pub bytes_in: Option<u64>,
    /// The response body's size, when known before it streamed.
    #[serde(default)]
    pub bytes_out: Option<u64>,
}

/// How the server's clock runs.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum ClockMode {
    /// Real time.
    Real,
    /// Stopped at one instant until changed.
    Frozen,
    /// Real time shifted by `offsetSeconds`.
    Offset,
    /// A mode this client does not know.
    #[serde(other)]
    Unknown,
}

/// `GET|PUT|DELETE /_bulkforce/clock`: the server's time.
///
/// ```
/// use bulkforce_client::control::{ClockMode, ClockState};
/// let clock: ClockState = serde_json::from_str(
///     r#"{"mode":"offset","now":"2027-01-01T00:00:00.000Z","offsetSeconds":-3600}"#)?;
/// assert_eq!(clock.mode, ClockMode::Offset);
/// assert_eq!(clock.offset_seconds, Some(-3600));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ClockState {
    /// Real, frozen or offset.
    pub mode: ClockMode,
    /// The server's now.
    pub now: String,
    /// The shift from real time (offset mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_seconds: Option<i64>,
}

/// An org as `GET /_bulkforce/orgs` lists it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OrgSummary {
    /// The org id (18 characters).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The org `serve` creates and its admin token belongs to.
    pub is_default: bool,
    /// How many users it has.
    pub users: u64,
}

#[derive(Deserialize)]
pub(super) struct OrgList {
    pub(super) orgs: Vec<OrgSummary>,
}

/// A snapshot of every org's records and jobs.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Its name (`[A-Za-z0-9._-]{1,64}`, not starting with `.`).
    pub name: String,
    /// When it was taken.
    pub created_date: String,
    /// How many orgs it holds.
    pub orgs: u64,
}

#[derive(Deserialize)]
pub(super) struct SnapshotList {
    pub(super) snapshots: Vec<Snapshot>,
}

/// A job as the control API shows it: either kind, any org, with its hold.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    /// The job id (18 characters).
    pub id: String,
    /// The org it belongs to.
    pub org_id: String,
    /// `ingest` or `query`.
    #[serde(rename = "type")]
    pub job_type: String,
    /// The sObject.
    pub object: String,
    /// `insert`, `upsert`, `query`, …
    pub operation: String,
    /// Its state.
    pub state: JobState,
    /// Whether it is held (it does not go on until released).
    pub held: bool,
    /// When it was created.
    pub created_date: String,
    /// When it last changed.
    pub system_modstamp: String,
    /// Rows processed so far.
    #[serde(default)]
    pub number_records_processed: u64,
    /// Rows failed so far.
    #[serde(default)]
    pub number_records_failed: u64,
    /// Why it failed, when it did.
    #[serde(default)]
    pub error_message: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct JobList {
    pub(super) jobs: Vec<JobSummary>,
}

/// One state a job entered, and when.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StateChange {
    /// The state entered.
    pub state: JobState,
    /// When.
    pub at: String,
}

/// `GET /_bulkforce/jobs/{id}`: the summary, every state the job went through, and where its data is.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JobDetail {
    /// What the list shows.
    #[serde(flatten)]
    pub summary: JobSummary,
    /// Every state it entered, oldest first (`Open` at creation first).
    #[serde(default)]
    pub timeline: Vec<StateChange>,
    /// Milliseconds spent processing it.
    #[serde(default)]
    pub total_processing_time: Option<u64>,
    /// The Salesforce URLs of the job and its result files, by name (`job`, `successfulResults`, …).
    #[serde(default)]
    pub links: serde_json::Map<String, serde_json::Value>,
}

/// Which jobs `GET /_bulkforce/jobs` lists; unset fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// One org's jobs (its id).
    pub org: Option<String>,
    /// `ingest` or `query`.
    pub job_type: Option<String>,
    /// One state, e.g. `InProgress`.
    pub state: Option<String>,
    /// One sObject, e.g. `Account`.
    pub object: Option<String>,
    /// At most this many (the server's default is 200, its maximum 1,000).
    pub limit: Option<u32>,
}

impl JobFilter {
    /// The query string pairs of the set fields.
    pub(super) fn pairs(&self) -> Vec<(&'static str, String)> {
        let text = [
            ("org", &self.org),
            ("type", &self.job_type),
            ("state", &self.state),
            ("object", &self.object),
        ];
        let mut pairs: Vec<(&'static str, String)> = text
            .into_iter()
            .filter_map(|(key, value)| value.clone().map(|v| (key, v)))
            .collect();
        if let Some(limit) = self.limit {
            pairs.push(("limit", limit.to_string()));
        }
        pairs
    }
}

/// A fault rule with what it has done so far.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct FaultEntry {
    /// Its id (`f1`, `f2`, …).
    pub id: String,
    /// The rule as it was given.
    pub rule: serde_json::Value,
    /// How many times it fired.
    pub hits: u64,
    /// Hits left before it expires (`None`: it never does).
    #[serde(default)]
    pub remaining: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct FaultList {
    pub(super) faults: Vec<FaultEntry>,
}

#[derive(Deserialize)]
pub(super) struct FaultId {
    pub(super) id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_detail_reads_the_summary_beside_its_timeline() {
        let detail: JobDetail = serde_json::from_str(
            r#"{"id":"750000000000001AAA","orgId":"00D000000000001AAA","type":"ingest","object":"Account",
                "operation":"insert","state":"JobComplete","held":false,"createdDate":"2027-01-01T00:00:00.000Z",
                "systemModstamp":"2027-01-01T00:00:01.000Z","numberRecordsProcessed":2,
                "numberRecordsFailed":1,"errorMessage":null,
                "timeline":[{"state":"Open","at":"2027-01-01T00:00:00.000Z"}],"totalProcessingTime":12,
                "links":{"job":"/services/data/v62.0/jobs/ingest/750000000000001AAA"}}"#,
        )
        .unwrap();
        assert_eq!(detail.summary.state, JobState::JobComplete);
        assert_eq!(detail.summary.number_records_failed, 1);
        assert_eq!(detail.timeline[0].state, JobState::Open);
        assert_eq!(detail.total_processing_time, Some(12));
        assert!(detail.links.contains_key("job"));
    }

    #[test]
    fn a_filter_sends_only_what_it_sets() {
        let filter = JobFilter {
            state: Some("InProgress".into()),
            limit: Some(5),
            ..JobFilter::default()
        };
        assert_eq!(
            filter.pairs(),
            [
                ("state", "InProgress".to_owned()),
                ("limit", "5".to_owned())
            ]
        );
        assert!(JobFilter::default().pairs().is_empty());
    }
}

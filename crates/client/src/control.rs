//! A typed client of `bulkforce serve`'s control API (`/_bulkforce/…`): health and readiness, the request
//! log, the clock, reset and snapshots, jobs and their holds, fault rules. These are no part of Salesforce;
//! a test suite uses them to drive the server it tests against.
//!
//! Health, readiness and metrics need no token; every other call needs the default org admin's token or the
//! server's `--control-token`. Error answers (`{"errorCode","message"}`) become [`Error::Api`] with the
//! server's code and message (`UNAUTHORIZED` for a wrong token, `NOT_FOUND`, `DUPLICATE_NAME`, …).
//! Calls are never retried: a control changes the server's state, and a test wants to know at once.
//!
//! ```no_run
//! use bulkforce_client::control::ControlClient;
//! # async fn run() -> bulkforce_client::Result<()> {
//! let control = ControlClient::new("http://127.0.0.1:8080", "my-control-token")?;
//! control.create_snapshot("clean").await?;
//! // … a test run …
//! control.restore_snapshot("clean").await?;
//! let rule = serde_json::json!({"kind": "http", "method": "PUT", "path": "/services/data/*/jobs/ingest/*/batches",
//!                               "status": 503, "errorCode": "SERVER_UNAVAILABLE", "times": 1});
//! let id = control.add_fault(&rule).await?;
//! control.remove_fault(&id).await?;
//! # Ok(()) }
//! ```

mod types;

pub use types::{
    ClockMode, ClockState, FaultEntry, Health, JobDetail, JobFilter, JobSummary, OrgSummary,
    Readiness, RequestEntry, RequestLog, Snapshot, StateChange,
};

use crate::{Client, Error, Result, check};
use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::json;
use std::fmt;
use std::time::Duration;

/// A client of one server's control API. Cheap to clone.
///
/// ```
/// use bulkforce_client::control::ControlClient;
/// let control = ControlClient::new("http://127.0.0.1:8080/", "secret")?;
/// assert_eq!(control.base_url(), "http://127.0.0.1:8080/");
/// assert!(!format!("{control:?}").contains("secret"));
/// assert!(ControlClient::new("127.0.0.1:8080", "secret").is_err());
/// # Ok::<(), bulkforce_client::Error>(())
/// ```
#[derive(Clone)]
pub struct ControlClient {
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
}

impl fmt::Debug for ControlClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControlClient")
            .field("base_url", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl ControlClient {
    /// A client of the server at `base_url` (`http://127.0.0.1:8080`, the URL `serve` prints), sending
    /// `token` as a bearer token.
    pub fn new(base_url: &str, token: impl Into<String>) -> Result<ControlClient> {
        Self::build(base_url, Some(token.into()))
    }

    /// A client without a token: enough for [`health`](Self::health), [`ready`](Self::ready) and
    /// [`metrics`](Self::metrics); the server refuses every other call with 401.
    pub fn unauthenticated(base_url: &str) -> Result<ControlClient> {
        Self::build(base_url, None)
    }

    fn build(base_url: &str, token: Option<String>) -> Result<ControlClient> {
        let base = Url::parse(base_url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "server URL {base_url:?} must be like http://127.0.0.1:8080"
                ))
            })?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("bulkforce-client/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(30))
            .build()?;
        Ok(ControlClient { http, base, token })
    }

    /// The server URL.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The URL of `segments` under the server's root, each segment escaped (a snapshot name or an id
    /// never reaches another path).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.set_query(None);
        url.path_segments_mut()
            .expect("an http(s) URL with a host has path segments")
            .pop_if_empty()
            .extend(segments);
        url
    }

    /// A request to `/_bulkforce/<segments>`, with the token when there is one. An empty, `.` or `..`
    /// segment (a name or id given so) is refused: URLs drop them, so the request would name another path.
    fn control(&self, method: Method, segments: &[&str]) -> Result<RequestBuilder> {
        if let Some(bad) = segments.iter().find(|s| matches!(**s, "" | "." | "..")) {
            return Err(Error::InvalidArgument(format!(
                "{bad:?} is not a name or id"
            )));
        }
        let mut path = vec!["_bulkforce"];
        path.extend_from_slice(segments);
        let request = self.http.request(method, self.url(&path));
        Ok(match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        })
    }

    /// Sends a request; error statuses become [`Error::Api`].
    async fn send(request: RequestBuilder) -> Result<Response> {
        check(request.send().await?).await
    }

    /// Sends a request and reads its JSON answer.
    async fn fetch<T: DeserializeOwned>(request: RequestBuilder) -> Result<T> {
        Client::json(Self::send(request).await?).await
    }

    /// Sends a request whose answer has no body (204).
    async fn act(request: RequestBuilder) -> Result<()> {
        Self::send(request).await.map(drop)
    }

    /// `GET /_bulkforce/health`: the process runs.
    pub async fn health(&self) -> Result<Health> {
        Self::fetch(self.control(Method::GET, &["health"])?).await
    }

    /// `GET /_bulkforce/ready`: whether the store, the blobs and the workers answer. A server that is not
    /// ready (503) is an `Ok` answer too, with the checks that are down.
    pub async fn ready(&self) -> Result<Readiness> {
        let response = self.control(Method::GET, &["ready"])?.send().await?;
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            let body = response.bytes().await?;
            return serde_json::from_slice(&body)
                .map_err(|_| Error::from_response_body(503, &body));
        }
        Client::json(check(response).await?).await
    }

    /// `GET /metrics`: the Prometheus text.
    pub async fn metrics(&self) -> Result<String> {
        let response = Self::send(self.http.get(self.url(&["metrics"]))).await?;
        Ok(response.text().await?)
    }

    /// `GET /_bulkforce/requests`: the latest `limit` requests (the server's default: 100), newest first.
    pub async fn requests(&self, limit: Option<usize>) -> Result<RequestLog> {
        let mut request = self.control(Method::GET, &["requests"])?;
        if let Some(limit) = limit {
            request = request.query(&[("limit", limit)]);
        }
        Self::fetch(request).await
    }

    /// `GET /_bulkforce/orgs`: every org, with its user count.
    pub async fn orgs(&self) -> Result<Vec<OrgSummary>> {
        let list: types::OrgList = Self::fetch(self.control(Method::GET, &["orgs"])?).await?;
        Ok(list.orgs)
    }

    /// `GET /_bulkforce/clock`: the server's time and how it runs.
    pub async fn clock(&self) -> Result<ClockState> {
        Self::fetch(self.control(Method::GET, &["clock"])?).await
    }

    /// `PUT /_bulkforce/clock {"now"}`: time stops at `now` until changed.
    pub async fn freeze_clock(&self, now: DateTime<Utc>) -> Result<ClockState> {
        let body = json!({"now": now.to_rfc3339_opts(SecondsFormat::Millis, true)});
        Self::fetch(self.control(Method::PUT, &["clock"])?.json(&body)).await
    }

    /// `PUT /_bulkforce/clock {"offsetSeconds"}`: real time shifted by `seconds` (negative: the past).
    pub async fn offset_clock(&self, seconds: i64) -> Result<ClockState> {
        let body = json!({"offsetSeconds": seconds});
        Self::fetch(self.control(Method::PUT, &["clock"])?.json(&body)).await
    }

    /// `DELETE /_bulkforce/clock`: back to real time.
    pub async fn real_clock(&self) -> Result<ClockState> {
        Self::fetch(self.control(Method::DELETE, &["clock"])?).await
    }

    /// `POST /_bulkforce/reset`: every org's records, jobs, results and API counters gone; orgs, users,
    /// apps and tokens kept.
    pub async fn reset(&self) -> Result<()> {
        Self::act(self.control(Method::POST, &["reset"])?).await
    }

    /// `POST /_bulkforce/orgs/{org_id}/reset`: as [`reset`](Self::reset), for one org.
    pub async fn reset_org(&self, org_id: &str) -> Result<()> {
        Self::act(self.control(Method::POST, &["orgs", org_id, "reset"])?).await
    }

    /// `POST /_bulkforce/snapshots`: a consistent copy of every org's records and jobs, named `name`.
    pub async fn create_snapshot(&self, name: &str) -> Result<Snapshot> {
        let body = json!({ "name": name });
        Self::fetch(self.control(Method::POST, &["snapshots"])?.json(&body)).await
    }

    /// `GET /_bulkforce/snapshots`: oldest first.
    pub async fn snapshots(&self) -> Result<Vec<Snapshot>> {
        let list: types::SnapshotList =
            Self::fetch(self.control(Method::GET, &["snapshots"])?).await?;
        Ok(list.snapshots)
    }

    /// `POST /_bulkforce/snapshots/{name}/restore`: every org back to the snapshot.
    pub async fn restore_snapshot(&self, name: &str) -> Result<()> {
        Self::act(self.control(Method::POST, &["snapshots", name, "restore"])?).await
    }

    /// `DELETE /_bulkforce/snapshots/{name}`.
    pub async fn delete_snapshot(&self, name: &str) -> Result<()> {
        Self::act(self.control(Method::DELETE, &["snapshots", name])?).await
    }

    /// `GET /_bulkforce/jobs`: jobs of every org and both kinds, newest first, as `filter` narrows them.
    pub async fn jobs(&self, filter: &JobFilter) -> Result<Vec<JobSummary>> {
        let request = self.control(Method::GET, &["jobs"])?.query(&filter.pairs());
        let list: types::JobList = Self::fetch(request).await?;
        Ok(list.jobs)
    }

    /// `GET /_bulkforce/jobs/{id}`: a job with its timeline and links.
    pub async fn job(&self, id: &str) -> Result<JobDetail> {
        Self::fetch(self.control(Method::GET, &["jobs", id])?).await
    }

    /// `POST /_bulkforce/jobs/{id}/hold`: the job does not go on (past UploadComplete, or past its current
    /// chunk) until released. A finished job cannot be held (409 `JOB_FINISHED`).
    pub async fn hold_job(&self, id: &str) -> Result<JobSummary> {
        Self::fetch(self.control(Method::POST, &["jobs", id, "hold"])?).await
    }

    /// `POST /_bulkforce/jobs/{id}/release`: a held job goes on.
    pub async fn release_job(&self, id: &str) -> Result<JobSummary> {
        Self::fetch(self.control(Method::POST, &["jobs", id, "release"])?).await
    }

    /// `POST /_bulkforce/faults`: adds a rule (its shape as the README's fault injection describes); returns
    /// its id. A rule the server cannot use is 400 `INVALID_FAULT` with what is wrong.
    pub async fn add_fault(&self, rule: &serde_json::Value) -> Result<String> {
        let added: types::FaultId =
            Self::fetch(self.control(Method::POST, &["faults"])?.json(rule)).await?;
        Ok(added.id)
    }

    /// `GET /_bulkforce/faults`: the rules with their hit counts.
    pub async fn faults(&self) -> Result<Vec<FaultEntry>> {
        let list: types::FaultList = Self::fetch(self.control(Method::GET, &["faults"])?).await?;
        Ok(list.faults)
    }

    /// `DELETE /_bulkforce/faults/{id}`.
    pub async fn remove_fault(&self, id: &str) -> Result<()> {
        Self::act(self.control(Method::DELETE, &["faults", id])?).await
    }

    /// `DELETE /_bulkforce/faults`: every rule.
    pub async fn clear_faults(&self) -> Result<()> {
        Self::act(self.control(Method::DELETE, &["faults"])?).await
    }
}

#[cfg(test)]
mod tests {
    use super::ControlClient;

    #[test]
    fn path_segments_are_escaped_under_the_root() {
        let control = ControlClient::new("http://127.0.0.1:8080/", "t").unwrap();
        assert_eq!(
            control
                .url(&["_bulkforce", "snapshots", "../x", "restore"])
                .as_str(),
            "http://127.0.0.1:8080/_bulkforce/snapshots/..%2Fx/restore"
        );
        let control = ControlClient::new("http://127.0.0.1:8080?x=1", "t").unwrap();
        assert_eq!(
            control.url(&["metrics"]).as_str(),
            "http://127.0.0.1:8080/metrics"
        );
    }
}

//! `bulkforce-client`: an async client for the Salesforce Bulk API 2.0, for Salesforce orgs and
//! `bulkforce serve` alike.
//!
//! One [`Client`] per instance URL and access token. Ingest jobs: [`Client::create_ingest_job`],
//! [`Client::upload_job_data`] (streamed from any `AsyncRead`), [`Client::close_job`], [`Client::wait_for_job`],
//! then the result files with [`Client::ingest_results`]. Query jobs: [`Client::create_query_job`],
//! [`Client::wait_for_job`], [`Client::download_query_results`] (every page, following `Sforce-Locator`) or
//! [`Client::download_query_results_parallel`] (several pages at once through `resultPages`).
//!
//! Sessions (instance URL and access token) come from [`auth::Login`]: OAuth password, client credentials, JWT
//! bearer, refresh, or the SOAP login.
//!
//! ```no_run
//! use bulkforce_client::{Client, IngestJobRequest, JobKind, Operation, PollOptions, ResultKind};
//! # async fn run() -> bulkforce_client::Result<()> {
//! let client = Client::new("http://127.0.0.1:8080", "00D000000000001!token", "62.0")?;
//! let job = client.create_ingest_job(&IngestJobRequest::new("Account", Operation::Insert)).await?;
//! let file = tokio::fs::File::open("accounts.csv").await?;
//! client.upload_job_data(&job.id, file).await?;
//! client.close_job(&job.id).await?;
//! let done = client.wait_for_job(JobKind::Ingest, &job.id, &PollOptions::default()).await?;
//! println!("{} rows, {} failed", done.number_records_processed.unwrap_or(0),
//!          done.number_records_failed.unwrap_or(0));
//! let mut out = tokio::fs::File::create("failed.csv").await?;
//! client.download_ingest_results(&job.id, ResultKind::Failed, &mut out).await?;
//! # Ok(()) }
//! ```
//!
//! Files of any size: [`load`] splits them into parts run as parallel jobs, journaled so that an interrupted
//! load resumes without sending a finished part again.

#![deny(missing_docs)]

pub mod auth;
pub mod control;
mod error;
mod pages;
mod poll;
mod retry;
mod types;

pub mod load;

pub use error::{Error, Result};
pub use pages::{DownloadSummary, ParallelDownload, ResultPage, ResultPageStream};
pub use poll::PollOptions;
pub use retry::RetryPolicy;
pub use types::{
    ColumnDelimiter, IngestJobRequest, JobInfo, JobKind, JobState, LineEnding, Operation,
    QueryJobRequest, ResultKind,
};

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use retry::Backoff;
use serde::Deserialize;
use std::fmt;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

/// A stream of the bytes of a downloaded file.
///
/// ```no_run
/// # async fn run(client: bulkforce_client::Client) -> bulkforce_client::Result<()> {
/// use bulkforce_client::{ByteStream, ResultKind};
/// use futures::TryStreamExt;
/// let mut stream: ByteStream = client.ingest_results("750000000000001AAA", ResultKind::Failed).await?;
/// let mut bytes = 0;
/// while let Some(chunk) = stream.try_next().await? {
///     bytes += chunk.len();
/// }
/// println!("{bytes} bytes of failed rows");
/// # Ok(()) }
/// ```
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// A Bulk API 2.0 client for one instance URL, access token and API version. Cheap to clone.
///
/// ```
/// use bulkforce_client::Client;
/// let client = Client::new("https://acme.my.salesforce.com/", "00D000000000001!secret", "v62.0")?;
/// assert_eq!(client.instance_url(), "https://acme.my.salesforce.com");
/// assert_eq!(client.api_version(), "62.0");
/// assert!(!format!("{client:?}").contains("secret"));
/// assert!(Client::new("acme.my.salesforce.com", "token", "62.0").is_err());
/// # Ok::<(), bulkforce_client::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    instance_url: String,
    access_token: String,
    api_version: String,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("instance_url", &self.instance_url)
            .field("api_version", &self.api_version)
            .field("access_token", &"<redacted>")
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobList {
    #[serde(default)]
    records: Vec<JobInfo>,
    #[serde(default)]
    next_records_url: Option<String>,
}

impl Client {
    /// A client for `instance_url` (e.g. `https://acme.my.salesforce.com` or `http://127.0.0.1:8080`), sending
    /// `access_token` as a bearer token to API version `api_version` (`62.0`; a leading `v` is accepted).
    ///
    /// ```no_run
    /// let client = bulkforce_client::Client::new("http://127.0.0.1:8080", "00D…!token", "62.0")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        instance_url: impl Into<String>,
        access_token: impl Into<String>,
        api_version: impl Into<String>,
    ) -> Result<Client> {
        let instance_url = instance_url.into().trim_end_matches('/').to_owned();
        if !(instance_url.starts_with("http://") || instance_url.starts_with("https://")) {
            return Err(Error::InvalidArgument(format!(
                "instance URL {instance_url:?} must start with http:// or https://"
            )));
        }
        let api_version = api_version.into();
        let api_version = api_version.trim_start_matches(['v', 'V']).to_owned();
        if api_version.parse::<f64>().is_err() {
            return Err(Error::InvalidArgument(format!(
                "API version {api_version:?} is not a number like 62.0"
            )));
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("bulkforce-client/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(30))
            .build()?;
        Ok(Client {
            http,
            instance_url,
            access_token: access_token.into(),
            api_version,
            retry: RetryPolicy::default(),
        })
    }

    /// Replaces the retry policy of idempotent calls.
    ///
    /// ```
    /// use bulkforce_client::{Client, RetryPolicy};
    /// let no_retries = RetryPolicy { max_retries: 0, ..RetryPolicy::default() };
    /// let client = Client::new("http://127.0.0.1:8080", "token", "62.0")?.with_retry_policy(no_retries);
    /// # Ok::<(), bulkforce_client::Error>(())
    /// ```
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Client {
        self.retry = retry;
        self
    }

    /// The instance URL, without a trailing slash.
    ///
    /// ```
    /// let client = bulkforce_client::Client::new("http://127.0.0.1:8080/", "token", "62.0")?;
    /// assert_eq!(client.instance_url(), "http://127.0.0.1:8080");
    /// # Ok::<(), bulkforce_client::Error>(())
    /// ```
    pub fn instance_url(&self) -> &str {
        &self.instance_url
    }

    /// The API version, e.g. `62.0`.
    ///
    /// ```
    /// let client = bulkforce_client::Client::new("http://127.0.0.1:8080", "token", "v62.0")?;
    /// assert_eq!(client.api_version(), "62.0");
    /// # Ok::<(), bulkforce_client::Error>(())
    /// ```
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/services/data/v{}/{}",
            self.instance_url, self.api_version, path
        )
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.access_token)
    }

    /// Sends a request once; error statuses become [`Error::Api`].
    async fn send_once(request: RequestBuilder) -> Result<Response> {
        check(request.send().await?).await
    }

    /// Sends an idempotent request, retrying 429, 5xx and transport errors per the client's [`RetryPolicy`].
    async fn send_idempotent(&self, make: impl Fn() -> RequestBuilder) -> Result<Response> {
        let mut backoff = Backoff::new(&self.retry);
        loop {
            let outcome = match make().send().await {
                Ok(response) => check(response).await,
                Err(e) => Err(Error::Http(e)),
            };
            match outcome {
                Err(e) if e.is_network() => {
                    if !backoff.wait().await {
                        return Err(e);
                    }
                }
                other => return other,
            }
        }
    }

    async fn json<T: serde::de::DeserializeOwned>(response: Response) -> Result<T> {
        let body = response.bytes().await?;
        serde_json::from_slice(&body).map_err(|e| {
            Error::Protocol(format!(
                "{e}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            ))
        })
    }

    /// Creates an ingest job (`POST /jobs/ingest`); the job is `Open`, waiting for its data.
    ///
    /// ```no_run
    /// # async fn run(client: bulkforce_client::Client) -> bulkforce_client::Result<()> {
    /// use bulkforce_client::{IngestJobRequest, JobState, Operation};
    /// let job = client.create_ingest_job(&IngestJobRequest::new("Contact", Operation::Update)).await?;
    /// assert_eq!(job.state, JobState::Open);
    /// # Ok(()) }
    /// ```
    pub async fn create_ingest_job(&self, request: &IngestJobRequest) -> Result<JobInfo> {
        let response =
            Self::send_once(self.request(Method::POST, "jobs/ingest").json(request)).await?;
        Self::json(response).await
    }

    /// Uploads the job's CSV (`PUT /jobs/ingest/{id}/batches`), streamed from `data` without holding it in
    /// memory. Salesforce takes exactly one upload per job. Not retried: a stream cannot be replayed.
    ///
    /// ```no_run
    /// # async fn run(client: bulkforce_client::Client, job_id: &str) -> bulkforce_client::Result<()> {
    /// client.upload_job_data(job_id, tokio::fs::File::open("accounts.csv").await?).await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_job_data<R>(&self, job_id: &str, data: R) -> Result<()>
    where
        R: AsyncRead + Send + 'static,
    {
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
            data,
            64 * 1024,
        ));
        let response = Self::send_once(
            self.request(Method::PUT, &format!("jobs/ingest/{job_id}/batches"))
                .header(reqwest::header::CONTENT_TYPE, "text/csv")
                .body(body),
        )
        .await?;
        if response.status() != StatusCode::CREATED {
            return Err(Error::Protocol(format!(
                "upload answered {} instead of 201 Created",
                response.status()
            )));
        }
        Ok(())
    }

    async fn patch_state(&self, kind: JobKind, job_id: &str, state: &str) -> Result<JobInfo> {
        let response = Self::send_once(
            self.request(Method::PATCH, &format!("jobs/{}/{job_id}", kind.path()))
                .json(&serde_json::json!({ "state": state })),
        )
        .await?;
        Self::json(response).await
    }

    /// Closes an ingest job (`{"state":"UploadComplete"}`): its data is complete and processing starts.
    ///
    /// ```no_run
    /// # async fn run(client: bulkforce_client::Client, job_id: &str) -> bulkforce_client::Result<()> {
    /// let info = client.close_job(job_id).await?;
    /// println!("job {} is {}", info.id, info.state);
    /// # Ok(()) }
    /// ```
    pub async fn close_job(&self, job_id: &str) -> Result<JobInfo> {
        self.patch_state(JobKind::Ingest, job_id, "UploadComplete")
            .await
    }

    /// Aborts a job (`{"state":"Aborted"}`); finished jobs answer `INVALIDJOBSTATE`.
    ///
    /// ```no_run
    /// # async fn run(client: bulkforce_client::Client, job_id: &str) -> bulkforce_client::Result<()> {
    /// use bulkforce_client::{Error, JobKind};
    /// match client.abort_job(JobKind::Ingest, job_id).await {
    ///     Ok(info) => println!("job {} is {}", info.id, info.state),
    ///     Err(Error::Api { code, .. }) if code == "INVALIDJOBSTATE" => println!("already finished"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn abort_job(&self, kind: JobKind, job_id: &str) -> Result<JobInfo> {
        self.patch_state(kind, job_id, "Aborted").await
    }

    /// The job's current info (`GET /jobs/{kind}/{id}`); retried.
    ///
    /// ```no_run
    /// # async fn run(client: bulkforce_client::Client) -> bulkforce_client::Result<()> {
    /// use bulkforce_client::JobKind;
    /// let info = client.job_info(JobKind::Query, "750000000000001AAA").await?;
    /// println!("{}: {} rows", info.state, info.number_records_processed.unwrap_or(0));
    /// # Ok(()) }
    /// ```
    pub async fn job_info(&self, kind: JobKind, job_id: &str) -> Result<JobInfo> {
        let path = format!("jobs/{}/{job_id}", kind.path());
        let response = self
            .send_idempotent(|| self.request(Method::GET, &path))
            .await?;
        Self::json(response).await
    }

    /// Deletes a finished job and its data (`DELETE /jobs/{kind}/{id}`, 204); retried.
    ///
    /// ```no_run
    /// # async fn run(client: bulkforce_client::Client) -> bulkforce_client::Result<()> {
    /// client.delete_job(bulkforce_client::JobKind::Ingest, "750000000000001AAA").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_job(&self, kind: JobKind, job_id: &str) -> Result<()> {
        let path = format!("jobs/{}/{job_id}", kind.path());
        self.send_idempotent(|| self.request(Method::DELETE, &path))
            .await?;
        Ok(())
    }

    /// Every job of one kind, following the list's pages (1,000 jobs each).
    ///
    /// ```no_run
    /// # async fn run(client: bulkforce_client::Client) -> bulkforce_client::Result<()> {
    /// use bulkforce_client::JobKind;
    /// for job in client.list_jobs(JobKind::Ingest).await? {
    ///     println!("{} {} {} {}", job.id, job.operation, job.object, job.state);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_jobs(&self, kind: JobKind) -> Result<Vec<JobInfo>> {
        let path = format!("jobs/{}", kind.path());
        let mut jobs = Vec::new();
        let mut locator: Option<String> = None;
        loop {
            let response = self
                .send_idempotent(|| {
                    let request = self.request(Method::GET, &path);
                    match &locator {
                        Some(l) => request.query(&[("queryLocator", l)]),
                        None => request,
                    }
                })
                .await?;
            let page: JobList = Self::json(response).await?;
            jobs.extend(page.records);
            // The locator is taken out of nextRecordsUrl and sent to this kind's list, whatever path the
            // server put in front of it.
            match page.next_records_url.as_deref().and_then(|url| {
                url.split_once("queryLocator=")
                    .map(|(_, l)| l.split('&').next().unwrap_or(l).to_owned())
            }) {
                Some(next) if !next.is_empty() => locator = Some(next),
                _ => return Ok(jobs),
            }
        }
    }

    /// Polls the job until it is `JobComplete`, `Failed` or `Aborted` and returns its last info (look at
    /// [`JobInfo::state`]: a failed job is not an `Err`). Past `options.timeout` it returns
    /// [`Error::Timeout`] with the job id; the job is never aborted or abandoned by this call.
    ///
    /// ```no_run
    /// # async fn run(client: bulkforce_client::Client) -> bulkforce_client::Result<()> {
    /// use bulkforce_client::{JobKind, JobState, PollOptions};
    /// let info = client.wait_for_job(JobKind::Query, "750000000000001AAA", &PollOptions::default()).await?;
    /// assert!(info.state.is_terminal());
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_job(
        &self,
        kind: JobKind,
        job_id: &str,
        options: &PollOptions,
    ) -> Result<JobInfo> {
        poll::JobPolls::new(self, kind, job_id, options, Some(options.timeout))
            .until_finished()
            .await
    }

    /// One result file of an ingest job, as a stream of bytes (the request is retried until the response
    /// starts; a failure mid-stream is an `Err` item).
    ///
    /// ```no_run
    /// # async fn run(client: bulkforce_client::Client) -> bulkforce_client::Result<()> {
    /// use bulkforce_client::ResultKind;
    /// use futures::TryStreamExt;
    /// let stream = client.ingest_results("750000000000001AAA", ResultKind::Successful).await?;
    /// let chunks: Vec<bytes::Bytes> = stream.try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub async fn ingest_results(&self, job_id: &str, kind: ResultKind) -> Result<ByteStream> {
        let path = format!("jobs/ingest/{job_id}/{}", kind.path());
        let response = self
            .send_idempotent(|| self.request(Method::GET, &path))
            .await?;
        Ok(response.bytes_stream().map_err(Error::from).boxed())
    }

    /// Writes one result file of an ingest job into `out`; returns the number of bytes written.
    ///
    /// ```no_run
    /// # async fn run(client: bulkforce_client::Client) -> bulkforce_client::Result<()> {
    /// use bulkforce_client::ResultKind;
    /// let mut out = tokio::fs::File::create("unprocessed.csv").await?;
    /// let bytes = client
    ///     .download_ingest_results("750000000000001AAA", ResultKind::Unprocessed, &mut out)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_ingest_results<W>(
        &self,
        job_id: &str,
        kind: ResultKind,
        out: &mut W,
    ) -> Result<u64>
    where
        W: AsyncWrite + Unpin,
    {
        let mut stream = self.ingest_results(job_id, kind).await?;
        let mut written = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            out.write_all(&chunk).await?;
            written += chunk.len() as u64;
        }
        out.flush().await?;
        Ok(written)
    }

    /// Creates a query job (`POST /jobs/query`); the server compiles the SOQL at once (errors are
    /// [`Error::Api`], e.g. `MALFORMED_QUERY`, `INVALID_FIELD`).
    ///
    /// ```no_run
    /// # async fn run(client: bulkforce_client::Client) -> bulkforce_client::Result<()> {
    /// use bulkforce_client::{JobKind, PollOptions, QueryJobRequest};
    /// let job = client.create_query_job(&QueryJobRequest::new("SELECT Id, Name FROM Account")).await?;
    /// let done = client.wait_for_job(JobKind::Query, &job.id, &PollOptions::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_query_job(&self, request: &QueryJobRequest) -> Result<JobInfo> {
        let response =
            Self::send_once(self.request(Method::POST, "jobs/query").json(request)).await?;
        Self::json(response).await
    }
}

/// Turns an error status into [`Error::Api`], reading the body.
async fn check(response: Response) -> Result<Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.bytes().await.unwrap_or_default();
    Err(Error::from_response_body(status.as_u16(), &body))
}
